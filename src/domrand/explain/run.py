"""The explain step: heatmaps for figure 5 and their faithfulness, for one model on one test set."""

from __future__ import annotations

import pandas as pd
import torch

from domrand.data.index import read_index
from domrand.explain.faithfulness import faithfulness
from domrand.explain.heatmaps import compute_heatmaps, save_heatmaps
from domrand.train.evaluate import load_classifier
from domrand.train.images import labels_for, load_images


def first_images(test_indexes, classes, per_class: int) -> pd.DataFrame:
    """The first `per_class` test images of each class (by image number, so never hand-picked)."""
    df = pd.concat([read_index(p, split="test") for p in test_indexes], ignore_index=True)
    order = "image_index" if "image_index" in df else "path"
    return (
        df[df["label"].isin(classes)]
        .sort_values(["label", order])
        .groupby("label", sort=False)
        .head(per_class)
        .reset_index(drop=True)
    )


def explain_model(
    model_path, backbone_path, test_indexes, out_npz, params: dict, test_set: str, device="cpu", log=print
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GradCAM and occlusion maps of the target class for figure 5's few images, and the
    faithfulness checks (:func:`domrand.explain.faithfulness.faithfulness`) on a larger
    sample, each image explained for its true class.

    params: target, images_per_class (shown), occlusion {window, stride},
    faithfulness {images_per_class, steps, sanity_max_rank_corr}, classes, input_size, seed.
    Images are in [0, 1] (the classifier normalises inside): occluded and deleted pixels
    are black (0), or blurred for the blur baseline."""
    clf = load_classifier(model_path, backbone_path).to(device)
    target = clf.classes.index(params["target"])
    size = int(params["input_size"])
    df = first_images(test_indexes, params["classes"], int(params["images_per_class"]))
    x = load_images(df["path"].tolist(), size).float().div(255).to(device)
    maps = compute_heatmaps(clf, clf.backbone.last_conv, x, target, occlusion=params["occlusion"])
    with torch.no_grad():
        prob = torch.softmax(clf(x), 1).cpu()
    f = params["faithfulness"]
    sample = first_images(test_indexes, params["classes"], int(f["images_per_class"]))
    xs = load_images(sample["path"].tolist(), size).float().div(255).to(device)
    curves, sanity = faithfulness(
        clf,
        clf.backbone.last_conv,
        xs,
        labels_for(sample, clf.classes).tolist(),
        params["occlusion"],
        steps=int(f["steps"]),
        randomise_backbone=not clf.frozen,
        seed=int(params["seed"]),
        log=log,
    )
    for t in (curves, sanity):
        t.insert(0, "test_set", test_set)
    meta = {
        "test_set": [test_set] * len(df),
        "label": labels_for(df, clf.classes).tolist(),
        "index": list(range(len(df))),
        "path": df["path"].tolist(),
        "pred": prob.argmax(1).tolist(),
        "prob": prob[:, target].tolist(),
        "class_names": clf.classes,
        "target": target,
        "faithfulness": curves.to_dict(orient="records"),
        "sanity": sanity.to_dict(orient="records"),
        "faithfulness_images": len(sample),
        "faithfulness_steps": int(f["steps"]),
        "sanity_max_rank_corr": float(f["sanity_max_rank_corr"]),
    }
    save_heatmaps(out_npz, x.cpu().numpy(), maps, meta)
    m = curves.groupby(["method", "map"])["deletion_auc"].mean()
    log(
        f"{len(sample)} images: deletion AUC (black+blur) "
        + ", ".join(f"{a}/{b} {v:.3f}" for (a, b), v in m.items())
        + "; rank corr trained vs randomised "
        + ", ".join(f"{k} {v:.2f}" for k, v in sanity.groupby("method")["rank_corr"].mean().items())
    )
    return curves, sanity
