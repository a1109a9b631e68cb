"""Figure 5 from the explain step's files: the heatmap grid and the faithfulness table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from domrand import stats
from domrand.explain.heatmaps import concat_heatmaps, load_heatmaps
from domrand.figures.fig5 import plot_fig5
from domrand.io import atomic_path

FAITHFULNESS_COLUMNS = ("model", "test_set", "method", "baseline", "measure", "mean", "ci_low", "ci_high", "n_images",
                        "p_value", "verdict")
_PER_FILE = ("faithfulness", "sanity")


def summarize_faithfulness(curves: pd.DataFrame, sanity: pd.DataFrame, max_rank_corr: float,
                           confidence: float = 0.95) -> pd.DataFrame:
    """Per method (and baseline): every faithfulness number with its interval across images.

    Measures (means over images; interval and p-value: Student t across images, the gains
    paired per image, :func:`domrand.stats.mean_interval`):
    ``deletion_auc``, ``deletion_auc_shifted``, ``deletion_gain`` (shifted - map: > 0 when
    deleting the map's pixels hurts the class faster than deleting the shifted map's),
    ``insertion_auc``, ``insertion_auc_shifted``, ``insertion_gain`` (map - shifted),
    ``prob_original`` and ``prob_baseline`` (the true-class probability on the image and on
    the whole baseline image); verdict of a gain: ``beats shifted`` (interval above 0),
    ``worse than shifted`` (below) or ``no difference``. ``rank_corr`` (baseline ``-``):
    trained vs randomised model; verdict ``passes`` when its upper bound is below
    ``max_rank_corr``, else ``fails`` (the maps barely depend on the model)."""
    rows = []
    keys = ["method", "baseline"]
    for (method, baseline), g in curves.groupby(keys, sort=False):
        m = g[g["map"] == "map"].set_index("image").sort_index()
        s = g[g["map"] == "shifted"].set_index("image").sort_index()
        values = {"deletion_auc": m["deletion_auc"], "deletion_auc_shifted": s["deletion_auc"],
                  "deletion_gain": s["deletion_auc"] - m["deletion_auc"], "insertion_auc": m["insertion_auc"],
                  "insertion_auc_shifted": s["insertion_auc"], "insertion_gain": m["insertion_auc"] - s["insertion_auc"],
                  "prob_original": m["prob_original"], "prob_baseline": m["prob_baseline"]}
        for measure, v in values.items():
            r = stats.mean_interval(v.to_numpy(), confidence)
            verdict = ""
            if measure.endswith("_gain"):
                verdict = ("beats shifted" if r["ci_low"] > 0 else "worse than shifted" if r["ci_high"] < 0
                           else "no difference")
            rows.append({"method": method, "baseline": baseline, "measure": measure, "mean": r["mean"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"], "n_images": r["n"],
                         "p_value": r["p_value"] if measure.endswith("_gain") else float("nan"), "verdict": verdict})
    for method, g in sanity.groupby("method", sort=False):
        r = stats.mean_interval(g["rank_corr"].to_numpy(), confidence)
        rows.append({"method": method, "baseline": "-", "measure": "rank_corr", "mean": r["mean"],
                     "ci_low": r["ci_low"], "ci_high": r["ci_high"], "n_images": r["n"], "p_value": float("nan"),
                     "verdict": "passes" if r["ci_high"] < max_rank_corr else "fails"})
    return pd.DataFrame(rows)


def fig5(real_npzs, synth_npzs, out_png, out_csv, out_faithfulness, proxy: bool, model: str = "") -> pd.DataFrame:
    """Plot figure 5 and write, per model, test set and method, the faithfulness summary;
    ``model`` names the synthetic-trained model in the title."""
    parts = {"real-trained": [load_heatmaps(p) for p in real_npzs],
             "synthetic-trained": [load_heatmaps(p) for p in synth_npzs]}
    # Faithfulness rows differ per test set by design; the grid needs only the shared meta.
    records = {name: concat_heatmaps([{**r, "meta": {k: v for k, v in r["meta"].items() if k not in _PER_FILE}}
                                      for r in p]) for name, p in parts.items()}
    plot_fig5(records, out_png, out_csv, proxy=proxy, model_note=model)
    summaries = []
    for name, recs in parts.items():
        for rec in recs:
            meta = rec["meta"]
            if "sanity" not in meta:
                raise ValueError(f"heatmap file of {name} has no faithfulness checks of this version; rerun the "
                                 "explain jobs (delete results/heatmaps/)")
            s = summarize_faithfulness(pd.DataFrame(meta["faithfulness"]), pd.DataFrame(meta["sanity"]),
                                       float(meta["sanity_max_rank_corr"]))
            s.insert(0, "test_set", meta["test_set"][0])
            s.insert(0, "model", name)
            summaries.append(s)
    table = pd.concat(summaries, ignore_index=True)[list(FAITHFULNESS_COLUMNS)]
    with atomic_path(Path(out_faithfulness)) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    return table
