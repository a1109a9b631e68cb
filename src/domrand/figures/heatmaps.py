"""Figure 5: what each model looks at (GradCAM and occlusion maps for the cat class), from the
explain step's files: the heatmap grid (:func:`plot_fig5`, its table beside it) and the
faithfulness table (:func:`summarize_faithfulness`); :func:`fig5` draws both.

``records`` is an ordered mapping ``model name -> heatmap record``, one record per model,
as returned by :func:`domrand.explain.heatmaps.load_heatmaps` (use
:func:`~domrand.explain.heatmaps.concat_heatmaps` to join one file per test set)::

    {
        "real-trained": {
            "images": (N, 3, H, W) or (N, H, W, 3) display images, floats in [0, 1] or uint8
                      (other float ranges are min-max stretched per image),
            "maps":   {"gradcam": (N, H, W), "occlusion": (N, H, W)}, values in [0, 1],
            "meta":   {
                "test_set":    [str] * N,   # e.g. "real", "synthetic"
                "label":       [int] * N,   # true class index of each image
                "index":       [int] * N,   # optional: position in its test set (default:
                                            # order of appearance within the test set)
                "class_names": [str, ...],  # class index -> name
                "target":      int,         # optional: class the maps explain
            },
        },
        "synthetic-trained": {...},         # same images (matched by test_set, index)
    }

The first model's images are shown; every model must hold maps for the same
``(test_set, index)`` pairs. Layout: column groups = test set x class (the first
``n_per_class`` images of each, in index order), rows = the image, then one row per
(method, model): GradCAM of each model, then occlusion of each model, so the models
explaining the same image sit in adjacent rows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from domrand import stats
from domrand.explain.heatmaps import concat_heatmaps, load_heatmaps
from domrand.io import atomic_path

METHOD_LABELS = {"gradcam": "GradCAM", "occlusion": "Occlusion (OS)"}
CSV_COLUMNS = (
    "model",
    "method",
    "test_set",
    "image_index",
    "class",
    "label",
    "panel_row",
    "panel_col",
    "peak_y",
    "peak_x",
    "peak_value",
    "top10_mass",
)

FAITHFULNESS_COLUMNS = (
    "model",
    "test_set",
    "method",
    "baseline",
    "measure",
    "mean",
    "ci_low",
    "ci_high",
    "n_images",
    "p_value",
    "verdict",
)
_PER_FILE = ("faithfulness", "sanity")


def summarize_faithfulness(
    curves: pd.DataFrame, sanity: pd.DataFrame, max_rank_corr: float, confidence: float = 0.95
) -> pd.DataFrame:
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
        values = {
            "deletion_auc": m["deletion_auc"],
            "deletion_auc_shifted": s["deletion_auc"],
            "deletion_gain": s["deletion_auc"] - m["deletion_auc"],
            "insertion_auc": m["insertion_auc"],
            "insertion_auc_shifted": s["insertion_auc"],
            "insertion_gain": m["insertion_auc"] - s["insertion_auc"],
            "prob_original": m["prob_original"],
            "prob_baseline": m["prob_baseline"],
        }
        for measure, v in values.items():
            r = stats.mean_interval(v.to_numpy(), confidence)
            verdict = ""
            if measure.endswith("_gain"):
                verdict = (
                    "beats shifted"
                    if r["ci_low"] > 0
                    else "worse than shifted"
                    if r["ci_high"] < 0
                    else "no difference"
                )
            rows.append(
                {
                    "method": method,
                    "baseline": baseline,
                    "measure": measure,
                    "mean": r["mean"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "n_images": r["n"],
                    "p_value": r["p_value"] if measure.endswith("_gain") else float("nan"),
                    "verdict": verdict,
                }
            )
    for method, g in sanity.groupby("method", sort=False):
        r = stats.mean_interval(g["rank_corr"].to_numpy(), confidence)
        rows.append(
            {
                "method": method,
                "baseline": "-",
                "measure": "rank_corr",
                "mean": r["mean"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "n_images": r["n"],
                "p_value": float("nan"),
                "verdict": "passes" if r["ci_high"] < max_rank_corr else "fails",
            }
        )
    return pd.DataFrame(rows)


def fig5(real_npzs, synth_npzs, out_png, out_csv, out_faithfulness, proxy: bool, model: str = "") -> pd.DataFrame:
    """Plot figure 5 and write, per model, test set and method, the faithfulness summary;
    ``model`` names the synthetic-trained model in the title."""
    parts = {
        "real-trained": [load_heatmaps(p) for p in real_npzs],
        "synthetic-trained": [load_heatmaps(p) for p in synth_npzs],
    }
    # Faithfulness rows differ per test set by design; the grid needs only the shared meta.
    records = {
        name: concat_heatmaps([{**r, "meta": {k: v for k, v in r["meta"].items() if k not in _PER_FILE}} for r in p])
        for name, p in parts.items()
    }
    plot_fig5(records, out_png, out_csv, proxy=proxy, model_note=model)
    summaries = []
    for name, recs in parts.items():
        for rec in recs:
            meta = rec["meta"]
            if "sanity" not in meta:
                raise ValueError(
                    f"heatmap file of {name} has no faithfulness checks of this version; rerun the "
                    "explain jobs (delete results/heatmaps/)"
                )
            s = summarize_faithfulness(
                pd.DataFrame(meta["faithfulness"]), pd.DataFrame(meta["sanity"]), float(meta["sanity_max_rank_corr"])
            )
            s.insert(0, "test_set", meta["test_set"][0])
            s.insert(0, "model", name)
            summaries.append(s)
    table = pd.concat(summaries, ignore_index=True)[list(FAITHFULNESS_COLUMNS)]
    with atomic_path(Path(out_faithfulness)) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    return table


def plot_fig5(
    records: Mapping[str, Mapping[str, Any]],
    out_png: str | os.PathLike,
    out_csv: str | os.PathLike,
    proxy: bool = False,
    methods: Sequence[str] = ("gradcam", "occlusion"),
    test_sets: Sequence[str] | None = None,
    n_per_class: int = 4,
    cmap: str = "jet",
    alpha: float = 0.5,
    model_note: str = "",
    dpi: int = 120,
) -> pd.DataFrame:
    """Draw figure 5 and write the per-panel table beside it (both atomically).

    Args:
        records: ``{model name: heatmap record}``, see the module docstring; order sets the
            row order (the paper puts the real-trained model first).
        out_png: figure path.
        out_csv: table path: one row per heatmap panel with ``CSV_COLUMNS`` (peak location
            in pixels of the map, ``top10_mass`` = share of the map's total mass in its top
            10% of pixels, NaN for an all-zero map).
        proxy: the images come from the procedural world standing in for real photos; the
            title says so.
        methods: heatmap methods to draw, in row order.
        test_sets: test sets to show, in column order (default: order of appearance).
        n_per_class: images per (test set, class) column group.
        cmap, alpha: heatmap overlay colormap and opacity over the image.
        dpi: figure resolution.

    Returns:
        The table written to ``out_csv``.
    """
    if not records:
        raise ValueError("plot_fig5 needs at least one model record")
    models = list(records)
    ref = records[models[0]]
    columns = _select_columns(ref, test_sets, n_per_class)
    lookup = {name: _index_of(rec, name) for name, rec in records.items()}
    _check_records(records, methods, columns, lookup)

    class_names = ref["meta"]["class_names"]
    target = ref["meta"].get("target")
    row_specs = [(m, name) for m in methods for name in models]
    n_rows = 1 + len(row_specs)
    groups, ratios, grid_col = _column_layout(columns)
    fig, grid = _fig5_canvas(ratios, n_rows, dpi)
    table = []
    overlay = None
    top_axes = []
    for col, spec in enumerate(columns):
        image = _display_image(ref["images"][spec["pos"]])
        top_axes.append(_image_panel(fig.add_subplot(grid[0, grid_col[col]]), image, spec["key"][1], col == 0))
        for r, (method, name) in enumerate(row_specs, start=1):
            pos = lookup[name][spec["key"]]
            heat = np.asarray(records[name]["maps"][method][pos], dtype=np.float64)
            ylabel = f"{METHOD_LABELS.get(method, method)}\n{name}" if col == 0 else None
            overlay = _overlay(fig.add_subplot(grid[r, grid_col[col]]), image, heat, cmap, alpha, ylabel)
            table.append(_panel_row(name, method, spec, class_names[spec["label"]], r, col, heat))

    _label_groups(fig, groups, columns, top_axes, class_names)
    if overlay is not None:
        cax = fig.add_axes((0.945, 0.03, 0.012, 0.81 * len(row_specs) / n_rows))
        fig.colorbar(overlay, cax=cax).ax.tick_params(labelsize=7)
    title = fig5_title(models, class_names, target, proxy)
    if model_note:
        title += f"\n{model_note}"
    fig.suptitle(title, fontsize=11, y=0.99, va="top")

    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    df = pd.DataFrame(table, columns=list(CSV_COLUMNS))
    with atomic_path(out_csv) as tmp:
        df.to_csv(tmp, index=False)
    return df


def _check_records(
    records: Mapping[str, Mapping[str, Any]],
    methods: Sequence[str],
    columns: Sequence[Mapping[str, Any]],
    lookup: Mapping[str, Mapping[tuple[str, int], int]],
) -> None:
    """Raise unless every model has maps of every method for every image shown."""
    first = next(iter(records))
    for name, rec in records.items():
        missing = [m for m in methods if m not in rec["maps"]]
        if missing:
            raise ValueError(f"model {name!r} has no {missing} heatmaps (has {list(rec['maps'])})")
        absent = [key for key in (c["key"] for c in columns) if key not in lookup[name]]
        if absent:
            raise ValueError(
                f"model {name!r} has no heatmaps for images {absent[:3]} shown for "
                f"{first!r}; compute every model's maps on the same test images"
            )


def _column_layout(columns: Sequence[Mapping[str, Any]]) -> tuple[list, list[float], list[int]]:
    """(column groups, grid width ratios, grid column of each image column)."""
    groups = list(dict.fromkeys(c["group"] for c in columns))
    # A narrow spacer column between column groups keeps test set x class blocks apart.
    ratios: list[float] = []
    grid_col: list[int] = []
    for g_i, group in enumerate(groups):
        if g_i:
            ratios.append(0.15)
        for _ in (c for c in columns if c["group"] == group):
            grid_col.append(len(ratios))
            ratios.append(1.0)
    return groups, ratios, grid_col


def _fig5_canvas(ratios: Sequence[float], n_rows: int, dpi: int):
    """(figure, grid spec) sized for ``n_rows`` rows of panels with these width ratios."""
    panel = 1.25
    # A bare Figure (no pyplot) draws with Agg and leaves no global state behind.
    fig = Figure(figsize=(panel * sum(ratios) + 2.2, panel * n_rows + 1.3), dpi=dpi)
    grid = fig.add_gridspec(
        n_rows,
        len(ratios),
        width_ratios=ratios,
        left=0.1,
        right=0.93,
        top=0.84,
        bottom=0.03,
        wspace=0.04,
        hspace=0.06,
    )
    return fig, grid


def _image_panel(ax: Axes, image: np.ndarray, index: int, first: bool) -> Axes:
    """Draw the shown image, titled with its index in its test set, on ``ax``."""
    ax.imshow(image)
    ax.set_title(f"#{index}", fontsize=7, pad=2)
    _clean(ax, "image" if first else None)
    return ax


def _overlay(ax: Axes, image: np.ndarray, heat: np.ndarray, cmap: str, alpha: float, ylabel: str | None):
    """Draw ``heat`` over ``image`` on ``ax``; returns the heatmap's image (for the colorbar)."""
    ax.imshow(image)
    overlay = ax.imshow(
        heat,
        cmap=cmap,
        alpha=alpha,
        vmin=0.0,
        vmax=1.0,
        interpolation="bilinear",
        extent=(-0.5, image.shape[1] - 0.5, image.shape[0] - 0.5, -0.5),
    )
    _clean(ax, ylabel)
    return overlay


