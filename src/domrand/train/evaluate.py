"""Evaluating a trained classifier on a test set: accuracy, accuracy above random, confusion,
and the per-image predictions every interval and paired test of the figures is computed from."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

import numpy as np
import torch

from domrand.data.index import read_index
from domrand.io import atomic_path, write_json
from domrand.train.backbones import Classifier, Head, load_backbone, make_backbone
from domrand.train.images import labels_for, load_images


def load_classifier(model_path, backbone_path) -> Classifier:
    """A trained model: the frozen backbone from its weights file, or the fine-tuned one."""
    m = torch.load(model_path, map_location="cpu", weights_only=False)
    if m["backbone_state"] is None:
        backbone = load_backbone(m["backbone"], backbone_path)
    else:
        backbone = make_backbone(m["backbone"])
        backbone.load_state_dict(m["backbone_state"])
    head = Head(m["in_features"], len(m["classes"]), m["dropout"])
    head.load_state_dict(m["head"])
    clf = Classifier(backbone, head).eval()
    clf.classes = list(m["classes"])
    clf.frozen = m["backbone_state"] is None
    return clf


def metrics(y_true: np.ndarray, y_pred: np.ndarray, classes: list[str]) -> dict:
    """Accuracy, accuracy above random (acc - 1/n), per-class accuracy and the confusion matrix."""
    n = len(classes)
    conf = np.zeros((n, n), int)
    np.add.at(conf, (y_true, y_pred), 1)
    acc = float((y_true == y_pred).mean()) if len(y_true) else float("nan")
    per_class = {c: float(conf[i, i] / conf[i].sum()) if conf[i].sum() else float("nan") for i, c in enumerate(classes)}
    return {"accuracy": acc, "accuracy_above_random": acc - 1.0 / n, "n": int(len(y_true)),
            "classes": classes, "per_class_accuracy": per_class, "confusion": conf.tolist()}


def prediction_table(paths, y: np.ndarray, probs: np.ndarray, classes: list[str]) -> pd.DataFrame:
    """One row per test image: ``path`` (as stored in the dataset index), ``label`` and ``pred``
    (indices into ``classes``), ``label_name``, ``prob`` (the model's probability of the true
    label) and one ``p_<class>`` column per class (softmax, rows sum to 1)."""
    y = np.asarray(y, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64)
    df = pd.DataFrame({"path": [str(p) for p in paths], "label": y, "label_name": [classes[i] for i in y],
                       "pred": probs.argmax(1).astype(np.int64), "prob": probs[np.arange(len(y)), y]})
    for j, c in enumerate(classes):
        df[f"p_{c}"] = probs[:, j]
    return df


def _read_tests(test_index: list) -> pd.DataFrame:
    """The test rows of the indexes, with ``path`` as stored and ``file`` to open."""
    parts = []
    for p in test_index:
        df = read_index(p, split="test", resolve=False)
        base = Path(p).parent.resolve()
        df["file"] = [os.path.normpath(base / f) for f in df["path"]]
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


@torch.no_grad()
def evaluate_model(model_path, backbone_path, test_index: list, out_json, params: dict, device="cpu", log=print,
                   out_predictions=None) -> dict:
    """Evaluate on the test split of `test_index`, restricted to params['classes'].

    Writes the metrics JSON and, with `out_predictions`, the per-image parquet of
    :func:`prediction_table`. A test image whose class the model was not trained on stops
    the evaluation."""
    clf = load_classifier(model_path, backbone_path).to(device)
    df = _read_tests(test_index)
    df = df[df["label"].isin(params["classes"])].reset_index(drop=True)
    unknown = sorted(set(df["label"]) - set(clf.classes))
    if unknown:
        raise ValueError(f"test set {test_index} has classes {unknown} that model {model_path} was not trained on "
                         f"(it knows {clf.classes}); evaluate it on a test set of those classes only")
    if df.empty:
        raise ValueError(f"test set {test_index} has no test images of classes {params['classes']}")
    x = load_images(df["file"].tolist(), int(params["input_size"]))
    y = labels_for(df, clf.classes).numpy()
    probs = torch.cat([torch.softmax(clf(c.to(device).float().div(255)).float(), 1).cpu() for c in x.split(256)])
    pred = probs.argmax(1).numpy()
    out = {**metrics(y, pred, clf.classes), "model": str(model_path), "test_set": [str(p) for p in test_index]}
    if out_predictions is not None:
        table = prediction_table(df["path"], y, probs.numpy(), clf.classes)
        with atomic_path(Path(out_predictions)) as tmp:
            table.to_parquet(tmp, index=False)
    write_json(out, Path(out_json))
    log(f"{model_path} on {test_index}: accuracy {out['accuracy']:.4f} (n={out['n']})")
    return out
