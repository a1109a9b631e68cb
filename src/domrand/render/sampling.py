"""Sampling a frame's scene parameters: pure numpy, no GL, so frames can be logged and replayed.

A generator config (the control, or the control patched by a variant) says for every
randomization parameter whether it is random and over what range; `sample_frame` turns it
plus a numpy Generator into a `FrameParams`. Units: angles in degrees in the config and
in the metadata, distances in multiples of the subject's bounding-box diagonal.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from domrand.world.shapes import OBSTRUCTOR_KINDS
from domrand.world.subjects import sample_pose


@dataclass
class Obstructor:
    """A primitive placed around the subject (direction, height, distance) or, with `between`
    set, on the line from the camera's aim point to the camera (direction, height and
    distance then unused and 0)."""

    kind: str
    direction_deg: float  # azimuth around the subject, degrees
    height: float  # centre height, multiples of the subject diagonal
    distance: float  # from the subject centre, multiples of the subject diagonal
    scale: float  # edge length, multiples of the subject diagonal
    rotation: tuple[float, float, float]  # Euler angles, radians
    material: int
    between: float | None = None  # fraction of the way from the aim point to the camera
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)  # from that point, multiples of the subject diagonal


@dataclass
class FrameParams:
    breed: int  # index into the renderer's breed list
    pose_mode: str
    pose: dict
    camera_azimuth: float
    camera_elevation: float
    camera_distance: float
    camera_target: tuple[float, float, float]  # offset from the subject centre, diagonals
    light_azimuth: float
    light_elevation: float
    light_intensity: float
    light_color: tuple[float, float, float]
    sky: int  # -1: plain background
    ground_material: int  # -1: plain
    subject_material: int  # -1: the breed's own coat
    obstructors: list[Obstructor] = field(default_factory=list)

    def record(self) -> dict:
        """Flat, parquet-friendly dict of every sampled value."""
        import json

        d = asdict(self)
        d["pose"] = json.dumps({k: [round(float(a), 4) for a in v] for k, v in self.pose.items()})
        d["obstructors"] = json.dumps(d["obstructors"])
        d["n_obstructors"] = len(self.obstructors)
        d["camera_target"] = list(self.camera_target)
        d["light_color"] = list(self.light_color)
        return d


def _uniform(rng, rng_range) -> float:
    lo, hi = rng_range
    return float(rng.uniform(lo, hi))


def daylight_rgb(kelvin: float) -> tuple[float, float, float]:
    """Linear-ish RGB of a black body at `kelvin` (1,000-40,000 K), brightest channel 1
    (Tanner Helland's fit to the CIE 1964 colour matching functions)."""
    t = kelvin / 100.0
    r = 1.0 if t <= 66 else 1.2929 * (t - 60) ** -0.1332
    g = 0.3901 * np.log(t) - 0.6318 if t <= 66 else 1.1299 * (t - 60) ** -0.0755
    b = 1.0 if t >= 66 else (0.0 if t <= 19 else 0.5432 * np.log(t - 10) - 1.1963)
    rgb = np.clip([r, g, b], 0, None)
    return tuple(float(x) for x in rgb / rgb.max())


def sample_camera(cfg: dict, rng: np.random.Generator) -> tuple[float, float, float, tuple]:
    """Azimuth, elevation (uniform over the sphere's area between the limits), distance, target offset."""
    az = _uniform(rng, cfg["azimuth"])
    lo, hi = np.radians(cfg["elevation"])
    el = float(np.degrees(np.arcsin(rng.uniform(np.sin(lo), np.sin(hi)))))
    dist = _uniform(rng, cfg["distance"])
    j = float(cfg["jitter"])
    target = tuple(float(x) for x in rng.uniform(-j, j, 3))
    return az, el, dist, target


def sample_frame(
    gen: dict, cls: str, n_breeds: int, n_materials: int, n_skies: int, rng: np.random.Generator
) -> FrameParams:
    """Sample every randomized parameter of one frame from the generator config `gen`."""
    subj, light, sky, mats = gen["subject"], gen["lighting"], gen["sky"], gen["materials"]
    breed = int(rng.integers(n_breeds))
    if subj["pose"] == "random":
        pose, mode = sample_pose(cls, rng)
    elif subj["pose"] == "canonical":
        pose, mode = sample_pose(cls, rng, modes=("stand", "stand", "sit", "lie"))
    else:
        pose, mode = {}, "default"
    az, el, dist, target = sample_camera(gen["camera"], rng)
    if light["random"]:
        l_az = float(rng.uniform(0, 360))
        l_el = float(rng.uniform(*light["elevation"]))
        intensity = _uniform(rng, light["intensity"])
        if light["model"] == "daylight":  # the sun's colour lies on the daylight locus
            color = daylight_rgb(_uniform(rng, light["temperature"]))
        else:
            c = float(light["color_jitter"])
            color = tuple(float(x) for x in np.clip(1.0 - rng.uniform(0, c, 3), 0, 1))
    else:
        l_az, l_el = (float(x) for x in light["default_direction"])
        intensity = float(light["default_intensity"])
        color = (1.0, 1.0, 1.0)
    sky_index = int(rng.integers(n_skies)) if sky["mode"] == "random" and n_skies else -1
    ground = int(rng.integers(n_materials)) if mats["random"] and n_materials else -1
    subject_material = int(rng.integers(n_materials)) if subj["texture"] == "random" else -1
    return FrameParams(
        breed, mode, pose, az, el, dist, target, l_az, l_el, intensity, color, sky_index, ground, subject_material
    )


def sample_obstructors(
    cfg: dict, n_materials: int, random_materials: bool, rng: np.random.Generator
) -> list[Obstructor]:
    """Random primitives near the subject (count, kind, placement, scale, material).

    Each is placed between the camera and the subject with probability `between`: at a
    fraction `between_position` of the way from the camera's aim point to the camera,
    offset by up to `between_jitter` subject diagonals along each axis; otherwise around
    the subject (`direction`, `distance`, `height`). With `between` 0 no draw is spent on it.
    """
    if not cfg["enabled"]:
        return []
    lo, hi = cfg["count"]
    p_between = float(cfg["between"])
    out = []
    for _ in range(int(rng.integers(lo, hi + 1))):
        kind = str(OBSTRUCTOR_KINDS[int(rng.integers(len(OBSTRUCTOR_KINDS)))])
        if p_between > 0 and rng.random() < p_between:
            j = float(cfg["between_jitter"])
            where = dict(
                direction_deg=0.0,
                height=0.0,
                distance=0.0,
                between=_uniform(rng, cfg["between_position"]),
                offset=tuple(float(x) for x in rng.uniform(-j, j, 3)),
            )
        else:
            where = dict(
                direction_deg=float(rng.uniform(0, 360)),
                height=_uniform(rng, cfg["height"]),
                distance=_uniform(rng, cfg["distance"]),
            )
        out.append(
            Obstructor(
                kind=kind,
                **where,
                scale=_uniform(rng, cfg["scale"]),
                rotation=tuple(float(x) for x in rng.uniform(-np.pi, np.pi, 3)),
                material=int(rng.integers(n_materials)) if random_materials and n_materials else -1,
            )
        )
    return out
