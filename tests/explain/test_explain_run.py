"""The explain step end to end on a tiny model and test set, and figure 5's faithfulness table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from PIL import Image

from domrand.data.index import write_index
from domrand.explain.heatmaps import load_heatmaps
from domrand.explain.run import explain_model
from domrand.figures.heatmaps import FAITHFULNESS_COLUMNS, fig5
from domrand.train.backbones import Head, SmallCNN


def _dataset(root, per_class=5, size=24):
    rng = np.random.default_rng(0)
    paths = []
    for cls, colour in (("cat", (200, 60, 40)), ("dog", (40, 60, 200))):
        rows = []
        for i in range(per_class):
            p = root / "img" / f"{cls}_{i}.jpg"
            p.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(
                np.clip(np.array(colour) + rng.normal(0, 30, (size, size, 3)), 0, 255).astype(np.uint8)
            ).save(p)
            rows.append({"path": str(p), "label": cls, "split": "test", "source": "t", "domain": "real"})
        paths.append(write_index(pd.DataFrame(rows), root / "datasets" / f"{cls}.parquet"))
    return paths


def _model(root):
    torch.manual_seed(0)
    net = SmallCNN()
    torch.save({"state": net.state_dict()}, root / "backbone.pt")
    head = Head(net.out_features, 2, 0.3)
    torch.save(
        {
            "backbone": "small_cnn",
            "classes": ["cat", "dog"],
            "dropout": 0.3,
            "frozen": True,
            "in_features": net.out_features,
            "head": head.state_dict(),
            "backbone_state": None,
        },
        root / "model.pt",
    )
    return root / "model.pt", root / "backbone.pt"


def test_explain_model_and_fig5_faithfulness_table(tmp_path):
    torch.set_num_threads(1)
    indexes = _dataset(tmp_path)
    model, backbone = _model(tmp_path)
    params = {
        "target": "cat",
        "images_per_class": 2,
        "occlusion": {"window": 8, "stride": 8},
        "faithfulness": {"images_per_class": 4, "steps": 3, "sanity_max_rank_corr": 0.5},
        "classes": ["cat", "dog"],
        "input_size": 32,
        "seed": 0,
    }
    npz = {ts: tmp_path / f"{ts}.npz" for ts in ("real", "synthetic")}
    for ts, p in npz.items():
        curves, sanity = explain_model(model, backbone, indexes, p, params, ts, log=lambda *_: None)
    rec = load_heatmaps(npz["real"])
    assert rec["maps"]["gradcam"].shape == (4, 32, 32)  # 2 shown per class
    assert rec["meta"]["faithfulness_images"] == 8 and rec["meta"]["target"] == 0
    # 8 images x 2 methods x (map, shifted) x 2 baselines; each image explained for its own class.
    assert len(curves) == 8 * 2 * 2 * 2 and sorted(set(curves["label"])) == [0, 1]
    assert len(sanity) == 8 * 2 and set(sanity["randomised"]) == {"head"}
    out = {k: tmp_path / f"{k}.csv" for k in ("table", "faith")}
    table = fig5(
        [npz["real"], npz["synthetic"]],
        [npz["real"], npz["synthetic"]],
        tmp_path / "fig5.png",
        out["table"],
        out["faith"],
        proxy=True,
    )
    t = pd.read_csv(out["faith"])
    assert list(t.columns) == list(FAITHFULNESS_COLUMNS) and len(t) == len(table)
    assert set(t["model"]) == {"real-trained", "synthetic-trained"} and set(t["test_set"]) == {"real", "synthetic"}
    gains = t[t["measure"].str.endswith("_gain")]
    assert gains["verdict"].isin(["beats shifted", "worse than shifted", "no difference"]).all()
    assert (gains["ci_low"] <= gains["mean"]).all() and (gains["mean"] <= gains["ci_high"]).all()
    assert t.loc[t["measure"] == "rank_corr", "verdict"].isin(["passes", "fails"]).all()
    assert (t["n_images"] == 8).all()
