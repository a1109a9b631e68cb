"""Target domains from real images: a source's downloads -> its index -> one index per class.

A domain (``domains.<name>`` in the config) that lists ``sources`` takes its images from
them instead of proxy renders. Each source names an adapter (:data:`~domrand.data.adapters.ADAPTERS`),
the downloads whose folders make up the dataset (or a local ``path``), and the classes
it provides; every class of the domain comes from exactly one source.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from domrand.data.adapters import build_index
from domrand.data.domainnet_classes import domainnet_folders
from domrand.data.index import DOMAINS, hash_order, read_index, write_index

_log = logging.getLogger(__name__)


def adapter_params(source: str, spec: dict, domain: str, sizes: tuple[int, int], seed: int) -> dict:
    """The parameters the adapter of ``spec`` takes, from the source entry and its domain.

    ``sizes`` is the domain's (train, test) images per class; ``seed`` fixes every split
    the adapter draws itself.
    """
    adapter, extra = spec["adapter"], dict(spec.get("params") or {})
    classes = list(spec["classes"])
    if adapter == "petimages":
        return {"n_train": sizes[0], "n_test": sizes[1], "seed": seed}
    if adapter == "oxford_pet":
        return {"classes": classes}
    if adapter == "domainnet":
        return {"domains": extra["domains"], "classes": classes}
    if adapter == "folder":
        out = {"classes": classes, "domain": domain if domain in DOMAINS else "real", "seed": seed, "source": source}
        if "test_fraction" in extra:
            out["test_fraction"] = extra["test_fraction"]
        return out
    raise ValueError(f"unknown adapter {adapter!r}")


def check_source_classes(config: dict) -> None:
    """Before any job: every class a ``domainnet`` source names is one of DomainNet's; a
    ValueError names the config key and the closest DomainNet classes."""
    for d, spec in config["domains"].items():
        for name, src in (spec.get("sources") or {}).items():
            if src["adapter"] == "domainnet":
                domainnet_folders(src["classes"], f"config key domains.{d}.sources.{name}.classes")


def index_source(
    adapter: str, roots: list, params: dict, out_index: Path, out_skipped: Path, log=None, workers: int = 1
) -> pd.DataFrame:
    """Run ``adapter`` over the folders ``roots`` seen as one dataset root; write its index.

    Several downloads make one dataset (DomainNet: one zip per domain plus split lists),
    so the top-level entries of every root are linked into one temporary folder (a name
    in two roots is an error). The index stores resolved paths, so it does not depend on
    that folder. ``out_skipped`` gets one CSV row (path, reason) per file left out.
    """
    log = log or _log
    out_index = Path(out_index)
    out_index.parent.mkdir(parents=True, exist_ok=True)
    merged = Path(tempfile.mkdtemp(prefix=f".{out_index.stem}.root-", dir=out_index.parent))
    try:
        if len(roots) == 1:
            root = Path(roots[0])
        else:
            root = merged
            for r in map(Path, roots):
                for entry in sorted(r.iterdir()):
                    if entry.name.startswith("."):
                        continue  # download stamps
                    link = merged / entry.name
                    if link.exists() or link.is_symlink():
                        raise ValueError(
                            f"{entry.name} is in two downloads of the source "
                            f"({os.readlink(link)} and {entry}); rename one"
                        )
                    link.symlink_to(entry.resolve())
        index, skipped = build_index(adapter, root, params, log, workers=workers)
        write_index(index, out_index)
    finally:
        shutil.rmtree(merged, ignore_errors=True)
    out_skipped = Path(out_skipped)
    tmp = out_skipped.with_name(f".{out_skipped.name}.tmp")
    skipped.to_csv(tmp, index=False)
    os.replace(tmp, out_skipped)
    return index


def _class_pool(source_index: Path, cls: str) -> pd.DataFrame:
    """The class's rows of a source index, with ``key``: each path as stored (relative, so
    every seeded order is independent of where the project lies)."""
    df = read_index(source_index, classes=[cls])
    df["key"] = read_index(source_index, classes=[cls], resolve=False)["path"].to_numpy()
    return df


def select_class(
    source_index: Path, cls: str, n_train: int, n_test: int, seed: int, out_index: Path, log=None, reserve: int = 0
) -> pd.DataFrame:
    """Write the index of class ``cls``: at most ``n_train`` train and ``n_test`` test images.

    Which images are kept is a seeded hash order of their paths as stored in the source
    index (relative, so independent of where the project lies). A class with fewer valid
    images than asked keeps all of them, and the shortfall is logged. ``reserve``: the last
    that many train images of the order are kept out (the validation split,
    :func:`select_validation`), also where the pool is then short of ``n_train``.
    """
    log = log or _log
    df = _class_pool(source_index, cls)
    parts = []
    for split, n in (("train", n_train), ("test", n_test)):
        part = df[df["split"] == split]
        room = len(part) - (reserve if split == "train" else 0)
        if split == "train" and reserve and n and room <= 0:
            raise ValueError(
                f"{source_index}: {len(part)} {cls} train images, all kept out for the search's "
                f"{reserve} validation images per class; lower search.val_per_class"
            )
        if room < n:
            log.warning(
                "%s %s: only %d valid %s images of the %d asked%s; using %d",
                source_index,
                cls,
                len(part),
                split,
                n,
                f" ({reserve} kept out for validation)" if split == "train" and reserve else "",
                max(room, 0),
            )
        keep = set(hash_order(part["key"], f"{seed}/{cls}/{split}")[: max(min(n, room), 0)])
        parts.append(part[part["key"].isin(keep)])
    out = pd.concat(parts, ignore_index=True).drop(columns="key")
    if out.empty:
        raise ValueError(
            f"{source_index}: no {cls} images at all; check the source's "
            "classes and the download (see the index job's log)"
        )
    write_index(out, out_index)
    log.info("%s: %s", out_index, out["split"].value_counts().to_dict())
    return out


def select_validation(source_index: Path, cls: str, n_val: int, seed: int, out_index: Path, log=None) -> pd.DataFrame:
    """Write the validation index of class ``cls``: the last ``n_val`` train images of the seeded
    order :func:`select_class` takes its train images from the front of (with ``reserve=n_val``
    it never reaches them). They go in the index's test split: images to score, never to train on."""
    log = log or _log
    df = _class_pool(source_index, cls)
    part = df[df["split"] == "train"]
    order = hash_order(part["key"], f"{seed}/{cls}/train")
    if len(order) <= n_val:
        raise ValueError(
            f"{source_index}: {len(order)} {cls} train images, too few for {n_val} validation images "
            "and a training set; lower search.val_per_class"
        )
    keep = set(order[len(order) - n_val :])
    out = part[part["key"].isin(keep)].drop(columns="key").assign(split="test")
    write_index(out, out_index)
    log.info("%s: %d validation images", out_index, len(out))
    return out


