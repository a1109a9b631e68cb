"""The quaternion math of domrand.meshes (scipy's Rotation) against the hand-written math it
replaced, kept here as the reference: scalar and vectorised slerp (nlerp when nearly
parallel) and T @ R @ S matrices, and whole poses of the test rigs (the 2-bone rig of
tests/assets/conftest.py, the 8-bone tube of tests/helpers/textured_models.py) skinned with it.
A few poses are also pinned to the numbers the replaced code printed."""

from __future__ import annotations

import numpy as np
import pytest

from domrand.meshes.animation import INTERPOLATIONS, slerp
from domrand.meshes.gltf import load_skinned_gltf
from domrand.meshes.skinning import trs_matrices
from helpers.textured_models import build_textured_rig

# --- the replaced implementation (domrand/assets/skinning.py before the move to scipy) ------


def ref_unit(q):
    n = float(np.linalg.norm(q))
    return q / n if n > 0 else np.array([0.0, 0.0, 0.0, 1.0])


def ref_slerp(q0, q1, u):
    q0, q1 = ref_unit(np.asarray(q0, float)), ref_unit(np.asarray(q1, float))
    d = float(np.dot(q0, q1))
    if d < 0:
        q1, d = -q1, -d
    if d > 0.9995:
        return ref_unit(q0 + u * (q1 - q0))
    theta = np.arccos(d)
    return (np.sin((1 - u) * theta) * q0 + np.sin(u * theta) * q1) / np.sin(theta)


def ref_slerp_many(q0, q1, u):
    q0 = q0 / np.maximum(np.linalg.norm(q0, axis=1, keepdims=True), 1e-300)
    q1 = q1 / np.maximum(np.linalg.norm(q1, axis=1, keepdims=True), 1e-300)
    d = np.sum(q0 * q1, axis=1)
    q1 = np.where((d < 0)[:, None], -q1, q1)
    d = np.abs(d)
    u = np.asarray(u, float)[:, None]
    near = d > 0.9995
    theta = np.arccos(np.clip(d, -1.0, 1.0))[:, None]
    sin = np.where(near[:, None], 1.0, np.sin(theta))
    far = (np.sin((1 - u) * theta) * q0 + np.sin(u * theta) * q1) / sin
    lerp = q0 + u * (q1 - q0)
    lerp = lerp / np.linalg.norm(lerp, axis=1, keepdims=True)
    return np.where(near[:, None], lerp, far)


def ref_trs_matrices(t, r, s):
    n = np.linalg.norm(r, axis=1, keepdims=True)
    r = np.where(n > 0, r / np.where(n > 0, n, 1.0), [0.0, 0.0, 0.0, 1.0])
    x, y, z, w = r.T
    m = np.zeros((len(t), 4, 4))
    m[:, 0, 0], m[:, 0, 1], m[:, 0, 2] = 1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)
    m[:, 1, 0], m[:, 1, 1], m[:, 1, 2] = 2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)
    m[:, 2, 0], m[:, 2, 1], m[:, 2, 2] = 2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)
    m[:, :3, :3] *= s[:, None, :]
    m[:, :3, 3] = t
    m[:, 3, 3] = 1.0
    return m


def ref_sample(sampler, t, rotation):
    times, values, k = sampler.times, sampler.values, len(sampler.times)
    cubic = sampler.interpolation == "CUBICSPLINE"
    key = (lambda i: values[i, 1]) if cubic else (lambda i: values[i])
    if k == 1 or t <= times[0]:
        return ref_unit(key(0)) if rotation else key(0)
    if t >= times[-1]:
        return ref_unit(key(k - 1)) if rotation else key(k - 1)
    i = int(np.searchsorted(times, t, side="right")) - 1
    dt = float(times[i + 1] - times[i])
    u = (t - times[i]) / dt
    if sampler.interpolation == "STEP":
        out = key(i)
    elif cubic:
        u2, u3 = u * u, u * u * u
        out = (
            (2 * u3 - 3 * u2 + 1) * values[i, 1]
            + (u3 - 2 * u2 + u) * dt * values[i, 2]
            + (-2 * u3 + 3 * u2) * values[i + 1, 1]
            + (u3 - u2) * dt * values[i + 1, 0]
        )
    elif rotation:
        return ref_slerp(key(i), key(i + 1), u)
    else:
        out = (1 - u) * key(i) + u * key(i + 1)
    return ref_unit(out) if rotation else out


def ref_pose(model, clip_index, time):
    """Vertices of ``model`` at ``time`` in clip ``clip_index``: the replaced math, one vertex
    and one influence at a time."""
    values = {
        (ch.node, ch.path): ref_sample(ch.sampler, time, ch.path == "rotation")
        for ch in model.clips[clip_index].channels
    }
    get = lambda i, path, rest: values.get((i, path), rest)  # noqa: E731 -- a one-line closure over `values` for the three lookups below
    nodes = model.nodes
    local = ref_trs_matrices(
        np.array([get(i, "translation", n.translation) for i, n in enumerate(nodes)]),
        np.array([get(i, "rotation", n.rotation) for i, n in enumerate(nodes)]),
        np.array([get(i, "scale", n.scale) for i, n in enumerate(nodes)]),
    )
    world = np.empty((len(nodes), 4, 4))
    for i in model.order:
        m = nodes[i].matrix if nodes[i].matrix is not None else local[i]
        world[i] = m if nodes[i].parent < 0 else world[nodes[i].parent] @ m
    out = np.empty_like(model.vertices)
    for part in model.parts:
        skin = model.skins[part.skin]
        for v in range(part.start, part.stop):
            m = sum(
                w * world[skin.joints[j]] @ skin.inverse_bind[j]
                for j, w in zip(model.joints[v], model.weights[v])
                if w > 0
            )
            out[v] = (m @ [*model.vertices[v], 1.0])[:3]
    return out


