"""Figure 5 from the explain step's files: the heatmap grid and the faithfulness table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from domrand.explain.faithfulness import summarize_faithfulness
from domrand.explain.heatmaps import concat_heatmaps, load_heatmaps
from domrand.figures.fig5 import plot_fig5
from domrand.io import atomic_path


def fig5(real_npzs, synth_npzs, out_png, out_csv, out_faithfulness, proxy: bool) -> pd.DataFrame:
    """Plot figure 5 and write, per model and method, the deletion-check summary."""
    parts = {"real-trained": [load_heatmaps(p) for p in real_npzs],
             "synthetic-trained": [load_heatmaps(p) for p in synth_npzs]}
    # Faithfulness rows differ per test set by design; the grid needs only the shared meta.
    records = {name: concat_heatmaps([{**r, "meta": {k: v for k, v in r["meta"].items() if k != "faithfulness"}}
                                      for r in p]) for name, p in parts.items()}
    plot_fig5(records, out_png, out_csv, proxy=proxy)
    summaries = []
    for name, recs in parts.items():
        rows = pd.DataFrame([r for rec in recs for r in rec["meta"]["faithfulness"]])
        for test_set, g in rows.groupby("test_set", sort=False):
            s = summarize_faithfulness(g)
            s.insert(0, "test_set", test_set)
            s.insert(0, "model", name)
            summaries.append(s)
    table = pd.concat(summaries, ignore_index=True)
    with atomic_path(Path(out_faithfulness)) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    return table
