"""Evaluating a trained classifier on a test set: accuracy, accuracy above random, confusion,
and the per-image predictions every interval and paired test of the figures is computed from."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
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
    return {
        "accuracy": acc,
        "accuracy_above_random": acc - 1.0 / n,
        "n": int(len(y_true)),
        "classes": classes,
        "per_class_accuracy": per_class,
        "confusion": conf.tolist(),
    }


def prediction_table(paths, y: np.ndarray, probs: np.ndarray, classes: list[str]) -> pd.DataFrame:
    """One row per test image: ``path`` (as stored in the dataset index), ``label`` and ``pred``
    (indices into ``classes``), ``label_name``, ``prob`` (the model's probability of the true
    label) and one ``p_<class>`` column per class (softmax, rows sum to 1)."""
    y = np.asarray(y, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64)
    df = pd.DataFrame(
        {
            "path": [str(p) for p in paths],
            "label": y,
            "label_name": [classes[i] for i in y],
            "pred": probs.argmax(1).astype(np.int64),
            "prob": probs[np.arange(len(y)), y],
        }
    )
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


def _epoch_probs_from_features(m: dict, feature_paths: list, files: list[str]) -> list[np.ndarray]:
    """Class probabilities of every epoch's head on the stored test features, rows in the
    order of `files` (absolute paths). The features are those the head trained on: the same
    frozen backbone, one plain view per test image, kept as float16."""
    feats, index = [], {}
    for p in feature_paths:
        f = torch.load(p, map_location="cpu", weights_only=False, mmap=True)
        for i, path in enumerate(f["test_paths"]):
            index[os.path.realpath(path)] = (len(feats), i)
        feats.append(f["test"])
    missing = [f for f in files if os.path.realpath(f) not in index]
    if missing:
        raise ValueError(
            f"features {feature_paths} lack {len(missing)} test image(s) of the index, e.g. "
            f"{missing[:2]}; rerun extract_features for them"
        )
    x = torch.stack([feats[k][i] for k, i in (index[os.path.realpath(f)] for f in files)])
    return epoch_head_probs(m["epoch_heads"], m["in_features"], len(m["classes"]), m["dropout"], x)


@torch.no_grad()
def epoch_head_probs(
    states: list[dict], in_features: int, n_classes: int, dropout: float, x: torch.Tensor
) -> list[np.ndarray]:
    """Class probabilities on features `x` of each epoch's stored head (float16 states, as
    models keep them): the one way every head on stored features is scored."""
    out = []
    head = Head(in_features, n_classes, dropout).eval()
    for state in states:
        head.load_state_dict({k: v.float() for k, v in state.items()})
        out.append(torch.softmax(head(x.float()), 1).numpy())
    return out


def _epoch_probs_from_monitor(m: dict, files: list[str]) -> list[np.ndarray] | None:
    """A fine-tuned model's per-epoch probabilities when the test set is its monitoring set."""
    mon = m.get("epoch_monitor")
    if not mon or not mon["probs"]:
        return None
    pos = {p: i for i, p in enumerate(mon["paths"])}
    rows = [pos.get(os.path.realpath(f)) for f in files]
    if any(r is None for r in rows):
        return None
    return [probs.float().numpy()[rows] for probs in mon["probs"]]


def epoch_choice(accuracies: list[float], report: str) -> int:
    """The 0-based epoch reported: the last (`final`), or the one with the highest test accuracy
    (`best_epoch`, the paper's "optimal accuracy through 10 epochs"; the first on a tie)."""
    if report == "final":
        return len(accuracies) - 1
    if report == "best_epoch":
        return int(np.argmax(accuracies))
    raise ValueError(f"config key evaluation.report: {report!r}; use final or best_epoch")


@torch.no_grad()
def evaluate_model(
    model_path,
    backbone_path,
    test_index: list,
    out_json,
    params: dict,
    device="cpu",
    log=print,
    out_predictions=None,
    test_features: list | None = None,
) -> dict:
    """Evaluate on the test split of `test_index`, restricted to params['classes'], at the epoch
    params['report'] names (`final` or `best_epoch`, default final).

    Every epoch is scored where the model kept what that needs: a frozen model's per-epoch
    heads on `test_features` (no pass through the backbone), a fine-tuned model's per-epoch
    probabilities on its monitoring test set. Elsewhere only the final epoch is scored, on the
    images. The JSON has the reported epoch's metrics plus `accuracy_final`,
    `accuracy_best_epoch`, `best_epoch` (1-based) and `epoch_accuracy`; with `out_predictions`
    the per-image parquet of :func:`prediction_table` at the reported epoch. A test image whose
    class the model was not trained on stops the evaluation."""
    m = torch.load(model_path, map_location="cpu", weights_only=False)
    classes = list(m["classes"])
    df = _read_tests(test_index)
    df = df[df["label"].isin(params["classes"])].reset_index(drop=True)
    unknown = sorted(set(df["label"]) - set(classes))
    if unknown:
        raise ValueError(
            f"test set {test_index} has classes {unknown} that model {model_path} was not trained on "
            f"(it knows {classes}); evaluate it on a test set of those classes only"
        )
    if df.empty:
        raise ValueError(f"test set {test_index} has no test images of classes {params['classes']}")
    y = labels_for(df, classes).numpy()
    files = df["file"].tolist()
    per_epoch = None
    if m["backbone_state"] is None and m.get("epoch_heads") and test_features:
        per_epoch, how = _epoch_probs_from_features(m, list(test_features), files), "stored test features"
    elif m["backbone_state"] is not None:
        per_epoch, how = _epoch_probs_from_monitor(m, files), "the monitoring set's per-epoch probabilities"
    if per_epoch is None:
        clf = load_classifier(model_path, backbone_path).to(device)
        x = load_images(files, int(params["input_size"]))
        per_epoch = [
            torch.cat(
                [torch.softmax(clf(c.to(device).float().div(255)).float(), 1).cpu() for c in x.split(256)]
            ).numpy()
        ]
        how = "images, final epoch only"
    accs = [float((p.argmax(1) == y).mean()) for p in per_epoch]
    report = params.get("report", "final")
    e = epoch_choice(accs, report) if len(accs) > 1 else 0
    probs = per_epoch[e]
    out = {
        **metrics(y, probs.argmax(1), classes),
        "model": str(model_path),
        "test_set": [str(p) for p in test_index],
        "report": report,
        "epoch": e + 1 if len(accs) > 1 else None,
        "accuracy_final": accs[-1],
        "accuracy_best_epoch": max(accs) if len(accs) > 1 else None,
        "best_epoch": int(np.argmax(accs)) + 1 if len(accs) > 1 else None,
        "epoch_accuracy": accs,
        "scored_from": how,
    }
    if out_predictions is not None:
        table = prediction_table(df["path"], y, probs, classes)
        with atomic_path(Path(out_predictions)) as tmp:
            table.to_parquet(tmp, index=False)
    write_json(out, Path(out_json))
    log(
        f"{model_path} on {test_index} ({how}): accuracy {out['accuracy']:.4f} at epoch {out['epoch']} ({report}), "
        f"final {accs[-1]:.4f}, best {max(accs):.4f} (n={out['n']})"
    )
    return out
