"""Fixtures shared by the workflow tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers.workflow import REPO, snakemake


@pytest.fixture(scope="session")
def finished(tmp_path_factory) -> Path:
    """A finished configs/ci.yaml study, made once per session (test_reruns, test_projection_run);
    DOMRAND_TEST_FINISHED_RUN=<dir> reuses one. Tests never modify it (they copy it first)."""
    if os.environ.get("DOMRAND_TEST_FINISHED_RUN"):
        return Path(os.environ["DOMRAND_TEST_FINISHED_RUN"])
    work = tmp_path_factory.mktemp("ci_study")
    snakemake("--cores", "2", "--directory", str(work), "--configfile", str(REPO / "configs/ci.yaml"), timeout=3000)
    return work
