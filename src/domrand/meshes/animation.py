"""Animation clips of a glTF model and their sampling.

A clip is a set of channels, each one animated property (translation / rotation / scale) of
one node, keyed in seconds with STEP, LINEAR (rotations: spherical interpolation) or
CUBICSPLINE interpolation. Quaternions are glTF's (x, y, z, w), the order
``scipy.spatial.transform.Rotation`` reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

PATHS = ("translation", "rotation", "scale")
INTERPOLATIONS = ("LINEAR", "STEP", "CUBICSPLINE")
IDENTITY = np.array([0.0, 0.0, 0.0, 1.0])


@dataclass(frozen=True)
class Sampler:
    """Keyframes of one animated property: ``times`` (K,) seconds, ``values`` (K, C),
    or (K, 3, C) in-tangent/value/out-tangent triplets for CUBICSPLINE."""

    times: np.ndarray
    values: np.ndarray
    interpolation: str

    def inside(self, t: float) -> bool:
        """True when ``t`` lies strictly inside the keyframe range (two keys or more)."""
        return len(self.times) > 1 and self.times[0] < t < self.times[-1]

    def sample(self, t: float, rotation: bool) -> np.ndarray:
        """Value at time ``t`` (seconds), held constant outside the keyframe range."""
        times, k = self.times, len(self.times)
        cubic = self.interpolation == "CUBICSPLINE"
        key = (lambda i: self.values[i, 1]) if cubic else (lambda i: self.values[i])
        if k == 1 or t <= times[0]:
            return unit(key(0)) if rotation else key(0)
        if t >= times[-1]:
            return unit(key(k - 1)) if rotation else key(k - 1)
        i = int(np.searchsorted(times, t, side="right")) - 1
        dt = float(times[i + 1] - times[i])
        u = (t - times[i]) / dt
        if self.interpolation == "STEP":
            out = key(i)
        elif cubic:
            u2, u3 = u * u, u * u * u
            out = (
                (2 * u3 - 3 * u2 + 1) * self.values[i, 1]
                + (u3 - 2 * u2 + u) * dt * self.values[i, 2]
                + (-2 * u3 + 3 * u2) * self.values[i + 1, 1]
                + (u3 - u2) * dt * self.values[i + 1, 0]
            )
        elif rotation:
            return slerp(key(i)[None], key(i + 1)[None], np.array([u]))[0]
        else:
            out = (1 - u) * key(i) + u * key(i + 1)
        return unit(out) if rotation else out


@dataclass(frozen=True)
class Channel:
    """One animated property (``path`` in translation/rotation/scale) of node ``node``."""

    node: int
    path: str
    sampler: Sampler


@dataclass(frozen=True)
class AnimationClip:
    """A named animation; ``start``/``end`` bound its keyframe times (seconds)."""

    name: str
    channels: tuple[Channel, ...]
    start: float
    end: float


def sample_clip(clip: AnimationClip, time: float) -> dict[tuple[int, str], np.ndarray]:
    """{(node, path): value} of every channel of ``clip`` at ``time`` seconds."""
    values: dict[tuple[int, str], np.ndarray] = {}
    slerps = []
    for ch in clip.channels:
        s = ch.sampler
        if ch.path == "rotation" and s.interpolation == "LINEAR" and s.inside(time):
            slerps.append(ch)  # batched below: one vectorised slerp per clip and frame
        else:
            values[(ch.node, ch.path)] = s.sample(time, ch.path == "rotation")
    if slerps:
        i = [int(np.searchsorted(ch.sampler.times, time, side="right")) - 1 for ch in slerps]
        q0 = np.stack([ch.sampler.values[k] for ch, k in zip(slerps, i)])
        q1 = np.stack([ch.sampler.values[k + 1] for ch, k in zip(slerps, i)])
        t0 = np.array([ch.sampler.times[k] for ch, k in zip(slerps, i)])
        t1 = np.array([ch.sampler.times[k + 1] for ch, k in zip(slerps, i)])
        for ch, q in zip(slerps, slerp(q0, q1, (time - t0) / (t1 - t0))):
            values[(ch.node, "rotation")] = q
    return values


def unit(q: np.ndarray) -> np.ndarray:
    """Quaternion ``q`` scaled to unit length; the identity when ``q`` is zero."""
    n = float(np.linalg.norm(q))
    return q / n if n > 0 else IDENTITY.copy()


def slerp(q0: np.ndarray, q1: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Spherical interpolation of (C, 4) quaternion pairs (x, y, z, w, any length) at fractions
    ``u`` (C,) in [0, 1], the short way round; (C, 4) unit quaternions."""
    r0, r1 = Rotation.from_quat(q0), Rotation.from_quat(q1)
    step = (r0.inv() * r1).as_rotvec()  # angle <= pi: the short way
    return (r0 * Rotation.from_rotvec(np.asarray(u, float)[:, None] * step)).as_quat()
