"""Camera and light geometry shared by both engines: where a camera looks from its eye
(:func:`look_at`), the unit vector of an azimuth and elevation (:func:`direction`) and the
directional light's shadow camera (:func:`shadow_frustum`)."""

from __future__ import annotations

import numpy as np

from domrand.render.gl import orthographic

SHADOW_FAR_LIMIT = 100.0  # world units: the light's far plane stays inside the sky dome (radius 150)


def look_at(eye: np.ndarray, target: np.ndarray, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """Camera-to-world 4x4 for an OpenGL camera (looking down -Z) at `eye` facing `target`."""
    z = eye - target
    z = z / np.linalg.norm(z)
    x = np.cross(up, z)
    if np.linalg.norm(x) < 1e-6:
        x = np.cross((0.0, 0.0, 1.0), z)
    x = x / np.linalg.norm(x)
    y = np.cross(z, x)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = x, y, z, eye
    return m


def shadow_frustum(lo: np.ndarray, hi: np.ndarray, light_dir, ground_y: float = 0.0):
    """(view 4x4, projection 4x4) of a directional light's shadow camera that sees the box
    [lo, hi] (the shadow casters' bounds, world units) and every ground point they shade.

    An orthographic camera looking along `light_dir` (the direction the light travels), its
    square side the box's diagonal plus 5% (casters never touch the map's edge, where
    lookups outside read "lit"), its far plane past where the box's shadow meets the
    ground plane y = ground_y (pyrender counts points beyond the far plane as lit).
    """
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    d = np.asarray(light_dir, float)
    d = d / np.linalg.norm(d)
    center = (lo + hi) / 2.0
    r = 1.05 * max(float(np.linalg.norm(hi - lo)) / 2.0, 1e-3)
    eye = center - 2.0 * r * d
    pose = look_at(eye, center)
    reach = (hi[1] - ground_y) / max(-d[1], 0.02)  # along the light, from the box to the ground
    far = min(3.0 * r + max(reach, 0.0) + r, SHADOW_FAR_LIMIT)
    return np.linalg.inv(pose), orthographic(r, r, r, far)


def direction(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    a, e = np.radians(azimuth_deg), np.radians(elevation_deg)
    return np.array([np.cos(e) * np.cos(a), np.sin(e), np.cos(e) * np.sin(a)])
