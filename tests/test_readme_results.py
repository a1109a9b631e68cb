"""The README's Results block is generated from committed tables of a finished default run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from domrand.tools.readme_results import (
    GALLERY,
    RESULTS_DOC,
    SNAPSHOT,
    TABLES,
    readme_block,
    render_block,
    render_tables,
    tables_block,
    update_readme,
    wall_time,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="not a git checkout")
def test_snapshot_is_not_ignored_by_git():
    """A clean clone has only what git tracks: an ignore pattern that hides the snapshot would
    pass here (the files exist) and fail on CI."""
    import subprocess

    paths = [str(SNAPSHOT / "run.json")] + [str(SNAPSHOT / "tables" / f"{t}.csv") for t in TABLES]
    paths += [str(SNAPSHOT / "figures" / f"{g}.png") for g in GALLERY]
    ignored = subprocess.run(
        ["git", "-C", str(REPO), "check-ignore", "--no-index", *paths], capture_output=True, text=True
    )
    assert ignored.stdout.strip() == "", f"ignored by .gitignore, so missing from a clone: {ignored.stdout}"


def test_readme_results_are_what_the_committed_tables_give():
    import json

    block = readme_block((REPO / "README.md").read_text())
    assert block is not None, "README.md has no results block: run `python -m domrand.tools.readme_results`"
    run = json.loads((REPO / SNAPSHOT / "run.json").read_text())
    assert block == render_block(REPO / SNAPSHOT / "tables", run), (
        "README.md's results are stale: run `python -m domrand.tools.readme_results` on a finished run"
    )
    tables = tables_block((REPO / RESULTS_DOC).read_text())
    assert tables == render_tables(REPO / SNAPSHOT / "tables", run), (
        f"{RESULTS_DOC} is stale: run `python -m domrand.tools.readme_results` on a finished run"
    )


def test_gallery_shows_the_snapshots_figures():
    readme = (REPO / "README.md").read_text()
    for g in GALLERY:
        path = SNAPSHOT / "figures" / f"{g}.png"
        assert f"]({path})" in readme, f"README.md's gallery lacks {path}"
        assert (REPO / path).exists(), f"{path} is missing: run `python -m domrand.tools.readme_results`"


def _tables(tmp: Path) -> Path:
    """Minimal tables in the columns the figures write, with known numbers."""
    d = tmp / "tables"
    d.mkdir()
    acc = {"accuracy_mean": 80.0, "accuracy_ci_low": 75.5, "accuracy_ci_high": 84.25, "paper": 85.36}
    pd.DataFrame([{"trained_on": "real", "arch": "dropout", **acc}]).to_csv(d / "fig3_architectures.csv", index=False)
    pd.DataFrame(
        [
            {
                "variant": "control",
                **acc,
                "delta_vs_control": 0,
                "delta_ci_low": 0,
                "delta_ci_high": 0,
                "p_value": float("nan"),
                "significant": False,
            },
            {
                "variant": "no_breeds",
                **{**acc, "accuracy_mean": 60.0},
                "delta_vs_control": -20.0,
                "delta_ci_low": -25.0,
                "delta_ci_high": -15.0,
                "p_value": 0.001,
                "significant": True,
                "p_holm": 0.07,
            },
        ]
    ).to_csv(d / "fig4_ablation.csv", index=False)
    pd.DataFrame(
        [
            {
                "trained_on": a,
                "tested_on": b,
                **acc,
                "accuracy_per_seed": "80.00;79.00;81.00",
                "model": "synth_control" if a == "synthetic" else a,
                "paper_model": {"real": "real photos", "synthetic": "control"}[a],
            }
            for a in ("real", "synthetic")
            for b in ("real", "synthetic", "toon")
        ]
    ).to_csv(d / "fig7_domain_transfer.csv", index=False)
    pd.DataFrame(
        [
            {
                "pool": "synthetic",
                "class": "cat",
                "breed": "all",
                "n": 240,
                "recognised": 168,
                "share": 70.0,
                "ci_low": 63.9,
                "ci_high": 75.4,
                "worst_breed": "cat07",
                "worst_share": 35.0,
                "reference_share": 78.0,
                "gap_to_reference": -8.0,
            },
            {
                "pool": "synthetic",
                "class": "cat",
                "breed": "cat07",
                "n": 20,
                "recognised": 7,
                "share": 35.0,
                "ci_low": 18.1,
                "ci_high": 56.7,
            },
            {
                "pool": "real",
                "class": "cat",
                "breed": "all",
                "n": 160,
                "recognised": 125,
                "share": 78.0,
                "ci_low": 71.1,
                "ci_high": 83.7,
                "worst_breed": "cat_real03",
                "worst_share": 60.0,
                "reference_share": 78.0,
                "gap_to_reference": 0.0,
            },
        ]
    ).to_csv(d / "subject_realism.csv", index=False)
    pd.DataFrame(
        [
            {
                "task": "cat_dog",
                "classes": "cat,dog",
                **acc,
                "accuracy_above_random_mean": 30.0,
                "accuracy_above_random_ci_low": 25.5,
                "accuracy_above_random_ci_high": 34.25,
            }
        ]
    ).to_csv(d / "fig8_categories.csv", index=False)
    pd.DataFrame(
        [
            {
                "dataset": "real",
                "kind": "proxy real",
                "class": "cat",
                "n": 100,
                "recognised": 55,
                "share": 55.0,
                "ci_low": 45.2,
                "ci_high": 64.4,
            }
        ]
    ).to_csv(d / "domain_realism.csv", index=False)
    pd.DataFrame(
        [
            {
                "model": "synthetic-trained",
                "test_set": "real",
                "method": "gradcam",
                "baseline": "black",
                "measure": "deletion_gain",
                "mean": 0.12,
                "ci_low": 0.05,
                "ci_high": 0.19,
                "n_images": 100,
                "p_value": 0.001,
                "verdict": "beats shifted",
            },
            {
                "model": "synthetic-trained",
                "test_set": "real",
                "method": "gradcam",
                "baseline": "-",
                "measure": "rank_corr",
                "mean": 0.2,
                "ci_low": 0.1,
                "ci_high": 0.3,
                "n_images": 100,
                "p_value": float("nan"),
                "verdict": "passes",
            },
        ]
    ).to_csv(d / "fig5_faithfulness.csv", index=False)
    pd.DataFrame(
        [
            {
                "kind": "variant",
                "source": "control",
                "class": "cat",
                "images": 500,
                "share_occluded": 0.64,
                "mean_hidden": 0.081,
                "hidden_q25": 0.0,
                "hidden_q50": 0.05,
                "hidden_q75": 0.1,
                "hidden_q90": 0.2,
                "mean_obstructors": 2.5,
                "mean_between": 1.2,
            }
        ]
    ).to_csv(d / "occlusion.csv", index=False)
    pd.DataFrame(
        [
            {
                "breed_count": "1",
                "dataset": "synth_no_breeds",
                "breeds_per_class": 1.0,
                "breed_draws": 3,
                **acc,
                "delta_vs_fewest": 0.0,
                "delta_ci_low": 0.0,
                "delta_ci_high": 0.0,
                "p_value": float("nan"),
            },
            {
                "breed_count": "all",
                "dataset": "synth_control",
                "breeds_per_class": 12.0,
                "breed_draws": 1,
                **acc,
                "delta_vs_fewest": 7.5,
                "delta_ci_low": 2.5,
                "delta_ci_high": 12.5,
                "p_value": 0.01,
            },
            {
                "breed_count": "real-trained",
                "dataset": "real",
                "breeds_per_class": float("nan"),
                "breed_draws": 0,
                **acc,
                "delta_vs_fewest": float("nan"),
                "delta_ci_low": float("nan"),
                "delta_ci_high": float("nan"),
                "p_value": float("nan"),
            },
        ]
    ).to_csv(d / "fig9_breed_scaling.csv", index=False)
    pd.DataFrame(
        [
            {"k": "0", "curve": "synthetic + k real", **acc, "accuracy_per_seed": "80.00;79.00;81.00", "note": ""},
            {
                "k": "0",
                "curve": "k real alone",
                "accuracy_mean": float("nan"),
                "accuracy_ci_low": float("nan"),
                "accuracy_ci_high": float("nan"),
                "note": "no model",
            },
        ]
    ).to_csv(d / "fig10_real_mixing.csv", index=False)
    pd.DataFrame([{"n": "25", "testset": "real", **acc}]).to_csv(d / "fig11_data_size.csv", index=False)
    pd.DataFrame(
        [
            {
                "testset": "synthetic",
                "parameter": "camera_elevation",
                "label": "camera elevation (deg)",
                "bin": b,
                "n_images": 40,
                "error_rate": e,
                "ci_low": e - 0.1,
                "ci_high": e + 0.1,
            }
            for b, e in (("0-30", 0.2), ("30-60", 0.4))
        ]
    ).to_csv(d / "fig12_parameter_errors.csv", index=False)
    _fig13(d, "search3", (4.0, 1.5, 6.5), True)
    return d


def test_block_carries_the_tables_numbers_and_marks_significant_effects(tmp_path):
    d = _tables(tmp_path)
    block = render_block(d)
    assert "| synthetic-trained (synth_control) on the real test set | 80.0 (75.5-84.2) | 85.4 (control) |" in block
    assert "| real-trained on the real test set | 80.0 (75.5-84.2) | 85.4 (real photos) |" in block
    assert "| `no_breeds` (one breed per class) on the real test set | 60.0 (75.5-84.2) | 85.4 (no_breeds) |" in block
    block = render_tables(d)
    assert "| synthetic | cat | 240 | 70 (64-75) | 78 | cat07: 35 |" in block
    assert "| 1 | 3 | 80.0 (75.5-84.2) |" in block
    assert "**-20.0 (-25.0 to -15.0)**" in block
    assert "| real (proxy real) | cat | 100 | 55 (45-64) |" in block
    assert "| 12 | 1 | 80.0 (75.5-84.2) | +7.5 (+2.5 to +12.5) | 0.01 |" in block
    assert "| 0 | 80.0 (75.5-84.2) | no model |" in block
    assert "| synthetic | camera elevation (deg) | 0-30: 20 (10-30, n=40) | 30-60: 40 (30-50, n=40) |" in block
    assert "| control | cat | 500 | 64 | 8.1 | 5.0 |" in block
    assert "| deletion_gain (black) | 0.120 (0.050 to 0.190) | beats shifted |" in block


def test_missing_table_is_named(tmp_path):
    d = _tables(tmp_path)
    (d / "fig4_ablation.csv").unlink()
    with pytest.raises(FileNotFoundError, match="fig4_ablation.csv"):
        render_block(d)


def test_update_readme_rewrites_only_the_block(tmp_path):
    from domrand.tools.readme_results import BEGIN, END

    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{BEGIN}\nold\n{END}\noutro\n")
    assert update_readme(readme, "new")
    assert readme.read_text() == f"intro\n{BEGIN}\nnew\n{END}\noutro\n"
    assert not update_readme(readme, "new")


def test_wall_time_from_the_snakemake_log(tmp_path):
    log = tmp_path / ".snakemake" / "log"
    log.mkdir(parents=True)
    (log / "2026-12-02T031000.1.snakemake.log").write_text(
        "Building DAG\n[Wed Dec  2 03:10:00 2026]\nrule a:\n[Wed Dec  2 03:34:59 2026]\nFinished\n"
    )
    assert wall_time(tmp_path) == "24 min 59 s"


def _run_folder(tmp: Path) -> Path:
    run = tmp / "run"
    log = run / ".snakemake" / "log"
    log.mkdir(parents=True)
    (log / "2026-12-02T031000.1.snakemake.log").write_text(
        "[Wed Dec  2 03:10:00 2026]\nrule a:\n    jobid: 1\n\n[Wed Dec  2 03:31:15 2026]\nFinished jobid: 1 (Rule: a)\n"
    )
    return run


def test_snapshot_copies_the_tables_with_the_run(tmp_path):
    import json

    from domrand.tools.readme_results import snapshot

    run = _run_folder(tmp_path)
    (run / "results").mkdir()
    _tables(tmp_path).rename(run / "results" / "tables")
    from PIL import Image

    for g in GALLERY:
        Image.new("RGB", (1800, 900), "white").save(run / "results" / f"{g}.png")
    repo = tmp_path / "repo"
    from domrand.tools.machine import describe

    assert snapshot(run, repo, "bash setup.sh run", "abc1234") == {
        "date": "2026-12-02",
        "commit": "abc1234",
        "command": "bash setup.sh run",
        "wall_time": "21 min 15 s",
        "machine": describe(),
        "mean_concurrency": 1.0,  # one job, from start to finish
    }
    assert json.loads((repo / SNAPSHOT / "run.json").read_text())["wall_time"] == "21 min 15 s"
    assert sorted(p.stem for p in (repo / SNAPSHOT / "tables").glob("*.csv")) == sorted(TABLES)
    from PIL import Image

    for g in GALLERY:  # small copies of the run's figures
        with Image.open(repo / SNAPSHOT / "figures" / f"{g}.png") as im:
            assert im.size == (900, 450)


def test_snapshot_of_an_unfinished_run_keeps_the_old_one(tmp_path):
    from domrand.tools.readme_results import snapshot

    repo = tmp_path / "repo"
    (repo / SNAPSHOT).mkdir(parents=True)
    (repo / SNAPSHOT / "run.json").write_text("old")
    run = _run_folder(tmp_path)  # a log, but no tables
    with pytest.raises(FileNotFoundError, match="fig4_ablation.csv"):
        snapshot(run, repo, "bash setup.sh run", "abc1234")
    with pytest.raises(FileNotFoundError, match="no Snakemake log"):
        snapshot(tmp_path / "nothing", repo, "bash setup.sh run", "abc1234")
    assert (repo / SNAPSHOT / "run.json").read_text() == "old"


def test_findings_follow_from_the_tables(tmp_path):
    block = render_block(_tables(tmp_path))
    assert "- Domain gap: on the real test set the synthetic-trained model scores +0.0 points" in block
    assert (
        "-20.0 (-25.0 to -15.0, p = 0.001, Holm-adjusted over the 1 variants p = 0.07); "
        "0 of them also below 0.05 after the Holm adjustment"
    ) in block
    assert (
        "12 breeds per class against 1 (3 breed draws, one per seed; the interval holds the draw-to-draw "
        "variance): +7.5 points (+2.5 to +12.5), which supports"
    ) in block
    assert "`no_breeds` (3 breed draws, one per seed) -20.0" in block
    assert "the synthetic set alone scores 80.0 (75.5-84.2) (per seed, figure 7's synthetic-trained model)" in block
    assert (
        "the synthetic breeds' cat 70% (64-75) vs 78% of the proxy-real ones; the least recognised "
        "synthetic breed, cat07, 35% of 20 images."
    ) in block
    assert "no k of real images alone reaches that mean" in block
    assert "1 of 1 deletion/insertion gains beat the same map shifted" in block


def _fig13(tables: Path, pick: str, delta: tuple[float, float, float], significant: bool) -> None:
    acc = {"accuracy_mean": 82.0, "accuracy_ci_low": 79.0, "accuracy_ci_high": 85.0}
    rows = [
        {
            "model": "control",
            "entry": "control",
            **acc,
            "delta_vs_control": 0.0,
            "delta_ci_low": 0.0,
            "delta_ci_high": 0.0,
            "significant": False,
            "p_value": float("nan"),
            "chosen_by": "the paper's control generator",
            "val_accuracy": 83.0,
            "val_to_test_gap": 1.0,
        },
        {
            "model": "fig4_best",
            "entry": "no_skies",
            **acc,
            "delta_vs_control": 3.0,
            "delta_ci_low": 1.0,
            "delta_ci_high": 5.0,
            "significant": True,
            "p_value": 0.01,
            "chosen_by": "highest real-test accuracy of figure 4 (chosen on the test set)",
            "val_accuracy": 82.5,
            "val_to_test_gap": 0.5,
        },
        {
            "model": "search_pick",
            "entry": pick,
            **acc,
            "delta_vs_control": delta[0],
            "delta_ci_low": delta[1],
            "delta_ci_high": delta[2],
            "significant": significant,
            "p_value": 0.02 if significant else 0.4,
            "chosen_by": "the search: validation accuracy only",
            "val_accuracy": 84.25,
            "val_to_test_gap": 2.25,
        },
    ]
    pd.DataFrame(rows).to_csv(tables / "fig13_search.csv", index=False)


def test_figure13_finding_is_claimed_only_where_the_interval_excludes_0(tmp_path):
    tables = _tables(tmp_path)
    block = render_block(tables)
    assert (
        "picks `search3`: 82.0 (79.0-85.0) on the real test set, +4.0 points (+1.5 to +6.5) against the "
        "control, better than the control (the paired 95% interval excludes 0); figure 4's best variant "
        "chosen on the test set itself, `no_skies`, +3.0 points (+1.0 to +5.0). The pick scored "
        "84.2 on validation, 2.2 points above its test accuracy."
    ) in block
    _fig13(tables, "search3", (1.0, -1.0, 3.0), False)
    assert "an interval that includes 0: no difference is claimed" in render_block(tables)
    _fig13(tables, "control", (0.0, 0.0, 0.0), False)
    assert "picks `control`" in render_block(tables) and "so the search keeps the control" in render_block(tables)
    (tables / "fig13_search.csv").unlink()
    with pytest.raises(FileNotFoundError, match="fig13_search.csv"):
        render_block(tables)
