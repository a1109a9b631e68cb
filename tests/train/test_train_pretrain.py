"""Pretraining data (procedural shapes), a tiny pretraining run, and feature extraction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from domrand.train.backbones import load_backbone
from domrand.train.features import extract_features
from domrand.train.fit import train_head
from domrand.train.pretrain import SHAPES, draw_shape, make_shapes, pretrain_backbone

AUG = {"zoom": [0.8, 1.0], "rotation": 10, "flip": True, "brightness": 0.2}


@pytest.fixture
def textures():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (48, 48, 3), dtype=np.uint8) for _ in range(3)]


def test_make_shapes_is_deterministic_and_balanced(textures):
    x, y = make_shapes(24, 32, textures, seed=1)
    assert x.shape == (24, 3, 32, 32) and x.dtype == torch.uint8
    assert y.dtype == torch.long
    assert torch.bincount(y, minlength=len(SHAPES)).tolist() == [3] * len(SHAPES)
    x2, y2 = make_shapes(24, 32, textures, seed=1)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    x3, _ = make_shapes(24, 32, textures, seed=2)
    assert not torch.equal(x, x3)


def test_make_shapes_prefix_is_stable(textures):
    """Image i depends only on (seed, i): asking for more images keeps the first ones."""
    x8, _ = make_shapes(8, 32, textures, seed=0)
    x16, _ = make_shapes(16, 32, textures, seed=0)
    assert torch.equal(x8, x16[:8])


def _seed_with_contrast() -> int:
    """A seed whose first two draws (background, foreground texture) pick different textures of two."""
    for s in range(100):
        rng = np.random.default_rng(s)
        if rng.integers(2) != rng.integers(2):
            return s
    raise AssertionError("no such seed")


@pytest.mark.parametrize("label", range(len(SHAPES)))
def test_draw_shape_draws_a_shape_over_the_background(label):
    black = np.zeros((40, 40, 3), np.uint8)
    white = np.full((40, 40, 3), 255, np.uint8)
    img = draw_shape(label, 32, [black, white], np.random.default_rng(_seed_with_contrast()))
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    frac = (img.mean(-1) > 127).mean()
    assert 0.02 < frac < 0.98  # neither all background nor all foreground


def test_pretrain_backbone_writes_loadable_weights(tmp_path):
    from domrand.world.build import build_world

    world = build_world(
        {
            "seed": 0,
            "classes": ["cat", "dog"],
            "breeds": 1,
            "heldout_breeds": {"real": 1, "toon": 1},
            "target_skies": 2,
            "target_grounds": 2,
            "target_texture_size": 32,
            "materials": 3,
            "skies": 1,
            "texture_size": 32,
            "sky_width": 64,
        },
        tmp_path / "world",
        log=lambda *_: None,
    )
    params = {"seed": 0, "images": 24, "epochs": 1, "lr": 0.001, "batch_size": 16, "input_size": 32, "augment": AUG}
    last = pretrain_backbone(world, tmp_path / "backbone.pt", params, log=lambda *_: None)
    assert last["epoch"] == 1 and 0.0 <= last["test_acc"] <= 1.0
    saved = torch.load(tmp_path / "backbone.pt", weights_only=False)
    assert saved["meta"]["params"] == params and len(saved["meta"]["history"]) == 1
    net = load_backbone("small_cnn", tmp_path / "backbone.pt")
    assert net(torch.rand(1, 3, 32, 32)).shape == (1, 512)


def test_extract_features_format_feeds_train_head(tmp_path, helpers):
    rows = [(c, s) for c in ("cat", "dog") for s in ("train",) * 4 + ("test",) * 2]
    index = helpers.image_index(tmp_path / "d", rows)
    backbone = helpers.backbone(tmp_path / "bb.pt")
    params = {"seed": 0, "input_size": 32, "views": 2, "augment": AUG}
    out = tmp_path / "feats.pt"
    extract_features(index, "small_cnn", backbone, out, params, log=lambda *_: None)
    f = torch.load(out, weights_only=False)
    assert f["train"].shape == (2, 8, 512) and f["train"].dtype == torch.float16
    assert f["test"].shape == (4, 512)
    assert sorted(f["train_labels"]) == ["cat"] * 4 + ["dog"] * 4 and len(f["test_labels"]) == 4
    assert not torch.equal(f["train"][0], f["train"][1])  # two different augmented views
    again = tmp_path / "again.pt"
    extract_features(index, "small_cnn", backbone, again, params, log=lambda *_: None)
    assert torch.equal(torch.load(again, weights_only=False)["train"], f["train"])  # seeded augmentation
    hist = train_head(
        [out],
        [out],
        tmp_path / "m",
        tmp_path / "ck.pt",
        {
            "seed": 0,
            "classes": ["cat", "dog"],
            "dropout": 0.0,
            "lr": 0.001,
            "epochs": 1,
            "batch_size": 4,
            "backbone": "small_cnn",
        },
        log=lambda *_: None,
    )
    assert len(hist) == 1
