"""Figures 1 and 6: grids of rendered examples, with the sampled parameters of each."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from PIL import Image

from domrand.figures.common import save, title

_COLUMNS = [
    "file",
    "index",
    "class",
    "breed",
    "pose_mode",
    "camera_elevation",
    "camera_distance",
    "light_intensity",
    "sky",
    "ground_material",
    "subject_material",
    "n_obstructors",
    "visible_fraction",
]


def _pick(shard_dirs, n: int) -> pd.DataFrame:
    """The first n images, alternating over the given (class) shards."""
    metas = []
    for d in map(Path, shard_dirs):
        if d.suffix == ".parquet":  # a domain of real images: its index, not a shard
            metas.append(_pick_indexed(d, n))
            continue
        m = pd.read_parquet(d / "metadata.parquet").sort_values("index").head(n)
        m["shard_dir"] = str(d)
        metas.append(m.reset_index(drop=True))
    rows = [m.iloc[i] for i in range(n) for m in metas if i < len(m)][:n]
    return pd.DataFrame(rows).reset_index(drop=True)


def _pick_indexed(index_path: Path, n: int) -> pd.DataFrame:
    """n test images of a dataset index, in a fixed hash order of their paths."""
    from domrand.data.index import hash_order, read_index

    df = read_index(index_path, split="test").set_index("path")
    paths = hash_order(df.index, 0)[:n]
    return pd.DataFrame(
        {
            "file": paths,
            "index": range(len(paths)),
            "class": df.loc[paths, "label"].to_numpy(),
            "shard_dir": str(index_path),
        }
    )


def example_grid(groups: dict[str, list], n: int, out_png, out_csv, heading: str, proxy: bool) -> pd.DataFrame:
    """One row of n example images per group (variant or domain), classes alternating."""
    # Constrained layout places the title right above the grid: no empty band under it.
    fig, axes = plt.subplots(len(groups), n, figsize=(1.6 * n, 1.75 * len(groups)), squeeze=False, layout="constrained")
    tables = []
    for r, (name, dirs) in enumerate(groups.items()):
        picked = _pick(dirs, n)
        picked.insert(0, "group", name)
        tables.append(picked[["group", "shard_dir"] + [c for c in _COLUMNS if c in picked]])
        for c in range(n):
            ax = axes[r][c]
            ax.axis("off")
            if c < len(picked):
                ax.imshow(Image.open(Path(picked.loc[c, "shard_dir"]) / picked.loc[c, "file"]))
                ax.set_title(picked.loc[c, "class"], fontsize=7)
        axes[r][0].text(-0.08, 0.5, name, transform=axes[r][0].transAxes, ha="right", va="center", fontsize=9)
    fig.suptitle(title(heading, proxy), fontsize=10)
    table = pd.concat(tables, ignore_index=True)
    save(fig, out_png, table, out_csv)
    return table
