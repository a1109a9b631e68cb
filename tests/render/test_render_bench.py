"""`python -m domrand.tools.bench` render entries on a tiny world: the fields render.json promises."""

from __future__ import annotations

import copy

import pytest

from domrand.tools.bench import _rss_mb, bench_memory, bench_render

TINY_WORLD = {
    "seed": 0,
    "classes": ["cat", "dog"],
    "breeds": 2,
    "heldout_breeds": {"real": 1, "toon": 1},
    "target_skies": 2,
    "target_grounds": 2,
    "target_texture_size": 32,
    "materials": 3,
    "skies": 2,
    "texture_size": 32,
    "sky_width": 64,
}


@pytest.fixture
def tiny_config(repo_config):
    config = copy.deepcopy(repo_config)
    config["world"] = dict(TINY_WORLD)
    config["render"] = {**config["render"], "image_size": 32}
    return config


def test_bench_render_reports_rate_and_time_split(tiny_config):
    r = bench_render(tiny_config, images=4, processes=1)
    assert r["images"] == 4 and r["processes"] == 1 and r["image_size"] == 32 and r["variant"] == "control"
    assert r["images_per_second"] > 0 and r["steady_images_per_second"] >= r["images_per_second"]
    assert set(r["per_image_ms"]) == {"sample", "update", "occlusion", "render", "readback", "encode"}
    assert sum(r["time_split"].values()) == pytest.approx(1.0)
    assert r["gl_renderer"] == r["gl"]["GL_RENDERER"] and r["gl_renderer"]


def test_bench_memory_samples_resident_memory(tiny_config):
    m = bench_memory(tiny_config, frames=40)
    assert m["frames"] == 40 and [f for f, _ in m["rss_mb_by_frame"]] == list(range(2, 41, 2))
    assert m["rss_mb_start"] > 0 and m["rss_mb_end"] > 0
    assert m["rss_growth_mb"] == pytest.approx(m["rss_mb_end"] - m["rss_mb_start"], abs=0.11)
    assert _rss_mb() > 0
