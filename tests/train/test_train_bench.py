"""`python -m domrand.tools.bench` training entries: the training step and the frozen run."""

from __future__ import annotations

from pathlib import Path

import pytest

from domrand.config import load_config
from domrand.tools.bench import bench_frozen_run, bench_train

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_config():
    config = load_config(ROOT / "configs" / "ci.yaml", base=ROOT / "config.yaml")
    config["render"] = {**config["render"], "image_size": 32}
    config["model"] = {"backbone": "small_cnn", "input_size": 32}
    config["training"] = {**config["training"], "views": 2, "epochs": 3, "batch_size": 8}
    return config


def test_bench_frozen_run_times_the_workflow_path(small_config):
    r = bench_frozen_run(small_config, images=40, device="cpu", batch=16)
    assert (r["train_images"], r["test_images"], r["epochs"], r["views"]) == (36, 4, 3, 2)
    assert set(r["seconds"]) == {"make_jpegs", "extract_features", "train_head"}
    wall = r["seconds"]["extract_features"] + r["seconds"]["train_head"]
    assert r["images_per_second"] == pytest.approx(36 * 3 / wall)
    assert r["paper_run_seconds_estimate"] == pytest.approx(20000 * 3 / r["images_per_second"])
    assert sum("epoch" in m for m in r["log"]) == 3 and any("72 forward passes" in m for m in r["log"])
    assert r["feature_file_mb"] > 0


def test_bench_train_reports_the_configured_backbone(small_config):
    t = bench_train(small_config, images=16, batch=8)
    assert (t["backbone"], t["image_size"], t["batch"]) == ("small_cnn", 32, 8)
    assert t["images_per_second"] > 0 and t["device"] in ("cpu", "cuda")