def class_sources(domain_cfg: dict) -> dict[str, str]:
    """``{class: source name}`` of a domain with sources; a class in two sources is an error."""
    out: dict[str, str] = {}
    for name, spec in (domain_cfg.get("sources") or {}).items():
        for cls in spec["classes"]:
            if cls in out:
                raise ValueError(f"class {cls!r} is in sources {out[cls]!r} and {name!r}")
            out[cls] = name
    return out


def balance_task(class_indexes: list, task: str, seed: int, out_index: Path, out_table: Path, log=None) -> pd.DataFrame:
    """One index for a task: every class capped at the task's smallest class, per split.

    ``class_indexes`` are the per-class indexes of the task's classes (as :func:`select_class`
    writes them). Which images a capped class keeps is a seeded hash order of their stored
    paths, so the kept set is stable and nested as the cap changes. ``out_table`` gets one
    CSV row per (split, class): images available, the cap and images kept. The cap is also
    logged, so a task's real test set says how large it is and why.
    """
    log = log or _log
    frames = []
    for path in class_indexes:
        df = read_index(path)
        df["key"] = read_index(path, resolve=False)["path"].to_numpy()
        df["_from"] = str(path)
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    classes = list(dict.fromkeys(df["label"]))
    parts, rows = [], []
    for split in ("train", "test"):
        counts = {c: int(((df["label"] == c) & (df["split"] == split)).sum()) for c in classes}
        cap = min(counts.values())
        smallest = min(counts, key=counts.get)
        for c in classes:
            part = df[(df["label"] == c) & (df["split"] == split)]
            keep = set(hash_order(part["key"], f"{seed}/{task}/{c}/{split}")[:cap])
            parts.append(part[part["key"].isin(keep)])
            rows.append(
                {
                    "task": task,
                    "split": split,
                    "class": c,
                    "available": counts[c],
                    "cap": cap,
                    "kept": cap,
                    "smallest": smallest,
                }
            )
        log.info(
            "task %s, %s split: each class capped at %d images (the smallest class, %s); available %s",
            task,
            split,
            cap,
            smallest,
            counts,
        )
    out = pd.concat(parts, ignore_index=True).drop(columns=["key", "_from"])
    if not (out["split"] == "test").any():
        raise ValueError(
            f"task {task}: a class has no test images ({class_indexes}); every class "
            "of the task needs some, check its source"
        )
    write_index(out, out_index)
    table = pd.DataFrame(rows)
    out_table = Path(out_table)
    out_table.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_table.with_name(f".{out_table.name}.tmp")
    table.to_csv(tmp, index=False)
    os.replace(tmp, out_table)
    return out
