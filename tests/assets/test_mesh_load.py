"""load_mesh / normalize_mesh for each format, and the errors for unusable files."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from domrand.meshes.load import MeshError, check_mesh, load_mesh, normalize_mesh

EXTENTS = np.array([2.0, 1.0, 0.5])
OFFSET = np.array([3.0, -4.0, 5.0])


def offset_box() -> trimesh.Trimesh:
    box = trimesh.creation.box(extents=EXTENTS)
    box.apply_translation(OFFSET)
    return box


@pytest.fixture(params=["obj", "ply", "glb", "gltf"])
def mesh_file(request, tmp_path, kit):
    """The offset box written in each supported format (gltf via the skinned rig)."""
    fmt = request.param
    if fmt == "gltf":
        # trimesh reads the rig's static mesh (ignoring the skin), external .bin buffer.
        return kit.build_rig(tmp_path / "rig.gltf"), kit.RIG_VERTICES
    path = tmp_path / f"box.{fmt}"
    offset_box().export(path)
    return path, offset_box().vertices


def assert_in_project_frame(mesh, size):
    lo, hi = mesh.bounds
    assert lo[1] == pytest.approx(0.0, abs=1e-9)  # stands on the ground plane
    assert np.linalg.norm(hi - lo) == pytest.approx(size)
    centre = (lo + hi) / 2
    assert centre[0] == pytest.approx(0.0, abs=1e-9) and centre[2] == pytest.approx(0.0, abs=1e-9)


def test_each_format_loads_and_normalises(mesh_file):
    path, expected_vertices = mesh_file
    mesh = load_mesh(path)
    assert isinstance(mesh, trimesh.Trimesh) and len(mesh.faces) > 0
    lo, hi = expected_vertices.min(0), expected_vertices.max(0)
    np.testing.assert_allclose(mesh.bounds, [lo, hi], atol=1e-6)
    out = normalize_mesh(mesh, up_axis="y", target_size=1.5)
    assert_in_project_frame(out, 1.5)
    # Uniform scale keeps proportions; the input is not modified.
    np.testing.assert_allclose(out.extents / out.extents.max(), (hi - lo) / (hi - lo).max(), atol=1e-9)
    np.testing.assert_allclose(mesh.bounds, [lo, hi], atol=1e-6)


def test_z_up_files_are_rotated_to_y_up(tmp_path):
    path = tmp_path / "zup.obj"
    offset_box().export(path)
    out = normalize_mesh(load_mesh(path), up_axis="z", target_size=1.0)
    assert_in_project_frame(out, 1.0)
    # The file's height (z extent 0.5) is now along y; its depth (y extent 1.0) along z.
    ratio = out.extents / out.extents[0]
    np.testing.assert_allclose(ratio, [1.0, 0.25, 0.5], atol=1e-9)


def test_z_up_rotation_is_proper_and_keeps_forward_convention():
    # A marker vertex at +Z (up in a Z-up file) must end up at the top (+Y), and one at
    # -Y (Blender forward) must end up in front (+Z, glTF forward): no mirroring.
    tetra = trimesh.Trimesh(
        vertices=[[0, 0, 2], [0, -2, 0.5], [1, 1, 0], [-1, 1, 0]],
        faces=[[0, 1, 2], [0, 2, 3], [0, 3, 1], [1, 3, 2]],
        process=False,
    )
    out = normalize_mesh(tetra, up_axis="z")
    v = out.vertices
    assert v[0, 1] == pytest.approx(v[:, 1].max())
    assert v[1, 2] == pytest.approx(v[:, 2].max())
    assert np.sign(out.volume) == np.sign(tetra.volume) != 0  # a mirror would flip it


def test_scene_is_flattened_with_node_transforms(tmp_path):
    scene = trimesh.Scene()
    a = trimesh.creation.box(extents=[1, 1, 1])
    scene.add_geometry(
        a,
        node_name="a",
        transform=trimesh.transformations.translation_matrix([5, 0, 0]),
    )
    scene.add_geometry(
        a.copy(),
        node_name="b",
        transform=trimesh.transformations.translation_matrix([0, 7, 0]),
    )
    path = tmp_path / "two.glb"
    scene.export(path)
    mesh = load_mesh(path)
    assert len(mesh.faces) == 2 * len(a.faces)
    np.testing.assert_allclose(mesh.bounds, [[-0.5, -0.5, -0.5], [5.5, 7.5, 0.5]], atol=1e-6)


def test_textured_obj_bundle_loads(tmp_path, kit):
    for name, data in kit.textured_obj_files().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    mesh = load_mesh(tmp_path / "model" / "model.obj")
    np.testing.assert_allclose(mesh.extents, EXTENTS, atol=1e-6)


@pytest.mark.parametrize(
    "name, content, match",
    [
        ("corrupt.glb", b"glTF\x02\x00\x00\x00garbage", "cannot be read"),
        (
            "corrupt.ply",
            b"ply\nformat binary_little_endian 1.0\nelement vertex 9\n",
            "cannot be read",
        ),
        ("points.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\n", "empty"),
        (
            "flat.obj",
            b"v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 3\nf 2 4 3\n",
            "degenerate",
        ),
        ("model.fbx", b"Kaydara FBX Binary", "unsupported mesh format"),
    ],
)
def test_unusable_files_raise_mesh_error_naming_the_path(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(MeshError, match=match) as err:
        load_mesh(path)
    assert str(path) in str(err.value)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(MeshError, match="no such file") as err:
        load_mesh(tmp_path / "gone.obj")
    assert "gone.obj" in str(err.value)


def test_non_finite_and_zero_area_meshes_are_rejected():
    box = trimesh.creation.box()
    nan = trimesh.Trimesh(box.vertices.copy(), box.faces, process=False)
    nan.vertices[0] = [np.nan, 0, 0]
    with pytest.raises(MeshError, match="NaN"):
        check_mesh(nan, "nan.obj")
    # Spans a 3D box, but every triangle repeats a vertex.
    slivers = trimesh.Trimesh(box.vertices, [[0, 0, 1], [2, 3, 3], [4, 5, 4], [6, 7, 7]], process=False)
    with pytest.raises(MeshError, match="zero area") as err:
        check_mesh(slivers, "slivers.obj")
    assert "slivers.obj" in str(err.value)


def test_normalize_rejects_bad_arguments():
    with pytest.raises(ValueError, match="up_axis"):
        normalize_mesh(trimesh.creation.box(), up_axis="x")
    with pytest.raises(ValueError, match="target_size"):
        normalize_mesh(trimesh.creation.box(), target_size=0)
