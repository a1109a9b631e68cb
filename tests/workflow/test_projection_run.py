"""The wall-time projection (domrand.tools.projection) on a finished configs/ci.yaml run's benchmark
TSVs, through its command line and through `bench --only projection`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from domrand.config import load_config
from domrand.plan import Plan
from domrand.tools.bench import main as bench_main
from domrand.tools.projection import search_targets
from helpers.workflow import REPO, snakemake

pytestmark = pytest.mark.slow
CI = str(REPO / "configs/ci.yaml")
# The projection plans what follows the search's checkpoints at its dearest, as targets of its own.
TARGETS = ["all", *search_targets(Plan(load_config(CI, base=REPO / "config.yaml")))]


def _dag_counts(work) -> dict[str, int]:
    """{rule: jobs} of the whole ci study, from Snakemake's own job count table."""
    p = snakemake(
        *TARGETS,
        "-n",
        "--forceall",
        "--quiet",
        "rules",
        "--nolock",
        "--cores",
        "2",
        "--directory",
        str(work),
        "--configfile",
        CI,
    )
    table = p.stdout.split("Job stats:")[-1].splitlines()[3:]
    counts = {}
    for line in table:
        parts = line.split()
        if len(parts) != 2:
            break
        counts[parts[0]] = int(parts[1])
    assert counts.pop("total") == sum(counts.values())
    return counts


@pytest.fixture(scope="module")
def projection(finished, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("projection") / "ci"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "domrand.tools.projection",
            "--run",
            str(finished),
            "--configfile",
            CI,
            "--nodes",
            "1",
            "4",
            "16",
            "--cores-per-node",
            "16",
            "--gpus-per-node",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    assert "| nodes | wall time" in p.stdout
    assert out.with_suffix(".md").read_text() in p.stdout
    return json.loads(out.with_suffix(".json").read_text())


def test_job_counts_are_the_dag(projection, finished):
    counts = _dag_counts(finished)
    assert {r: s["jobs"] for r, s in projection["rules"].items()} == counts
    assert projection["jobs"] == sum(counts.values())


def _dag_benchmarks(work) -> dict[str, str]:
    """{benchmark path: rule} of every job of the projected DAG."""
    p = snakemake(
        *TARGETS, "-n", "--forceall", "--nolock", "--cores", "2", "--directory", str(work), "--configfile", CI
    )
    out, rule = {}, None
    for ln in p.stdout.splitlines():
        if ln.startswith(("rule ", "localrule ", "checkpoint ")):
            rule = ln.split()[-1].rstrip(":")
        elif "benchmark: " in ln:
            out[ln.split("benchmark: ", 1)[1].strip()] = rule
    return out


def test_every_benchmarked_job_is_measured_and_its_seconds_kept(projection, finished):
    """Same config measured and projected: each rule's projected job seconds add up to its TSVs' `s`.

    A dry run cannot see past a checkpoint that has to rerun (--forceall reruns all): ci.yaml's
    figure 7 takes its model from the best-variant checkpoint, so that model's evaluations and
    the test features they read are measured but not in the projected DAG; and the search's
    dearest way past its checkpoints (projected) is not the way the run took (measured), so
    the run's round-2 heads and pick may be measured but not projected, and the other way round
    (the rule's projected seconds then hold its measured ones and more)."""
    dag = _dag_benchmarks(finished)
    every = sorted((finished / "benchmarks").rglob("*.tsv"))
    tsvs = [t for t in every if str(t.relative_to(finished)) in dag]
    behind = [t for t in every if t not in tsvs]
    unrun = set(dag) - {str(t.relative_to(finished)) for t in tsvs}
    assert tsvs
    assert all(t.parts[len(finished.parts) + 1] in ("eval", "features", "search", "train") for t in behind), behind
    assert all("search" in b for b in unrun), unrun
    measured = {r: s for r, s in projection["rules"].items() if s["source"] == "measured"}
    assert sum(s["measured_jobs"] for s in measured.values()) == len(tsvs)
    assert sum(s["jobs"] - s["measured_jobs"] for s in measured.values()) == len(unrun)
    for rule, s in measured.items():
        seconds = sum(pd.read_csv(t, sep="\t")["s"].mean() for t in tsvs if dag[str(t.relative_to(finished))] == rule)
        if s["jobs"] == s["measured_jobs"]:
            assert s["job_seconds"] == pytest.approx(seconds, rel=1e-9), rule
        else:
            assert s["job_seconds"] > seconds, rule
    assert {"render_shard", "extract_features", "train_head", "evaluate"} <= set(projection["rules"])
    assert "gather_dataset" in projection["unmeasured_rules"]


def test_more_nodes_are_never_slower(projection):
    wall = {r["nodes"]: r["wall_seconds"] for r in projection["projections"]}
    assert wall[16] <= wall[4] <= wall[1]
    # bounds on one node: no faster than its 16 cores fully busy, no slower than every job in turn
    rules = projection["rules"].values()
    core_seconds = sum(s["job_seconds"] * s["threads"] for s in rules if not s["local"])
    assert core_seconds / 16 <= wall[1] <= sum(s["job_seconds"] for s in rules)
    # a stage never starts before the stages it waits for have started
    st = projection["projections"][0]["stages"]
    assert st["build_world"]["end"] <= st["render_shard"]["start"]
    assert st["render_shard"]["start"] <= st["extract_features"]["start"] <= st["train_head"]["start"]
    assert st["train_head"]["start"] < st["evaluate"]["end"] <= wall[1]


def test_bench_writes_the_projection(finished, tmp_path, capsys):
    bench_main(["--only", "projection", "--run-dir", str(finished), "--run-config", CI, "--out", str(tmp_path)])
    p = json.loads((tmp_path / "projection.json").read_text())
    assert [r["nodes"] for r in p["projections"]] == [1, 4, 16]
    assert "| nodes | wall time" in capsys.readouterr().out
    assert (tmp_path / "projection.md").read_text().startswith("Projected wall time")


def test_missing_tsvs_of_a_rule_name_it(finished, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished / "benchmarks", run / "benchmarks")
    shutil.rmtree(run / "benchmarks" / "eval")
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "domrand.tools.projection",
            "--run",
            str(run),
            "--configfile",
            CI,
            "--out",
            str(tmp_path / "p"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert p.returncode != 0
    assert "rule evaluate: no benchmark TSV" in p.stderr and "--assume" in p.stderr
