"""SceneRenderer on a tiny world: sky, occlusion counts, and the GL renderer's pyrender-equivalent pieces."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from domrand.config import variant_generator
from domrand.render.gl import perspective
from domrand.render.sampling import Obstructor, sample_frame
from domrand.render.scene import SceneRenderer
from domrand.render.shard import select_breeds
from domrand.world.build import World

SIZE = 96


@pytest.fixture(scope="module")
def gen(repo_config):
    return variant_generator(repo_config, "control")


@pytest.fixture(scope="module")
def scene(tiny_world, gen):
    world = World.load(tiny_world)
    breeds = select_breeds(world, "cat", gen["subject"])
    with SceneRenderer(world, "cat", breeds, gen, SIZE) as sr:
        yield sr


def _frame(gen, sr, seed=3, **changes):
    p = sample_frame(gen, "cat", len(sr.subjects), len(sr.materials), len(sr.skies), np.random.default_rng(seed))
    return dataclasses.replace(p, **changes)


def _image(sr, p, obstructors=()):
    sr.set_frame(p)
    sr.set_obstructors(list(obstructors))
    return sr.render(np.random.default_rng(0))[0].astype(float)


def test_the_sky_dome_is_drawn(scene, gen):
    # A level view above the subject: the top of the frame is sky, or the plain background without one.
    p = _frame(gen, scene, camera_elevation=2.0, camera_distance=1.6, camera_target=(0.0, 0.6, 0.0))
    plain = _image(scene, dataclasses.replace(p, sky=-1))
    skies = [_image(scene, dataclasses.replace(p, sky=k)) for k in range(len(scene.skies))]
    top = slice(0, SIZE // 6)
    background = np.array(gen["sky"]["color"]) * 255
    assert np.abs(plain[top] - background).max() <= 1.0
    for img in skies:
        assert np.abs(img[top] - plain[top]).mean() > 10.0
    assert np.abs(skies[0][top] - skies[1][top]).mean() > 2.0  # each sky its own texture


def test_frames_are_deterministic_and_antialiased(scene, gen):
    p = _frame(gen, scene)
    a, b = _image(scene, p), _image(scene, p)
    assert np.array_equal(a, b)
    # 4x MSAA: edges get blended colours, so far more distinct values than flat regions alone give.
    assert len(np.unique(a.reshape(-1, 3), axis=0)) > 200


def _obstructor_in_front(scene, p):
    scene.set_frame(p)
    toward = p.camera_azimuth  # between the camera and the subject
    return Obstructor(
        kind="box", direction_deg=toward, height=0.3, distance=0.35, scale=0.35, rotation=(0.0, 0.0, 0.0), material=0
    )


def test_coverage_counts_the_subject_and_what_the_obstructors_leave_visible(scene, gen):
    p = _frame(gen, scene, camera_elevation=15.0, camera_distance=1.4, camera_target=(0.0, 0.0, 0.0))
    o = _obstructor_in_front(scene, p)
    full, alone = scene.coverage()  # no obstructors yet
    assert full > 100 and alone == full
    scene.set_obstructors([o])
    full_now, behind = scene.coverage()
    assert full_now == full and 0 < behind < full
    assert scene.coverage() == (full, behind)  # repeatable
    bigger = Obstructor(**{**o.__dict__, "scale": 0.6})
    scene.set_obstructors([o, bigger])
    assert scene.coverage()[1] < behind  # more in front, less visible
    scene.set_obstructors([])
    assert scene.coverage() == (full, full)


def test_coverage_agrees_with_the_depth_of_a_rendered_frame(scene, gen):
    """The id pass counts what the colour pass shows: subject pixels nearer than the obstructor."""
    p = _frame(gen, scene, camera_elevation=15.0, camera_distance=1.4, camera_target=(0.0, 0.0, 0.0))
    o = _obstructor_in_front(scene, p)
    full, _ = scene.coverage()
    gl, view, proj = scene.gl, scene._view, scene.proj
    _, z_subject = gl.render(
        scene._subject_draws, view, proj, (0, 0, 1), (0, -1, 0), (1, 1, 1), (0, 0, 0), (0, 0, 0, 1), depth=True
    )
    scene.set_obstructors([o])
    _, z_both = gl.render(
        scene._subject_draws + scene._obstructor_draws,
        view,
        proj,
        (0, 0, 1),
        (0, -1, 0),
        (1, 1, 1),
        (0, 0, 0),
        (0, 0, 0, 1),
        depth=True,
    )
    full_now, visible = scene.coverage()
    subject = z_subject > 0
    shown = subject & np.isclose(z_both, z_subject, rtol=1e-4)
    # depth is read from the resolved MSAA target, so edge pixels may differ by a few
    assert full_now == full and abs(full - subject.sum()) <= 0.02 * full
    assert abs(visible - shown.sum()) <= 0.02 * full and visible < 0.9 * full


def test_low_resolution_coverage_agrees_with_full_resolution(tiny_world, gen):
    world = World.load(tiny_world)
    breeds = select_breeds(world, "cat", gen["subject"])
    fractions = {}
    for cov in (SIZE, SIZE // 2):
        with SceneRenderer(world, "cat", breeds, gen, SIZE, coverage_size=cov) as sr:
            p = _frame(gen, sr, camera_elevation=15.0, camera_distance=1.4, camera_target=(0.0, 0.0, 0.0))
            o = _obstructor_in_front(sr, p)
            sr.set_obstructors([o])
            full, visible = sr.coverage()
            fractions[cov] = visible / full
    assert 0.05 < fractions[SIZE] < 0.95
    assert fractions[SIZE // 2] == pytest.approx(fractions[SIZE], abs=0.05)


def test_projection_matches_pyrender():
    import pyrender

    cam = pyrender.PerspectiveCamera(yfov=0.8, znear=0.02, zfar=300.0)
    assert np.allclose(perspective(0.8, 1.0, 0.02, 300.0), cam.get_projection_matrix(64, 64))


def test_two_renderers_in_one_process_take_turns(scene, tiny_world, gen):
    p = _frame(gen, scene)
    before = _image(scene, p)
    world = World.load(tiny_world)
    with SceneRenderer(world, "cat", select_breeds(world, "cat", gen["subject"]), gen, SIZE) as other:
        assert np.array_equal(_image(other, p), before)
        assert np.array_equal(_image(scene, p), before)
    assert np.array_equal(_image(scene, p), before)  # closing one leaves the other's display alive


# -- shadows and obstructors between camera and subject ----------------------------------


def _with_shadows(sr, on, p, obstructors=()):
    before = sr.shadows
    sr.shadows = on
    try:
        return _image(sr, p, obstructors)
    finally:
        sr.shadows = before


def test_shadows_only_darken_and_fall_on_the_ground_beside_the_subject(scene, gen):
    # Light from the camera's left at 40 degrees: the subject's shadow lies on the ground to its right.
    p = _frame(
        gen,
        scene,
        camera_elevation=35.0,
        camera_distance=1.6,
        camera_target=(0.0, 0.0, 0.0),
        light_elevation=40.0,
        light_intensity=4.0,
        light_color=(1.0, 1.0, 1.0),
        sky=-1,
    )
    p = dataclasses.replace(p, light_azimuth=p.camera_azimuth + 90.0)
    lit, shaded = _with_shadows(scene, False, p), _with_shadows(scene, True, p)
    darker = (lit - shaded).max(-1)
    assert (shaded <= lit + 1.0).all()  # a shadow only removes direct light
    assert (darker > 20).sum() > 0.02 * SIZE * SIZE  # a visible shadow
    full, _ = scene.coverage_masks()
    ground_shadow = (darker > 20) & ~full
    assert ground_shadow.sum() > 0.5 * (darker > 20).sum()  # mostly cast on the ground, not self-shadowing


def test_an_obstructor_above_the_subject_shades_it(scene, gen):
    p = _frame(
        gen,
        scene,
        camera_elevation=5.0,
        camera_distance=1.4,
        camera_target=(0.0, 0.0, 0.0),
        light_elevation=90.0,
        light_intensity=5.0,
        light_color=(1.0, 1.0, 1.0),
        sky=-1,
    )
    roof = Obstructor(
        kind="box", direction_deg=0.0, height=2.5, distance=0.0, scale=1.2, rotation=(0.0, 0.0, 0.0), material=0
    )  # above the frame, between light and subject
    open_sky = _with_shadows(scene, True, p)
    full, _ = scene.coverage_masks()
    covered = _with_shadows(scene, True, p, [roof])
    assert scene.coverage() == (full.sum(), full.sum())  # the roof is not in view
    assert covered[full].mean() < open_sky[full].mean() - 15.0
    assert np.array_equal(_with_shadows(scene, False, p, [roof]), _with_shadows(scene, False, p))


def test_shadow_frustum_sees_the_casters_and_the_ground_they_shade():
    from domrand.render.camera import direction, shadow_frustum

    lo, hi = np.array([-1.0, 0.0, -0.5]), np.array([1.0, 1.5, 0.5])
    for el in (10.0, 45.0, 90.0):
        d = -direction(30.0, el)  # the light travels down
        V, P = shadow_frustum(lo, hi, d)
        corners = np.array([[x, y, z, 1.0] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
        # Where the top corners' shadows meet the ground (y = 0).
        ground = corners[corners[:, 1] > 0].copy()
        ground[:, :3] += d * (ground[:, 1:2] / -d[1])
        for pt in np.concatenate([corners, ground]):
            ndc = P @ V @ pt
            assert np.all(np.abs(ndc[:3]) < 1.0), (el, pt)
        assert np.abs((P @ V @ corners.T)[:2]).max() < 0.99  # a margin: casters never touch the edge


def test_an_obstructor_between_camera_and_subject_hides_part_of_it(scene, gen):
    p = _frame(gen, scene, camera_elevation=20.0, camera_distance=1.4, camera_target=(0.0, 0.0, 0.0))
    scene.set_frame(p)
    full, alone = scene.coverage()
    o = Obstructor(
        kind="sphere",
        direction_deg=0.0,
        height=0.0,
        distance=0.0,
        scale=0.2,
        rotation=(0.0, 0.0, 0.0),
        material=0,
        between=0.5,
        offset=(0.0, 0.0, 0.0),
    )
    pos = scene.obstructor_position(o)
    eye, target = scene._camera[:3, 3], scene._target
    assert np.allclose(pos, (eye + target) / 2)
    scene.set_obstructors([o])
    assert 0 < scene.coverage()[1] < alone == full
    shifted = dataclasses.replace(o, offset=(0.0, 0.1, 0.0))
    assert np.allclose(scene.obstructor_position(shifted) - pos, (0.0, 0.1 * scene._diag, 0.0))
