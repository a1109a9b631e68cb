"""Figures 2, 3, 4, 7 and 8: accuracies the workflow computed, from the per-image predictions.

Every mean is over seeds; every interval is :func:`domrand.stats.accuracy_interval` (95%,
logit-scale t, seed variance + test-image sampling variance, so it stays inside [0, 100]),
and the tables carry its components (``*_se_seed``, ``*_se_test``, in points) and the
per-seed values. Figure 4's effects against the control are paired over the same test images
and seeds (:func:`domrand.stats.paired_difference`), with a t-test p-value.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from domrand import stats
from domrand.figures.common import (
    CI_NOTE,
    PAPER,
    bars,
    correct_matrix,
    epoch_note,
    interval_columns,
    mean_ci,
    paper_same_model,
    paper_values,
    read_predictions,
    save,
    summarise,
    title,
)

PALETTE = {"real": "C0", "synthetic": "C1"}


def _trained_on(dataset: str, synthetic: str) -> str:
    return "real" if dataset == "real" else "synthetic" if dataset == synthetic else dataset


def _model_note(model: str) -> str:
    """The synthetic model's name on its own title line (figures.models)."""
    return f"\n{model}" if model else ""


def fig2_training_curves(
    real_histories, synth_histories, test_predictions, out_png, out_csv, proxy: bool, model: str = ""
) -> pd.DataFrame:
    """Test accuracy (real test set) per epoch of real- vs synthetic-trained models.

    The histories hold one accuracy per epoch and seed, not per image, so the interval is
    :func:`domrand.stats.binomial_seed_interval`: seed spread plus the binomial bound on the
    test-set term, on the logit scale; ``test_predictions`` (the final models' predictions on
    the same test set) give its size."""
    sizes = set(read_predictions(test_predictions)["n_test"]) if len(test_predictions) else set()
    if len(sizes) != 1:
        raise ValueError(
            f"figure 2 needs the predictions of the real test set to count its images; got sizes {sizes} "
            f"from {list(map(str, test_predictions))}"
        )
    n_test = sizes.pop()
    rows = []
    for trained_on, paths in (("real", real_histories), ("synthetic", synth_histories)):
        for p in map(Path, paths):
            h = pd.read_csv(p)
            seed = int(p.parent.name.removeprefix("seed"))
            for r in h.itertuples():
                rows.append(
                    {
                        "trained_on": trained_on,
                        "seed": seed,
                        "epoch": r.epoch,
                        "test_acc": 100 * r.test_acc,
                        "train_acc": 100 * r.train_acc,
                        "train_loss": r.train_loss,
                    }
                )
    df = pd.DataFrame(rows)
    table = []
    for (trained_on, epoch), ge in df.groupby(["trained_on", "epoch"], sort=False):
        ge = ge.sort_values("seed")
        r = stats.binomial_seed_interval(ge["test_acc"] / 100, n_test)
        table.append(
            {
                "trained_on": trained_on,
                "epoch": epoch,
                **interval_columns("test_acc", r),
                "train_acc_mean": mean_ci(ge["train_acc"])[0],
                "n_seeds": r["n_seeds"],
                "n_test": n_test,
                "test_acc_per_seed": ";".join(f"{x:.2f}" for x in ge["test_acc"]),
            }
        )
    table = pd.DataFrame(table)
    fig, ax = plt.subplots(figsize=(6, 4))
    sns.lineplot(
        data=table, x="epoch", y="test_acc_mean", hue="trained_on", palette=PALETTE, marker="o", errorbar=None, ax=ax
    )
    for trained_on, s in table.groupby("trained_on", sort=False):
        ax.fill_between(
            s["epoch"], s["test_acc_ci_low"], s["test_acc_ci_high"], color=PALETTE[trained_on], alpha=0.2, lw=0
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy on the real test set (%)")
    ax.set_ylim(min(40, np.nanmin(np.r_[table["test_acc_ci_low"].to_numpy(float), 100]) - 2), 100)
    ax.axhline(50, color="grey", lw=0.8, ls=":")
    ax.legend(title="trained on", fontsize=8)
    ax.set_title(
        title(
            f"Fig. 2: test accuracy per epoch, mean over seeds{_model_note(model)}\n"
            "95% CI: logit-scale t, seed spread + binomial test-set bound",
            proxy,
        ),
        fontsize=9,
    )
    save(fig, out_png, table, out_csv)
    return table


def fig3_architectures(
    prediction_paths, out_png, out_csv, proxy: bool, synthetic: str, model: str = ""
) -> pd.DataFrame:
    df = read_predictions(prediction_paths)
    df["trained_on"] = [_trained_on(d, synthetic) for d in df["dataset"]]
    t = summarise(df, ["trained_on", "arch"])
    paper = paper_values(prediction_paths)["fig3"]
    t["paper"] = [paper.get((a, b), np.nan) for a, b in zip(t["trained_on"], t["arch"])]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    bars(ax, t, "arch", hue="trained_on", hue_order=["real", "synthetic"], palette=PALETTE)
    _finish(
        ax,
        t["accuracy_ci_high"],
        f"Fig. 3: architectures, tested on the real test set{_model_note(model)}",
        proxy,
        legend="trained on",
        epoch=epoch_note(df),
    )
    save(fig, out_png, t, out_csv)
    return t


def fig4_ablation(prediction_paths, out_png, out_csv, proxy: bool, variants: list[str]) -> pd.DataFrame:
    """Accuracy of each variant, and its paired difference from the control with a p-value.

    Table: the accuracy columns of :func:`summarise`, ``delta_vs_control`` with
    ``delta_ci_low``/``delta_ci_high`` and their components, ``p_value`` (paired t-test),
    ``p_holm`` (Holm-adjusted over the variants), ``significant`` (the interval excludes 0)."""
    df = read_predictions(prediction_paths)
    df["variant"] = df["dataset"].str.removeprefix("synth_")
    if "control" not in set(df["variant"]):
        raise ValueError("figure 4 compares every variant with `control`; add variants.control to the config")
    t = summarise(df, ["variant"]).set_index("variant").reindex(variants).reset_index()
    t["paper"] = [paper_values(prediction_paths)["fig4"].get(v, np.nan) for v in t["variant"]]
    t = pd.concat([t, _fig4_effects(df, t["variant"])], axis=1)
    t["p_holm"] = stats.holm(t["p_value"])
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.6), width_ratios=(1.3, 1))
    _fig4_accuracy_panel(ax, t)
    _fig4_effect_panel(ax2, t[t["variant"] != "control"].reset_index(drop=True))
    fig.suptitle(
        title(
            "Fig. 4: ablation of each randomization parameter (synthetic-trained, real test set)\n"
            f"mean over seeds at the {epoch_note(df)}, {CI_NOTE}",
            proxy,
        ),
        fontsize=9,
    )
    fig.tight_layout()
    save(fig, out_png, t, out_csv)
    return t


