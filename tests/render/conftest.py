"""A tiny procedural world and the default generator config, shared by the render tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from domrand.render.backend import configure

# EGL offscreen, chosen before any render test module imports pyrender / PyOpenGL (pytest
# imports this conftest before the test modules of its folder).
configure("egl")

ROOT = Path(__file__).resolve().parents[2]
WORLD_PARAMS = {
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


@pytest.fixture(scope="session")
def repo_config() -> dict:
    """The embedded default config.yaml (its `generator:` section is the control)."""
    return yaml.safe_load((ROOT / "config.yaml").read_text())


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory) -> Path:
    from domrand.world.build import build_world

    return build_world(dict(WORLD_PARAMS), tmp_path_factory.mktemp("render_world") / "world", log=lambda *_: None)


@pytest.fixture
def render_params() -> dict:
    return {"seed": 0, "image_size": 32, "shard_size": 4, "images_per_class": 8, "backend": "egl", "jpeg_quality": 90}
