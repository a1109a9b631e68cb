"""Shared pieces of the figures: reading evaluations and per-image predictions, intervals
(:mod:`domrand.stats`), seaborn bars with error bars and value labels."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

from domrand import stats
from domrand.io import atomic_path

matplotlib.use("Agg")  # before pyplot (seaborn imports it too): no display on compute nodes
import matplotlib.pyplot as plt
import seaborn as sns

# The paper's values, shown beside ours for reference; single runs, in %. Where each was read
# in the paper (figure, section, text or bar chart): docs/paper_values.md.
PAPER = {
    "fig3": {
        ("real", "dropout"): 97.70,
        ("real", "no_dropout"): 97.72,
        ("real", "unfrozen"): 50.01,
        ("synthetic", "dropout"): 85.36,
        ("synthetic", "no_dropout"): 85.78,
        ("synthetic", "unfrozen"): 66.23,
    },
    "fig4": {
        "control": 85.36,
        "no_obstructors": 88.20,
        "no_textures": 85.56,
        "texture_subject": 83.93,
        "no_lighting": 84.98,
        "no_poses": 88.26,
        "no_breeds": 69.41,
        "no_skies": 85.94,
    },
    "fig7": {
        ("real", "real"): 97.7,
        ("real", "synthetic"): 65.5,
        ("real", "toon"): 76.5,
        ("synthetic", "real"): 88.2,
        ("synthetic", "synthetic"): 90.0,
        ("synthetic", "toon"): 57.0,
    },
    "fig8": {2: 88.20, 3: 87.11, 4: 89.09},
}


PAPER_CLASSES = ("cat", "dog", "bicycle", "car")  # the classes the paper's values are of
NO_PAPER: dict = {fig: {} for fig in PAPER}  # a study of other classes has no paper value


def paper_values(prediction_paths) -> dict:
    """:data:`PAPER`, or :data:`NO_PAPER` when the predictions (their ``p_<class>`` columns)
    are of a class the paper did not study: its numbers say nothing about horses or cows."""
    import pyarrow.parquet as pq

    classes = {c[2:] for p in prediction_paths for c in pq.read_schema(p).names if c.startswith("p_")}
    return PAPER if classes <= set(PAPER_CLASSES) else NO_PAPER


def paper_same_model(paper_best: float, dataset: str, chosen_best: bool, paper: dict = PAPER) -> tuple[float, str]:
    """The paper's value for the synthetic-trained model a row of figures 7 or 8 reports, and
    which model of the paper that is. The paper reports those figures for its best variant; ours
    use `figures.models`: when that is `best` (chosen from figure 4) the paper's value compares
    like with like, otherwise only the real test set of the cat/dog task has a paper value for
    the same variant (figure 4's bar), and the other cells stay empty."""
    if chosen_best:
        return paper_best, "its best variant"
    variant = dataset.removeprefix("synth_")
    return paper["fig4"].get(variant, math.nan), (variant if variant in paper["fig4"] else "")


CI_NOTE = "95% CI: logit-scale t, seed + test-image variance"


def mean_ci(values, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and its Student-t interval over the values (seeds), and their number; NaN bounds
    with one value. For quantities without per-image results (training accuracy per epoch)."""
    r = stats.mean_interval(values, confidence)
    return r["mean"], r["ci_low"], r["ci_high"], r["n"]


def _path_keys(p: Path, suffix: str) -> dict:
    dataset, task, arch, seed = p.parts[-5], p.parts[-4], p.parts[-3], int(p.parts[-2].removeprefix("seed"))
    return {"dataset": dataset, "task": task, "arch": arch, "seed": seed, "testset": p.name.removesuffix(suffix)}


def read_predictions(paths) -> pd.DataFrame:
    """One row per per-image predictions file
    (results/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.predictions.parquet): the keys
    from its path, ``accuracy`` and ``accuracy_above_random`` (%), ``n_classes``, ``n_test``,
    and ``correct``, a 0/1 array over the test images in path order (the same order for
    every file of one test set, so seeds and models are paired image by image)."""
    rows = []
    for p in map(Path, paths):
        d = pd.read_parquet(p).sort_values("path", kind="stable")
        n_classes = sum(c.startswith("p_") for c in d.columns)
        correct = (d["pred"].to_numpy() == d["label"].to_numpy()).astype(np.float64)
        acc = 100 * float(correct.mean()) if len(correct) else math.nan
        rows.append(
            {
                **_path_keys(p, ".predictions.parquet"),
                "accuracy": acc,
                "accuracy_above_random": acc - 100 / n_classes,
                "n_classes": n_classes,
                "n_test": len(d),
                "correct": correct,
                "paths": tuple(d["path"]),
                **_epochs(p),
            }
        )
    return pd.DataFrame(rows)


def _epochs(pred_path: Path) -> dict:
    """The evaluation JSON's epoch facts beside a predictions file: which epoch the predictions
    are (`report`), and the final and best-epoch accuracies (%), nan where not scored."""
    j = pred_path.with_name(pred_path.name.removesuffix(".predictions.parquet") + ".json")
    e = json.loads(j.read_text()) if j.exists() else {}

    def pct(v):
        return 100 * v if v is not None else math.nan

    return {
        "report": e.get("report", "final"),
        "accuracy_final": pct(e.get("accuracy_final")),
        "accuracy_best_epoch": pct(e.get("accuracy_best_epoch")),
        "best_epoch": e.get("best_epoch") if e.get("best_epoch") is not None else math.nan,
    }


def epoch_note(df: pd.DataFrame) -> str:
    """Which epoch a figure shows, in words, from :func:`read_predictions` rows."""
    reports = set(df["report"]) if "report" in df else {"final"}
    if reports == {"best_epoch"}:
        return "best epoch on the test set (the paper's protocol; optimistic)"
    return "final epoch" if reports == {"final"} else "mixed epochs"


def correct_matrix(g: pd.DataFrame) -> np.ndarray:
    """(seeds, images) correctness of one group of :func:`read_predictions` rows, seeds in order."""
    g = g.sort_values("seed")
    if len({p for p in g["paths"]}) != 1:
        raise ValueError(
            f"predictions of {g.iloc[0][['dataset', 'task', 'arch', 'testset']].to_dict()} do not "
            "cover the same test images for every seed; rerun their evaluate jobs"
        )
    return np.stack(list(g["correct"]))


def interval_columns(value: str, r: dict, offset: float = 0.0) -> dict:
    """Table columns of a :mod:`domrand.stats` result in %, shifted by ``-offset`` (chance)."""
    return {
        f"{value}_mean": 100 * r["mean"] - offset,
        f"{value}_ci_low": 100 * r["ci_low"] - offset,
        f"{value}_ci_high": 100 * r["ci_high"] - offset,
        f"{value}_se_seed": 100 * r["se_seed"],
        f"{value}_se_test": 100 * r["se_test"],
        f"{value}_df": r["df"],
    }


def summarise(df: pd.DataFrame, by: list[str], value: str = "accuracy") -> pd.DataFrame:
    """Per group of :func:`read_predictions` rows: mean over seeds, its interval
    (:func:`domrand.stats.accuracy_interval`) with its components ``se_seed`` and ``se_test``
    (percentage points), and the per-seed values. ``value`` = ``accuracy`` or
    ``accuracy_above_random`` (the same interval shifted by 100 / n_classes)."""
    out = []
    for key, g in df.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        r = stats.accuracy_interval(correct_matrix(g))
        offset = 100 / int(g["n_classes"].iloc[0]) if value == "accuracy_above_random" else 0.0
        epochs = {}
        if value == "accuracy" and "accuracy_final" in g:  # both protocols, whichever the interval is of
            epochs = {
                "report": ";".join(sorted(set(g["report"]))),
                "accuracy_final_mean": g["accuracy_final"].mean(),
                "accuracy_best_epoch_mean": g["accuracy_best_epoch"].mean(),
                "best_epoch_per_seed": ";".join(str(x) for x in g.sort_values("seed")["best_epoch"]),
            }
        out.append(
            {
                **dict(zip(by, key)),
                **interval_columns(value, r, offset),
                "n_seeds": r["n_seeds"],
                "n_test": r["n_images"],
                f"{value}_per_seed": ";".join(f"{x:.2f}" for x in g.sort_values("seed")[value]),
                **epochs,
            }
        )
    return pd.DataFrame(out)


def title(text: str, proxy: bool) -> str:
    return f"{text}\nPROXY: procedural renders stand in for real photos" if proxy else text


def save(fig, png, table: pd.DataFrame, csv) -> None:
    with atomic_path(Path(png)) as tmp:
        fig.savefig(tmp, dpi=130, bbox_inches="tight", format="png")
    plt.close(fig)
    with atomic_path(Path(csv)) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")


def bars(
    ax,
    table: pd.DataFrame,
    x: str,
    value: str = "accuracy",
    hue: str | None = None,
    order=None,
    hue_order=None,
    palette=None,
    labels: bool = True,
):
    """Seaborn bars of ``{value}_mean`` with the table's intervals as error bars, and each
    value printed above its error bar (never on it). Returns the bar centres, one per row of
    ``table`` in its order (NaN where a row has no bar)."""
    order = list(order if order is not None else dict.fromkeys(table[x]))
    hue_order = list(hue_order if hue_order is not None else (dict.fromkeys(table[hue]) if hue else []))
    t = table[table[x].isin(order)]
    # Without a hue, colours follow x (hue=x, not dodged, no legend).
    sns.barplot(
        data=t,
        x=x,
        y=f"{value}_mean",
        hue=hue or (x if palette else None),
        order=order,
        hue_order=hue_order or (order if palette and not hue else None),
        palette=palette,
        errorbar=None,
        ax=ax,
        width=0.8,
        dodge=bool(hue),
        legend=bool(hue),
    )
    width = 0.8 / max(1, len(hue_order))
    centres = []
    for r in table.to_dict("records"):
        if r[x] not in order or (hue and r[hue] not in hue_order):
            centres.append(math.nan)
            continue
        xc = order.index(r[x]) + (-0.4 + width * (hue_order.index(r[hue]) + 0.5) if hue else 0.0)
        centres.append(xc)
        m, lo, hi = (r[f"{value}_{k}"] for k in ("mean", "ci_low", "ci_high"))
        if not math.isfinite(m):
            continue
        if math.isfinite(lo) and math.isfinite(hi):
            ax.errorbar(xc, m, yerr=[[m - lo], [hi - m]], fmt="none", ecolor="black", elinewidth=1, capsize=3)
        top = hi if math.isfinite(hi) else m
        if labels:
            ax.text(xc, top + 1.0, f"{m:.1f}", ha="center", va="bottom", fontsize=7)
    ax.set_xlabel("")
    return np.asarray(centres)