def _fig4_effects(df: pd.DataFrame, variants) -> pd.DataFrame:
    """Each variant's paired difference from the control (points), one row per variant in order."""
    groups = {v: g for v, g in df.groupby("variant")}
    ctrl = groups["control"]
    effects = []
    for v in variants:
        g = groups[v]
        if v != "control" and (
            list(g.sort_values("seed")["seed"]) != list(ctrl.sort_values("seed")["seed"])
            or g["paths"].iloc[0] != ctrl["paths"].iloc[0]
        ):
            raise ValueError(f"variant {v} and control must be evaluated with the same seeds on the same test images")
        r = stats.paired_difference(correct_matrix(g), correct_matrix(ctrl))
        if v == "control":
            r = {**r, "ci_low": 0.0, "ci_high": 0.0, "p_value": math.nan, "significant": False}
        effects.append(
            {
                "delta_vs_control": 100 * r["diff"],
                "delta_ci_low": 100 * r["ci_low"],
                "delta_ci_high": 100 * r["ci_high"],
                "delta_se_seed": 100 * r["se_seed"],
                "delta_se_test": 100 * r["se_test"],
                "delta_df": r["df"],
                "p_value": r["p_value"],
                "significant": r["significant"],
            }
        )
    return pd.DataFrame(effects)


def _fig4_accuracy_panel(ax, t: pd.DataFrame) -> None:
    """Figure 4's left panel: accuracy per variant, the control in its own colour."""
    palette = {v: ("C1" if v == "control" else "C2") for v in t["variant"]}
    bars(ax, t, "variant", order=list(t["variant"]), palette=palette)
    ax.tick_params(axis="x", rotation=30)
    for lab in ax.get_xticklabels():
        lab.set_ha("right")
    _finish(ax, t["accuracy_ci_high"], "", False)
    ax.set_title("accuracy per variant", fontsize=9)


