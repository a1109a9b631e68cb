"""Gathering rendered shards into a dataset index (one parquet per dataset and class)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from domrand.data.index import write_index


def gather_shards(shard_dirs, out_index, source: str, domain: str, n_train: int) -> pd.DataFrame:
    """Index every image of the shards; image numbers below n_train are train, the rest test.
    Rendered images also carry their breed and breed draw (the breeds their training set drew)."""
    frames = []
    for d in map(Path, shard_dirs):
        meta = pd.read_parquet(d / "metadata.parquet")
        frames.append(
            pd.DataFrame(
                {
                    "path": [str(d / f) for f in meta["file"]],
                    "label": meta["class"],
                    "split": ["train" if i < n_train else "test" for i in meta["index"]],
                    "source": source,
                    "domain": domain,
                    "breed": meta["breed"],
                    "image_index": meta["index"],
                    **{k: meta[k] for k in ("breed_draw", "draw_breeds") if k in meta},
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    write_index(df, out_index)
    return df
