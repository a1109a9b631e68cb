"""The workflow itself: lint, format, dry runs of every target in every config, schema
errors before any job, and a tiny end-to-end run that builds figure 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONFIGS = [None, "configs/ci.yaml", "configs/paper.yaml"]
FIGURES = ["fig1_examples", "fig2_training_curves", "fig3_architectures", "fig4_ablation", "fig5_heatmaps",
           "fig6_domains", "fig7_domain_transfer", "fig8_categories"]


def snakemake(*args, cwd=REPO, timeout=600, check=True):
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    cmd = [str(BIN / "snakemake"), "-s", str(REPO / "Snakefile"), *args]
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p


def test_lint_is_clean():
    p = snakemake("--lint")
    assert "Lints for" not in p.stdout + p.stderr


def test_snakefmt_is_clean():
    p = subprocess.run([str(BIN / "snakefmt"), "--check", "."], cwd=REPO, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("configfile", CONFIGS)
@pytest.mark.parametrize("target", FIGURES)
def test_dry_run_every_figure(configfile, target, tmp_path):
    if configfile and not (REPO / configfile).exists():
        pytest.fail(f"{configfile} is missing")
    args = ["-n", "--cores", "1", "--directory", str(tmp_path), f"results/{target}.png"]
    if configfile:
        args += ["--configfile", str(REPO / configfile)]
    p = snakemake(*args)
    assert f"results/{target}.png" in p.stdout


@pytest.mark.parametrize("change, key", [
    ({"world": {"bogus": 1}}, "world"),
    ({"render": {"image_size": "big"}}, "render.image_size"),
    ({"world": {"breeds": 0}}, "world.breeds"),
    ({"variants": {"no_lighting": {"lighting": {"bogus": True}}}}, "variants.no_lighting.lighting"),
])
def test_bad_config_stops_before_any_job(change, key, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(change))
    work = tmp_path / "work"
    work.mkdir()
    p = snakemake("--cores", "1", "--directory", str(work), "--configfile", str(bad), check=False)
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert f"config key {key}" in out
    assert not (work / "results").exists()


@pytest.mark.slow
def test_ci_config_builds_figure2(tmp_path):
    # Targets before --configfile: it takes several values and would swallow them.
    snakemake("results/fig2_training_curves.png", "--cores", "2", "--directory", str(tmp_path),
              "--configfile", str(REPO / "configs/ci.yaml"), timeout=1200)
    png = tmp_path / "results/fig2_training_curves.png"
    assert png.stat().st_size > 10_000
    table = pd.read_csv(tmp_path / "results/tables/fig2_training_curves.csv")
    ci = yaml.safe_load((REPO / "configs/ci.yaml").read_text())
    assert set(table["trained_on"]) == {"real", "synthetic"}
    assert sorted(table["epoch"].unique()) == list(range(1, ci["training"]["epochs"] + 1))
    assert table["n_seeds"].eq(len(ci["seeds"])).all()
    assert table["test_acc_mean"].between(0, 100).all()
    # Each curve comes from the models' own per-epoch history files.
    for trained_on, dataset in (("real", "real"), ("synthetic", "synth_control")):
        accs = [pd.read_csv(tmp_path / f"results/models/{dataset}/cat_dog/dropout/seed{s}/history.csv")["test_acc"]
                for s in ci["seeds"]]
        mean = sum(a * 100 for a in accs) / len(accs)
        got = table[table["trained_on"] == trained_on].sort_values("epoch")["test_acc_mean"].to_numpy()
        assert got == pytest.approx(mean.to_numpy(), abs=1e-3)
    shutil.rmtree(tmp_path / "results")


def test_readme_rulegraph_is_current():
    from domrand.docs import readme_block, rulegraph

    block = readme_block((REPO / "README.md").read_text())
    assert block is not None, "README.md has no rule graph block: run `make rulegraph`"
    assert block == rulegraph(REPO), "README.md's rule graph is stale: run `make rulegraph`"