def _panel_row(
    name: str, method: str, spec: Mapping[str, Any], class_name: str, row: int, col: int, heat: np.ndarray
) -> dict[str, Any]:
    """The table row of one heatmap panel (:data:`CSV_COLUMNS`)."""
    peak_y, peak_x = np.unravel_index(int(np.argmax(heat)), heat.shape)
    return {
        "model": name,
        "method": method,
        "test_set": spec["key"][0],
        "image_index": spec["key"][1],
        "class": class_name,
        "label": spec["label"],
        "panel_row": row,
        "panel_col": col,
        "peak_y": int(peak_y),
        "peak_x": int(peak_x),
        "peak_value": float(heat.max()),
        "top10_mass": top_mass(heat, 0.10),
    }


def _label_groups(
    fig: Figure,
    groups: Sequence[tuple],
    columns: Sequence[Mapping[str, Any]],
    top_axes: Sequence[Axes],
    class_names: Sequence[str],
) -> None:
    """Title each column group (test set x class) above its image row."""
    for group in groups:
        cols = [i for i, c in enumerate(columns) if c["group"] == group]
        x0, x1 = top_axes[cols[0]].get_position().x0, top_axes[cols[-1]].get_position().x1
        fig.text(
            (x0 + x1) / 2,
            0.855,
            f"{group[0]} test set: {class_names[group[1]]}",
            ha="center",
            va="bottom",
            fontsize=9,
            weight="bold",
        )


