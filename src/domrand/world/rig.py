"""Articulated rigs: a joint tree, rigid parts hung on joints, forward kinematics.

Conventions: Y is up, a subject faces +X and stands on the y=0 ground plane.
A pose maps joint names to (rx, ry, rz) Euler angles in radians, applied in X, Y, Z order
on top of the joint's rest offset. Parts are meshes expressed in their joint's frame, so
moving a part costs one 4x4 matrix, never a vertex upload.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh


def rotation(rx: float, ry: float, rz: float) -> np.ndarray:
    """3x3 rotation applying rx about X, then ry about Y, then rz about Z (radians)."""
    cx, sx = np.cos(rx), np.sin(rx)
    cy, sy = np.cos(ry), np.sin(ry)
    cz, sz = np.cos(rz), np.sin(rz)
    mx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    my = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    mz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return mz @ my @ mx


def transform(offset=(0.0, 0.0, 0.0), angles=(0.0, 0.0, 0.0)) -> np.ndarray:
    """4x4 rigid transform: translate by offset, then rotate by Euler angles."""
    m = np.eye(4)
    m[:3, :3] = rotation(*angles)
    m[:3, 3] = offset
    return m


@dataclass(frozen=True)
class Joint:
    name: str
    parent: str | None
    offset: tuple[float, float, float]
    rest: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass
class Part:
    """A rigid mesh in its joint's frame. Parts take the subject's own coat texture, except
    `dark` parts (eyes, nose, tyres: a fixed dark colour in every domain) and parts with a
    `color` (sRGB floats: irises, glass, chrome of the target subjects)."""

    name: str
    joint: str
    mesh: trimesh.Trimesh
    dark: bool = False
    color: tuple | None = None


@dataclass
class Rig:
    cls: str
    breed: str
    joints: list[Joint]
    parts: list[Part] = field(default_factory=list)

    def joint_names(self) -> list[str]:
        """The joints' names, parents before children."""
        return [j.name for j in self.joints]

    def world_transforms(self, pose: dict[str, tuple[float, float, float]]) -> dict[str, np.ndarray]:
        """Forward kinematics: joint name -> 4x4 world transform, before ground contact."""
        out: dict[str, np.ndarray] = {}
        for j in self.joints:
            angles = np.add(j.rest, pose.get(j.name, (0.0, 0.0, 0.0)))
            local = transform(j.offset, angles)
            out[j.name] = local if j.parent is None else out[j.parent] @ local
        return out

    def pose_frame(self, pose: dict) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Part name -> 4x4 world transform, grounded so the lowest vertex touches y=0,
        and the (2, 3) axis-aligned bounds of the posed subject."""
        joints = self.world_transforms(pose)
        mats = {p.name: joints[p.joint] for p in self.parts}
        pts = np.concatenate([p.mesh.vertices @ mats[p.name][:3, :3].T + mats[p.name][:3, 3] for p in self.parts])
        lift = np.eye(4)
        lift[1, 3] = -pts[:, 1].min()
        pts[:, 1] += lift[1, 3]
        return {k: lift @ v for k, v in mats.items()}, np.stack([pts.min(0), pts.max(0)])

    def part_transforms(self, pose: dict) -> dict[str, np.ndarray]:
        """Part name -> its grounded 4x4 world transform in `pose`."""
        return self.pose_frame(pose)[0]

    def posed_bounds(self, pose: dict) -> np.ndarray:
        """The (2, 3) axis-aligned bounds of the grounded subject in `pose`."""
        return self.pose_frame(pose)[1]

    def posed_mesh(self, pose: dict) -> trimesh.Trimesh:
        """All parts merged in world space (for previews, masks and tests)."""
        mats = self.part_transforms(pose)
        meshes = []
        for p in self.parts:
            m = p.mesh.copy()
            m.apply_transform(mats[p.name])
            meshes.append(m)
        return trimesh.util.concatenate(meshes)