# --- the comparisons ----------------------------------------------------------------------


def same_rotation(a, b, atol):
    """Quaternions (..., 4) equal up to sign (q and -q are one rotation)."""
    sign = np.where(np.sum(a * b, axis=-1, keepdims=True) < 0, -1.0, 1.0)
    np.testing.assert_allclose(a, sign * b, atol=atol)


def quaternions(rng, n):
    return rng.normal(size=(n, 4)) * rng.uniform(0.2, 3.0, size=(n, 1))  # any length, as files have


def test_slerp_matches_the_replaced_scalar_and_vector_copies():
    rng = np.random.default_rng(7)
    q0, q1, u = quaternions(rng, 500), quaternions(rng, 500), rng.uniform(0, 1, 500)
    # Nearly parallel pairs (the replaced code's nlerp branch) and exact opposites.
    q1[:50] = q0[:50] + 1e-3 * rng.normal(size=(50, 4))
    q1[50:60] = -q0[50:60]
    u[60:70], u[70:80] = 0.0, 1.0
    new = slerp(q0, q1, u)
    np.testing.assert_allclose(np.linalg.norm(new, axis=1), 1.0, atol=1e-12)
    same_rotation(new, ref_slerp_many(q0, q1, u), atol=1e-7)
    same_rotation(new, np.array([ref_slerp(a, b, x) for a, b, x in zip(q0, q1, u)]), atol=1e-7)


def test_trs_matrices_match_the_replaced_formula():
    rng = np.random.default_rng(8)
    n = 300
    t, r, s = rng.normal(size=(n, 3)), quaternions(rng, n), rng.uniform(0.1, 3.0, size=(n, 3))
    r[:5] = 0.0  # a zero quaternion means no rotation
    np.testing.assert_allclose(trs_matrices(t, r, s), ref_trs_matrices(t, r, s), atol=1e-12)


@pytest.fixture(scope="module")
def tube(tmp_path_factory):
    return load_skinned_gltf(build_textured_rig(tmp_path_factory.mktemp("tube") / "tube.glb"))


@pytest.mark.parametrize("clip", [0, 1])
def test_tube_poses_match_the_replaced_math(tube, clip):
    # Some of the tube's key pairs are nearly parallel, where the replaced code used nlerp
    # (off slerp by up to ~1e-7 m here): hence 1e-6, not round-off.
    for time in np.linspace(-0.1, 2.1, 12):
        np.testing.assert_allclose(tube.pose(clip, time), ref_pose(tube, clip, time), atol=1e-6)


def test_rig_poses_match_the_replaced_math(tmp_path, kit):
    rig = load_skinned_gltf(kit.build_rig(tmp_path / "rig.glb"))
    assert {c.channels[0].sampler.interpolation for c in rig.clips} == set(INTERPOLATIONS)
    for clip in range(len(rig.clips)):
        for time in np.linspace(-0.5, 2.5, 13):
            np.testing.assert_allclose(rig.pose(clip, time), ref_pose(rig, clip, time), atol=1e-9)


# Printed by the replaced code (assets/skinning.py at commit 1bd27dc): column sums and three
# vertices (0, 500, 959) of the tube's pose.
PINNED_TUBE = [
    (
        0,
        0.37,
        [917.1277043937503, 498.137446776221, 0.0],
        [
            [-0.08616338193082175, 0.7201408889952671, 0.0],
            [1.1272298457312002, 0.7703562310749785, -0.21650634706020355],
            [1.8423540398537421, 0.6182343586852899, -0.0647047609090805],
        ],
    ),
    (
        1,
        1.234,
        [960.0000188648701, 449.3343510792192, -73.78678837557413],
        [
            [0.0, 0.7112288225600392, -0.14534034822303968],
            [1.0256410837173462, 0.5694372726683095, -0.26816298183316445],
            [2.0, 0.7010991433344559, -0.15849745538132737],
        ],
    ),
    (
        0,
        1.999,
        [637.0502737216096, 791.0319073880751, 0.0],
        [
            [-0.14159809053695538, 0.5971605040237593, 0.0],
            [0.4333707807472001, 1.0011134587882655, -0.21650634706020355],
            [1.5734427109958669, 1.4336462797982177, -0.0647047609090805],
        ],
    ),
]


@pytest.mark.parametrize("clip, time, sums, vertices", PINNED_TUBE)
def test_tube_poses_keep_the_pinned_numbers(tube, clip, time, sums, vertices):
    out = tube.pose(clip, time)
    np.testing.assert_allclose(out.sum(axis=0), sums, atol=1e-6 * len(out))  # 1e-6 per vertex
    np.testing.assert_allclose(out[[0, 500, 959]], vertices, atol=1e-6)


def test_skinned_normals_keep_the_pinned_numbers(tube):
    rest = np.asarray(tube.to_trimesh(tube.bind_pose()).vertex_normals)
    _, normals = tube.pose_with_normals(0, 0.81, rest)
    np.testing.assert_allclose(
        normals[[7, 700]],
        [
            [0.046862310459040886, 0.24267220387882785, -0.9689758125583079],
            [-0.13998165549350652, -0.46605279932147886, -0.8736131434278622],
        ],
        atol=1e-6,
    )