def _fig4_effect_panel(ax2, eff: pd.DataFrame) -> None:
    """Figure 4's right panel: each variant's difference from the control with its interval and p."""
    y = np.arange(len(eff))
    sns.scatterplot(
        x=eff["delta_vs_control"],
        y=y,
        hue=eff["significant"].map({True: "interval excludes 0", False: "interval includes 0"}),
        palette={"interval excludes 0": "C3", "interval includes 0": "grey"},
        s=45,
        ax=ax2,
        zorder=3,
    )
    ax2.errorbar(
        eff["delta_vs_control"],
        y,
        xerr=[eff["delta_vs_control"] - eff["delta_ci_low"], eff["delta_ci_high"] - eff["delta_vs_control"]],
        fmt="none",
        ecolor="black",
        elinewidth=1,
        capsize=3,
        zorder=2,
    )
    for yi, r in zip(y, eff.itertuples()):
        ax2.annotate(
            f"{r.delta_vs_control:+.1f}  p={r.p_value:.2g}{' *' if r.significant else ''}",
            (r.delta_ci_high, yi),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
        )
    ax2.axvline(0, color="grey", lw=0.8)
    ax2.set_yticks(y, eff["variant"])
    ax2.set_ylim(len(eff) - 0.5, -0.5)
    lo, hi = np.nanmin(eff["delta_ci_low"]), np.nanmax(eff["delta_ci_high"])
    ax2.set_xlim(min(lo, 0) - 3, max(hi, 0) + 0.45 * (max(hi, 0) - min(lo, 0)) + 8)
    ax2.set_xlabel("difference from control (points), paired 95% CI")
    ax2.set_ylabel("")
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    ax2.set_title("effect vs control (* : interval excludes 0; p: paired t-test)", fontsize=9)


def _paper_cell(trained_on: str, testset: str, synthetic: str, chosen_best: bool, values: dict = PAPER) -> dict:
    """Figure 7's paper value for the same model as the row's, and that model (``values``:
    :func:`paper_values`)."""
    paper = values["fig7"].get((trained_on, testset), np.nan)
    if trained_on == "real":
        return {"paper": paper, "paper_model": "real photos" if np.isfinite(paper) else ""}
    if trained_on != "synthetic" or not np.isfinite(paper):
        return {"paper": np.nan, "paper_model": ""}
    value, which = paper_same_model(paper, synthetic, chosen_best, values)
    if not chosen_best and testset != "real":
        value, which = np.nan, ""
    return {"paper": value, "paper_model": which if np.isfinite(value) else ""}


def fig7_domain_transfer(
    prediction_paths, out_png, out_csv, proxy: bool, synthetic: str, model: str = "", chosen_best: bool = False
) -> pd.DataFrame:
    """Every model on every test set. `synthetic`: the synthetic-trained model's dataset;
    chosen_best: it is figure 4's best variant (figures.models.fig7: best), the model whose
    values the paper reports here (else the paper column holds the same variant's value only)."""
    df = read_predictions(prediction_paths)
    df["trained_on"] = [_trained_on(d, synthetic) for d in df["dataset"]]
    paper = paper_values(prediction_paths)
    rows = []
    for trained_on, g in df.groupby("trained_on", sort=False):
        mats = {ts: correct_matrix(gt) for ts, gt in g.groupby("testset", sort=False)}
        for testset, gt in g.groupby("testset", sort=False):
            r = stats.accuracy_interval(mats[testset])
            rows.append(
                {
                    "trained_on": trained_on,
                    "tested_on": testset,
                    **interval_columns("accuracy", r),
                    "n_seeds": r["n_seeds"],
                    "n_test": r["n_images"],
                    "accuracy_per_seed": ";".join(f"{x:.2f}" for x in gt.sort_values("seed")["accuracy"]),
                    "model": synthetic if trained_on == "synthetic" else trained_on,
                    **_paper_cell(trained_on, testset, synthetic, chosen_best, paper),
                }
            )
        # Means over test sets: per seed, then over seeds; the test sets' sampling variances add.
        for name, cols in (("mean", list(mats)), ("out_of_domain_mean", [c for c in mats if c != trained_on])):
            if not cols:
                continue
            r = stats.accuracy_interval([mats[c] for c in cols])
            per_seed = g[g["testset"].isin(cols)].pivot_table(index="seed", columns="testset", values="accuracy")
            rows.append(
                {
                    "trained_on": trained_on,
                    "tested_on": name,
                    **interval_columns("accuracy", r),
                    "n_seeds": r["n_seeds"],
                    "n_test": r["n_images"],
                    "accuracy_per_seed": ";".join(f"{x:.2f}" for x in per_seed.mean(axis=1)),
                    "model": synthetic if trained_on == "synthetic" else trained_on,
                    "paper": np.nan,
                    "paper_model": "",
                }
            )
    t = pd.DataFrame(rows)
    cols = ["real", "synthetic", "toon", "mean", "out_of_domain_mean"]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    bars(ax, t, "tested_on", hue="trained_on", order=cols, hue_order=["real", "synthetic"], palette=PALETTE)
    ax.set_xticks(range(len(cols)), ["real", "synthetic", "toon", "mean", "out-of-domain\nmean"])
    _finish(
        ax,
        t["accuracy_ci_high"],
        f"Fig. 7: domain transfer (columns: test set){_model_note(model)}",
        proxy,
        legend="trained on",
        epoch=epoch_note(df),
    )
    save(fig, out_png, t, out_csv)
    return t


