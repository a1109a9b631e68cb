"""Fixtures shared by the workflow tests."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest

from helpers.workflow import REPO, snakemake


@pytest.fixture(scope="session")
def finished(tmp_path_factory, worker_id) -> Path:
    """A finished configs/ci.yaml study, made once per test session (test_reruns,
    test_projection_run, test_slurm); DOMRAND_TEST_FINISHED_RUN=<dir> reuses one. Tests never
    modify it (they copy it first). Under pytest-xdist the workers share one: the first to ask
    makes it while the others wait on a lock."""
    if os.environ.get("DOMRAND_TEST_FINISHED_RUN"):
        return Path(os.environ["DOMRAND_TEST_FINISHED_RUN"])
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # the session's folder, above each worker's own
    work, done = root / "ci_study", root / "ci_study.done"
    with open(root / "ci_study.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            snakemake(
                "--cores", "2", "--directory", str(work), "--configfile", str(REPO / "configs/ci.yaml"), timeout=3000
            )
            done.touch()
    return work