def fig5_title(models: Sequence[str], class_names: Sequence[str], target: int | None, proxy: bool) -> str:
    """Figure title; with ``proxy`` it states that procedural renders stand in for photos."""
    target_txt = f" for the {class_names[target]} class" if target is not None else ""
    title = f"Figure 5: where each model looks{target_txt} (model rows: {', '.join(models)})"
    if proxy:
        title = "PROXY " + title + "\nproxy data: procedural-world renders stand in for the paper's real photos"
    return title


def top_mass(heat: np.ndarray, fraction: float = 0.10) -> float:
    """Share of a non-negative map's total mass held by its top ``fraction`` of pixels.

    1.0 = all mass concentrated there, ``fraction`` = spread evenly; NaN for an all-zero map.
    """
    flat = np.clip(np.asarray(heat, dtype=np.float64).ravel(), 0, None)
    total = flat.sum()
    if total <= 0:
        return float("nan")
    n_top = max(1, int(np.ceil(fraction * flat.size)))
    return float(np.partition(flat, flat.size - n_top)[-n_top:].sum() / total)


def _meta_lists(rec: Mapping[str, Any]) -> tuple[list[str], list[int], list[int]]:
    meta = rec["meta"]
    n = len(rec["images"])
    for key in ("test_set", "label"):
        if len(meta.get(key, ())) != n:
            raise ValueError(
                f"heatmap record meta {key!r} must list one entry per image ({n}); pass it to save_heatmaps(meta=...)"
            )
    test_set = [str(t) for t in meta["test_set"]]
    if "index" in meta:
        index = [int(i) for i in meta["index"]]
    else:
        seen: dict[str, int] = {}
        index = []
        for t in test_set:
            index.append(seen.get(t, 0))
            seen[t] = index[-1] + 1
    return test_set, [int(v) for v in meta["label"]], index