def fig8_categories(
    prediction_paths, out_png, out_csv, proxy: bool, tasks: dict, model: str = "", chosen_best: bool = False
) -> pd.DataFrame:
    """The synthetic-trained model on the real test set of each task; chosen_best as in
    :func:`fig7_domain_transfer` (the paper's values are its best variant's)."""
    df = read_predictions(prediction_paths)
    a = summarise(df, ["task"])
    b = summarise(df, ["task"], "accuracy_above_random")
    t = a.merge(b.drop(columns=["n_seeds", "n_test"]), on="task")
    t["classes"] = [",".join(tasks[k]) for k in t["task"]]
    t["n_classes"] = [len(tasks[k]) for k in t["task"]]
    t = t.sort_values("n_classes").reset_index(drop=True)
    synthetic = df["dataset"].iloc[0]
    paper = paper_values(prediction_paths)
    cells = [
        paper_same_model(paper["fig8"].get(n, np.nan), synthetic, chosen_best, paper)
        if chosen_best or n == 2
        else (np.nan, "")
        for n in t["n_classes"]
    ]
    t["paper"] = [v for v, _ in cells]
    t["paper_model"] = [m if np.isfinite(v) else "" for v, m in cells]
    labels = [f"{n} classes\n({c})" for n, c in zip(t["n_classes"], t["classes"])]
    long = pd.concat(
        [
            t.assign(
                label=labels, measure=name, **{f"value_{k}": t[f"{col}_{k}"] for k in ("mean", "ci_low", "ci_high")}
            )
            for name, col in (("accuracy", "accuracy"), ("accuracy above random (acc - 1/n)", "accuracy_above_random"))
        ],
        ignore_index=True,
    )
    fig, ax = plt.subplots(figsize=(8, 4.2))
    bars(
        ax,
        long,
        "label",
        value="value",
        hue="measure",
        order=labels,
        palette={"accuracy": "C1", "accuracy above random (acc - 1/n)": "C4"},
    )
    ax.tick_params(axis="x", labelsize=8)
    _finish(
        ax,
        long["value_ci_high"],
        "Fig. 8: more categories (synthetic-trained, real test set)" + _model_note(model),
        proxy,
        epoch=epoch_note(df),
    )
    save(fig, out_png, t, out_csv)
    return t


def _finish(ax, highs, text, proxy, legend: str | None = None, epoch: str | None = None):
    """Axis labels, a y range with room for the labels above the error bars, the legend
    right of the plot, and the title naming the interval."""
    ax.set_ylabel("accuracy (%)")
    top = np.nanmax(np.r_[np.asarray(highs, float), 100])
    ax.set_ylim(0, top + 9)
    ax.axhline(50, color="grey", lw=0.8, ls=":")
    if ax.get_legend() is not None:
        sns.move_legend(
            ax, "upper left", bbox_to_anchor=(1.01, 1.0), title=legend, fontsize=8, title_fontsize=8, frameon=False
        )
    if text:
        shown = f" at the {epoch}" if epoch else ""
        ax.set_title(title(f"{text}\nmean over seeds{shown}, {CI_NOTE}", proxy), fontsize=9)
