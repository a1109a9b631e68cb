"""Domain realism: the share of each domain's test images an ImageNet classifier recognises
(top-5 holds a class of the image's family), with Wilson 95% intervals."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from domrand.figures.common import save, title
from domrand.stats import wilson

NO_FAMILY = "no ImageNet family"  # the note of a class the classifier has no family for


def _share_row(g: pd.DataFrame) -> dict:
    """n, recognised, share (%) and its Wilson 95% CI (%) of per-image `recognised` flags; for a
    class with no ImageNet family (flags missing) no number, and the note :data:`NO_FAMILY`."""
    n = len(g)
    if g["recognised"].isna().any():
        nan = float("nan")
        return {"n": n, "recognised": nan, "share": nan, "ci_low": nan, "ci_high": nan, "note": NO_FAMILY}
    k = int(g["recognised"].sum())
    low, high = wilson(k, n)
    return {"n": n, "recognised": k, "share": 100 * k / n, "ci_low": 100 * low, "ci_high": 100 * high}


def _share_bars(ax, t: pd.DataFrame, y: str, order: list, classes: list, **style) -> None:
    """Horizontal bars of the share of each `y` by class; a class with no family gets an empty
    bar (and words, :func:`_interval`)."""
    data = t.assign(share=t["share"].fillna(0))
    sns.barplot(
        data=data,
        y=y,
        x="share",
        hue="class",
        order=order,
        hue_order=classes,
        errorbar=None,
        orient="h",
        ax=ax,
        **style,
    )


def _interval(ax, row: pd.Series, y: float) -> None:
    """A bar's Wilson interval, or the words :data:`NO_FAMILY` where it has no number."""
    if pd.isna(row["share"]):
        ax.text(1, y, NO_FAMILY, va="center", fontsize=7, color="dimgray")
        return
    ax.errorbar(
        row["share"],
        y,
        xerr=[[row["share"] - row["ci_low"]], [row["ci_high"] - row["share"]]],
        color="black",
        lw=0.8,
        capsize=2,
    )


def realism_table(paths: dict[str, str], kinds: dict[str, str]) -> pd.DataFrame:
    """One row per (dataset, class): n, recognised, share (%) and its Wilson 95% CI (%).

    paths: dataset -> per-image parquet from `measure_realism`; kinds: dataset -> what it is
    ("synthetic variant", "proxy real", "real photos", ...)."""
    rows = []
    for dataset, p in paths.items():
        df = pd.read_parquet(p)
        for cls, g in df.groupby("label", sort=False):
            rows.append({"dataset": dataset, "kind": kinds[dataset], "class": cls, **_share_row(g)})
    return pd.DataFrame(rows)


def domain_realism(paths: dict[str, str], kinds: dict[str, str], out_png, out_csv, proxy: bool) -> pd.DataFrame:
    t = realism_table(paths, kinds)
    order = list(paths)
    classes = list(dict.fromkeys(t["class"]))
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(order) * max(1, len(classes) / 2) + 1.5))
    _share_bars(ax, t, "dataset", order, classes)
    for bar_group, cls in zip(ax.containers, classes):
        g = t[t["class"] == cls].set_index("dataset")
        for bar, d in zip(bar_group, [d for d in order if d in g.index]):
            _interval(ax, g.loc[d], bar.get_y() + bar.get_height() / 2)
    ax.set_xlim(0, 100)
    ax.set_xlabel("recognised by the ImageNet classifier: a class of the right family in its top-5 (%)")
    ax.set_ylabel("")
    ax.set_yticks(range(len(order)), [f"{d} ({kinds[d]})" for d in order])
    ax.legend(title="class", loc="lower right", fontsize=8)
    ax.set_title(
        title("How photo-like is each domain? EfficientNet-Lite0 (ImageNet-1k) top-5, Wilson 95% CI", proxy), fontsize=9
    )
    save(fig, Path(out_png), t, Path(out_csv))
    return t


def subject_realism_table(paths: dict[str, str], reference: str | None) -> pd.DataFrame:
    """Per pool and class (breed ``all``) and per breed: n, recognised, share (%) with its
    Wilson 95% CI (%). Pool rows also carry the share of the `reference` pool's same class
    (the proxy-real subjects; NaN without one), the gap to it, and their worst breed's share.

    paths: pool -> per-image parquet of `measure_subject_realism` (label, breed, recognised)."""
    rows = []
    for pool, p in paths.items():
        df = pd.read_parquet(p)
        for cls, g in df.groupby("label", sort=False):
            breeds = [
                {"pool": pool, "class": cls, "breed": b, **_share_row(gb)} for b, gb in g.groupby("breed", sort=False)
            ]
            worst = min(breeds, key=lambda r: r["share"])
            pooled = _share_row(g)
            no_family = "note" in pooled  # then no breed is worst: none has a number
            rows.append(
                {
                    "pool": pool,
                    "class": cls,
                    "breed": "all",
                    **pooled,
                    "worst_breed": None if no_family else worst["breed"],
                    "worst_share": worst["share"],
                }
            )
            rows += breeds
    t = pd.DataFrame(rows)
    ref = t[(t["pool"] == reference) & (t["breed"] == "all")].set_index("class")["share"]
    pooled = t["breed"] == "all"
    t.loc[pooled, "reference_share"] = t.loc[pooled, "class"].map(ref)
    t["gap_to_reference"] = t["share"] - t["reference_share"]
    return t


def subject_realism(paths: dict[str, str], reference: str | None, out_png, out_csv, proxy: bool) -> pd.DataFrame:
    """Figure and table of :func:`subject_realism_table`: each pool's share per class (bars,
    Wilson 95% CI) with its breeds' shares as dots."""
    t = subject_realism_table(paths, reference)
    pools, classes = list(paths), list(dict.fromkeys(t["class"]))
    pooled, per_breed = t[t["breed"] == "all"], t[t["breed"] != "all"]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(pools) * max(1, len(classes) / 2) + 1.5))
    _share_bars(ax, pooled, "pool", pools, classes, alpha=0.6)
    for bar_group, cls in zip(ax.containers, classes):
        g = pooled[pooled["class"] == cls].set_index("pool")
        for bar, pool in zip(bar_group, [p for p in pools if p in g.index]):
            y = bar.get_y() + bar.get_height() / 2
            _interval(ax, g.loc[pool], y)
            b = per_breed[(per_breed["pool"] == pool) & (per_breed["class"] == cls) & per_breed["share"].notna()]
            ax.scatter(
                b["share"],
                np.full(len(b), y),
                s=9,
                color="black",
                alpha=0.6,
                zorder=3,
                label="one breed" if (pool, cls) == (pools[0], classes[0]) else None,
            )
    ax.set_xlim(-2, 102)
    ax.set_xlabel("recognised by the ImageNet classifier: a class of the right family in its top-5 (%)")
    ax.set_ylabel("subject pool")
    ax.legend(loc="lower right", fontsize=8)
    n_breed = int(per_breed["n"].min()) if len(per_breed) else 0
    ax.set_title(
        title(
            "Are the subjects what they claim to be? Every pool under one photo-like generator, "
            f">= {n_breed} images per breed;\nEfficientNet-Lite0 (ImageNet-1k) top-5, Wilson 95% CI",
            proxy,
        ),
        fontsize=9,
    )
    save(fig, Path(out_png), t, Path(out_csv))
    return t
