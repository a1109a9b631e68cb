"""Figures 9-12, beyond the paper: breed scaling, synthetic + real mixing, data size, and error
rates per randomized parameter. Each writes its PNG and the table behind it.

Intervals: over seeds, mean and the 95% Student-t interval (scipy.stats.t); per bin of images
(figure 12), the 95% Wilson score interval of the error rate (:func:`domrand.stats.wilson`) with n =
the images in the bin.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

from domrand.figures.common import save as _save
from domrand.figures.common import title as _title
from domrand.stats import wilson

matplotlib.use("Agg")  # before pyplot: no display on compute nodes
import matplotlib.pyplot as plt

# Figure 12's randomized parameters: metadata column, axis label, kind. Columns a test set's
# metadata lacks (an older shard, an imported subject) are left out of its panels.
PARAMETERS = [
    ("camera_elevation", "camera elevation (deg)", "numeric"),
    ("camera_distance", "camera distance (subject diagonals)", "numeric"),
    ("visible_fraction", "visible fraction of the subject", "numeric"),
    ("n_obstructors", "number of obstructors", "category"),
    ("light_intensity", "light intensity", "numeric"),
    ("light_elevation", "light elevation (deg)", "numeric"),
    ("pose_mode", "pose", "category"),
    ("breed", "breed", "category"),
    ("sky", "sky", "category"),
    ("ground_material", "ground material (family)", "category"),
]
CHANCE = 50.0

# Figure 12's layout: a parameter with at most GRID_BINS bins gets a cell of a GRID_COLUMNS-wide
# grid; one with more (breeds: a few dozen per class) gets full-width rows below it, at most
# ROW_BINS bins each, so its labels stand upright side by side at any number of breeds.
GRID_COLUMNS = 5
GRID_BINS = 12
ROW_BINS = 48


def _eval_accuracy(path) -> tuple[int, float]:
    """(seed, accuracy in %) of results/eval/.../seed{seed}/{testset}.json."""
    p = Path(path)
    return int(p.parent.name.removeprefix("seed")), 100 * json.loads(p.read_text())["accuracy"]


def _eval_n(path) -> int:
    return int(json.loads(Path(path).read_text())["n"])


def _summary(per_seed: dict[int, float], n_test: int) -> dict:
    """Mean over seeds with the logit-scale interval of :func:`domrand.stats.binomial_seed_interval`
    (seed spread plus the binomial test-set term; inside [0, 100])."""
    from domrand.stats import binomial_seed_interval

    r = binomial_seed_interval([v / 100 for v in per_seed.values()], n_test) if per_seed else None
    if r is None or not math.isfinite(r["mean"]):
        return {
            "accuracy_mean": math.nan,
            "accuracy_ci_low": math.nan,
            "accuracy_ci_high": math.nan,
            "n_seeds": len(per_seed),
            "n_test": n_test,
            "accuracy_per_seed": "",
        }
    return {
        "accuracy_mean": 100 * r["mean"],
        "accuracy_ci_low": 100 * r["ci_low"],
        "accuracy_ci_high": 100 * r["ci_high"],
        "accuracy_se_seed": 100 * r["se_seed"],
        "accuracy_se_test": 100 * r["se_test"],
        "n_seeds": len(per_seed),
        "n_test": n_test,
        "accuracy_per_seed": ";".join(f"{per_seed[s]:.2f}" for s in sorted(per_seed)),
    }


def _errorbar(ax, x, t: pd.DataFrame, prefix: str, **kw):
    m = t[f"{prefix}_mean"].to_numpy(float)
    err = np.vstack([m - t[f"{prefix}_ci_low"].to_numpy(float), t[f"{prefix}_ci_high"].to_numpy(float) - m])
    ax.errorbar(x, m, yerr=np.where(np.isfinite(err), err, 0), capsize=3, marker="o", **kw)


# -- figure 9 ------------------------------------------------------------------------------
def _vs_fewest(t: pd.DataFrame, eval_paths, dataset: str) -> dict:
    """Paired difference (points) of `dataset` from the fewest-breeds dataset on the same real
    test images and seeds (:func:`domrand.stats.paired_difference`), from the predictions
    beside the evaluations; does more subject variety help, beyond seed and test noise?"""
    from domrand import stats as dstats
    from domrand.figures.common import correct_matrix, read_predictions

    fewest = t.sort_values("breeds_per_class")["dataset"].iloc[0]
    preds = [str(p).removesuffix(".json") + ".predictions.parquet" for p in eval_paths]
    preds = [p for p in preds if Path(p).exists()]
    df = read_predictions(preds) if preds else pd.DataFrame()
    if df.empty or dataset not in set(df["dataset"]) or fewest not in set(df["dataset"]):
        mean = t.set_index("dataset")["accuracy_mean"]  # no per-image results: the difference alone
        return {
            "delta_vs_fewest": float(mean[dataset] - mean[fewest]),
            "delta_ci_low": math.nan,
            "delta_ci_high": math.nan,
            "p_value": math.nan,
        }
    r = dstats.paired_difference(
        correct_matrix(df[df["dataset"] == dataset]), correct_matrix(df[df["dataset"] == fewest])
    )
    if dataset == fewest:
        return {"delta_vs_fewest": 0.0, "delta_ci_low": 0.0, "delta_ci_high": 0.0, "p_value": math.nan}
    return {
        "delta_vs_fewest": 100 * r["diff"],
        "delta_ci_low": 100 * r["ci_low"],
        "delta_ci_high": 100 * r["ci_high"],
        "p_value": r["p_value"],
    }


def breeds_in_index(index_paths) -> tuple[dict[str, float], int]:
    """Breeds per class in each training set of a dataset's per-class indexes (mean over its
    breed draws), and the number of breed draws (training sets with their own draw of breeds;
    the fewest over classes; 1 for an index without draws)."""
    from domrand.data.index import read_index

    per_class, draws = {}, []
    for p in index_paths:
        df = read_index(p, split="train", resolve=False)
        for cls, g in df.groupby("label"):
            if "breed_draw" in g:
                sets = g.drop_duplicates("breed_draw")["draw_breeds"]
                per_class[cls] = float(np.mean([len(s.split(",")) for s in sets]))
                draws.append(len(sets))
            else:
                per_class[cls] = float(g["breed"].nunique())
                draws.append(1)
    return per_class, min(draws, default=0)


def fig9_breed_scaling(
    entries: list[dict], eval_paths, reference_paths, indexes: dict[str, list], out_png, out_csv, proxy: bool
) -> pd.DataFrame:
    """Accuracy on the real test set against breeds per class in the synthetic training set.

    entries: `experiments.breed_scaling` (count, dataset, variant); eval_paths: the evaluations
    of every entry's dataset (results/eval/{dataset}/.../real.json); reference_paths: those of
    the real-trained model; indexes: {dataset: per-class index files} (the breeds counted)."""
    by_dataset: dict[str, dict[int, float]] = {}
    n_by_dataset: dict[str, int] = {}
    for p in map(Path, eval_paths):
        seed, acc = _eval_accuracy(p)
        by_dataset.setdefault(p.parts[-5], {})[seed] = acc
        n_by_dataset[p.parts[-5]] = _eval_n(p)
    rows = []
    for e in entries:
        breeds, draws = breeds_in_index(indexes[e["dataset"]])
        rows.append(
            {
                "breed_count": str(e["count"]),
                "dataset": e["dataset"],
                "rendered_for_fig9": e["variant"] is not None,
                "breeds_per_class": float(np.mean(list(breeds.values()))),
                "breeds_by_class": ";".join(f"{c}:{n:g}" for c, n in sorted(breeds.items())),
                "breed_draws": draws,
                **_summary(by_dataset.get(e["dataset"], {}), n_by_dataset.get(e["dataset"], 0)),
            }
        )
    t = pd.DataFrame(rows)
    t = pd.concat([t, pd.DataFrame([_vs_fewest(t, eval_paths, d) for d in t["dataset"]])], axis=1)
    ref = {
        "breed_count": "real-trained",
        "dataset": "real",
        "rendered_for_fig9": False,
        "breeds_per_class": math.nan,
        "breeds_by_class": "",
        "breed_draws": 0,
        **_summary(dict(_eval_accuracy(p) for p in reference_paths), _eval_n(reference_paths[0])),
        "delta_vs_fewest": math.nan,
    }
    table = pd.concat([t, pd.DataFrame([ref])], ignore_index=True)

    fig, ax = plt.subplots(figsize=(6.5, 4))
    s = t.sort_values("breeds_per_class")
    _errorbar(ax, s["breeds_per_class"], s, "accuracy", color="C1", label="trained on synthetic (real test set)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(
        s["breeds_per_class"],
        [
            f"{c}\n{d} draws" if c != "all" else f"all ({b:g})"
            for c, b, d in zip(s["breed_count"], s["breeds_per_class"], s["breed_draws"])
        ],
    )
    ax.minorticks_off()
    if math.isfinite(ref["accuracy_mean"]):
        ax.axhline(ref["accuracy_mean"], color="C0", lw=1.2, label=f"trained on real ({ref['accuracy_mean']:.1f})")
        if math.isfinite(ref["accuracy_ci_low"]):
            ax.axhspan(ref["accuracy_ci_low"], ref["accuracy_ci_high"], color="C0", alpha=0.12)
    ax.axhline(CHANCE, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("breeds per class in the synthetic training set (log scale)")
    ax.set_ylabel("accuracy on the real test set (%)")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(
        _title(
            "Fig. 9: more subject models per class - mean over seeds, each seed its own draw of breeds;\n"
            "logit-scale 95% CI (seeds with their draws, and test images)",
            proxy,
        ),
        fontsize=9,
    )
    _save(fig, out_png, table, out_csv)
    return table


# -- figures 10 and 11 -----------------------------------------------------------------------
def read_heads(paths) -> pd.DataFrame:
    """One row per head JSON (results/beyond/heads/{head}/seed{seed}.json) and test set."""
    rows = []
    for p in map(Path, paths):
        h = json.loads(p.read_text())
        per_class = {s: c for s, c in h["counts"].items()}
        for testset, m in h["tests"].items():
            rows.append(
                {
                    "head": p.parent.name,
                    "seed": int(p.stem.removeprefix("seed")),
                    "testset": testset,
                    "accuracy": 100 * m["accuracy"],
                    "n_test": m["n"],
                    **{f"{s}_per_class": float(np.mean(list(c.values()))) if c else 0.0 for s, c in per_class.items()},
                }
            )
    return pd.DataFrame(rows)


def _point(df: pd.DataFrame, head: str, testset: str, count_col: str) -> dict:
    g = df[(df["head"] == head) & (df["testset"] == testset)]
    count = float(g[count_col].iloc[0]) if len(g) and count_col in g else math.nan
    n_test = int(g["n_test"].min()) if len(g) else 0
    return {count_col: count, **_summary(dict(zip(g["seed"], g["accuracy"])), n_test)}


def fig10_real_mixing(head_paths, real_counts: list, out_png, out_csv, proxy: bool) -> pd.DataFrame:
    """Accuracy on the real test set against k real training images per class: the synthetic
    set plus k real images, and k real images alone (k = 0 alone has no training data: its row
    says so and the plot marks chance)."""
    df = read_heads(head_paths)
    rows = []
    for k in real_counts:
        mix = _point(df, f"mix_k{k}", "real", "real_per_class")
        rows.append({"k": str(k), "curve": "synthetic + k real", **mix, "note": ""})
        if k == 0:
            rows.append(
                {
                    "k": "0",
                    "curve": "k real alone",
                    "real_per_class": 0.0,
                    "accuracy_mean": math.nan,
                    "accuracy_ci_low": math.nan,
                    "accuracy_ci_high": math.nan,
                    "n_seeds": 0,
                    "accuracy_per_seed": "",
                    "note": f"no training images: no model (chance {CHANCE:g}%)",
                }
            )
        else:
            rows.append(
                {"k": str(k), "curve": "k real alone", **_point(df, f"real_k{k}", "real", "real_per_class"), "note": ""}
            )
    t = pd.DataFrame(rows)
    acc = {(k, c): a for k, c, a in zip(t["k"], t["curve"], t["accuracy_mean"])}
    t["gap_synthetic_minus_alone"] = [acc[(k, "synthetic + k real")] - acc[(k, "k real alone")] for k in t["k"]]

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for curve, color in (("synthetic + k real", "C1"), ("k real alone", "C0")):
        s = t[(t["curve"] == curve) & t["accuracy_mean"].notna()].sort_values("real_per_class")
        _errorbar(ax, s["real_per_class"], s, "accuracy", color=color, label=curve)
    if (t["note"] != "").any():
        ax.plot(
            [0],
            [CHANCE],
            marker="x",
            ms=9,
            color="grey",
            ls="none",
            zorder=5,
            label="k = 0 alone: no training data (chance)",
        )
    pos = sorted(x for x in t["real_per_class"].dropna().unique() if x > 0)
    ax.set_xscale("symlog", linthresh=pos[0] if pos else 1)
    _count_axis(
        ax,
        t,
        "k",
        "real_per_class",
        "real training images per class, k (symmetric log scale)",
        "accuracy on the real test set (%)",
    )
    ax.set_title(
        _title(
            "Fig. 10: synthetic + k real images vs k real images alone - mean over seeds, logit-scale 95% CI "
            "(seeds and test images)",
            proxy,
        ),
        fontsize=9,
    )
    _save(fig, out_png, t, out_csv)
    return t


def _count_axis(ax, t: pd.DataFrame, key: str, count_col: str, xlabel: str, ylabel: str) -> None:
    """Ticks at the counts the config asked for (`all` with its size), chance line, labels."""
    ticks = t.drop_duplicates(key).sort_values(count_col)
    ax.set_xticks(ticks[count_col], [k if k != "all" else f"all ({n:g})" for k, n in zip(ticks[key], ticks[count_col])])
    ax.minorticks_off()
    ax.axhline(CHANCE, color="grey", lw=0.8, ls=":")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8, loc="lower right")


def fig11_data_size(head_paths, synthetic_counts: list, out_png, out_csv, proxy: bool) -> pd.DataFrame:
    """Accuracy on the real and synthetic test sets against synthetic training images per class."""
    df = read_heads(head_paths)
    rows = [
        {"n": str(n), "testset": ts, **_point(df, f"size_n{n}", ts, "synthetic_per_class")}
        for ts in ("real", "synthetic")
        for n in synthetic_counts
    ]
    t = pd.DataFrame(rows)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for ts, color in (("real", "C0"), ("synthetic", "C1")):
        s = t[t["testset"] == ts].sort_values("synthetic_per_class")
        _errorbar(ax, s["synthetic_per_class"], s, "accuracy", color=color, label=f"{ts} test set")
    ax.set_xscale("log")
    _count_axis(
        ax,
        t,
        "n",
        "synthetic_per_class",
        "synthetic training images per class (nested subsets, log scale)",
        "accuracy (%)",
    )
    ax.set_title(
        _title(
            "Fig. 11: synthetic training set size - mean over seeds, logit-scale 95% CI (seeds and test images)", proxy
        ),
        fontsize=9,
    )
    _save(fig, out_png, t, out_csv)
    return t


# -- figure 12 -------------------------------------------------------------------------------
def _resolve(path: str, base: Path, known: set) -> str:
    """An absolute path for a predictions row: absolute already, relative to the index folder
    (as the index stores it), or relative to the working directory."""
    import os

    p = Path(path)
    if p.is_absolute():
        return os.path.normpath(p)
    in_index = os.path.normpath(base / p)
    return in_index if in_index in known else os.path.abspath(p)


def join_predictions(prediction_paths, index_paths) -> pd.DataFrame:
    """Per-image predictions of several seeds' models joined with the render metadata.

    prediction_paths: `{testset}.predictions.parquet` files (one per seed; columns path, label,
    pred, ...); index_paths: the test set's per-class dataset indexes, which say where each
    image lies. Each image's shard folder holds metadata.parquet (render.shard). One row per
    test image: path, label, error (the fraction of seeds whose model got it wrong), n_seeds,
    and every metadata column. An image in the predictions but not in the indexes, or without
    a metadata row, is an error naming the file."""
    from domrand.data.index import read_index

    index = pd.concat([read_index(p, split="test") for p in index_paths], ignore_index=True)
    known = set(index["path"])
    base = Path(index_paths[0]).parent.resolve()
    frames = []
    for seed, p in enumerate(map(Path, prediction_paths)):
        pr = pd.read_parquet(p, columns=["path", "label", "pred"])
        pr["path"] = [_resolve(x, base, known) for x in pr["path"]]
        missing = sorted(set(pr["path"]) - known)
        if missing:
            raise ValueError(
                f"{p}: {len(missing)} predicted image(s) are not test images of {list(index_paths)}, "
                f"e.g. {missing[:2]}; rerun the evaluation"
            )
        frames.append(pr.assign(run=seed, wrong=(pr["pred"] != pr["label"]).astype(float)))
    preds = pd.concat(frames, ignore_index=True)
    per_image = (
        preds.groupby("path", sort=True)
        .agg(label=("label", "first"), error=("wrong", "mean"), n_seeds=("run", "nunique"))
        .reset_index()
    )
    per_image["_dir"] = [str(Path(x).parent) for x in per_image["path"]]
    per_image["_file"] = [Path(x).name for x in per_image["path"]]
    metas = []
    for d in sorted(per_image["_dir"].unique()):
        f = Path(d) / "metadata.parquet"
        if not f.is_file():
            raise FileNotFoundError(
                f"{f}: no render metadata for the test images in {d}; figure 12 needs a rendered test set (not photos)"
            )
        metas.append(pd.read_parquet(f).assign(_dir=d).rename(columns={"file": "_file"}))
    meta = pd.concat(metas, ignore_index=True).drop(columns=["label"], errors="ignore")
    out = per_image.merge(meta, on=["_dir", "_file"], how="left", indicator=True)
    lost = out["_merge"] != "both"
    if lost.any():
        raise ValueError(
            f"{int(lost.sum())} test image(s) have no row in their shard's metadata.parquet, "
            f"e.g. {out.loc[lost, 'path'].head(2).tolist()}; re-render those shards"
        )
    return out.drop(columns=["_dir", "_file", "_merge"])


def name_categories(df: pd.DataFrame, world_manifest: dict | None, generator: dict | None) -> pd.DataFrame:
    """Sky and ground columns as names: the sky's kind (index into the skies the generator
    draws from; -1 plain) and the ground material's family (-1 plain). Without a world or
    generator the indices stay."""
    df = df.copy()
    if world_manifest is None or generator is None:
        return df
    from domrand.world.sets import MATERIAL_SETS, SKY_SETS

    skies = world_manifest[SKY_SETS[generator["sky"]["set"]]]
    library = world_manifest[MATERIAL_SETS[generator["materials"]["library"]]]
    if "sky" in df:
        df["sky"] = [skies[int(i)]["kind"] if int(i) >= 0 else "plain" for i in df["sky"]]
    if "ground_material" in df:
        df["ground_material"] = [
            library[int(i)].get("family", library[int(i)]["name"]) if int(i) >= 0 else "plain"
            for i in df["ground_material"]
        ]
    return df


def bin_edges(values: np.ndarray, bins: int) -> np.ndarray | None:
    """Equal-width edges over the values' range, or None when there are no more distinct values than bins."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if len(np.unique(v)) <= bins:
        return None
    return np.linspace(v.min(), v.max(), bins + 1)


