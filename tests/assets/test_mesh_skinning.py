"""Linear-blend skinning of the 2-bone rig (tests/assets/conftest.py) against hand-computed poses.

Rig: bone1 at the origin, bone2 its child with its joint at (0, 1, 0). Rotating bone2 by
an angle a about +Z maps a point p bound to bone2 to (0,1,0) + Rz(a) (p - (0,1,0)).
"""

from __future__ import annotations

import numpy as np
import pytest

from domrand.meshes.animation import slerp
from domrand.meshes.gltf import load_skinned_gltf
from domrand.meshes.load import MeshError
from domrand.meshes.skinning import trs_matrices

BEND, SLIDE, SNAP, EASE = range(4)


def bent(angle_deg: float) -> np.ndarray:
    """Expected rig vertices with bone2 rotated by ``angle_deg`` about +Z (by hand)."""
    a = np.radians(angle_deg)
    c, s = np.cos(a), np.sin(a)
    joint = np.array([0.0, 1.0, 0.0])

    def on_bone2(p):
        d = np.asarray(p) - joint
        return joint + [c * d[0] - s * d[1], s * d[0] + c * d[1], d[2]]

    v0 = on_bone2([0, 2, 0])
    return np.array(
        [
            v0,  # fully bone2: at 90 deg, (-1, 1, 0)
            (np.array([0, 2, 0]) + v0) / 2,  # 0.5/0.5: the average of both bones' results
            [1, 0, 0],  # bone1 does not move
            [0, 0, 1],
            on_bone2([1, 2, 0]),  # at 90 deg, (-1, 2, 0)
        ]
    )


@pytest.fixture(
    params=[
        ("rig.glb", {}),
        ("rig.gltf", {}),  # external rig.bin
        ("rig_embedded.gltf", {}),  # base64 data: URI
        (
            "rig_q.glb",
            {"quantized": True, "stride": 16},
        ),  # u8 joints/weights, strided positions
    ],
    ids=["glb", "gltf-external-bin", "gltf-data-uri", "glb-quantized-strided"],
)
def rig(request, tmp_path, kit):
    name, options = request.param
    return load_skinned_gltf(kit.build_rig(tmp_path / name, **options))


