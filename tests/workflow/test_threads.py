"""The thread policy: one thread per job on a local run, the cluster's threads under
profiles/slurm (which profiles/default must not override), and arithmetic that does not
depend on either."""

from __future__ import annotations

import re

import pytest
import yaml

from domrand.train.device import MATH_THREADS, torch_device
from helpers.workflow import REPO, snakemake

CI = str(REPO / "configs/ci.yaml")
SLURM = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())


def _threads(stdout: str) -> dict[str, set[int]]:
    """{rule: the thread counts of its planned jobs} from a dry run (Snakemake prints
    `threads:` only above 1)."""
    seen: dict[str, set[int]] = {}
    for block in stdout.split("\n\n"):
        rule = re.search(r"^(?:local)?(?:rule|checkpoint) (\w+):", block, re.M)
        if rule and "jobid:" in block:
            t = re.search(r"^\s+threads: (\d+)$", block, re.M)
            seen.setdefault(rule.group(1), set()).add(int(t.group(1)) if t else 1)
    return seen


@pytest.fixture(scope="module")
def local_plan(tmp_path_factory) -> dict[str, set[int]]:
    work = tmp_path_factory.mktemp("local")
    return _threads(snakemake("-n", "--directory", str(work), "--configfile", CI).stdout)


def test_a_local_run_gives_every_job_one_thread(local_plan):
    # profiles/default (loaded as the workflow profile) sets no threads: the rules' own
    assert {"render_shard", "extract_features", "train_head", "train_finetune", "explain", "evaluate"} <= set(
        local_plan
    )
    assert {r: t for r, t in local_plan.items() if t != {1}} == {}


def test_the_default_profile_leaves_threads_to_the_cluster_profile():
    default = yaml.safe_load((REPO / "profiles/default/config.yaml").read_text())
    assert "set-threads" not in default and "set-resources" not in default


def test_a_slurm_run_gives_torch_jobs_the_cluster_profiles_threads(tmp_path, local_plan):
    # --cores raises the submit host's cap (`cores: all` of profiles/default) above set-threads
    p = snakemake(
        "-n", "--profile", "profiles/slurm", "--cores", "64", "--directory", str(tmp_path), "--configfile", CI
    )
    planned = _threads(p.stdout)
    assert planned.keys() == local_plan.keys()
    want = {r: {SLURM["set-threads"].get(r, 1)} for r in planned}
    assert planned == want
    assert planned["extract_features"] == {4} and planned["train_head"] == {2}


def test_every_torch_script_has_a_fixed_arithmetic_thread_count():
    scripts = {
        p.stem for p in (REPO / "workflow/scripts").glob("*.py") if "torch_device(snakemake.rule" in p.read_text()
    }
    assert scripts and scripts == set(MATH_THREADS)  # each script is named after its rule


def test_arithmetic_threads_are_the_rules_not_the_jobs(monkeypatch):
    import torch

    before = torch.get_num_threads()
    try:
        for rule, n in MATH_THREADS.items():
            torch.set_num_threads(7)  # whatever the job was given
            assert torch_device(rule) in ("cpu", "cuda")
            assert torch.get_num_threads() == n
        with pytest.raises(KeyError, match="MATH_THREADS"):
            torch_device("no_such_rule")
    finally:
        torch.set_num_threads(before)


def test_a_local_run_serves_its_jobs_from_the_warm_worker(finished):
    """The ci study of the session: its worker served, and its torch jobs ran forked from it."""
    assert "domrand.warm: serving" in (finished / "logs/warm_worker.log").read_text()
    logs = sorted((finished / "logs/eval").rglob("*.log"))
    assert logs and all("forked from the warm worker" in p.read_text() for p in logs)
