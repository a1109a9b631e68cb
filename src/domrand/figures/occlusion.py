"""How much of the subject the obstructors hide: results/tables/occlusion.csv.

From the render shards' metadata (`visible_fraction`: subject pixels in front of every
obstructor over subject pixels without obstructors, at the coverage resolution, no
antialiasing), per source (variant or proxy domain) and class: the share of images with
any subject pixel hidden, the mean hidden fraction, and quantiles of the hidden fraction.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from domrand.io import atomic_path

QUANTILES = (0.25, 0.5, 0.75, 0.9)
COLUMNS = [
    "kind",
    "source",
    "class",
    "images",
    "share_occluded",
    "mean_hidden",
    *(f"hidden_q{int(round(q * 100))}" for q in QUANTILES),
    "mean_obstructors",
    "mean_between",
]


def occlusion_table(meta: pd.DataFrame, kinds: dict | None = None) -> pd.DataFrame:
    """One row per (source, class) of shard metadata rows (columns source, class,
    visible_fraction, n_obstructors; n_between where the shards have it).

    kinds: source -> what it is (`variant`, `proxy domain`), written in column `kind`.
    hidden fraction = 1 - visible_fraction; share_occluded = share of images with hidden > 0.
    """
    meta = meta.copy()
    meta["hidden"] = (1.0 - meta["visible_fraction"].astype(float)).clip(lower=0.0)
    if "n_between" not in meta:
        meta["n_between"] = 0  # shards rendered before obstructors could sit between camera and subject
    rows = []
    for (source, cls), g in meta.groupby(["source", "class"], sort=True):
        h = g["hidden"]
        rows.append(
            {
                "kind": (kinds or {}).get(source, ""),
                "source": source,
                "class": cls,
                "images": len(g),
                "share_occluded": float((h > 0).mean()),
                "mean_hidden": float(h.mean()),
                **{f"hidden_q{int(round(q * 100))}": float(h.quantile(q)) for q in QUANTILES},
                "mean_obstructors": float(g["n_obstructors"].mean()),
                "mean_between": float(g["n_between"].fillna(0).mean()),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def write_occlusion_table(shard_dirs, kinds: dict, out: Path) -> pd.DataFrame:
    """Read every shard's metadata.parquet and write `occlusion_table` to `out` (CSV)."""
    cols = ["source", "class", "visible_fraction", "n_obstructors"]
    metas = []
    for d in map(Path, shard_dirs):
        m = pd.read_parquet(d / "metadata.parquet")
        metas.append(m[cols + (["n_between"] if "n_between" in m else [])])
    table = occlusion_table(pd.concat(metas, ignore_index=True), kinds)
    with atomic_path(Path(out)) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    return table
