"""Figure 13: the search over randomization settings (domrand.search), its rounds and its pick.

A round's table ranks its entries by validation accuracy (a tie goes to the entry listed
first: the control, figure 4's variants, then the candidates); round 1 keeps `keep` of them,
round 2 picks one. Figure 13 compares, on the real test set, the control, figure 4's best
variant (chosen on test numbers, which the search never sees) and the search's pick, each
with its paired difference from the control over the same seeds and test images
(:func:`domrand.stats.paired_difference`), and shows every entry's validation accuracy per
round. The pick's settings are written as a variant to paste into a config.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import yaml

from domrand import stats
from domrand.figures.best import choose_best_variant
from domrand.figures.common import (
    CI_NOTE,
    bars,
    correct_matrix,
    epoch_note,
    interval_columns,
    read_predictions,
    save,
    title,
)
from domrand.figures.search_rounds import nested_patch
from domrand.io import atomic_path

ARMS = ("control", "fig4_best", "search_pick")
CHOSEN_BY = {
    "control": "the paper's control generator",
    "fig4_best": "highest real-test accuracy of figure 4 (chosen on the test set)",
    "search_pick": "the search: validation accuracy only",
}
PICK_VARIANT = "search_pick"


def _arm(df: pd.DataFrame, ctrl: pd.DataFrame, arm: str, entry: str) -> dict:
    g = df[df["variant"] == entry]
    if g.empty:
        raise ValueError(f"figure 13: no real-test predictions of {entry!r} ({arm}); rerun its evaluate jobs")
    r = stats.paired_difference(correct_matrix(g), correct_matrix(ctrl))
    return {
        "model": arm,
        "entry": entry,
        "chosen_by": CHOSEN_BY[arm],
        **interval_columns("accuracy", stats.accuracy_interval(correct_matrix(g))),
        "n_seeds": len(g),
        "accuracy_per_seed": ";".join(f"{x:.2f}" for x in g.sort_values("seed")["accuracy"]),
        "delta_vs_control": 100 * r["diff"],
        **{f"delta_{k}": 100 * r[k] for k in ("ci_low", "ci_high", "se_seed", "se_test")},
        "p_value": r["p_value"] if arm != "control" else np.nan,
        "significant": r["significant"] and arm != "control",
    }


def _validation(trajectory: pd.DataFrame, entry: str) -> tuple[float, int]:
    """An entry's validation accuracy in the last round it reached, and that round."""
    rows = trajectory[trajectory["entry"] == entry].sort_values("round")
    if rows.empty:
        return np.nan, 0
    return float(rows["val_accuracy"].iloc[-1]), int(rows["round"].iloc[-1])


def pick_variant_yaml(pick: pd.Series, test: dict) -> str:
    """The pick's settings as a `variants:` entry to paste into a config, with where it came from."""
    body = yaml.safe_dump({"variants": {PICK_VARIANT: nested_patch(json.loads(pick["settings"]))}}, sort_keys=False)
    return (
        f"# Figure 13's pick: {pick['entry']} ({pick['kind']}), {pick['val_accuracy']:.2f}% on the "
        f"validation split (round {pick['round']}, seed {pick['seed']});\n"
        f"# real test set: {test['accuracy_mean']:.2f}% [{test['accuracy_ci_low']:.2f}, "
        f"{test['accuracy_ci_high']:.2f}], {test['delta_vs_control']:+.2f} points vs the control.\n"
        "# A patch over the control generator: paste it under `variants:` of a config.\n" + body
    )


