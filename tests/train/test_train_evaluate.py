"""Evaluation: metrics with known answers, and evaluate_model on a tiny JPEG test set."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from domrand.train.backbones import Head, SmallCNN
from domrand.train.evaluate import evaluate_model, load_classifier, metrics


def test_metrics_two_classes_known_answer():
    m = metrics(np.array([0, 0, 1, 1, 1]), np.array([0, 1, 1, 1, 0]), ["cat", "dog"])
    assert m["confusion"] == [[1, 1], [1, 2]]  # rows: true class, columns: predicted
    assert m["accuracy"] == pytest.approx(0.6)
    assert m["accuracy_above_random"] == pytest.approx(0.6 - 0.5)
    assert m["per_class_accuracy"] == pytest.approx({"cat": 0.5, "dog": 2 / 3})
    assert m["n"] == 5 and m["classes"] == ["cat", "dog"]


def test_metrics_three_classes_and_a_class_without_samples():
    m = metrics(np.array([0, 1, 1, 0]), np.array([0, 1, 2, 2]), ["cat", "dog", "car"])
    assert m["confusion"] == [[1, 0, 1], [0, 1, 1], [0, 0, 0]]
    assert m["accuracy"] == pytest.approx(0.5)
    assert m["accuracy_above_random"] == pytest.approx(0.5 - 1 / 3)
    assert np.isnan(m["per_class_accuracy"]["car"])
    json.dumps(m)  # serialisable as the evaluation JSON


def test_metrics_perfect_and_empty():
    y = np.array([0, 1, 2, 3])
    m = metrics(y, y, ["a", "b", "c", "d"])
    assert m["accuracy"] == 1.0 and m["accuracy_above_random"] == pytest.approx(0.75)
    assert np.isnan(metrics(np.array([], int), np.array([], int), ["a", "b"])["accuracy"])


@pytest.fixture
def always_dog(tmp_path, helpers):
    """A frozen-backbone model whose head predicts 'dog' for every image, and its backbone file."""
    backbone = helpers.backbone(tmp_path / "backbone.pt")
    head = Head(SmallCNN().out_features, 2, 0.3)
    with torch.no_grad():
        head.net[3].weight.zero_()
        head.net[3].bias.copy_(torch.tensor([0.0, 10.0]))
    model = tmp_path / "model.pt"
    torch.save(
        {
            "backbone": "small_cnn",
            "classes": ["cat", "dog"],
            "dropout": 0.3,
            "frozen": True,
            "in_features": SmallCNN().out_features,
            "head": head.state_dict(),
            "backbone_state": None,
        },
        model,
    )
    return model, backbone


@pytest.fixture
def split_index(tmp_path, helpers):
    """An image index of test and train images, of the model's classes and of another."""
    rows = [("cat", "test")] * 2 + [("dog", "test")] * 3 + [("bicycle", "test")] * 2 + [("cat", "train")] * 4
    return helpers.image_index(tmp_path / "data", rows)


def test_evaluate_model_known_answer_on_the_test_split_only(always_dog, split_index, tmp_path):
    model, backbone = always_dog
    out = tmp_path / "eval" / "real.json"
    res = evaluate_model(
        model, backbone, [split_index], out, {"classes": ["cat", "dog"], "input_size": 32}, log=lambda *_: None
    )
    assert res["n"] == 5  # 2 cats + 3 dogs of the test split; bicycles and train images left out
    assert res["accuracy"] == pytest.approx(0.6)
    assert res["confusion"] == [[0, 2], [0, 3]]
    assert res["accuracy_above_random"] == pytest.approx(0.1)
    assert json.loads(out.read_text()) == json.loads(json.dumps(res))
    assert res["test_set"] == [str(split_index)]


def test_evaluate_model_rejects_classes_the_model_was_not_trained_on(always_dog, split_index, tmp_path):
    model, backbone = always_dog
    out = tmp_path / "eval.json"
    with pytest.raises(ValueError, match=r"\['bicycle'\].*not trained on.*\['cat', 'dog'\]"):
        evaluate_model(
            model,
            backbone,
            [split_index],
            out,
            {"classes": ["cat", "dog", "bicycle"], "input_size": 32},
            log=lambda *_: None,
        )
    assert not out.exists()


def test_evaluate_model_with_no_test_images_of_the_classes_raises(always_dog, tmp_path, helpers):
    model, backbone = always_dog
    index = helpers.image_index(tmp_path / "d", [("cat", "train"), ("dog", "train")])
    with pytest.raises(ValueError, match="no test images"):
        evaluate_model(
            model,
            backbone,
            [index],
            tmp_path / "e.json",
            {"classes": ["cat", "dog"], "input_size": 32},
            log=lambda *_: None,
        )


def test_load_classifier_rebuilds_the_frozen_model(always_dog):
    model, backbone = always_dog
    clf = load_classifier(model, backbone)
    assert clf.classes == ["cat", "dog"] and not clf.training
    saved = torch.load(backbone, weights_only=True)["state"]
    assert all(torch.equal(saved[k], v) for k, v in clf.backbone.state_dict().items())
    with torch.no_grad():
        assert clf(torch.rand(3, 3, 32, 32)).argmax(1).tolist() == [1, 1, 1]


def test_evaluate_model_writes_one_prediction_row_per_test_image(always_dog, split_index, tmp_path):
    import pandas as pd

    from domrand.data.index import read_index

    model, backbone = always_dog
    out, preds = tmp_path / "eval" / "real.json", tmp_path / "eval" / "real.predictions.parquet"
    res = evaluate_model(
        model,
        backbone,
        [split_index],
        out,
        {"classes": ["cat", "dog"], "input_size": 32},
        log=lambda *_: None,
        out_predictions=preds,
    )
    p = pd.read_parquet(preds)
    assert list(p.columns) == ["path", "label", "label_name", "pred", "prob", "p_cat", "p_dog"]
    stored = read_index(split_index, split="test", resolve=False)
    assert sorted(p["path"]) == sorted(stored.loc[stored["label"].isin(["cat", "dog"]), "path"])
    assert p["label"].tolist() == [["cat", "dog"].index(n) for n in p["label_name"]]
    assert sorted(p["label_name"]) == ["cat"] * 2 + ["dog"] * 3
    assert (p["pred"] == 1).all()  # always dog
    assert (p["p_cat"] + p["p_dog"]).to_numpy() == pytest.approx(1.0)
    assert p["prob"].to_numpy() == pytest.approx(np.where(p["label"] == 1, p["p_dog"], p["p_cat"]))
    assert (p["pred"] == p["label"]).mean() == pytest.approx(res["accuracy"])
    assert p["label"].dtype == np.int64 and p["pred"].dtype == np.int64
