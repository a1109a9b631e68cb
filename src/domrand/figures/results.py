"""Figures 2, 3, 4, 7 and 8: accuracies the workflow computed, mean and 95% CI over seeds."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from domrand.figures.common import PAPER, bars, mean_ci, read_evals, save, summarise, title


def _trained_on(dataset: str, synthetic: str) -> str:
    return "real" if dataset == "real" else "synthetic" if dataset == synthetic else dataset


def fig2_training_curves(real_histories, synth_histories, out_png, out_csv, proxy: bool) -> pd.DataFrame:
    """Test accuracy (real test set) per epoch of real- vs synthetic-trained models."""
    rows = []
    for trained_on, paths in (("real", real_histories), ("synthetic", synth_histories)):
        for p in map(Path, paths):
            h = pd.read_csv(p)
            seed = int(p.parent.name.removeprefix("seed"))
            for r in h.itertuples():
                rows.append({"trained_on": trained_on, "seed": seed, "epoch": r.epoch, "test_acc": 100 * r.test_acc,
                             "train_acc": 100 * r.train_acc, "train_loss": r.train_loss})
    df = pd.DataFrame(rows)
    table = []
    fig, ax = plt.subplots(figsize=(6, 4))
    for color, (trained_on, g) in zip(("C0", "C1"), df.groupby("trained_on", sort=False)):
        s = []
        for epoch, ge in g.groupby("epoch"):
            m, lo, hi, n = mean_ci(ge["test_acc"])
            tm, _, _, _ = mean_ci(ge["train_acc"])
            s.append({"trained_on": trained_on, "epoch": epoch, "test_acc_mean": m, "test_acc_ci_low": lo,
                      "test_acc_ci_high": hi, "train_acc_mean": tm, "n_seeds": n,
                      "test_acc_per_seed": ";".join(f"{x:.2f}" for x in ge.sort_values("seed")["test_acc"])})
        s = pd.DataFrame(s)
        table.append(s)
        ax.plot(s["epoch"], s["test_acc_mean"], "o-", color=color, label=f"trained on {trained_on}")
        if s["test_acc_ci_low"].notna().any():
            ax.fill_between(s["epoch"], s["test_acc_ci_low"], s["test_acc_ci_high"], color=color, alpha=0.2)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy on the real test set (%)")
    ax.set_ylim(40, 100)
    ax.axhline(50, color="grey", lw=0.8, ls=":")
    ax.legend()
    ax.set_title(title("Fig. 2: test accuracy per epoch (mean, 95% CI over seeds)", proxy), fontsize=9)
    table = pd.concat(table, ignore_index=True)
    save(fig, out_png, table, out_csv)
    return table


def fig3_architectures(eval_paths, out_png, out_csv, proxy: bool, synthetic: str) -> pd.DataFrame:
    df = read_evals(eval_paths)
    df["trained_on"] = [_trained_on(d, synthetic) for d in df["dataset"]]
    t = summarise(df, ["trained_on", "arch"])
    t["paper"] = [PAPER["fig3"].get((a, b), np.nan) for a, b in zip(t["trained_on"], t["arch"])]
    archs = list(dict.fromkeys(t["arch"]))
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, (trained_on, color) in enumerate((("real", "C0"), ("synthetic", "C1"))):
        g = t[t["trained_on"] == trained_on].set_index("arch").reindex(archs)
        bars(ax, archs, g["accuracy_mean"], g["accuracy_ci_low"], g["accuracy_ci_high"], color, (i - 0.5) * 0.4, 0.4,
             f"trained on {trained_on}")
    ax.set_xticks(range(len(archs)), archs)
    _finish(ax, "Fig. 3: architectures, tested on the real test set", proxy)
    save(fig, out_png, t, out_csv)
    return t


def fig4_ablation(eval_paths, out_png, out_csv, proxy: bool, variants: list[str]) -> pd.DataFrame:
    df = read_evals(eval_paths)
    df["variant"] = df["dataset"].str.removeprefix("synth_")
    t = summarise(df, ["variant"]).set_index("variant").reindex(variants).reset_index()
    t["paper"] = [PAPER["fig4"].get(v, np.nan) for v in t["variant"]]
    t["delta_vs_control"] = t["accuracy_mean"] - float(t.loc[t["variant"] == "control", "accuracy_mean"].iloc[0])
    fig, ax = plt.subplots(figsize=(9, 4))
    colors = ["C1" if v == "control" else "C2" for v in t["variant"]]
    for i, r in t.iterrows():
        bars(ax, [r["variant"]], [r["accuracy_mean"]], [r["accuracy_ci_low"]], [r["accuracy_ci_high"]], colors[i], i)
    ax.set_xticks(range(len(t)), t["variant"], rotation=30, ha="right")
    _finish(ax, "Fig. 4: ablation of each randomization parameter (synthetic-trained, real test set)", proxy)
    save(fig, out_png, t, out_csv)
    return t


def fig7_domain_transfer(eval_paths, out_png, out_csv, proxy: bool, synthetic: str) -> pd.DataFrame:
    df = read_evals(eval_paths)
    df["trained_on"] = [_trained_on(d, synthetic) for d in df["dataset"]]
    rows = []
    for trained_on, g in df.groupby("trained_on", sort=False):
        for testset, gt in g.groupby("testset", sort=False):
            m, lo, hi, n = mean_ci(gt["accuracy"])
            rows.append({"trained_on": trained_on, "tested_on": testset, "accuracy_mean": m, "accuracy_ci_low": lo,
                         "accuracy_ci_high": hi, "n_seeds": n, "paper": PAPER["fig7"].get((trained_on, testset), np.nan)})
        # Means over test sets are taken per seed, then summarised over seeds.
        per_seed = g.pivot_table(index="seed", columns="testset", values="accuracy")
        for name, cols in (("mean", list(per_seed.columns)), ("out_of_domain_mean", [c for c in per_seed.columns if c != trained_on])):
            m, lo, hi, n = mean_ci(per_seed[cols].mean(axis=1))
            rows.append({"trained_on": trained_on, "tested_on": name, "accuracy_mean": m, "accuracy_ci_low": lo,
                         "accuracy_ci_high": hi, "n_seeds": n, "paper": np.nan})
    t = pd.DataFrame(rows)
    cols = ["real", "synthetic", "toon", "mean", "out_of_domain_mean"]
    fig, ax = plt.subplots(figsize=(8, 4))
    for i, (trained_on, color) in enumerate((("real", "C0"), ("synthetic", "C1"))):
        g = t[t["trained_on"] == trained_on].set_index("tested_on").reindex(cols)
        bars(ax, cols, g["accuracy_mean"], g["accuracy_ci_low"], g["accuracy_ci_high"], color, (i - 0.5) * 0.4, 0.4,
             f"trained on {trained_on}")
    ax.set_xticks(range(len(cols)), ["real", "synthetic", "toon", "mean", "out-of-domain\nmean"])
    _finish(ax, "Fig. 7: domain transfer (columns: test set)", proxy)
    save(fig, out_png, t, out_csv)
    return t


def fig8_categories(eval_paths, out_png, out_csv, proxy: bool, tasks: dict) -> pd.DataFrame:
    df = read_evals(eval_paths)
    a = summarise(df, ["task"])
    b = summarise(df, ["task"], "accuracy_above_random")
    t = a.merge(b.drop(columns=["n_seeds"]), on="task")
    t["classes"] = [",".join(tasks[k]) for k in t["task"]]
    t["n_classes"] = [len(tasks[k]) for k in t["task"]]
    t = t.sort_values("n_classes").reset_index(drop=True)
    t["paper"] = [PAPER["fig8"].get(n, np.nan) for n in t["n_classes"]]
    labels = [f"{n} classes\n({c})" for n, c in zip(t["n_classes"], t["classes"])]
    fig, ax = plt.subplots(figsize=(8, 4))
    bars(ax, labels, t["accuracy_mean"], t["accuracy_ci_low"], t["accuracy_ci_high"], "C1", -0.2, 0.4, "accuracy")
    bars(ax, labels, t["accuracy_above_random_mean"], t["accuracy_above_random_ci_low"],
         t["accuracy_above_random_ci_high"], "C4", 0.2, 0.4, "accuracy above random (acc - 1/n)")
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    _finish(ax, "Fig. 8: more categories (synthetic-trained, real test set)", proxy, ylim=(0, 105))
    save(fig, out_png, t, out_csv)
    return t


def _finish(ax, text, proxy, ylim=(0, 105)):
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(*ylim)
    ax.axhline(50, color="grey", lw=0.8, ls=":")
    ax.legend(fontsize=8, loc="lower right") if ax.get_legend_handles_labels()[0] else None
    ax.set_title(title(text + " - mean and 95% CI over seeds", proxy), fontsize=9)
