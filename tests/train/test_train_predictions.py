"""evaluate_model's per-image predictions (figure 12's input): one row per test image, in the
interface path, label, label_name, pred, prob, p_<class>."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from domrand.data.index import read_index
from domrand.train.backbones import Head, SmallCNN
from domrand.train.evaluate import evaluate_model


def test_predictions_file_known_answer(tmp_path, helpers):
    backbone = helpers.backbone(tmp_path / "backbone.pt")
    head = Head(SmallCNN().out_features, 2, 0.3)
    with torch.no_grad():  # always 'dog', with probability sigmoid(2)
        head.net[3].weight.zero_()
        head.net[3].bias.copy_(torch.tensor([0.0, 2.0]))
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
    index = helpers.image_index(
        tmp_path / "data", [("cat", "test")] * 2 + [("dog", "test")] * 3 + [("cat", "train")] * 2
    )
    out = tmp_path / "eval" / "real.predictions.parquet"
    res = evaluate_model(
        model,
        backbone,
        [index],
        tmp_path / "eval" / "real.json",
        {"classes": ["cat", "dog"], "input_size": 32},
        log=lambda *_: None,
        out_predictions=out,
    )
    p = pd.read_parquet(out)
    assert list(p.columns) == ["path", "label", "label_name", "pred", "prob", "p_cat", "p_dog"]
    test = read_index(index, split="test", resolve=False)
    assert sorted(p["path"]) == sorted(test["path"])  # the test images, paths as stored in the index
    assert p["label"].tolist() == [("cat", "dog").index(c) for c in p["label_name"]]
    assert p["pred"].eq(1).all()
    dog = 1 / (1 + np.exp(-2.0))
    assert p["p_dog"].to_numpy() == pytest.approx(dog, abs=1e-5)
    assert (p["p_cat"] + p["p_dog"]).to_numpy() == pytest.approx(1.0)
    assert p["prob"].to_numpy() == pytest.approx(np.where(p["label"] == 1, dog, 1 - dog), abs=1e-5)
    assert (p["pred"] == p["label"]).mean() == pytest.approx(res["accuracy"])