def test_known_answer_at_keyframe(rig):
    out = rig.pose(BEND, 1.0)
    np.testing.assert_allclose(out[0], [-1.0, 1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(out[1], [-0.5, 1.5, 0.0], atol=1e-6)
    np.testing.assert_allclose(out[4], [-1.0, 2.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(out, bent(90), atol=1e-6)


def test_bind_pose_is_the_authored_mesh(rig, kit):
    np.testing.assert_allclose(rig.bind_pose(), kit.RIG_VERTICES, atol=1e-6)
    np.testing.assert_allclose(rig.pose(BEND, 0.0), kit.RIG_VERTICES, atol=1e-6)
    np.testing.assert_array_equal(rig.faces, kit.RIG_FACES)


def test_model_structure(rig):
    assert [c.name for c in rig.clips] == ["bend", "slide", "snap", "ease"]
    assert [n.name for n in rig.nodes] == ["bone1", "bone2", "body"]
    assert rig.nodes[1].parent == 0 and rig.nodes[0].parent == -1
    np.testing.assert_allclose(rig.weights.sum(axis=1), 1.0)
    np.testing.assert_allclose(rig.skins[0].inverse_bind[1][:3, 3], [0, -1, 0])
    assert (rig.clips[SLIDE].start, rig.clips[SLIDE].end) == (0.0, 2.0)


@pytest.mark.parametrize("t, angle", [(0.5, 45.0), (0.25, 22.5), (0.75, 67.5)])
def test_rotation_keys_are_slerped(rig, t, angle):
    # Normalised lerp would give 21.6 deg at t=0.25: constant angular speed is slerp's mark.
    np.testing.assert_allclose(rig.pose(BEND, t), bent(angle), atol=1e-6)


def test_translation_keys_are_linear(rig, kit):
    shift = np.array([0.0, 0.0, 0.5])  # (0,0,0) -> (0,0,2) over 2 s, at t=0.5 s
    np.testing.assert_allclose(rig.pose(SLIDE, 0.5), kit.RIG_VERTICES + shift, atol=1e-6)


def test_step_holds_the_previous_key(rig, kit):
    np.testing.assert_allclose(rig.pose(SNAP, 0.99), kit.RIG_VERTICES, atol=1e-6)
    np.testing.assert_allclose(rig.pose(SNAP, 1.0), bent(90), atol=1e-6)


def test_cubic_spline_with_flat_tangents_passes_the_midpoint(rig, kit):
    # Hermite basis at u=0.5 with zero tangents weights both keys by 1/2.
    np.testing.assert_allclose(rig.pose(EASE, 0.5), kit.RIG_VERTICES + [0, 0, 1], atol=1e-6)
    # ...and eases: at u=0.25, h01 = 3u^2 - 2u^3 = 0.15625 of the 2 m move.
    np.testing.assert_allclose(rig.pose(EASE, 0.25)[:, 2] - kit.RIG_VERTICES[:, 2], 0.3125, atol=1e-6)


def test_time_outside_the_clip_is_clamped(rig, kit):
    np.testing.assert_allclose(rig.pose(BEND, -3.0), kit.RIG_VERTICES, atol=1e-6)
    np.testing.assert_allclose(rig.pose(BEND, 7.0), bent(90), atol=1e-6)


def test_random_pose_is_deterministic_per_seed(rig):
    a, info_a = rig.random_pose(np.random.default_rng(123))
    b, info_b = rig.random_pose(np.random.default_rng(123))
    np.testing.assert_array_equal(a, b)
    assert info_a == info_b and info_a["fallback"] is False
    clip = rig.clips[info_a["clip"]]
    assert info_a["clip_name"] == clip.name and clip.start <= info_a["time"] <= clip.end
    np.testing.assert_array_equal(a, rig.pose(info_a["clip"], info_a["time"]))
    poses = {rig.random_pose(np.random.default_rng(s))[0].tobytes() for s in range(20)}
    assert len(poses) > 1


@pytest.mark.parametrize("skinned, missing", [(True, "animation"), (False, "skin")])
def test_no_animation_or_skin_falls_back_to_bind_pose_with_warning(tmp_path, kit, skinned, missing):
    path = kit.build_rig(tmp_path / "static.glb", skinned=skinned, animated=False)
    model = load_skinned_gltf(path)
    with pytest.warns(UserWarning, match=missing) as record:
        verts, info = model.random_pose(np.random.default_rng(0))
    assert str(path) in str(record[0].message)
    assert info == {"clip": None, "clip_name": None, "time": None, "fallback": True}
    np.testing.assert_allclose(verts, kit.RIG_VERTICES, atol=1e-6)


def test_unused_slots_may_hold_any_joint_index(tmp_path, kit):
    # Exporters pad zero-weight slots with arbitrary indices, even out-of-range ones.
    model = load_skinned_gltf(kit.build_rig(tmp_path / "pad.glb", pad_joint=9))
    np.testing.assert_allclose(model.pose(BEND, 1.0), bent(90), atol=1e-6)


def test_model_without_clips_cannot_animate(tmp_path, kit):
    model = load_skinned_gltf(kit.build_rig(tmp_path / "static.glb", animated=False))
    assert model.clips == () and not model.can_animate


def test_to_trimesh_keeps_vertex_order_and_uv(rig, kit):
    mesh = rig.to_trimesh(rig.pose(BEND, 1.0))
    np.testing.assert_allclose(mesh.vertices, bent(90), atol=1e-6)
    np.testing.assert_allclose(mesh.visual.uv, kit.RIG_UV, atol=1e-6)
    assert len(mesh.faces) == len(rig.faces)


def test_unreadable_gltf_names_the_file(tmp_path):
    path = tmp_path / "broken.gltf"
    path.write_text("{ not json")
    with pytest.raises(MeshError) as err:
        load_skinned_gltf(path)
    assert str(path) in str(err.value)


def test_missing_external_buffer_names_it(tmp_path, kit):
    path = kit.build_rig(tmp_path / "rig.gltf")
    (tmp_path / "rig.bin").unlink()
    with pytest.raises(MeshError, match="rig.bin") as err:
        load_skinned_gltf(path)
    assert "next to the .gltf" in str(err.value)


def test_truncated_glb_is_a_mesh_error(tmp_path, kit):
    path = kit.build_rig(tmp_path / "rig.glb")
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(MeshError) as err:
        load_skinned_gltf(path)
    assert str(path) in str(err.value)


def test_slerp_takes_the_short_way_and_trs_composes():
    q = np.array([0.0, 0.0, np.sin(np.pi / 8), np.cos(np.pi / 8)])  # 45 deg about Z
    half = slerp(q[None], -q[None], np.array([0.5]))[0]
    np.testing.assert_allclose(half * np.sign(half[3]), q, atol=1e-12)  # -q is the same rotation
    m = trs_matrices(
        np.array([[1, 2, 3]]), np.array([[0, 0, np.sin(np.pi / 4), np.cos(np.pi / 4)]]), np.array([[2, 2, 2]])
    )[0]
    np.testing.assert_allclose(m @ [1, 0, 0, 1], [1, 4, 3, 1], atol=1e-12)  # S, then R, then T
