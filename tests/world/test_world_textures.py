"""Procedural textures: shapes, dtype, range, determinism per seed."""

from __future__ import annotations

import numpy as np
import pytest

from domrand.world import textures
from domrand.world.subjects import CLASSES, sample_breed

SIZE = 32


def _check_image(img, shape):
    assert img.shape == shape
    assert img.dtype == np.float32
    assert np.isfinite(img).all()
    assert img.min() >= 0.0 and img.max() <= 1.0


@pytest.mark.parametrize("family", textures.MATERIAL_FAMILIES)
def test_material_texture_shape_range_pbr_and_determinism(family):
    img, pbr = textures.material_texture(family, SIZE, np.random.default_rng(3))
    _check_image(img, (SIZE, SIZE, 3))
    assert set(pbr) == {"metallic", "roughness"}
    assert 0.0 <= pbr["metallic"] <= 1.0 and 0.0 <= pbr["roughness"] <= 1.0
    img2, pbr2 = textures.material_texture(family, SIZE, np.random.default_rng(3))
    np.testing.assert_array_equal(img, img2)
    assert pbr == pbr2
    img3, _ = textures.material_texture(family, SIZE, np.random.default_rng(4))
    assert not np.array_equal(img, img3)


@pytest.mark.parametrize("kind", textures.SKY_KINDS)
def test_sky_texture_is_a_half_height_panorama(kind):
    img = textures.sky_texture(kind, 64, np.random.default_rng(1))
    _check_image(img, (32, 64, 3))
    np.testing.assert_array_equal(img, textures.sky_texture(kind, 64, np.random.default_rng(1)))


@pytest.mark.parametrize("kind", textures.SKY_KINDS)
def test_sky_texture_varies_with_seed(kind):
    a = textures.sky_texture(kind, 64, np.random.default_rng(1))
    b = textures.sky_texture(kind, 64, np.random.default_rng(2))
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("cls", CLASSES)
def test_coat_texture_for_every_class(cls):
    for i in range(4):
        coat = sample_breed(cls, i, 0).coat
        img = textures.coat_texture(coat, SIZE, np.random.default_rng(i))
        _check_image(img, (SIZE, SIZE, 3))
        np.testing.assert_array_equal(img, textures.coat_texture(coat, SIZE, np.random.default_rng(i)))


def test_solid_coat_is_its_base_colour_modulated_by_fur():
    coat = {"base": [0.5, 0.25, 0.1], "second": [0, 0, 0], "pattern": "solid", "frequency": 4.0, "fur": 0.0}
    img = textures.coat_texture(coat, SIZE, np.random.default_rng(0))
    np.testing.assert_allclose(img, np.broadcast_to(np.float32(coat["base"]), img.shape), atol=1e-6)


def test_fbm_is_normalised_to_the_unit_interval():
    n = textures.fbm(SIZE, np.random.default_rng(0))
    assert n.shape == (SIZE, SIZE)
    assert n.min() == pytest.approx(0.0) and n.max() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "fn, arg",
    [
        (lambda k, r: textures.material_texture(k, SIZE, r), "velvet"),
        (lambda k, r: textures.sky_texture(k, 64, r), "plaid"),
    ],
)
def test_unknown_kinds_raise(fn, arg):
    with pytest.raises(ValueError, match=arg):
        fn(arg, np.random.default_rng(0))
