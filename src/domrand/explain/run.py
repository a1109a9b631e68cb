"""The explain step: heatmaps and their faithfulness for one model on one test set."""

from __future__ import annotations

import pandas as pd
import torch

from domrand.data.index import read_index
from domrand.explain.faithfulness import deletion_check
from domrand.explain.heatmaps import compute_heatmaps, save_heatmaps
from domrand.train.evaluate import load_classifier
from domrand.train.images import labels_for, load_images


def first_images(test_indexes, classes, per_class: int) -> pd.DataFrame:
    """The first `per_class` test images of each class (by image number, so never hand-picked)."""
    df = pd.concat([read_index(p, split="test") for p in test_indexes], ignore_index=True)
    order = "image_index" if "image_index" in df else "path"
    return (df[df["label"].isin(classes)].sort_values(["label", order]).groupby("label", sort=False)
            .head(per_class).reset_index(drop=True))


def explain_model(model_path, backbone_path, test_indexes, out_npz, params: dict, test_set: str,
                  device="cpu", log=print) -> pd.DataFrame:
    """GradCAM and occlusion maps for the target class, plus the deletion faithfulness check.

    params: target, images_per_class, occlusion {window, stride}, faithfulness {fraction, draws},
    classes, input_size, seed."""
    clf = load_classifier(model_path, backbone_path).to(device)
    target = clf.classes.index(params["target"])
    df = first_images(test_indexes, params["classes"], int(params["images_per_class"]))
    x = load_images(df["path"].tolist(), int(params["input_size"])).float().div(255).to(device)
    maps = compute_heatmaps(clf, clf.backbone.last_conv, x, target, occlusion=params["occlusion"])
    with torch.no_grad():
        prob = torch.softmax(clf(x), 1).cpu()
    f = params["faithfulness"]
    faith = deletion_check(clf, x, maps, target, q=float(f["fraction"]), k=int(f["draws"]), seed=int(params["seed"]))
    faith["test_set"] = test_set
    meta = {"test_set": [test_set] * len(df), "label": labels_for(df, clf.classes).tolist(),
            "index": list(range(len(df))), "path": df["path"].tolist(), "pred": prob.argmax(1).tolist(),
            "prob": prob[:, target].tolist(), "class_names": clf.classes, "target": target,
            "faithfulness": faith.to_dict(orient="records")}
    save_heatmaps(out_npz, x.cpu().numpy(), maps, meta)
    log(f"{len(df)} images, target {params['target']}: mean drop top {faith['drop_top'].mean():.3f} "
        f"vs random {faith['drop_random'].mean():.3f}")
    return faith
