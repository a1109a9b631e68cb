"""Procedural breeds, rigs and poses: determinism, class cues, grounding."""

from __future__ import annotations

import numpy as np
import pytest

from domrand.seeds import seed_for
from domrand.world.rig import rotation
from domrand.world.subjects import (
    CLASSES,
    QUADRUPED_POSES,
    build_rig,
    sample_breed,
    sample_pose,
)

N_BREEDS = 12


def _breeds(cls, seed=0):
    return [sample_breed(cls, i, seed) for i in range(N_BREEDS)]


# -- sample_breed -----------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES)
def test_sample_breed_is_a_pure_function_of_seed_class_and_index(cls):
    a, b = sample_breed(cls, 3, 7), sample_breed(cls, 3, 7)
    assert a.to_dict() == b.to_dict()
    assert a.name == f"{cls}03"


@pytest.mark.parametrize("cls", CLASSES)
def test_sample_breed_differs_across_index_and_world_seed(cls):
    base = sample_breed(cls, 0, 0)
    assert sample_breed(cls, 1, 0).shape != base.shape
    assert sample_breed(cls, 0, 1).shape != base.shape


def test_sample_breed_unknown_class_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown class 'horse'.*cat"):
        sample_breed("horse", 0, 0)


def test_seed_for_is_stable_and_key_sensitive():
    assert seed_for("breed", 0, "cat", 1) == seed_for("breed", 0, "cat", 1)
    assert seed_for("breed", 0, "cat", 1) != seed_for("breed", 0, "cat", 2)
    assert 0 <= seed_for("x") < 2**63
    assert seed_for("image", 0, "control", "cat", 0) == seed_for(
        "image", "0", "control", "cat", "0"
    )  # keys are str()ed
    # Pinned: a silent change of the hashing would change every image, split and breed.
    assert seed_for("image", 0, "control", "cat", 0) == 8018747869459519351


def test_cats_always_have_upright_ears_dogs_vary():
    assert {b.shape["ear_kind"] for b in _breeds("cat")} == {"upright"}
    assert {b.shape["ear_kind"] for b in _breeds("dog")} <= {"floppy", "upright", "rose"}


def test_cat_snouts_are_all_shorter_than_the_mean_dog_snout():
    cats = [b.shape["snout_length"] for b in _breeds("cat")]
    dogs = [b.shape["snout_length"] for b in _breeds("dog")]
    assert max(cats) < np.mean(dogs)


def test_cat_tails_are_longer_relative_to_the_body_on_average():
    def ratio(bs):
        return np.mean([b.shape["tail_length"] / b.shape["body_length"] for b in bs])

    assert ratio(_breeds("cat")) > ratio(_breeds("dog"))


@pytest.mark.parametrize("cls", CLASSES)
def test_breed_coats_are_valid_colours(cls):
    for b in _breeds(cls):
        for key in ("base", "second"):
            assert len(b.coat[key]) == 3 and all(0.0 <= c <= 1.0 for c in b.coat[key])
        assert 0.0 <= b.coat["fur"] <= 1.0


# -- rigs -------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES)
def test_build_rig_parts_hang_on_known_joints_with_finite_vertices(cls):
    rig = build_rig(sample_breed(cls, 0, 0))
    names = rig.joint_names()
    assert rig.cls == cls and rig.breed == f"{cls}00"
    assert len(set(names)) == len(names)
    assert rig.parts
    parents_seen = set()
    for j in rig.joints:  # parents come before children (forward kinematics relies on it)
        assert j.parent is None or j.parent in parents_seen
        parents_seen.add(j.name)
    for p in rig.parts:
        assert p.joint in names
        assert len(p.mesh.vertices) > 0 and len(p.mesh.faces) > 0
        assert np.isfinite(p.mesh.vertices).all()


@pytest.mark.parametrize("cls", CLASSES)
def test_pose_frame_grounds_the_default_pose(cls):
    """The default pose is the empty pose (every joint at rest): standing square, wheels straight."""
    for i in range(3):
        rig = build_rig(sample_breed(cls, i, 0))
        mesh = rig.posed_mesh({})
        assert mesh.vertices[:, 1].min() == pytest.approx(0.0, abs=1e-6)
        _, bounds = rig.pose_frame({})
        np.testing.assert_allclose(bounds, mesh.bounds, atol=1e-9)


@pytest.mark.parametrize("cls", CLASSES)
def test_pose_frame_grounds_random_poses(cls):
    rig = build_rig(sample_breed(cls, 1, 0))
    for s in range(8):
        pose, _ = sample_pose(cls, np.random.default_rng(s))
        mesh = rig.posed_mesh(pose)
        assert np.isfinite(mesh.vertices).all()
        assert mesh.vertices[:, 1].min() == pytest.approx(0.0, abs=1e-6)