def _index_of(rec: Mapping[str, Any], name: str) -> dict[tuple[str, int], int]:
    test_set, _, index = _meta_lists(rec)
    keys = list(zip(test_set, index))
    if len(set(keys)) != len(keys):
        raise ValueError(f"model {name!r} has repeated (test_set, index) pairs in its meta")
    return {key: pos for pos, key in enumerate(keys)}


def _select_columns(rec: Mapping[str, Any], test_sets: Sequence[str] | None, n_per_class: int) -> list[dict[str, Any]]:
    test_set, label, index = _meta_lists(rec)
    n_classes = len(rec["meta"]["class_names"])
    order = list(test_sets) if test_sets is not None else list(dict.fromkeys(test_set))
    columns = []
    for t in order:
        if t not in test_set:
            raise ValueError(f"test set {t!r} not in the heatmap records (have {sorted(set(test_set))})")
        for cls in range(n_classes):
            pos = sorted(
                (p for p in range(len(label)) if test_set[p] == t and label[p] == cls),
                key=lambda p: index[p],
            )
            for p in pos[:n_per_class]:
                columns.append({"group": (t, cls), "key": (t, index[p]), "label": cls, "pos": p})
    if not columns:
        raise ValueError("no images to show in figure 5")
    return columns


def _display_image(image: np.ndarray) -> np.ndarray:
    """``(3, H, W)`` or ``(H, W, 3)`` image -> ``(H, W, 3)`` floats in [0, 1] for imshow."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[0] in (1, 3) and image.shape[-1] not in (1, 3):
        image = np.moveaxis(image, 0, -1)
    if image.dtype == np.uint8:
        return image.astype(np.float64) / 255.0
    image = image.astype(np.float64)
    lo, hi = image.min(), image.max()
    if lo < 0 or hi > 1:
        # Normalised inputs: stretch for display only.
        image = (image - lo) / (hi - lo) if hi > lo else np.zeros_like(image)
    return image.squeeze(-1) if image.shape[-1] == 1 else image


def _clean(ax: Axes, ylabel: str | None) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=8, rotation=0, ha="right", va="center", labelpad=4)
