"""Best-epoch accuracy, the paper's protocol: every epoch of a model is scored on each test set,
and the evaluation reports the final or the best epoch as the config says, keeping both."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from domrand.train.evaluate import epoch_choice, evaluate_model
from domrand.train.features import extract_features
from domrand.train.fit import finetune, train_head

AUG = {"zoom": [0.8, 1.0], "rotation": 10, "flip": True, "brightness": 0.2}


def QUIET(*_):
    return None


def test_epoch_choice_final_best_and_ties():
    assert epoch_choice([0.5, 0.9, 0.7], "final") == 2
    assert epoch_choice([0.5, 0.9, 0.7], "best_epoch") == 1
    assert epoch_choice([0.9, 0.6, 0.9], "best_epoch") == 0  # a tie goes to the earlier epoch
    with pytest.raises(ValueError, match="evaluation.report"):
        epoch_choice([0.5], "last")


@pytest.fixture
def frozen_run(tmp_path, helpers):
    rows = [(c, s) for c in ("cat", "dog") for s in ("train",) * 8 + ("test",) * 5]
    index = helpers.image_index(tmp_path / "d", rows)
    backbone = helpers.backbone(tmp_path / "bb.pt")
    feats = tmp_path / "f.pt"
    extract_features(
        index, "small_cnn", backbone, feats, {"seed": 0, "input_size": 32, "views": 2, "augment": AUG}, log=QUIET
    )
    params = {
        "seed": 0,
        "classes": ["cat", "dog"],
        "dropout": 0.3,
        "lr": 0.01,
        "epochs": 4,
        "batch_size": 4,
        "backbone": "small_cnn",
    }
    history = train_head([feats], [feats], tmp_path / "m", tmp_path / "ck.pt", params, log=QUIET)
    return tmp_path, index, backbone, feats, history


def test_frozen_model_is_scored_at_every_epoch_from_the_stored_features(frozen_run):
    tmp, index, backbone, feats, history = frozen_run
    out = {}
    for report in ("final", "best_epoch"):
        out[report] = evaluate_model(
            tmp / "m" / "model.pt",
            backbone,
            [index],
            tmp / f"{report}.json",
            {"classes": ["cat", "dog"], "input_size": 32, "report": report},
            log=QUIET,
            out_predictions=tmp / f"{report}.parquet",
            test_features=[feats],
        )
    accs = out["final"]["epoch_accuracy"]
    # the per-epoch accuracies are the monitoring accuracies training logged on the same test set
    assert accs == pytest.approx([h["test_acc"] for h in history])
    assert out["final"]["accuracy"] == pytest.approx(accs[-1]) and out["final"]["epoch"] == 4
    best = int(np.argmax(accs))
    assert out["best_epoch"]["accuracy"] == pytest.approx(accs[best]) and out["best_epoch"]["epoch"] == best + 1
    for r in out.values():  # both protocols kept, whichever is reported
        assert r["accuracy_final"] == pytest.approx(accs[-1]) and r["accuracy_best_epoch"] == pytest.approx(max(accs))
    p = pd.read_parquet(tmp / "best_epoch.parquet")
    assert (p["pred"] == p["label"]).mean() == pytest.approx(accs[best])
    assert json.loads((tmp / "best_epoch.json").read_text())["scored_from"] == "stored test features"


def test_scores_from_features_match_a_pass_through_the_images(frozen_run):
    tmp, index, backbone, feats, _ = frozen_run
    params = {"classes": ["cat", "dog"], "input_size": 32}
    evaluate_model(
        tmp / "m" / "model.pt",
        backbone,
        [index],
        tmp / "f.json",
        params,
        log=QUIET,
        out_predictions=tmp / "f.parquet",
        test_features=[feats],
    )
    evaluate_model(
        tmp / "m" / "model.pt", backbone, [index], tmp / "i.json", params, log=QUIET, out_predictions=tmp / "i.parquet"
    )
    f, i = pd.read_parquet(tmp / "f.parquet"), pd.read_parquet(tmp / "i.parquet")
    assert f["path"].tolist() == i["path"].tolist()
    # the features were stored as float16: the same probabilities to about 1e-3
    assert np.abs(f["p_cat"].to_numpy() - i["p_cat"].to_numpy()).max() < 1e-2
    assert json.loads((tmp / "i.json").read_text())["scored_from"] == "images, final epoch only"


def test_finetuned_model_is_scored_at_every_epoch_on_its_monitoring_set(tmp_path, helpers):
    rows = [(c, s) for c in ("cat", "dog") for s in ("train",) * 6 + ("test",) * 3]
    index = helpers.image_index(tmp_path / "d", rows)
    backbone = helpers.backbone(tmp_path / "bb.pt")
    params = {
        "seed": 0,
        "classes": ["cat", "dog"],
        "dropout": 0.3,
        "lr": 0.001,
        "epochs": 3,
        "batch_size": 8,
        "backbone": "small_cnn",
        "input_size": 32,
        "augment": AUG,
    }
    history = finetune([index], [index], backbone, tmp_path / "m", tmp_path / "ck.pt", params, log=QUIET)
    r = evaluate_model(
        tmp_path / "m" / "model.pt",
        backbone,
        [index],
        tmp_path / "e.json",
        {"classes": ["cat", "dog"], "input_size": 32, "report": "best_epoch"},
        log=QUIET,
    )
    assert r["epoch_accuracy"] == pytest.approx([h["test_acc"] for h in history])
    assert r["accuracy"] == pytest.approx(max(h["test_acc"] for h in history))
