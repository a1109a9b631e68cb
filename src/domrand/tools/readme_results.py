"""The README's results and docs/results.md, generated from a finished run so they cannot go stale.

`python -m domrand.tools.readme_results [RUN_DIR [COMMAND [COMMIT]]]` copies RUN_DIR/results/tables/*.csv
(default: this checkout's run) and small copies of the gallery's figures to docs/results/default/
with a run.json (date, commit, command, wall time read from Snakemake's log of the run), then
rewrites the block between the markers in README.md (findings and one summary table) and in
docs/results.md (every table) from those copies. Tests check that both blocks are what the
committed tables give, and that a run the tests make renders into blocks with its own numbers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd

from domrand.tools.blocks import read_block, write_block
from domrand.tools.concurrency import LogError, newest_log, parse_log, parse_stamp, summarise
from domrand.tools.machine import describe

BEGIN = (
    "<!-- results: written by `python -m domrand.tools.readme_results` from docs/results/default; a test checks it -->"
)
END = "<!-- /results -->"
TABLES_BEGIN = (
    "<!-- tables: written by `python -m domrand.tools.readme_results` from docs/results/default; a test checks it -->"
)
TABLES_END = "<!-- /tables -->"
RESULTS_DOC = Path("docs/results.md")
SNAPSHOT = Path("docs/results/default")
TABLES = (
    "fig3_architectures",
    "fig4_ablation",
    "fig5_faithfulness",
    "fig7_domain_transfer",
    "fig8_categories",
    "domain_realism",
    "subject_realism",
    "occlusion",
    "fig9_breed_scaling",
    "fig10_real_mixing",
    "fig11_data_size",
    "fig12_parameter_errors",
    "fig13_search",
)
# The README's gallery: these figures of the run, copied at GALLERY_WIDTH px into SNAPSHOT/figures.
GALLERY = (
    "fig1_examples",
    "fig4_ablation",
    "fig5_heatmaps",
    "fig7_domain_transfer",
    "fig9_breed_scaling",
    "fig13_search",
    "subject_realism",
    "domain_realism",
)
GALLERY_WIDTH = 900


def ci(r, value: str = "accuracy") -> str:
    """'84.8 (81.2-88.0)' from a table row's mean and interval columns."""
    m, lo, hi = (r[f"{value}_{k}"] for k in ("mean", "ci_low", "ci_high"))
    return f"{m:.1f} ({lo:.1f}-{hi:.1f})" if pd.notna(lo) else f"{m:.1f}"


def _paper(v) -> str:
    return "" if pd.isna(v) else f"{v:.1f}"


def _num(v, fmt: str = ".1f") -> str:
    return "" if pd.isna(v) else format(v, fmt)


def _p_cell(v) -> str:
    """A p-value for a table cell: two significant digits, '< 0.0001' below that, blank if none."""
    if v is None or pd.isna(v):
        return ""
    return "< 0.0001" if float(v) < 0.0001 else f"{float(v):.2g}"


def _faithfulness(t: pd.DataFrame) -> list[str]:
    out = [
        "",
        "Figure 5, faithfulness of the heatmaps (mean over test images, 95% t-interval across images; "
        "gains: area under the deletion or insertion curve of the map against the same map shifted, "
        "> 0 when the map points at what the model uses; rank correlation: trained vs randomised "
        "model, the sanity check):",
        "",
        "| model | test set | method | measure (baseline) | mean (95% CI) | verdict |",
        "|---|---|---|---|---|---|",
    ]
    keep = t[t["measure"].isin(["deletion_gain", "insertion_gain", "rank_corr"])]
    for _, r in keep.iterrows():
        base = "" if r["baseline"] == "-" else f" ({r['baseline']})"
        out.append(
            f"| {r['model']} | {r['test_set']} | {r['method']} | {r['measure']}{base} | "
            f"{r['mean']:.3f} ({r['ci_low']:.3f} to {r['ci_high']:.3f}) | {r['verdict']} |"
        )
    return out


