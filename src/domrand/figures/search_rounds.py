"""The search's round tables (domrand.search): each round's heads ranked by validation
accuracy, and what the workflow reads back from them (the entries a round keeps, the pick).

Kept apart from figure 13's drawing: the workflow reads these tables while it plans, in every
Snakemake process, which must not import the plotting and statistics stack for it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from domrand.io import atomic_path

TIE = 1e-9  # accuracy points


def flat_settings(patch: dict, prefix: str = "") -> dict:
    """A generator patch as {dotted key: value}, e.g. {"sky.mode": "plain"}."""
    out = {}
    for k, v in patch.items():
        if isinstance(v, dict):
            out.update(flat_settings(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def nested_patch(settings: dict) -> dict:
    """The inverse of :func:`flat_settings`."""
    out: dict = {}
    for dotted, v in settings.items():
        *path, leaf = dotted.split(".")
        node = out
        for k in path:
            node = node.setdefault(k, {})
        node[leaf] = v
    return out


def rank_round(head_paths, search: dict) -> pd.DataFrame:
    """One row per head of a round (results/search/round<r>/<entry>.json), best first.

    search: round, keep, seed, entries {entry: {kind, dataset, patch}} (the order breaks ties).
    Columns: round, rank, entry, kind, dataset, train_per_class, val_accuracy (%), n_val, kept,
    seed, settings (the entry's patch over the control, dotted keys, JSON)."""
    order = list(search["entries"])
    rows = []
    for p in map(Path, head_paths):
        entry = p.stem
        if entry not in search["entries"]:
            raise ValueError(f"{p}: entry {entry!r} is not one of the search's entries {order}")
        h = json.loads(p.read_text())
        val, e = h["tests"]["val"], search["entries"][entry]
        rows.append(
            {
                "round": int(search["round"]),
                "entry": entry,
                "kind": e["kind"],
                "dataset": e["dataset"],
                "train_per_class": min(h["counts"]["synthetic"].values()),
                "val_accuracy": 100 * val["accuracy"],
                "n_val": val["n"],
                "seed": int(search["seed"]),
                "settings": json.dumps(flat_settings(e["patch"]), sort_keys=True),
                "_order": order.index(entry),
            }
        )
    if not rows:
        raise ValueError(f"round {search['round']} of the search has no heads to rank")
    t = pd.DataFrame(rows)
    t["_score"] = -(t["val_accuracy"] / TIE).round() * TIE
    t = t.sort_values(["_score", "_order"], kind="stable").drop(columns=["_score", "_order"]).reset_index(drop=True)
    t.insert(1, "rank", np.arange(1, len(t) + 1))
    t.insert(t.columns.get_loc("seed"), "kept", t["rank"] <= int(search["keep"]))
    return t


def write_round(head_paths, search: dict, out_csv) -> pd.DataFrame:
    t = rank_round(head_paths, search)
    with atomic_path(Path(out_csv)) as tmp:
        t.to_csv(tmp, index=False, float_format="%.4f")
    return t


def read_kept(path) -> list[str]:
    """The entries a round's table keeps, best first."""
    t = pd.read_csv(path)
    return [str(e) for e in t.loc[t["kept"].astype(bool), "entry"]]


def read_pick(path) -> str:
    """The search's pick: the one entry round 2's table keeps."""
    kept = read_kept(path)
    if len(kept) != 1:
        raise ValueError(f"{path}: expected one picked entry, found {kept}; rerun search_round2")
    return kept[0]
