"""The proxy target domains are not the synthetic world in disguise: their subjects (another
construction), skies, grounds and subject pools are disjoint from every synthetic set and from
each other; and the second subject generator behaves (deterministic, posable, renders)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from domrand.config import (
    ConfigError,
    check_domains_disjoint,
    deep_merge,
    domain_generator,
    load_config,
    variant_generator,
)
from domrand.world import target_scenery, textures
from domrand.world.build import World, build_world
from domrand.world.subjects import CLASSES, build_rig, sample_breed, sample_pose
from domrand.world.target_subjects import (
    CONSTRUCTION,
    build_target_rig,
    is_target_subject,
    loft,
    sample_target_subject,
    target_coat_texture,
)

REPO = Path(__file__).resolve().parents[2]
PARAMS = {
    "seed": 0,
    "classes": list(CLASSES),
    "breeds": 3,
    "heldout_breeds": {"real": 3, "toon": 2},
    "materials": 14,
    "skies": 8,
    "texture_size": 32,
    "sky_width": 64,
    "target_skies": 6,
    "target_grounds": 10,
    "target_texture_size": 32,
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World.load(build_world(dict(PARAMS), tmp_path_factory.mktemp("w") / "world", log=lambda *_: None))


def _digest(world, rel):
    return hashlib.sha256((world.root / rel).read_bytes()).hexdigest()


# -- disjointness -------------------------------------------------------------------------


def test_no_sky_is_both_synthetic_and_target(world):
    synth, target = world.manifest["skies"], world.manifest["target_skies"]
    assert {e["kind"] for e in synth}.isdisjoint({e["kind"] for e in target})
    assert {e["file"] for e in synth}.isdisjoint({e["file"] for e in target})
    assert {_digest(world, e["file"]) for e in synth}.isdisjoint({_digest(world, e["file"]) for e in target})
    assert set(textures.SKY_KINDS).isdisjoint(target_scenery.TARGET_SKY_KINDS)


def test_no_ground_material_is_both_synthetic_and_target(world):
    synth, target = world.manifest["materials"], world.manifest["target_grounds"]
    assert {e["family"] for e in synth}.isdisjoint({e["family"] for e in target})
    assert {_digest(world, e["file"]) for e in synth}.isdisjoint({_digest(world, e["file"]) for e in target})
    assert set(textures.MATERIAL_FAMILIES).isdisjoint(target_scenery.TARGET_GROUND_KINDS)


@pytest.mark.parametrize("cls", CLASSES)
def test_no_subject_is_both_synthetic_and_target_and_pools_are_disjoint(world, cls):
    synth = world.breeds(cls, heldout=False)
    real, toon = world.breeds(cls, heldout="real"), world.breeds(cls, heldout="toon")
    assert (len(synth), len(real), len(toon)) == (3, 3, 2)
    names = [b.name for b in synth + real + toon]
    assert len(set(names)) == len(names)
    coats = [_digest(world, f"coats/{n}.png") for n in names]
    assert len(set(coats)) == len(coats)
    assert not any(is_target_subject(b) for b in synth)
    assert all(is_target_subject(b) for b in real + toon)
    shapes = [b.shape for b in real]
    assert not any(b.shape in shapes for b in toon)  # real and toon share no subject


@pytest.mark.parametrize("cls", CLASSES)
def test_target_subjects_are_not_members_of_the_synthetic_families(cls):
    """Another construction: no shared parameter names, coat patterns or palette colours."""
    synth = [sample_breed(cls, i, 0) for i in range(30)]
    target = [sample_target_subject(cls, pool, i, 0) for pool in ("real", "toon") for i in range(15)]
    synth_keys = set().union(*(b.shape for b in synth))
    for b in target:
        assert b.shape["construction"] == CONSTRUCTION
        assert set(b.shape).isdisjoint(synth_keys - {"length"}), sorted(set(b.shape) & synth_keys)
    assert {b.coat["pattern"] for b in synth}.isdisjoint({b.coat["pattern"] for b in target})
    synth_colours = {tuple(np.round(b.coat["base"], 2)) for b in synth}
    assert not any(tuple(np.round(b.coat["base"], 2)) in synth_colours for b in target)
    # A synthetic rig has ellipsoid/capsule parts (no texture coordinates of their own); a target rig lofts.
    assert all(getattr(p.mesh.visual, "uv", None) is None for p in build_rig(synth[0]).parts)
    assert all(getattr(p.mesh.visual, "uv", None) is not None for p in build_target_rig(target[0]).parts)


def test_the_workflow_configs_keep_variants_synthetic_and_domains_apart():
    for extra in ([], ["configs/ci.yaml"], ["configs/paper.yaml"]):
        config = load_config(*[REPO / e for e in extra], base=REPO / "config.yaml")
        check_domains_disjoint(config)
        for v in config["variants"]:
            gen = variant_generator(config, v)
            assert (gen["subject"]["heldout"], gen["sky"]["set"], gen["materials"]["library"]) == (
                False,
                "synthetic",
                "synthetic",
            )
    config = load_config(base=REPO / "config.yaml")
    real, toon = domain_generator(config, "real"), domain_generator(config, "toon")
    assert (real["subject"]["heldout"], toon["subject"]["heldout"]) == ("real", "toon")
    assert (real["sky"]["set"], real["materials"]["library"], real["lighting"]["model"]) == (
        "target",
        "target",
        "daylight",
    )
    assert variant_generator(config, "control")["lighting"]["model"] == "jitter"


@pytest.mark.parametrize(
    "patch, key",
    [
        ({"variants": {"leaky": {"sky": {"set": "target"}}}}, "variants.leaky.sky.set"),
        ({"variants": {"leaky": {"materials": {"library": "target"}}}}, "variants.leaky.materials.library"),
        ({"variants": {"leaky": {"subject": {"heldout": "real"}}}}, "variants.leaky.subject.heldout"),
        ({"domains": {"toon": {"generator": {"subject": {"heldout": "real"}}}}}, "already the pool of domain 'real'"),
        ({"domains": {"toon": {"generator": {"subject": {"heldout": "sketch"}}}}}, "world.heldout_breeds"),
        ({"domains": {"real": {"generator": {"sky": {"set": "synthetic"}}}}}, "domains.real.generator.sky.set"),
        (
            {"domains": {"real": {"generator": {"materials": {"library": "synthetic"}}}}},
            "domains.real.generator.materials",
        ),
    ],
)
def test_config_mixing_synthetic_and_target_sets_is_refused(patch, key):
    config = deep_merge(load_config(base=REPO / "config.yaml"), patch)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        check_domains_disjoint(config)


# -- the second generator ------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES)
def test_target_subject_is_a_pure_function_of_seed_pool_and_index(cls):
    a = sample_target_subject(cls, "real", 2, 5)
    assert a.to_dict() == sample_target_subject(cls, "real", 2, 5).to_dict()
    assert a.name == f"{cls}_real02"
    assert sample_target_subject(cls, "real", 3, 5).shape != a.shape
    assert sample_target_subject(cls, "toon", 2, 5).shape != a.shape
    assert sample_target_subject(cls, "real", 2, 6).shape != a.shape
    rig_a, rig_b = build_target_rig(a), build_target_rig(sample_target_subject(cls, "real", 2, 5))
    for p, q in zip(rig_a.parts, rig_b.parts):
        np.testing.assert_array_equal(p.mesh.vertices, q.mesh.vertices)


def test_target_subject_unknown_class_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown class 'horse'.*cat"):
        sample_target_subject("horse", "real", 0, 0)


@pytest.mark.parametrize("cls", CLASSES)
def test_target_rigs_take_every_pose_and_stand_on_the_ground(cls):
    rng = np.random.default_rng(0)
    for i in range(4):
        rig = build_target_rig(sample_target_subject(cls, "real", i, 0))
        for _ in range(6):
            pose, _ = sample_pose(cls, rng)
            assert set(pose) <= set(rig.joint_names())  # the synthetic pose sampler drives it
            mats, bounds = rig.pose_frame(pose)
            assert bounds[0, 1] == pytest.approx(0.0, abs=1e-9)
            assert np.all(bounds[1] - bounds[0] > 0.05)
            assert np.isfinite(rig.posed_mesh(pose).vertices).all()


def test_cats_and_dogs_keep_their_cues():
    cats = [sample_target_subject("cat", p, i, 0).shape for p in ("real", "toon") for i in range(20)]
    dogs = [sample_target_subject("dog", p, i, 0).shape for p in ("real", "toon") for i in range(20)]
    assert {c["ear_style"] for c in cats} == {"prick"} and {c["pupil"] for c in cats} == {"slit"}
    assert max(c["muzzle"] / c["skull"] for c in cats) < np.mean([d["muzzle"] / d["skull"] for d in dogs])
    assert np.mean([c["tail"] / c["torso"] for c in cats]) > np.mean([d["tail"] / d["torso"] for d in dogs])
    assert {d["ear_style"] for d in dogs} >= {"drop", "prick"}


def test_loft_is_closed_with_normals_and_texture_coordinates_in_its_band():
    path = np.stack([np.linspace(0, 1, 6), np.zeros(6), np.zeros(6)], -1)
    m = loft(path, np.full(6, 0.2), np.full(6, 0.1), band=(0.25, 0.5), sections=8)
    uv = m.visual.uv
    assert uv.shape == (len(m.vertices), 2)
    assert uv[:, 0].min() >= 0.25 and uv[:, 0].max() <= 0.5
    assert np.allclose(np.linalg.norm(m.vertex_normals, axis=1), 1.0, atol=1e-6)
    assert m.bounds[1][1] == pytest.approx(0.2) and m.bounds[1][2] == pytest.approx(0.1)
    assert m.volume == pytest.approx(np.pi * 0.2 * 0.1 * 1.0, rel=0.1)  # closed: a finite, positive volume


@pytest.mark.parametrize("cls", CLASSES)
def test_target_coats_are_deterministic_images(cls):
    b = sample_target_subject(cls, "real", 0, 0)
    img = target_coat_texture(b.coat, 64, np.random.default_rng(1))
    assert img.shape == (64, 64, 3) and img.dtype == np.float32 and 0 <= img.min() and img.max() <= 1
    np.testing.assert_array_equal(img, target_coat_texture(b.coat, 64, np.random.default_rng(1)))


@pytest.mark.parametrize("kind", target_scenery.TARGET_SKY_KINDS)
def test_target_skies_are_deterministic_daylight_panoramas(kind):
    a = target_scenery.target_sky(kind, 64, np.random.default_rng(3))
    assert a.shape == (32, 64, 3) and 0 <= a.min() and a.max() <= 1
    np.testing.assert_array_equal(a, target_scenery.target_sky(kind, 64, np.random.default_rng(3)))
    assert a[:4, :, 2].mean() > a[:4, :, 0].mean()  # blue above


@pytest.mark.parametrize("kind", target_scenery.TARGET_GROUND_KINDS)
def test_target_grounds_are_deterministic(kind):
    img, pbr = target_scenery.target_ground(kind, 32, np.random.default_rng(3))
    assert img.shape == (32, 32, 3) and 0 <= img.min() and img.max() <= 1 and 0 < pbr["roughness"] <= 1
    np.testing.assert_array_equal(img, target_scenery.target_ground(kind, 32, np.random.default_rng(3))[0])


def test_unknown_target_scenery_kinds_raise():
    with pytest.raises(ValueError, match="plaid"):
        target_scenery.target_sky("plaid", 64, np.random.default_rng(0))
    with pytest.raises(ValueError, match="lava"):
        target_scenery.target_ground("lava", 32, np.random.default_rng(0))


# -- rendering (GL) ------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES)
def test_target_subjects_render_non_empty_silhouettes_from_the_target_sets(world, cls):
    pytest.importorskip("OpenGL")
    from domrand.render.sampling import sample_frame
    from domrand.render.scene import SceneRenderer

    config = load_config(base=REPO / "config.yaml")
    gen = domain_generator(config, "real")
    breeds = world.breeds(cls, heldout="real")
    with SceneRenderer(world, cls, breeds, gen, 48, "egl") as sr:
        assert len(sr.skies) == len(world.manifest["target_skies"])
        assert len(sr.materials) == len(world.manifest["target_grounds"])
        rng = np.random.default_rng(0)
        for k in range(len(breeds)):
            p = sample_frame(gen, cls, len(breeds), len(sr.materials), len(sr.skies), rng)
            p.breed = k
            sr.set_frame(p)
            full, _ = sr.coverage()
            assert full > 0.05 * 48 * 48, f"{breeds[k].name}: {full} subject pixels"
    control = variant_generator(config, "control")
    with SceneRenderer(world, cls, world.breeds(cls, heldout=False), control, 32, "egl") as sr:
        assert len(sr.skies) == len(world.manifest["skies"]) and len(sr.materials) == len(world.manifest["materials"])