def _occlusion(t: pd.DataFrame) -> list[str]:
    out = [
        "",
        "Occlusion by obstructors (`results/tables/occlusion.csv`; hidden = share of the subject's "
        "pixels an obstructor covers):",
        "",
        "| images of | class | n | some subject hidden (%) | mean hidden (%) | median hidden (%) |",
        "|---|---|---|---|---|---|",
    ]
    for _, r in t[t["mean_obstructors"] > 0].iterrows():
        out.append(
            f"| {r['source']} | {r['class']} | {r['images']} | {100 * r['share_occluded']:.0f} | "
            f"{100 * r['mean_hidden']:.1f} | {100 * r['hidden_q50']:.1f} |"
        )
    return out


def _beyond(t9: pd.DataFrame, t10: pd.DataFrame, t11: pd.DataFrame, t12: pd.DataFrame) -> list[str]:
    out = [
        "",
        "Figure 9 (breeds per class in the synthetic training set, real test set; difference from "
        "the fewest breeds paired over the same images and seeds):",
        "",
        "| breeds per class | breed draws | accuracy | difference from the fewest | p |",
        "|---|---|---|---|---|",
    ]
    for _, r in t9.iterrows():
        if r["breed_count"] == "real-trained":
            out.append(f"| real-trained (reference) | | {ci(r)} | | |")
            continue
        d = (
            ""
            if pd.isna(r.get("delta_ci_low"))
            else (f"{r['delta_vs_fewest']:+.1f} ({r['delta_ci_low']:+.1f} to {r['delta_ci_high']:+.1f})")
        )
        out.append(f"| {r['breeds_per_class']:.0f} | {_draws(r)} | {ci(r)} | {d} | {_p_cell(r.get('p_value'))} |")
    out += [
        "",
        "Figure 10 (k real training images per class, real test set):",
        "",
        "| k | synthetic + k real | k real alone |",
        "|---|---|---|",
    ]
    for k, g in t10.groupby("k", sort=False):
        cells = {
            r["curve"]: (ci(r) if pd.notna(r["accuracy_mean"]) else (r.get("note") or "")) for _, r in g.iterrows()
        }
        out.append(f"| {k} | {cells.get('synthetic + k real', '')} | {cells.get('k real alone', '')} |")
    out += [
        "",
        "Figure 11 (synthetic training images per class):",
        "",
        "| images per class | real test set | synthetic test set |",
        "|---|---|---|",
    ]
    for n, g in t11.groupby("n", sort=False):
        cells = {r["testset"]: ci(r) for _, r in g.iterrows()}
        out.append(f"| {n} | {cells.get('real', '')} | {cells.get('synthetic', '')} |")
    out += [
        "",
        "Figure 12 (error rate of the synthetic-trained model per bin of each randomized parameter; "
        "lowest and highest bin, Wilson 95% CI):",
        "",
        "| test set | parameter | lowest error: bin, % (CI) | highest error: bin, % (CI) |",
        "|---|---|---|---|",
    ]

    def cell(r):
        return (
            f"{r['bin']}: {100 * r['error_rate']:.0f} "
            f"({100 * r['ci_low']:.0f}-{100 * r['ci_high']:.0f}, n={r['n_images']})"
        )

    for (ts, _par), g in t12[t12["n_images"] >= 10].groupby(["testset", "parameter"], sort=False):
        lo, hi = g.loc[g["error_rate"].idxmin()], g.loc[g["error_rate"].idxmax()]
        out.append(f"| {ts} | {g['label'].iloc[0]} | {cell(lo)} | {cell(hi)} |")
    return out


def _p(value) -> str:
    """'= 0.0012', '< 0.0001' or ' n/a': a p-value inside a sentence (`_p_cell` formats it)."""
    cell = _p_cell(value)
    return " n/a" if not cell else cell if cell.startswith("<") else f"= {cell}"


def _draws(r) -> str:
    """A figure 9 row's number of breed draws (one per seed below `all`)."""
    v = r.get("breed_draws")
    return "" if v is None or pd.isna(v) else f"{int(v)}"