def fig13_search(round_csvs, fig4_csv, prediction_paths, outputs, proxy: bool) -> pd.DataFrame:
    """Figure 13 (outputs: png, table, trajectory, variant). Table: one row per model (control,
    fig4_best, search_pick) with its real-test accuracy and interval, its paired difference
    from the control, its validation accuracy (the last round it reached) and, for every row,
    ``val_to_test_gap`` = validation minus test accuracy (points)."""
    trajectory = pd.concat([pd.read_csv(p) for p in round_csvs], ignore_index=True)
    pick = trajectory[(trajectory["round"] == 2) & trajectory["kept"].astype(bool)]
    if len(pick) != 1:
        raise ValueError(f"{round_csvs[-1]}: expected one picked entry in round 2, found {len(pick)}")
    pick = pick.iloc[0]
    best = choose_best_variant(pd.read_csv(fig4_csv))
    entries = {
        "control": "control",
        "fig4_best": str(best.loc[best["chosen"], "variant"].iloc[0]),
        "search_pick": str(pick["entry"]),
    }
    df = read_predictions(prediction_paths)
    df["variant"] = df["dataset"].str.removeprefix("synth_")
    ctrl = df[df["variant"] == "control"]
    rows = []
    for arm in ARMS:
        row = _arm(df, ctrl, arm, entries[arm])
        row["val_accuracy"], row["val_round"] = _validation(trajectory, entries[arm])
        row["val_to_test_gap"] = row["val_accuracy"] - row["accuracy_mean"]
        rows.append(row)
    t = pd.DataFrame(rows)
    png, table, traj_csv, variant = (outputs[k] for k in ("png", "table", "trajectory", "variant"))
    fig = draw_search(t, trajectory, str(pick["entry"]), epoch_note(df), proxy)
    save(fig, png, t, table)
    with atomic_path(Path(traj_csv)) as tmp:
        trajectory.to_csv(tmp, index=False, float_format="%.4f")
    with atomic_path(Path(variant)) as tmp:
        tmp.write_text(pick_variant_yaml(pick, rows[ARMS.index("search_pick")]))
    return t


def draw_search(t: pd.DataFrame, trajectory: pd.DataFrame, pick: str, epochs: str, proxy: bool):
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.8), width_ratios=(1, 1.3))
    labels = {r.model: f"{r.model}\n({r.entry})" for r in t.itertuples()}
    shown = t.assign(label=t["model"].map(labels))
    bars(ax, shown, "label", palette={labels[a]: c for a, c in zip(ARMS, ("C1", "C2", "C3"))})
    for i, r in enumerate(t.itertuples()):
        if r.model != "control":
            ax.text(
                i,
                5,
                f"{r.delta_vs_control:+.1f} vs control\n[{r.delta_ci_low:+.1f}, {r.delta_ci_high:+.1f}]"
                f"{' *' if r.significant else ''}",
                ha="center",
                fontsize=7,
                color="white",
            )
    ax.set_ylim(0, 105)
    ax.set_ylabel("real test accuracy (%)")
    ax.set_title("real test set (paired 95% CI of the difference; * excludes 0)", fontsize=9)
    _trajectory(ax2, trajectory, pick)
    gap = t.loc[t["model"] == "search_pick", "val_to_test_gap"].iloc[0]
    fig.suptitle(
        title(
            "Fig. 13: randomization chosen by a search on the real domain's validation split\n"
            f"test: mean over seeds at the {epochs}, {CI_NOTE}; the pick's validation-to-test gap {gap:+.1f} points",
            proxy,
        ),
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def _trajectory(ax, trajectory: pd.DataFrame, pick: str) -> None:
    """One row per entry (round 1's order): its validation accuracy in each round it reached."""
    colors = {"anchor": "C0", "candidate": "C7"}
    first = trajectory[trajectory["round"] == 1].sort_values("rank")
    y = {e: i for i, e in enumerate(first["entry"])}
    for e in first["entry"]:
        g = trajectory[trajectory["entry"] == e].sort_values("round")
        ax.plot(g["val_accuracy"], [y[e]] * len(g), "-", color="grey", lw=0.8, zorder=1)
    for rnd, marker, fill in ((1, "o", True), (2, "s", False)):
        g = trajectory[trajectory["round"] == rnd]
        c = [colors[k] for k in g["kind"]]
        ax.scatter(
            g["val_accuracy"],
            g["entry"].map(y),
            marker=marker,
            s=36,
            zorder=3,
            facecolors=c if fill else "none",
            edgecolors=c,
            label=f"round {rnd}" + (" (small, one seed)" if rnd == 1 else " (full size)"),
        )
    last = trajectory[trajectory["entry"] == pick].sort_values("round").iloc[-1]
    ax.scatter([last["val_accuracy"]], [y[pick]], marker="*", s=180, color="C3", zorder=4, label=f"pick: {pick}")
    ax.set_yticks(range(len(y)), [f"{e} ({k})" for e, k in zip(first["entry"], first["kind"])], fontsize=7)
    ax.set_ylim(len(y) - 0.5, -0.5)
    ax.set_xlabel("validation accuracy (%)")
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title("search trajectory, in round 1's order (the tables have each entry's settings)", fontsize=9)
