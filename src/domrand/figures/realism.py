"""Domain realism: the share of each domain's test images an ImageNet classifier recognises
(top-5 holds a class of the image's family), with Wilson 95% intervals."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from scipy.stats import binomtest

from domrand.figures.common import save, title


def realism_table(paths: dict[str, str], kinds: dict[str, str]) -> pd.DataFrame:
    """One row per (dataset, class): n, recognised, share (%) and its Wilson 95% CI (%).

    paths: dataset -> per-image parquet from `measure_realism`; kinds: dataset -> what it is
    ("synthetic variant", "proxy real", "real photos", ...)."""
    rows = []
    for dataset, p in paths.items():
        df = pd.read_parquet(p)
        for cls, g in df.groupby("label", sort=False):
            n, k = len(g), int(g["recognised"].sum())
            ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
            rows.append({"dataset": dataset, "kind": kinds[dataset], "class": cls, "n": n, "recognised": k,
                         "share": 100 * k / n, "ci_low": 100 * ci.low, "ci_high": 100 * ci.high})
    return pd.DataFrame(rows)


def domain_realism(paths: dict[str, str], kinds: dict[str, str], out_png, out_csv, proxy: bool) -> pd.DataFrame:
    t = realism_table(paths, kinds)
    order = list(paths)
    classes = list(dict.fromkeys(t["class"]))
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(order) * max(1, len(classes) / 2) + 1.5))
    sns.barplot(data=t, y="dataset", x="share", hue="class", order=order, hue_order=classes, errorbar=None,
                orient="h", ax=ax)
    for bar_group, cls in zip(ax.containers, classes):
        g = t[t["class"] == cls].set_index("dataset")
        for bar, d in zip(bar_group, [d for d in order if d in g.index]):
            y = bar.get_y() + bar.get_height() / 2
            ax.errorbar(g.loc[d, "share"], y, xerr=[[g.loc[d, "share"] - g.loc[d, "ci_low"]],
                                                    [g.loc[d, "ci_high"] - g.loc[d, "share"]]],
                        color="black", lw=0.8, capsize=2)
    ax.set_xlim(0, 100)
    ax.set_xlabel("recognised by the ImageNet classifier: a class of the right family in its top-5 (%)")
    ax.set_ylabel("")
    ax.set_yticks(range(len(order)), [f"{d} ({kinds[d]})" for d in order])
    ax.legend(title="class", loc="lower right", fontsize=8)
    ax.set_title(title("How photo-like is each domain? EfficientNet-Lite0 (ImageNet-1k) top-5, Wilson 95% CI",
                       proxy), fontsize=9)
    save(fig, Path(out_png), t, Path(out_csv))
    return t
