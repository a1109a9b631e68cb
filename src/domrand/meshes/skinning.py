"""glTF skinned models posed by linear-blend skinning (numpy).

:class:`SkinnedModel` holds a model as :mod:`domrand.meshes.gltf` reads it: triangles, the
joints and weights of each vertex, the node hierarchy, inverse bind matrices and animation
clips (:mod:`domrand.meshes.animation`). Posing turns every node's TRS (rotation a glTF
quaternion x, y, z, w) into a world matrix and blends the joints' matrices per vertex. Times
are in seconds and positions in the file's units and axes (glTF: metres, +Y up); normalise
afterwards.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import scipy.sparse
import trimesh
from scipy.spatial.transform import Rotation

from .animation import IDENTITY, AnimationClip, sample_clip


@dataclass(frozen=True)
class Node:
    """A scene node: rest TRS (rotation as x, y, z, w) or a fixed 4x4 ``matrix``."""

    name: str
    parent: int
    translation: np.ndarray
    rotation: np.ndarray
    scale: np.ndarray
    matrix: np.ndarray | None


@dataclass(frozen=True)
class Skin:
    """Joint node indices (J,) and their inverse bind matrices (J, 4, 4)."""

    joints: np.ndarray
    inverse_bind: np.ndarray


@dataclass(frozen=True)
class Part:
    """Vertices ``start:stop`` come from the mesh instanced by ``node``, skinned by ``skin``;
    ``material`` indexes the model's ``materials`` (None: the primitive has none)."""

    start: int
    stop: int
    node: int
    skin: int | None
    material: int | None = None


@dataclass(frozen=True)
class BaseColor:
    """A glTF material's base colour: ``factor`` linear RGBA, ``image`` the decoded
    baseColorTexture (H, W, 3) uint8 sRGB or None."""

    name: str
    factor: np.ndarray
    image: np.ndarray | None