def _sorted_values(values) -> list:
    return sorted(set(values), key=lambda v: (isinstance(v, str), v))


def bin_errors(
    df: pd.DataFrame,
    column: str,
    kind: str,
    edges: np.ndarray | None = None,
    level: float = 0.95,
    values: list | None = None,
) -> pd.DataFrame:
    """Error rate of `df`'s images (column `error`: the fraction of seeds wrong) per bin of
    `column`: by value for categories and numbers without edges, else by the bins [e_i, e_i+1)
    (the last one closed). values: every value the by-value bins are ranked over (default: the
    column's). Rows: bin, bin_order, n_images, errors, error_rate, ci_low, ci_high (Wilson,
    n = images in the bin)."""
    col = df[column]
    if kind == "numeric" and edges is not None:
        idx = np.clip(np.searchsorted(edges, col.to_numpy(float), side="right") - 1, 0, len(edges) - 2)
        labels = [f"{edges[i]:.3g}-{edges[i + 1]:.3g}" for i in range(len(edges) - 1)]
        keys, order = [labels[i] for i in idx], list(idx)
    else:
        rank = {v: i for i, v in enumerate(_sorted_values(values if values is not None else col))}
        keys = [f"{v:.3g}" if isinstance(v, float) else str(v) for v in col]
        order = [rank[v] for v in col]
    g = pd.DataFrame({"bin": keys, "bin_order": order, "error": df["error"].to_numpy(float)})
    rows = []
    for (b, o), gb in g.groupby(["bin", "bin_order"], sort=False):
        n, e = len(gb), float(gb["error"].sum())
        lo, hi = wilson(e, n, level)
        rows.append(
            {
                "bin": b,
                "bin_order": int(o),
                "n_images": n,
                "errors": e,
                "error_rate": e / n,
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    return pd.DataFrame(rows).sort_values("bin_order").reset_index(drop=True)


def parameter_errors(joined: dict[str, pd.DataFrame], bins: int) -> pd.DataFrame:
    """Figure 12's table: error rate per test set, parameter and bin. Numeric bins share their
    edges across the test sets (over the union of their ranges), so panels compare."""
    rows = []
    for column, label, kind in PARAMETERS:
        have = {ts: d for ts, d in joined.items() if column in d}
        if not have:
            continue
        edges = None
        if kind == "numeric":
            edges = bin_edges(np.concatenate([d[column].to_numpy(float) for d in have.values()]), bins)
        union = [v for d in have.values() for v in d[column]]
        for ts, d in have.items():
            b = bin_errors(d, column, kind, edges, values=union)
            rows.append(b.assign(testset=ts, parameter=column, label=label))
    cols = [
        "testset",
        "parameter",
        "label",
        "bin",
        "bin_order",
        "n_images",
        "errors",
        "error_rate",
        "ci_low",
        "ci_high",
    ]
    return pd.concat(rows, ignore_index=True)[cols]


def fig12_parameter_errors(
    predictions: dict[str, list],
    indexes: dict[str, list],
    world_dir,
    generators: dict,
    bins: int,
    out_png,
    out_csv,
    proxy: bool,
) -> pd.DataFrame:
    """Error rate of the synthetic-trained model per bin of each randomized parameter, on each
    rendered test set (predictions, indexes and generators keyed by test set name)."""
    manifest = json.loads((Path(world_dir) / "world.json").read_text()) if world_dir else None
    joined = {
        ts: name_categories(join_predictions(predictions[ts], indexes[ts]), manifest, generators.get(ts))
        for ts in predictions
    }
    t = parameter_errors(joined, bins)
    _save(draw_parameter_errors(t, proxy), out_png, t, out_csv)
    return t


def draw_parameter_errors(t: pd.DataFrame, proxy: bool):
    """Figure 12 drawn from its table (`parameter_errors`): one panel of error rates per
    parameter and test set, a parameter with many bins wrapped over full-width rows. Returns
    the matplotlib figure."""
    testsets = list(dict.fromkeys(t["testset"]))
    colors = {ts: f"C{1 if ts == 'synthetic' else 0}" for ts in testsets}
    grid, rows = [], []
    for column, label, _kind in PARAMETERS:
        g = t[t["parameter"] == column]
        if g.empty:
            continue
        order = g.drop_duplicates("bin").sort_values(["bin_order", "bin"])["bin"].tolist()
        if len(order) <= GRID_BINS:
            grid.append((g, label, order))
            continue
        n = math.ceil(len(order) / ROW_BINS)
        per = math.ceil(len(order) / n)
        for k in range(n):
            part = f" ({k + 1}/{n})" if n > 1 else ""
            rows.append((g, label + part, order[k * per : (k + 1) * per]))
    grid_rows = math.ceil(len(grid) / GRID_COLUMNS)
    nrows = grid_rows + len(rows)
    fig = plt.figure(figsize=(3.2 * GRID_COLUMNS, 2.9 * nrows))
    spec = fig.add_gridspec(nrows, GRID_COLUMNS)
    axes = []
    for i, (g, label, order) in enumerate(grid):
        ax = fig.add_subplot(spec[i // GRID_COLUMNS, i % GRID_COLUMNS])
        _error_panel(ax, g, label, order, testsets, colors)
        slanted = len(order) > 3
        ax.set_xticks(
            range(len(order)), order, rotation=45 if slanted else 0, ha="right" if slanted else "center", fontsize=6
        )
        axes.append(ax)
    for r, (g, label, order) in enumerate(rows):
        ax = fig.add_subplot(spec[grid_rows + r, :])
        _error_panel(ax, g, label, order, testsets, colors)
        ax.set_xticks(range(len(order)), order, rotation=90, fontsize=6)
        ax.set_xlim(-0.75, len(order) - 0.25)
        ax.set_ylabel("error rate (%)", fontsize=8)
        axes.append(ax)
    axes[0].set_ylabel("error rate (%)", fontsize=8)
    axes[0].legend(fontsize=7)
    fig.suptitle(
        _title(
            "Fig. 12: synthetic-trained model's error rate per randomized parameter "
            "(errors averaged over seeds per image; 95% Wilson CI, n = images per bin)",
            proxy,
        ),
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def _error_panel(ax, g: pd.DataFrame, label: str, order: list, testsets: list, colors: dict) -> None:
    """Error rates with their intervals of the bins `order` of one parameter's rows `g`, side
    by side per test set."""
    pos = {b: i for i, b in enumerate(order)}
    g = g[g["bin"].isin(list(pos))]
    for ts, gt in g.groupby("testset", sort=False):
        x = np.array([pos[b] for b in gt["bin"]]) + (testsets.index(ts) - (len(testsets) - 1) / 2) * 0.25
        m = 100 * gt["error_rate"].to_numpy()
        err = np.vstack([m - 100 * gt["ci_low"].to_numpy(), 100 * gt["ci_high"].to_numpy() - m])
        ax.errorbar(x, m, yerr=err, fmt="o", ms=3, capsize=2, color=colors[ts], label=f"{ts} test set")
    ax.set_ylim(0, 100)
    ax.set_title(label, fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