def _subjects(t: pd.DataFrame) -> str:
    """The synthetic subjects' realism per class against the reference pool, and the worst breed."""
    pooled = t[(t["pool"] == "synthetic") & (t["breed"] == "all")]
    cells = []
    for _, r in pooled.iterrows():
        ref = "" if pd.isna(r.get("reference_share")) else f" vs {r['reference_share']:.0f}% of the proxy-real ones"
        cells.append(f"{r['class']} {r['share']:.0f}% ({r['ci_low']:.0f}-{r['ci_high']:.0f}){ref}")
    worst = pooled.loc[pooled["worst_share"].idxmin()] if len(pooled) else None
    n = int(t.loc[t["breed"] != "all", "n"].min()) if (t["breed"] != "all").any() else 0
    tail = (
        f"; the least recognised synthetic breed, {worst['worst_breed']}, {worst['worst_share']:.0f}% of {n} images"
        if worst is not None
        else ""
    )
    return (
        "- Subjects: under one photo-like generator, the ImageNet classifier's top-5 holds the right "
        "family for the synthetic breeds' " + "; ".join(cells) + tail + "."
    )


def findings(t: dict[str, pd.DataFrame]) -> list[str]:
    """The run's claims, each read off the tables by a stated rule (so none is typed by hand)."""
    f7 = t["fig7_domain_transfer"].set_index(["trained_on", "tested_on"])
    out = [
        "**What this run shows** (each line computed from the tables by `domrand.tools.readme_results.findings`):",
        "",
    ]
    real, synth = f7.loc[("real", "real")], f7.loc[("synthetic", "real")]
    out.append(
        f"- Domain gap: on the real test set the synthetic-trained model scores "
        f"{synth['accuracy_mean'] - real['accuracy_mean']:+.1f} points against the real-trained one "
        f"({ci(synth)} vs {ci(real)}); chance is 50."
    )
    out.append(_subjects(t["subject_realism"]))
    out.append(_ablation(t["fig4_ablation"].set_index("variant"), t["fig9_breed_scaling"]))
    out.append(_breed_scaling(t["fig9_breed_scaling"]))
    out.append(_real_mixing(t["fig10_real_mixing"], synth))
    out.append(_heatmaps(t["fig5_faithfulness"]))
    out.append(_search(t["fig13_search"]))
    realism = t["domain_realism"]
    by = realism.groupby("kind")["share"].mean()
    out.append(
        "- Domain realism (mean over classes of the share of test images recognised in the ImageNet "
        "top-5): " + "; ".join(f"{k} {v:.0f}%" for k, v in by.items()) + "."
    )
    return out


def _ablation(f4: pd.DataFrame, t9: pd.DataFrame) -> str:
    """Figure 4's line: the variants whose paired interval excludes 0 (with their breed draws
    from figure 9's table), or that none does."""
    sig = f4[(f4.index != "control") & f4["significant"].astype(bool)]
    n_tests = int((f4.index != "control").sum())
    draws = {r["dataset"].removeprefix("synth_"): _draws(r) for _, r in t9.iterrows() if isinstance(r["dataset"], str)}

    def name(v):
        d = draws.get(v, "")
        return f"`{v}` ({d} breed draws, one per seed)" if d and d != "1" else f"`{v}`"

    if not len(sig):
        return "- No ablation's paired 95% interval excludes 0: no effect is claimed."
    held = sig[sig["p_holm"].astype(float) < 0.05]
    return (
        "- Ablation effects whose paired 95% interval excludes 0: "
        + "; ".join(
            f"{name(v)} {r['delta_vs_control']:+.1f} ({r['delta_ci_low']:+.1f} to {r['delta_ci_high']:+.1f}, "
            f"p {_p(r['p_value'])}, Holm-adjusted over the {n_tests} variants p {_p(r['p_holm'])})"
            for v, r in sig.iterrows()
        )
        + f"; {len(held)} of them also below 0.05 after the Holm adjustment. "
        "Every other variant's interval includes 0: no effect is claimed."
    )