def test_pose_changes_the_posed_subject():
    rig = build_rig(sample_breed("cat", 0, 0))
    pose, _ = sample_pose("cat", np.random.default_rng(0), modes=("sit",))
    rest = rig.posed_mesh({}).vertices
    sat = rig.posed_mesh(pose).vertices
    assert rest.shape == sat.shape
    assert np.abs(rest - sat).max() > 0.05


def test_rotation_is_orthonormal_and_applies_x_then_y_then_z():
    r = rotation(0.3, -0.7, 1.1)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)
    np.testing.assert_allclose(rotation(0, 0, np.pi / 2) @ [1, 0, 0], [0, 1, 0], atol=1e-12)
    # x first then z: the X rotation moves +Y to +Z, which a Z rotation leaves alone.
    np.testing.assert_allclose(rotation(np.pi / 2, 0, np.pi / 2) @ [0, 1, 0], [0, 0, 1], atol=1e-12)


# -- poses ------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES)
def test_sample_pose_is_deterministic_per_generator_seed(cls):
    a = sample_pose(cls, np.random.default_rng(5))
    b = sample_pose(cls, np.random.default_rng(5))
    c = sample_pose(cls, np.random.default_rng(6))
    assert a == b
    assert a != c


@pytest.mark.parametrize("cls", ["cat", "dog"])
def test_sample_pose_modes_cover_and_respect_the_allowed_set(cls):
    modes = {sample_pose(cls, np.random.default_rng(s))[1] for s in range(60)}
    assert modes == set(QUADRUPED_POSES)
    only = {sample_pose(cls, np.random.default_rng(s), modes=("sit", "lie"))[1] for s in range(30)}
    assert only == {"sit", "lie"}


@pytest.mark.parametrize("cls", CLASSES)
def test_sample_pose_only_moves_joints_of_the_rig(cls):
    rig = build_rig(sample_breed(cls, 0, 0))
    for s in range(5):
        pose, _ = sample_pose(cls, np.random.default_rng(s))
        assert set(pose) <= set(rig.joint_names())
        assert all(len(v) == 3 for v in pose.values())


# -- class cues the ImageNet network reads (docs/proxy_domains.md) -----------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cat_proportions_stay_cat_like(seed):
    """Round head large against the body, legs about a body's depth, short neck and muzzle,
    a tail near the body's length; coloured eyes and coat patterns of cats."""
    for b in _breeds("cat", seed):
        s = b.shape
        assert 0.4 <= s["head_radius"] / s["body_height"] <= 0.65
        assert 0.8 <= s["leg_length"] / s["body_height"] <= 1.45
        assert s["neck_length"] < 0.5 * s["head_radius"] and s["snout_length"] < 0.2 * s["head_radius"]
        assert 0.65 <= s["tail_length"] / s["body_length"] <= 1.15
        assert s["head_width"] > 1.0 and b.coat["pattern"] in ("tabby", "classic", "smoke", "pointed")
        parts = {p.name: p for p in build_rig(b).parts}
        assert parts["eye_l"].color is not None and parts["pupil_l"].dark


def test_cat_breeds_vary_in_coat_and_proportions():
    cats = [b for seed in (0, 1, 2) for b in _breeds("cat", seed)]
    assert len({b.coat["pattern"] for b in cats}) >= 4
    for key in ("body_length", "leg_length", "head_radius", "tail_length", "ear_size"):
        values = [b.shape[key] for b in cats]
        assert np.ptp(values) > 0.1 * np.mean(values)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cars_are_long_and_low_with_glass_lights_and_wheels_outside_the_body(seed):
    for b in _breeds("car", seed):
        rig = build_rig(b)
        bounds = rig.posed_bounds({})
        length, height, width = bounds[1] - bounds[0]
        assert length > 1.9 * height and length > 1.8 * width  # width: mirrors included
        parts = {p.name: p for p in rig.parts}
        assert {"glass", "light_l", "taillight_r", "tyre_fl", "rim_rr", "arch_lf"} <= set(parts)
        assert parts["tyre_fl"].color is not None and np.mean(parts["tyre_fl"].color) < np.mean(parts["rim_fl"].color)
        mats = rig.part_transforms({})
        tyre = parts["tyre_fl"].mesh.vertices @ mats["tyre_fl"][:3, :3].T + mats["tyre_fl"][:3, 3]
        body = parts["body"].mesh.vertices @ mats["body"][:3, :3].T + mats["body"][:3, 3]
        assert tyre[:, 2].max() > body[:, 2].max()  # the wheel's face shows beside the body
