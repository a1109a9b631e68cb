"""Static mesh import and normalisation to the project frame.

Project convention: +Y is up, the subject stands on the y=0 ground plane, centred on the
vertical axis (x = z = 0), and its axis-aligned bounding-box diagonal has a known length
(scene units, nominally metres) so camera distances mean the same for every model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

SUPPORTED_SUFFIXES = (".glb", ".gltf", ".obj", ".ply")


class MeshError(ValueError):
    """A mesh file cannot be used; the message names the file and the fix."""


def load_mesh(path: Path) -> trimesh.Trimesh:
    """Load a .glb/.gltf/.obj/.ply file as one triangle mesh, in the file's own units and axes.

    Scenes (several nodes/meshes) are flattened into one mesh with every node's world
    transform applied. Raises ``MeshError`` naming ``path`` if the file cannot be read,
    has no faces, or is degenerate (non-finite vertices, zero-volume box, zero-area faces).
    """
    path = Path(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise MeshError(
            f"{path}: unsupported mesh format {path.suffix!r}; convert it to one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    if not path.is_file():
        raise MeshError(f"{path}: no such file; run the asset download first or fix the path")
    try:
        loaded = trimesh.load(str(path))
    except Exception as exc:  # trimesh raises many unrelated types for bad files
        raise MeshError(
            f"{path}: cannot be read as a mesh ({type(exc).__name__}: {exc}); the file is "
            "corrupt or truncated, re-download it (check its sha256) or re-export it"
        ) from exc
    if isinstance(loaded, trimesh.Scene):
        parts = [g for g in loaded.dump() if isinstance(g, trimesh.Trimesh)]
        mesh = trimesh.util.concatenate(parts) if parts else trimesh.Trimesh()
    elif isinstance(loaded, trimesh.Trimesh):
        mesh = loaded
    else:
        mesh = trimesh.Trimesh()  # point clouds and paths have no faces
    mesh.metadata["source"] = str(path)
    check_mesh(mesh, path)
    return mesh


def check_mesh(mesh: trimesh.Trimesh, source: str | Path | None = None) -> None:
    """Raise ``MeshError`` (naming ``source``) if ``mesh`` has no faces or is degenerate."""
    where = source or mesh.metadata.get("source", "<mesh>")
    verts = np.asarray(mesh.vertices, dtype=float)
    faces = np.asarray(mesh.faces)
    if len(faces) == 0 or len(verts) == 0:
        raise MeshError(
            f"{where}: mesh is empty (no triangle faces); the file holds no surface "
            "geometry (point cloud, lines, or empty scene); export it with faces"
        )
    if not np.isfinite(verts).all():
        raise MeshError(f"{where}: mesh has NaN or infinite vertex coordinates; re-export it")
    extents = verts.max(axis=0) - verts.min(axis=0)
    scale = float(extents.max())
    if scale <= 0 or float(extents.min()) <= 1e-9 * scale:
        raise MeshError(
            f"{where}: mesh is degenerate (flat or zero-size bounding box, extents "
            f"{extents.tolist()}); it cannot be a 3D subject, check the export"
        )
    tri = verts[faces]
    areas = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    if not (areas > 1e-12 * scale * scale).any():
        raise MeshError(f"{where}: every face of the mesh has zero area; re-export it")


def normalize_mesh(mesh: trimesh.Trimesh, up_axis: str = "y", target_size: float = 1.0) -> trimesh.Trimesh:
    """Return a copy of ``mesh`` in the project frame.

    ``up_axis`` is the file's up axis ("y": glTF/most OBJ, "z": Blender/CAD exports); it is
    rotated onto +Y by a proper rotation (Z-up files: -90 degrees about X, so -Y forward
    becomes +Z forward). The mesh is then scaled uniformly so its bounding-box diagonal is
    ``target_size`` (scene units), centred so the box centre has x = z = 0, and lifted so
    its lowest vertex lies on y = 0.
    """
    if target_size <= 0:
        raise ValueError(f"target_size must be > 0, got {target_size}")
    check_mesh(mesh)
    out = mesh.copy()
    if up_axis == "z":
        out.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
    elif up_axis != "y":
        raise ValueError(f"up_axis must be 'y' or 'z', got {up_axis!r}")
    lo, hi = out.bounds
    out.apply_translation(-(lo + hi) / 2)
    out.apply_scale(target_size / float(np.linalg.norm(hi - lo)))
    lo, hi = out.bounds
    out.apply_translation([0.0, -lo[1], 0.0])
    return out