def _breed_scaling(t9: pd.DataFrame) -> str:
    """Figure 9's line: the most breeds per class against the fewest, and what that says of the
    paper's conjecture."""
    t9 = t9[t9["breed_count"] != "real-trained"].sort_values("breeds_per_class")
    top, fewest = t9.iloc[-1], t9.iloc[0]
    if pd.isna(top.get("delta_ci_low")):
        verdict = "cannot say (no paired interval)"
    elif top["delta_ci_low"] > 0:
        verdict = "supports the paper's conjecture that more subject models help"
    elif top["delta_ci_high"] < 0:
        verdict = "contradicts the paper's conjecture"
    else:
        verdict = "neither supports nor contradicts the paper's conjecture (the interval includes 0)"
    return (
        f"- Figure 9: {top['breeds_per_class']:.0f} breeds per class against {fewest['breeds_per_class']:.0f} "
        f"({_draws(fewest)} breed draws, one per seed; the interval holds the draw-to-draw variance): "
        f"{top['delta_vs_fewest']:+.1f} points ({_num(top['delta_ci_low'], '+.1f')} to "
        f"{_num(top['delta_ci_high'], '+.1f')}), which {verdict}."
    )


def _real_mixing(t10: pd.DataFrame, synth: pd.Series) -> str:
    """Figure 10's line: the synthetic set alone, and from how many real images alone reach it."""
    synth0 = t10[(t10["curve"] == "synthetic + k real")].iloc[0]
    alone = t10[(t10["curve"] == "k real alone") & t10["accuracy_mean"].notna()]
    reach = alone[alone["accuracy_mean"] >= synth0["accuracy_mean"]]
    same = str(synth0.get("accuracy_per_seed")) == str(synth.get("accuracy_per_seed"))
    return (
        "- Figure 10: the synthetic set alone scores "
        + ci(synth0)
        + (" (per seed, figure 7's synthetic-trained model)" if same else "")
        + "; "
        + (
            f"real images alone reach that mean from k = {reach.iloc[0]['k']} per class on."
            if len(reach)
            else "no k of real images alone reaches that mean in this run."
        )
    )


def _heatmaps(f5: pd.DataFrame) -> str:
    """Figure 5's line: how many faithfulness gains beat the shifted map, how many sanity checks pass."""
    gains = f5[f5["measure"].str.endswith("_gain")]
    sanity = f5[f5["measure"] == "rank_corr"]
    return (
        f"- Heatmaps: {int((gains['verdict'] == 'beats shifted').sum())} of {len(gains)} deletion/insertion "
        f"gains beat the same map shifted (interval above 0), "
        f"{int((gains['verdict'] == 'worse than shifted').sum())} are worse; "
        f"{int((sanity['verdict'] == 'passes').sum())} of {len(sanity)} model-randomisation checks pass."
    )


def _search(t13: pd.DataFrame) -> str:
    """Figure 13's line: the search's pick against the control, claimed only where the paired
    interval excludes 0, beside figure 4's best variant (chosen on the test set)."""
    rows = t13.set_index("model")
    pick, best = rows.loc["search_pick"], rows.loc["fig4_best"]

    def vs(r) -> str:
        return f"{r['delta_vs_control']:+.1f} points ({r['delta_ci_low']:+.1f} to {r['delta_ci_high']:+.1f})"

    if pick["entry"] == "control":
        verdict = "so the search keeps the control"
    elif not bool(pick["significant"]):
        verdict = "an interval that includes 0: no difference is claimed"
    else:
        better = pick["delta_vs_control"] > 0
        verdict = f"{'better' if better else 'worse'} than the control (the paired 95% interval excludes 0)"
    return (
        f"- Figure 13: a search that sees only the real domain's validation split picks `{pick['entry']}`: "
        f"{ci(pick)} on the real test set, {vs(pick)} against the control, {verdict}; figure 4's best "
        f"variant chosen on the test set itself, `{best['entry']}`, {vs(best)}. The pick scored "
        f"{pick['val_accuracy']:.1f} on validation, {abs(pick['val_to_test_gap']):.1f} points "
        f"{'below' if pick['val_to_test_gap'] < 0 else 'above'} its test accuracy."
    )


