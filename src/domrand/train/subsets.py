"""Heads on subsets and mixtures of cached features (figures 10 and 11).

A frozen backbone's features of every image are already stored (`features.extract_features`),
so "the synthetic set plus k real images" or "n synthetic images" needs no image rendered or
embedded again: the head trains on the chosen rows of the stored feature tensors and is tested
on the stored test-split features (the same forward pass `evaluate` makes, kept in float16).

Subsets are nested: per seed, set and class, the images are put in one seeded order and the
first k taken, so k=10 is inside k=50 for the same seed, and each seed draws its own subset.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from domrand.data.index import hash_order
from domrand.io import write_json
from domrand.train.evaluate import epoch_choice, epoch_head_probs, metrics
from domrand.train.fit import fit_head, slice_part
from domrand.train.images import labels_for


def nested_subset(n_total: int, k, seed, key: str) -> list[int]:
    """Positions (ascending) of the first `k` of `n_total` items in the seeded order of
    (`seed`, `key`); k = "all" takes every item. Nested: a smaller k gives a prefix of the
    same order, hence a subset."""
    if k == "all":
        return list(range(n_total))
    k = int(k)
    if k > n_total:
        raise ValueError(f"asked for {k} of {n_total} items")
    order = hash_order([str(i) for i in range(n_total)], f"{seed}/{key}")
    return sorted(int(i) for i in order[:k])


def _load(path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False, mmap=True)


def _train_rows(
    files: list, classes: list[str], k, seed, name: str, key: str, log, data_slice: dict | None = None
) -> tuple[list, list, dict]:
    """The chosen training rows of one set's per-class feature files: ([(views, k, F)], labels,
    counts); with `data_slice` (seeds over the data) drawn from this seed's own training set."""
    parts, labels, counts = [], [], {}
    for f in files:
        d = _load(f)
        for cls in classes:
            rows = [i for i, lab in enumerate(d["train_labels"]) if lab == cls]
            if data_slice is not None:
                rows = slice_part(rows, data_slice)
            if not rows:
                continue
            try:
                take = nested_subset(len(rows), k, seed, f"{name}/{cls}")
            except ValueError:
                raise ValueError(
                    f"config key {key}: {k} {name} training images per class asked, but {f} has only "
                    f"{len(rows)} {cls} images; lower it or use `all`"
                ) from None
            if take:
                parts.append(d["train"][:, [rows[i] for i in take]])
            labels += [cls] * len(take)
            counts[cls] = counts.get(cls, 0) + len(take)
    log(f"{name}: {counts} training images per class ({k} asked)")
    return parts, labels, counts


def _test_rows(files: list, classes: list[str]) -> tuple[torch.Tensor, list[str]]:
    xs, labels = [], []
    for f in files:
        d = _load(f)
        keep = [i for i, lab in enumerate(d["test_labels"]) if lab in classes]
        if keep:
            xs.append(d["test"][keep])
            labels += [d["test_labels"][i] for i in keep]
    return (torch.cat(xs) if xs else torch.empty(0)), labels


def train_feature_head(
    train_sets: dict[str, list],
    test_sets: dict[str, list],
    out_json,
    spec: dict,
    params: dict,
    device: str = "cpu",
    log=print,
) -> dict:
    """Train a head on the rows of cached features that `spec` picks and test it on cached test features.

    train_sets: {set name: per-class feature files}, in training order (e.g. synthetic, real);
    test_sets: {test set name: per-class feature files}, the first one monitors each epoch.
    spec: {"train": {set: count per class | "all"}, "keys": {set: config key of the count}}.
    params: the head's training params (seed, classes, dropout, lr, epochs, batch_size, ...),
    and report (`final` | `best_epoch`: which epoch's head each test set reports, as `evaluate`);
    params["seed"] also draws the subsets. Writes out_json: the counts per set and class,
    metrics per test set (as `evaluate`) and the per-epoch history."""
    classes = list(params["classes"])
    seed = int(params["seed"])
    parts, labels, counts = [], [], {}
    for name, files in train_sets.items():
        k = spec["train"][name]
        p, lab, c = _train_rows(
            files,
            classes,
            k,
            seed,
            name,
            spec["keys"].get(name, name),
            log,
            params.get("data_slice") if name == "synthetic" else None,
        )
        parts += p
        labels += lab
        counts[name] = c
    if not labels:
        raise ValueError(f"{out_json}: no training images chosen by {spec['train']}")
    x = torch.cat(parts, dim=1)
    y = labels_for(pd.DataFrame({"label": labels}), classes)
    tests = {name: _test_rows(files, classes) for name, files in test_sets.items()}
    xm, lm = next(iter(tests.values()))
    _, history, epoch_heads = fit_head(
        x, y, xm, labels_for(pd.DataFrame({"label": lm}), classes), params, None, device, log, keep_epochs=True
    )
    # Scored as `evaluate` scores a model's head: each epoch's stored head, the epoch that
    # params["report"] names, so a head equal to a model's scores what that model scores.
    report = params.get("report", "final")
    results = {}
    for name, (xt, lt) in tests.items():
        yt = labels_for(pd.DataFrame({"label": lt}), classes).numpy()
        if not len(lt):
            results[name] = metrics(yt, np.zeros(0, int), classes)
            continue
        preds = [
            p.argmax(1) for p in epoch_head_probs(epoch_heads, x.shape[-1], len(classes), float(params["dropout"]), xt)
        ]
        accs = [float((p == yt).mean()) for p in preds]
        e = epoch_choice(accs, report)
        results[name] = {**metrics(yt, preds[e], classes), "report": report, "epoch": e + 1, "epoch_accuracy": accs}
        log(f"{name} test set: accuracy {results[name]['accuracy']:.4f} at epoch {e + 1} ({report}, n={len(lt)})")
    out = {
        "train": spec["train"],
        "counts": counts,
        "seed": seed,
        "classes": classes,
        "tests": results,
        "history": history,
    }
    write_json(out, Path(out_json))
    return out
