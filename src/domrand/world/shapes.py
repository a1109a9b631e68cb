"""Mesh primitives for procedural subjects and obstructors, with texture coordinates.

Every builder returns a watertight `trimesh.Trimesh` in its own frame. Texture coordinates
come from `uv_coordinates`, a spherical projection around the mesh centre scaled by its
size, so a material tiles at the same density on small and large parts.
"""

from __future__ import annotations

import numpy as np
import trimesh

_SPHERE = trimesh.creation.icosphere(subdivisions=2)


def ellipsoid(radii, center=(0.0, 0.0, 0.0)) -> trimesh.Trimesh:
    """Ellipsoid with semi-axes `radii` (x, y, z) centred at `center`."""
    m = _SPHERE.copy()
    m.vertices = m.vertices * np.asarray(radii, float) + np.asarray(center, float)
    return m


def segment(start, end, radius: float, end_radius: float | None = None, sections: int = 12) -> trimesh.Trimesh:
    """Tapered capsule from `start` to `end` (radii at each end), closed by spheres."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    end_radius = radius if end_radius is None else end_radius
    axis = end - start
    length = float(np.linalg.norm(axis))
    cyl = trimesh.creation.cylinder(radius=1.0, height=1.0, sections=sections)
    v = cyl.vertices.copy()
    t = v[:, 2] + 0.5  # 0 at start, 1 at end
    r = radius + (end_radius - radius) * t
    v[:, 0] *= r
    v[:, 1] *= r
    v[:, 2] = t * length
    cyl.vertices = v
    caps = [ellipsoid([radius] * 3), ellipsoid([end_radius] * 3, center=(0, 0, length))]
    m = trimesh.util.concatenate([cyl, *caps])
    m.apply_transform(_align_z_to(axis / max(length, 1e-9)))
    m.apply_translation(start)
    return m


def ear(kind: str, size: float, flare: float) -> trimesh.Trimesh:
    """An ear in its joint frame (joint at the ear base, +Y up from the head).

    kind: "upright" (a flattened triangular cone pointing up), "floppy" (a flat lobe
    hanging down the side of the head) or "rose" (a short cone folded backwards).
    """
    if kind == "upright":
        cone = trimesh.creation.cone(radius=0.5 * size * flare, height=size, sections=4)
        cone.apply_transform(_align_z_to(np.array([0.0, 1.0, 0.0])))
        cone.vertices[:, 2] *= 0.35
        return cone
    if kind == "floppy":
        return ellipsoid([0.35 * size * flare, 0.75 * size, 0.12 * size], center=(0, -0.55 * size, 0))
    if kind == "rose":
        cone = trimesh.creation.cone(radius=0.45 * size * flare, height=0.6 * size, sections=4)
        cone.apply_transform(_align_z_to(np.array([-0.7, 0.7, 0.0])))
        cone.vertices[:, 2] *= 0.4
        return cone
    raise ValueError(f"unknown ear kind {kind!r}: use upright, floppy or rose")


def box(extents, center=(0.0, 0.0, 0.0)) -> trimesh.Trimesh:
    """An axis-aligned box of `extents` (x, y, z) centred at `center`."""
    m = trimesh.creation.box(extents=extents)
    m.apply_translation(center)
    return m


def wheel(radius: float, width: float, center=(0.0, 0.0, 0.0), sections: int = 20) -> trimesh.Trimesh:
    """A wheel (torus for thin bike tyres, cylinder for car tyres) with its axle along Z."""
    if width < 0.3 * radius:
        m = trimesh.creation.torus(
            major_radius=radius - width / 2, minor_radius=width / 2, major_sections=sections, minor_sections=6
        )
    else:
        m = trimesh.creation.cylinder(radius=radius, height=width, sections=sections)
    m.apply_translation(center)
    return m


OBSTRUCTOR_KINDS = ("box", "sphere", "cylinder", "cone", "capsule", "torus")


def obstructor(kind: str) -> trimesh.Trimesh:
    """A unit-sized primitive (fits a unit cube around the origin) used as an occluder."""
    if kind == "box":
        return trimesh.creation.box(extents=(1, 1, 1))
    if kind == "sphere":
        return ellipsoid([0.5] * 3)
    if kind == "cylinder":
        return trimesh.creation.cylinder(radius=0.5, height=1.0, sections=16)
    if kind == "cone":
        return trimesh.creation.cone(radius=0.5, height=1.0, sections=16)
    if kind == "capsule":
        return segment((0, 0, -0.3), (0, 0, 0.3), 0.2)
    if kind == "torus":
        return trimesh.creation.torus(major_radius=0.35, minor_radius=0.15, major_sections=20, minor_sections=8)
    raise ValueError(f"unknown obstructor kind {kind!r}: use one of {OBSTRUCTOR_KINDS}")


def uv_coordinates(vertices: np.ndarray, tiles_per_unit: float = 2.0) -> np.ndarray:
    """Spherical texture coordinates around the vertices' centre, (N, 2)."""
    c = vertices - vertices.mean(0)
    size = float(np.abs(c).max()) or 1.0
    u = np.arctan2(c[:, 2], c[:, 0]) / (2 * np.pi) + 0.5
    v = c[:, 1] / size * 0.5 + 0.5
    scale = max(1.0, round(size * tiles_per_unit * 2))
    return np.stack([u * scale, v * scale * 0.5], axis=1)


def _align_z_to(direction: np.ndarray) -> np.ndarray:
    """4x4 rotation taking +Z onto `direction` (unit)."""
    z = np.array([0.0, 0.0, 1.0])
    d = direction / np.linalg.norm(direction)
    v = np.cross(z, d)
    c = float(np.dot(z, d))
    m = np.eye(4)
    if np.linalg.norm(v) < 1e-9:
        if c < 0:
            m[:3, :3] = np.diag([1.0, -1.0, -1.0])
        return m
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    m[:3, :3] = np.eye(3) + vx + vx @ vx * (1.0 / (1.0 + c))
    return m


def hull(points, rounding: float = 0.0) -> trimesh.Trimesh:
    """The convex hull of `points` (N, 3): a closed solid with flat faces (car bodies, cabins).
    rounding: radius of its rounded edges and corners (the points are drawn in per axis by
    it, then each grows into a small sphere); the outer extents stay those of `points`."""
    pts = np.asarray(points, float)
    if rounding > 0:
        lo, hi = pts.min(0), pts.max(0)
        c, half = (lo + hi) / 2, np.maximum((hi - lo) / 2, 1e-9)
        pts = c + (pts - c) * np.clip(1 - rounding / half, 0.05, 1)
        ball = trimesh.creation.icosphere(subdivisions=1).vertices * rounding
        pts = (pts[:, None, :] + ball[None, :, :]).reshape(-1, 3)
    return trimesh.convex.convex_hull(pts)