def _search_table(t13: pd.DataFrame) -> list[str]:
    """docs/results.md's figure 13 rows: each model's real-test accuracy and its paired
    difference from the control over seeds, with how it was chosen."""
    out = [
        "",
        "Figure 13 (the search's pick, real test set; paired difference from the control over seeds "
        "and test images, 95% CI):",
        "",
        "| model | settings | chosen by | accuracy | vs control | p | validation accuracy |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in t13.iterrows():
        delta = (
            ""
            if r["model"] == "control"
            else f"{r['delta_vs_control']:+.1f} ({r['delta_ci_low']:+.1f} to {r['delta_ci_high']:+.1f})"
        )
        out.append(
            f"| {r['model']} | `{r['entry']}` | {r['chosen_by']} | {ci(r)} | {delta} | {_p_cell(r['p_value'])} "
            f"| {_num(r['val_accuracy'])} |"
        )
    return out


def _paper_cell(r) -> str:
    """The paper's value with the paper's model it belongs to, where the table names one."""
    v = _paper(r.get("paper"))
    model = r.get("paper_model")
    return f"{v} ({model})" if v and isinstance(model, str) and model else v


def _read(tables: Path) -> dict[str, pd.DataFrame]:
    t = {name: pd.read_csv(tables / f"{name}.csv") for name in TABLES if (tables / f"{name}.csv").exists()}
    missing = sorted(set(TABLES) - set(t))
    if missing:
        raise FileNotFoundError(
            f"{tables} lacks {', '.join(m + '.csv' for m in missing)}: run the whole workflow first"
        )
    return t


def _run_line(run: dict | None) -> list[str]:
    if not run:
        return []
    machine = f" on {run['machine']}" if run.get("machine") else ""
    busy = f", mean concurrency {run['mean_concurrency']:.2f} jobs" if run.get("mean_concurrency") is not None else ""
    return [
        f"Run of {run['date']} at commit {run['commit']} (`{run['command']}`){machine}: wall time "
        f"{run['wall_time']}{busy}; tables in `{SNAPSHOT}/tables/`.\n"
    ]


def render_block(tables: Path, run: dict | None = None) -> str:
    """The README's block: the findings and one summary table of the tables folder `tables`."""
    t = _read(tables)
    out = _run_line(run) + findings(t) + [""]
    f7 = t["fig7_domain_transfer"].set_index(["trained_on", "tested_on"])
    f4 = t["fig4_ablation"].set_index("variant")
    model = f7.loc[("synthetic", "real")].get("model")
    model = f" ({model})" if isinstance(model, str) else ""
    out += ["| result | ours: mean (95% CI) | paper (its model) |", "|---|---|---|"]
    rows = [
        (f"synthetic-trained{model} on the real test set", f7.loc[("synthetic", "real")]),
        (f"synthetic-trained{model} on the synthetic test set", f7.loc[("synthetic", "synthetic")]),
        ("real-trained on the real test set", f7.loc[("real", "real")]),
    ]
    if "no_breeds" in f4.index:
        rows.append(
            (
                "`no_breeds` (one breed per class) on the real test set",
                {**f4.loc["no_breeds"].to_dict(), "paper_model": "no_breeds"},
            )
        )
    for label, r in rows:
        out.append(f"| {label} | {ci(r)} | {_paper_cell(r)} |")
    return "\n".join(out)


def render_tables(tables: Path, run: dict | None = None) -> str:
    """docs/results.md's block: every table of the run, in Markdown."""
    t = _read(tables)
    out = _run_line(run)
    out += [
        "Figure 3 (architectures, real test set):",
        "",
        "| trained on | architecture | accuracy | paper |",
        "|---|---|---|---|",
    ]
    for _, r in t["fig3_architectures"].iterrows():
        out.append(f"| {r['trained_on']} | {r['arch']} | {ci(r)} | {_paper(r['paper'])} |")
    out += [
        "",
        "Figure 4 (ablation, real test set; difference from the control with its paired 95% CI and "
        "p-value, and the p-value Holm-adjusted over the variants; **bold**: the interval excludes 0):",
        "",
        "| variant | accuracy | difference | p | p (Holm) | paper |",
        "|---|---|---|---|---|---|",
    ]
    for v, r in t["fig4_ablation"].set_index("variant").iterrows():
        if v == "control":
            out.append(f"| control | {ci(r)} | | | | {_paper(r['paper'])} |")
            continue
        d = f"{r['delta_vs_control']:+.1f} ({r['delta_ci_low']:+.1f} to {r['delta_ci_high']:+.1f})"
        d = f"**{d}**" if bool(r["significant"]) else d
        out.append(f"| {v} | {ci(r)} | {d} | {_p_cell(r['p_value'])} | {_p_cell(r['p_holm'])} | {_paper(r['paper'])} |")
    out += [
        "",
        "Figure 7 (domain transfer):",
        "",
        "| trained on | tested on | accuracy | paper (its model) |",
        "|---|---|---|---|",
    ]
    for (a, b), r in t["fig7_domain_transfer"].set_index(["trained_on", "tested_on"]).iterrows():
        out.append(f"| {a} | {b.replace('_', ' ')} | {ci(r)} | {_paper_cell(r)} |")
    out += [
        "",
        "Figure 8 (more classes, real test set):",
        "",
        "| task | accuracy | above random | paper (its model) |",
        "|---|---|---|---|",
    ]
    for _, r in t["fig8_categories"].iterrows():
        out.append(f"| {r['task']} ({r['classes']}) | {ci(r)} | {ci(r, 'accuracy_above_random')} | {_paper_cell(r)} |")
    out += [
        "",
        "Subject realism (every subject pool under one photo-like generator; share of images whose "
        "ImageNet top-5 holds a class of their family, Wilson 95% CI; worst breed of each pool and class):",
        "",
        "| pool | class | n | recognised (%) | proxy-real pool (%) | worst breed (%) |",
        "|---|---|---|---|---|---|",
    ]
    sr = t["subject_realism"]
    for _, r in sr[sr["breed"] == "all"].iterrows():
        out.append(
            f"| {r['pool']} | {r['class']} | {r['n']} | {r['share']:.0f} ({r['ci_low']:.0f}-{r['ci_high']:.0f}) "
            f"| {_num(r.get('reference_share'), '.0f')} | {r['worst_breed']}: {r['worst_share']:.0f} |"
        )
    out += [
        "",
        "Domain realism (share of test images whose ImageNet top-5 holds a class of their family, Wilson 95% CI):",
        "",
        "| dataset | class | n | recognised (%) |",
        "|---|---|---|---|",
    ]
    for _, r in t["domain_realism"].iterrows():
        out.append(
            f"| {r['dataset']} ({r['kind']}) | {r['class']} | {r['n']} | "
            f"{r['share']:.0f} ({r['ci_low']:.0f}-{r['ci_high']:.0f}) |"
        )
    out += _faithfulness(t["fig5_faithfulness"]) + _occlusion(t["occlusion"])
    out += _search_table(t["fig13_search"])
    out += ["", "Beyond the paper:"]
    out += _beyond(t["fig9_breed_scaling"], t["fig10_real_mixing"], t["fig11_data_size"], t["fig12_parameter_errors"])
    return "\n".join(out)


def readme_block(text: str) -> str | None:
    return read_block(text, BEGIN, END)


def tables_block(text: str) -> str | None:
    return read_block(text, TABLES_BEGIN, TABLES_END)


def update_readme(readme: Path, block: str) -> bool:
    return write_block(readme, BEGIN, END, block)


def _log_stamps(run_dir: Path) -> list[datetime]:
    """The timestamps of the newest Snakemake log in the run, in order."""
    log = newest_log(run_dir)
    stamps = [t for line in log.read_text().splitlines() if (t := parse_stamp(line)) is not None]
    if not stamps:
        raise ValueError(f"{log} has no job timestamps: not a finished Snakemake run's log")
    return stamps


def _concurrency(run_dir: Path) -> float | None:
    """Mean concurrency of the run (domrand.tools.concurrency) from its newest Snakemake log,
    rounded to 2 decimals; None when the log names no finished job."""
    try:
        return round(summarise(parse_log(newest_log(run_dir).read_text()))["mean_concurrency"], 2)
    except LogError:
        return None


def _duration(stamps: list[datetime]) -> str:
    secs = int((stamps[-1] - stamps[0]).total_seconds())
    return f"{secs // 60} min {secs % 60:02d} s"


def wall_time(run_dir: Path) -> str:
    """First to last timestamp of the newest Snakemake log in the run (the whole run's wall time
    when it was made by one `snakemake` call)."""
    return _duration(_log_stamps(run_dir))


def small_copy(src: Path, dst: Path, width: int = GALLERY_WIDTH) -> None:
    """A copy of the PNG `src` at most `width` px wide (aspect kept), in 256 colours, for the
    README's gallery."""
    from PIL import Image

    with Image.open(src) as im:
        im = im.convert("RGB")
        if im.width > width:
            im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
        im.quantize(colors=256).save(dst, format="PNG", optimize=True)  # a plot needs no more colours


def snapshot(run_dir: Path, repo: Path, command: str, commit: str | None = None) -> dict:
    """Copy the run's tables and small copies of the gallery's figures into the repo's snapshot
    folder, with run.json."""
    # First: a folder that holds no finished run stops here, before the old snapshot is removed.
    stamps = _log_stamps(run_dir)
    missing = [f"tables/{t}.csv" for t in TABLES if not (run_dir / "results" / "tables" / f"{t}.csv").exists()]
    missing += [f"{g}.png" for g in GALLERY if not (run_dir / "results" / f"{g}.png").exists()]
    if missing:
        raise FileNotFoundError(
            f"{run_dir}/results/tables lacks {', '.join(missing)}: run the whole workflow "
            "(`bash setup.sh run`) there first"
        )
    dst = repo / SNAPSHOT
    if dst.exists():
        shutil.rmtree(dst)
    (dst / "tables").mkdir(parents=True)
    for p in sorted((run_dir / "results" / "tables").glob("*.csv")):
        shutil.copy2(p, dst / "tables" / p.name)
    (dst / "figures").mkdir()
    for name in GALLERY:
        small_copy(run_dir / "results" / f"{name}.png", dst / "figures" / f"{name}.png")
    commit = (
        commit
        or subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        or "unknown"
    )
    run = {
        "date": stamps[0].strftime("%Y-%m-%d"),
        "commit": commit,
        "command": command,
        "wall_time": _duration(stamps),
        "machine": describe(),  # the snapshot is taken where the run was made
        "mean_concurrency": _concurrency(run_dir),
    }
    (dst / "run.json").write_text(json.dumps(run, indent=1) + "\n")
    return run


def main(argv: list[str]) -> None:
    if argv and argv[0] in ("-h", "--help"):
        print(
            "usage: python -m domrand.tools.readme_results [RUN_DIR [COMMAND [COMMIT]]]\n"
            "copies RUN_DIR/results/tables to docs/results/default and rewrites README.md's results block"
        )
        return
    repo = Path(__file__).resolve().parents[3]
    run_dir = Path(argv[0]) if argv else repo
    command = argv[1] if len(argv) > 1 else "bash setup.sh run"
    snapshot(run_dir, repo, command, argv[2] if len(argv) > 2 else None)  # the commit the run was made at
    run = json.loads((repo / SNAPSHOT / "run.json").read_text())
    tables = repo / SNAPSHOT / "tables"
    changed = update_readme(repo / "README.md", render_block(tables, run))
    print("README.md results " + ("updated" if changed else "already current"))
    changed = write_block(repo / RESULTS_DOC, TABLES_BEGIN, TABLES_END, render_tables(tables, run))
    print(f"{RESULTS_DOC} tables " + ("updated" if changed else "already current"))


if __name__ == "__main__":
    main(sys.argv[1:])
