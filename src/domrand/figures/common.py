"""Shared pieces of the figures: reading evaluations, mean and 95% CI over seeds, styling."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from domrand.io import atomic_path  # noqa: E402

# The paper's values (FIGURES.md), shown beside ours for reference; single runs, in %.
PAPER = {
    "fig3": {("real", "dropout"): 97.70, ("real", "no_dropout"): 97.72, ("real", "unfrozen"): 50.01,
             ("synthetic", "dropout"): 85.36, ("synthetic", "no_dropout"): 85.78, ("synthetic", "unfrozen"): 66.23},
    "fig4": {"control": 85.36, "no_obstructors": 88.20, "no_textures": 85.56, "texture_subject": 83.93,
             "no_lighting": 84.98, "no_poses": 88.26, "no_breeds": 69.41, "no_skies": 85.94},
    "fig7": {("real", "real"): 97.7, ("real", "synthetic"): 65.5, ("real", "toon"): 76.5,
             ("synthetic", "real"): 88.2, ("synthetic", "synthetic"): 90.0, ("synthetic", "toon"): 57.0},
    "fig8": {2: 88.20, 3: 87.11, 4: 89.09},
}


def t_critical(df: int) -> float:
    """Two-sided 95% Student-t quantile (scipy-free table; df >= 30 uses the normal 1.96)."""
    table = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
             10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 25: 2.060}
    if df >= 30:
        return 1.96
    return table.get(df) or table[max(k for k in table if k <= df)]


def mean_ci(values) -> tuple[float, float, float, int]:
    """Mean and the half-width of its 95% t-interval over seeds (nan with one seed), and n."""
    v = np.asarray([x for x in values if not math.isnan(x)], float)
    if len(v) == 0:
        return float("nan"), float("nan"), float("nan"), 0
    m = float(v.mean())
    if len(v) < 2:
        return m, float("nan"), float("nan"), 1
    h = t_critical(len(v) - 1) * float(v.std(ddof=1)) / math.sqrt(len(v))
    return m, m - h, m + h, len(v)


def read_evals(paths) -> pd.DataFrame:
    """One row per evaluation JSON, with dataset, task, arch, seed and test set from its path
    (results/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.json)."""
    rows = []
    for p in map(Path, paths):
        e = json.loads(p.read_text())
        dataset, task, arch, seed = p.parts[-5], p.parts[-4], p.parts[-3], int(p.parts[-2].removeprefix("seed"))
        rows.append({"dataset": dataset, "task": task, "arch": arch, "seed": seed, "testset": p.stem,
                     "accuracy": 100 * e["accuracy"], "accuracy_above_random": 100 * e["accuracy_above_random"],
                     "n_classes": len(e["classes"]), "n_test": e["n"]})
    return pd.DataFrame(rows)


def summarise(df: pd.DataFrame, by: list[str], value: str = "accuracy") -> pd.DataFrame:
    """Mean, 95% CI and per-seed values of `value` per group."""
    out = []
    for key, g in df.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        m, lo, hi, n = mean_ci(g[value].tolist())
        out.append({**dict(zip(by, key)), f"{value}_mean": m, f"{value}_ci_low": lo, f"{value}_ci_high": hi,
                    "n_seeds": n, f"{value}_per_seed": ";".join(f"{x:.2f}" for x in g.sort_values("seed")[value])})
    return pd.DataFrame(out)


def title(text: str, proxy: bool) -> str:
    return f"{text}\nPROXY: procedural renders stand in for real photos" if proxy else text


def save(fig, png, table: pd.DataFrame, csv) -> None:
    with atomic_path(Path(png)) as tmp:
        fig.savefig(tmp, dpi=130, bbox_inches="tight", format="png")
    plt.close(fig)
    with atomic_path(Path(csv)) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")


def bars(ax, labels, means, lows, highs, color="C0", offset=0.0, width=0.8, label=None):
    x = np.arange(len(labels)) + offset
    m = np.asarray(means, float)
    err = np.vstack([m - np.asarray(lows, float), np.asarray(highs, float) - m])
    err = np.where(np.isfinite(err), err, 0)
    ax.bar(x, m, width, color=color, label=label, yerr=err, capsize=3)
    for xi, mi in zip(x, m):
        if np.isfinite(mi):
            ax.text(xi, mi + 1, f"{mi:.1f}", ha="center", va="bottom", fontsize=7)
    return x
