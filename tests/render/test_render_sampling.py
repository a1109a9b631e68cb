"""Frame and obstructor sampling: pure, deterministic, and faithful to every switch."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from domrand.config import deep_merge, variant_generator
from domrand.render.sampling import FrameParams, sample_camera, sample_frame, sample_obstructors
from domrand.world.shapes import OBSTRUCTOR_KINDS

N_BREEDS, N_MAT, N_SKY = 3, 5, 4


def _frames(gen, cls="cat", n=40):
    return [sample_frame(gen, cls, N_BREEDS, N_MAT, N_SKY, np.random.default_rng(s)) for s in range(n)]


@pytest.fixture
def control(repo_config):
    return variant_generator(repo_config, "control")


def test_sample_frame_is_deterministic_and_does_not_mutate_the_config(control):
    before = copy.deepcopy(control)
    a = sample_frame(control, "dog", N_BREEDS, N_MAT, N_SKY, np.random.default_rng(11))
    b = sample_frame(control, "dog", N_BREEDS, N_MAT, N_SKY, np.random.default_rng(11))
    c = sample_frame(control, "dog", N_BREEDS, N_MAT, N_SKY, np.random.default_rng(12))
    assert isinstance(a, FrameParams)
    assert a == b
    assert a != c
    assert control == before


def test_control_frames_randomise_everything_within_range(control):
    frames = _frames(control)
    assert {f.breed for f in frames} == set(range(N_BREEDS))
    assert {f.sky for f in frames} == set(range(N_SKY))
    assert {f.ground_material for f in frames} == set(range(N_MAT))
    assert {f.subject_material for f in frames} == {-1}  # natural coat
    assert len({f.pose_mode for f in frames}) > 1
    lo, hi = control["lighting"]["intensity"]
    for f in frames:
        assert lo <= f.light_intensity <= hi
        assert control["lighting"]["elevation"][0] <= f.light_elevation <= control["lighting"]["elevation"][1]
        assert 0.0 <= f.light_azimuth <= 360.0
        assert all(1.0 - control["lighting"]["color_jitter"] <= c <= 1.0 for c in f.light_color)
    assert len({f.light_intensity for f in frames}) == len(frames)


def test_camera_stays_within_its_bounds(control):
    cam = control["camera"]
    for f in _frames(control, n=200):
        assert cam["elevation"][0] <= f.camera_elevation <= cam["elevation"][1]
        assert cam["azimuth"][0] <= f.camera_azimuth <= cam["azimuth"][1]
        assert cam["distance"][0] <= f.camera_distance <= cam["distance"][1]
        assert all(abs(t) <= cam["jitter"] for t in f.camera_target)


def test_camera_elevation_is_uniform_over_the_hemisphere_area():
    cfg = {"azimuth": [0, 360], "elevation": [0, 90], "distance": [1, 1], "jitter": 0.0}
    rng = np.random.default_rng(0)
    el = np.array([sample_camera(cfg, rng)[1] for _ in range(4000)])
    # Uniform over area: sin(elevation) is uniform on [0, 1], so half the draws lie below 30 degrees.
    assert np.mean(el < 30.0) == pytest.approx(0.5, abs=0.04)
    assert el.min() >= 0.0 and el.max() <= 90.0


def test_narrow_elevation_range_is_respected():
    cfg = {"azimuth": [10, 20], "elevation": [5, 6], "distance": [2, 3], "jitter": 0.0}
    rng = np.random.default_rng(1)
    for _ in range(100):
        az, el, dist, target = sample_camera(cfg, rng)
        assert 10 <= az <= 20 and 5 <= el <= 6 and 2 <= dist <= 3 and target == (0.0, 0.0, 0.0)


def test_no_lighting_uses_the_default_light(repo_config):
    gen = variant_generator(repo_config, "no_lighting")
    light = gen["lighting"]
    for f in _frames(gen, n=10):
        assert (f.light_azimuth, f.light_elevation) == tuple(float(x) for x in light["default_direction"])
        assert f.light_intensity == light["default_intensity"]
        assert f.light_color == (1.0, 1.0, 1.0)


def test_no_skies_gives_the_plain_background(repo_config):
    frames = _frames(variant_generator(repo_config, "no_skies"), n=20)
    assert {f.sky for f in frames} == {-1}
    assert len({f.ground_material for f in frames}) > 1  # other switches untouched


def test_no_textures_gives_the_plain_ground(repo_config):
    frames = _frames(variant_generator(repo_config, "no_textures"), n=20)
    assert {f.ground_material for f in frames} == {-1}
    assert {f.subject_material for f in frames} == {-1}


def test_texture_subject_draws_a_material_for_the_subject(repo_config):
    frames = _frames(variant_generator(repo_config, "texture_subject"), n=40)
    assert all(0 <= f.subject_material < N_MAT for f in frames)
    assert len({f.subject_material for f in frames}) > 1


def test_no_poses_gives_the_default_pose(repo_config):
    for cls in ("cat", "dog", "bicycle", "car"):
        for f in _frames(variant_generator(repo_config, "no_poses"), cls=cls, n=5):
            assert f.pose == {} and f.pose_mode == "default"


def test_canonical_poses_are_photo_like(control):
    gen = deep_merge(control, {"subject": {"pose": "canonical"}})
    assert {f.pose_mode for f in _frames(gen, n=60)} == {"stand", "sit", "lie"}


def test_random_poses_for_the_control(control):
    frames = _frames(control, n=60)
    assert {f.pose_mode for f in frames} == {"stand", "walk", "sit", "lie"}
    assert all(f.pose for f in frames)


def test_no_skies_available_means_plain_background(control):
    f = sample_frame(control, "cat", 2, N_MAT, 0, np.random.default_rng(0))
    assert f.sky == -1


def test_record_is_flat_and_json_friendly(control):
    f = _frames(control, n=1)[0]
    f.obstructors = sample_obstructors(control["obstructors"], N_MAT, True, np.random.default_rng(0))
    r = f.record()
    assert r["n_obstructors"] == len(f.obstructors)
    pose = json.loads(r["pose"])
    assert set(pose) == set(f.pose) and all(len(v) == 3 for v in pose.values())
    obs = json.loads(r["obstructors"])
    assert [o["kind"] for o in obs] == [o.kind for o in f.obstructors]
    assert isinstance(r["camera_target"], list) and len(r["camera_target"]) == 3
    assert isinstance(r["light_color"], list)


# -- obstructors ------------------------------------------------------------------------


def test_sample_obstructors_deterministic_and_within_config(control):
    cfg = control["obstructors"]
    runs = [sample_obstructors(cfg, N_MAT, True, np.random.default_rng(s)) for s in range(50)]
    assert runs[0] == sample_obstructors(cfg, N_MAT, True, np.random.default_rng(0))
    assert {len(r) for r in runs} == set(range(cfg["count"][0], cfg["count"][1] + 1))
    kinds = set()
    for r in runs:
        for o in r:
            kinds.add(o.kind)
            assert o.kind in OBSTRUCTOR_KINDS
            assert cfg["scale"][0] <= o.scale <= cfg["scale"][1]
            if o.between is None:  # around the subject
                assert cfg["distance"][0] <= o.distance <= cfg["distance"][1]
                assert cfg["height"][0] <= o.height <= cfg["height"][1]
                assert 0 <= o.direction_deg <= 360
            else:  # between the camera and the subject
                assert cfg["between_position"][0] <= o.between <= cfg["between_position"][1]
            assert 0 <= o.material < N_MAT
            assert all(-np.pi <= a <= np.pi for a in o.rotation)
    assert kinds == set(OBSTRUCTOR_KINDS)


def test_sample_obstructors_disabled_draws_nothing(repo_config):
    cfg = variant_generator(repo_config, "no_obstructors")["obstructors"]
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    assert sample_obstructors(cfg, N_MAT, True, rng) == []
    assert rng.bit_generator.state == state  # and consumes no randomness


def test_sample_obstructors_plain_materials(control):
    obs = sample_obstructors(control["obstructors"], N_MAT, False, np.random.default_rng(3))
    assert obs and all(o.material == -1 for o in obs)


def test_sample_obstructors_fixed_count(control):
    cfg = deep_merge(control["obstructors"], {"count": [3, 3]})
    assert all(len(sample_obstructors(cfg, N_MAT, True, np.random.default_rng(s))) == 3 for s in range(10))


def test_obstructors_between_camera_and_subject(control):
    cfg = deep_merge(control["obstructors"], {"between": 1.0, "between_position": [0.4, 0.6], "between_jitter": 0.1})
    runs = [sample_obstructors(cfg, N_MAT, True, np.random.default_rng(s)) for s in range(30)]
    for o in (o for r in runs for o in r):
        assert 0.4 <= o.between <= 0.6 and all(abs(x) <= 0.1 for x in o.offset)
        assert (o.direction_deg, o.height, o.distance) == (0.0, 0.0, 0.0)  # unused on the line
    none = deep_merge(cfg, {"between": 0.0})
    assert all(
        o.between is None and o.offset == (0.0, 0.0, 0.0)
        for s in range(30)
        for o in sample_obstructors(none, N_MAT, True, np.random.default_rng(s))
    )
    half = deep_merge(cfg, {"between": 0.5})
    share = np.mean(
        [
            o.between is not None
            for s in range(200)
            for o in sample_obstructors(half, N_MAT, True, np.random.default_rng(s))
        ]
    )
    assert share == pytest.approx(0.5, abs=0.06)
    f = _frames(control, n=1)[0]
    f.obstructors = runs[0]
    assert [o["between"] for o in json.loads(f.record()["obstructors"])] == [o.between for o in runs[0]]


def test_between_zero_spends_no_randomness_on_it(control):
    """With `between` 0 the draws are those of placement around the subject alone."""
    cfg = deep_merge(control["obstructors"], {"between": 0.0})
    rng = np.random.default_rng(5)
    obs = sample_obstructors(cfg, N_MAT, True, rng)
    ref = np.random.default_rng(5)
    n = int(ref.integers(cfg["count"][0], cfg["count"][1] + 1))
    assert len(obs) == n
    for o in obs:
        assert o.kind == OBSTRUCTOR_KINDS[int(ref.integers(len(OBSTRUCTOR_KINDS)))]
        assert o.direction_deg == ref.uniform(0, 360)
        ref.uniform(*cfg["height"]), ref.uniform(*cfg["distance"]), ref.uniform(*cfg["scale"]), ref.uniform(size=3)
        ref.integers(N_MAT)