@dataclass(frozen=True)
class SkinnedModel:
    """A glTF model ready to pose.

    ``vertices`` (N, 3) are the authored positions, ``faces`` (F, 3) vertex indices,
    ``joints`` (N, K) indices into the vertex's skin joint list and ``weights`` (N, K)
    their weights, each row summing to 1 (0 for vertices with no skin influence).
    ``uv`` (N, 2) holds TEXCOORD_0 (zeros where a primitive has none), or is None when
    no primitive has texture coordinates (glTF convention: v runs down the image).
    Posing keeps the vertex order.
    """

    path: Path
    vertices: np.ndarray
    faces: np.ndarray
    joints: np.ndarray
    weights: np.ndarray
    uv: np.ndarray | None
    colors: np.ndarray | None  # (N, 4) COLOR_0, linear RGBA (ones where a primitive has none)
    materials: tuple[BaseColor, ...]
    parts: tuple[Part, ...]
    nodes: tuple[Node, ...]
    order: tuple[int, ...]  # parents before children
    skins: tuple[Skin, ...]
    clips: tuple[AnimationClip, ...]

    @property
    def can_animate(self) -> bool:
        """True when the model has a skin and at least one animation clip."""
        return bool(self.skins) and bool(self.clips)

    def bind_pose(self) -> np.ndarray:
        """Vertices (N, 3) with every node at its rest transform (no animation applied)."""
        return self._skin(self._world({}))

    def pose(self, clip_index: int, time: float) -> np.ndarray:
        """Vertices (N, 3) of clip ``clip_index`` at ``time`` seconds (clamped to the clip)."""
        return self._skin(self._world(self.clip_overrides(clip_index, time)))

    def pose_with_normals(
        self, clip_index: int | None, time: float | None, normals: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vertices (N, 3) and unit normals (N, 3) of clip ``clip_index`` at ``time`` (None:
        the bind pose); ``normals`` are the bind pose's, turned by each vertex's blended
        joint rotation (what GPU skinning does)."""
        overrides = {} if clip_index is None else self.clip_overrides(clip_index, time)
        return self._skin(self._world(overrides), normals)

    def clip_overrides(self, clip_index: int, time: float) -> dict:
        """{(node, path): value} of clip ``clip_index`` at ``time`` seconds."""
        return sample_clip(self.clips[clip_index], time)

    def random_pose(self, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        """A uniformly random clip at a uniformly random time within it.

        Returns (vertices (N, 3), {"clip", "clip_name", "time", "fallback"}). Without a
        skin or any clip, warns naming the file and returns the bind pose, fallback=True.
        """
        if not self.can_animate:
            missing = "skin" if not self.skins else "animation"
            warnings.warn(
                f"{self.path}: glTF has no {missing}; using its bind pose for every image "
                "(pose randomisation is off for this model)",
                stacklevel=2,
            )
            info = {"clip": None, "clip_name": None, "time": None, "fallback": True}
            return self.bind_pose(), info
        index = int(rng.integers(len(self.clips)))
        clip = self.clips[index]
        time = float(rng.uniform(clip.start, clip.end)) if clip.end > clip.start else clip.start
        info = {"clip": index, "clip_name": clip.name, "time": time, "fallback": False}
        return self.pose(index, time), info

    def to_trimesh(self, vertices: np.ndarray) -> trimesh.Trimesh:
        """A trimesh of these faces (and uv) over posed ``vertices`` (N, 3), order kept."""
        visual = trimesh.visual.TextureVisuals(uv=self.uv) if self.uv is not None else None
        return trimesh.Trimesh(vertices=vertices, faces=self.faces, visual=visual, process=False)

    def _world(self, overrides: dict) -> np.ndarray:
        n = len(self.nodes)
        t = np.array([overrides.get((i, "translation"), nd.translation) for i, nd in enumerate(self.nodes)])
        r = np.array([overrides.get((i, "rotation"), nd.rotation) for i, nd in enumerate(self.nodes)])
        s = np.array([overrides.get((i, "scale"), nd.scale) for i, nd in enumerate(self.nodes)])
        local = trs_matrices(t, r, s)
        world = np.empty((n, 4, 4))
        for i in self.order:
            node = self.nodes[i]
            m = node.matrix if node.matrix is not None else local[i]
            world[i] = m if node.parent < 0 else world[node.parent] @ m
        return world

    def _skin(self, world: np.ndarray, normals: np.ndarray | None = None):
        out = np.empty_like(self.vertices)
        nout = None if normals is None else np.empty_like(normals)
        for p, part in enumerate(self.parts):
            sl = slice(part.start, part.stop)
            if part.skin is None:
                mats = np.broadcast_to(world[part.node][:3].reshape(12), (part.stop - part.start, 12))
            else:
                skin = self.skins[part.skin]
                # Per the glTF spec the skinned mesh node's own transform is ignored.
                joint_mats = (world[skin.joints] @ skin.inverse_bind)[:, :3].reshape(-1, 12)
                blend, unweighted = self._blend[p]
                # Weighted sum of the 3x4 joint matrices as one sparse (N x J) @ (J x 12) product.
                mats = blend @ joint_mats
                mats[unweighted] = world[part.node][:3].reshape(12)
            out[sl] = _apply(mats, self.vertices[sl], True)
            if normals is not None:
                nout[sl] = _apply(mats, normals[sl], False)
        if normals is None:
            return out
        length = np.linalg.norm(nout, axis=1, keepdims=True)
        return out, np.divide(nout, length, out=np.zeros_like(nout), where=length > 0)

    @cached_property
    def _blend(self) -> list:
        """Per part: the sparse (N x J) weight matrix of its skin and its unweighted rows."""
        out = []
        for part in self.parts:
            if part.skin is None:
                out.append(None)
                continue
            w = self.weights[part.start : part.stop]
            j = self.joints[part.start : part.stop]
            rows = np.repeat(np.arange(len(w)), w.shape[1])
            m = scipy.sparse.csr_matrix(
                (w.ravel(), (rows, j.ravel())), shape=(len(w), len(self.skins[part.skin].joints))
            )
            out.append((m, w.sum(axis=1) <= 0))
        return out


def _apply(mats: np.ndarray, v: np.ndarray, translate: bool) -> np.ndarray:
    """Per-row 3x4 matrices (N, 12), row-major, applied to points (or, without the
    translation, directions) ``v`` (N, 3)."""
    m = np.ascontiguousarray(mats.T)  # (12, N): contiguous rows, fast 1-D arithmetic
    x, y, z = np.ascontiguousarray(v.T)
    out = np.empty((3, len(v)))
    for i in range(3):
        out[i] = m[4 * i] * x + m[4 * i + 1] * y + m[4 * i + 2] * z
        if translate:
            out[i] += m[4 * i + 3]
    return out.T


def trs_matrices(t: np.ndarray, r: np.ndarray, s: np.ndarray) -> np.ndarray:
    """(n, 4, 4) matrices T @ R @ S from (n, 3) translations, (n, 4) quaternions (x, y, z, w,
    any length; zero: no rotation) and (n, 3) scales."""
    r = np.asarray(r, float)
    r = np.where(np.linalg.norm(r, axis=1, keepdims=True) > 0, r, IDENTITY)
    m = np.zeros((len(t), 4, 4))
    m[:, :3, :3] = Rotation.from_quat(r).as_matrix() * np.asarray(s, float)[:, None, :]
    m[:, :3, 3] = t
    m[:, 3, 3] = 1.0
    return m
