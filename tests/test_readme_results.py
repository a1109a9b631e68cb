"""The README's Results block is generated from committed tables of a finished default run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from domrand.readme_results import SNAPSHOT, TABLES, readme_block, render_block, update_readme, wall_time

REPO = Path(__file__).resolve().parents[1]


def test_readme_results_are_what_the_committed_tables_give():
    import json

    block = readme_block((REPO / "README.md").read_text())
    assert block is not None, "README.md has no results block: run `python -m domrand.readme_results`"
    run = json.loads((REPO / SNAPSHOT / "run.json").read_text())
    assert block == render_block(REPO / SNAPSHOT / "tables", run), \
        "README.md's results are stale: run `python -m domrand.readme_results` on a finished run"


def _tables(tmp: Path) -> Path:
    """Minimal tables in the columns the figures write, with known numbers."""
    d = tmp / "tables"
    d.mkdir()
    acc = {"accuracy_mean": 80.0, "accuracy_ci_low": 75.5, "accuracy_ci_high": 84.25, "paper": 85.36}
    pd.DataFrame([{"trained_on": "real", "arch": "dropout", **acc}]).to_csv(d / "fig3_architectures.csv", index=False)
    pd.DataFrame([{"variant": "control", **acc, "delta_vs_control": 0, "delta_ci_low": 0, "delta_ci_high": 0,
                   "p_value": float("nan"), "significant": False},
                  {"variant": "no_breeds", **{**acc, "accuracy_mean": 60.0}, "delta_vs_control": -20.0,
                   "delta_ci_low": -25.0, "delta_ci_high": -15.0, "p_value": 0.001, "significant": True}]
                 ).to_csv(d / "fig4_ablation.csv", index=False)
    pd.DataFrame([{"trained_on": a, "tested_on": b, **acc} for a in ("real", "synthetic")
                  for b in ("real", "synthetic", "toon")]).to_csv(d / "fig7_domain_transfer.csv", index=False)
    pd.DataFrame([{"task": "cat_dog", "classes": "cat,dog", **acc, "accuracy_above_random_mean": 30.0,
                   "accuracy_above_random_ci_low": 25.5, "accuracy_above_random_ci_high": 34.25}]
                 ).to_csv(d / "fig8_categories.csv", index=False)
    pd.DataFrame([{"dataset": "real", "kind": "proxy real", "class": "cat", "n": 100, "recognised": 55, "share": 55.0,
                   "ci_low": 45.2, "ci_high": 64.4}]).to_csv(d / "domain_realism.csv", index=False)
    return d


def test_block_carries_the_tables_numbers_and_marks_significant_effects(tmp_path):
    block = render_block(_tables(tmp_path))
    assert "| synthetic-trained on the real test set | 80.0 (75.5-84.2) | 85.4 |" in block
    assert "| `no_breeds` (one model per class) on the real test set | 60.0 (75.5-84.2) | 85.4 |" in block
    assert "**-20.0 (-25.0 to -15.0)**" in block
    assert "| real (proxy real) | cat | 100 | 55 (45-64) |" in block


def test_missing_table_is_named(tmp_path):
    d = _tables(tmp_path)
    (d / "fig4_ablation.csv").unlink()
    with pytest.raises(FileNotFoundError, match="fig4_ablation.csv"):
        render_block(d)


def test_update_readme_rewrites_only_the_block(tmp_path):
    from domrand.readme_results import BEGIN, END

    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{BEGIN}\nold\n{END}\noutro\n")
    assert update_readme(readme, "new")
    assert readme.read_text() == f"intro\n{BEGIN}\nnew\n{END}\noutro\n"
    assert not update_readme(readme, "new")


def test_wall_time_from_the_snakemake_log(tmp_path):
    log = tmp_path / ".snakemake" / "log"
    log.mkdir(parents=True)
    (log / "2026-12-02T031000.1.snakemake.log").write_text(
        "Building DAG\n[Wed Dec  2 03:10:00 2026]\nrule a:\n[Wed Dec  2 03:34:59 2026]\nFinished\n")
    assert wall_time(tmp_path) == "24 min 59 s"
