"""glTF 2.0 skinned meshes posed by linear-blend skinning (pygltflib + numpy).

trimesh ignores skins and animations, so this module reads them itself: triangle
primitives of every mesh node in the default scene, JOINTS_n/WEIGHTS_n, the node
hierarchy, inverse bind matrices and animation clips (translation / rotation / scale
channels; STEP, LINEAR with quaternion slerp, CUBICSPLINE). Times are in seconds and
positions in the file's units and axes (glTF: metres, +Y up); normalise afterwards.
"""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pygltflib
import scipy.sparse
import trimesh
from PIL import Image

from .meshes import MeshError

_DTYPES = {5120: "i1", 5121: "u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}
_WIDTH = {
    "SCALAR": 1,
    "VEC2": 2,
    "VEC3": 3,
    "VEC4": 4,
    "MAT2": 4,
    "MAT3": 9,
    "MAT4": 16,
}
# Normalised integers map to [0, 1] (unsigned) or [-1, 1] (signed), per the glTF spec.
_NORM_MAX = {"i1": 127.0, "u1": 255.0, "<i2": 32767.0, "<u2": 65535.0}
_PATHS = ("translation", "rotation", "scale")


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
            return _unit(key(0)) if rotation else key(0)
        if t >= times[-1]:
            return _unit(key(k - 1)) if rotation else key(k - 1)
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
            return slerp(key(i), key(i + 1), u)
        else:
            out = (1 - u) * key(i) + u * key(i + 1)
        return _unit(out) if rotation else out


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

    def pose_with_normals(self, clip_index: int | None, time: float | None,
                          normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vertices (N, 3) and unit normals (N, 3) of clip ``clip_index`` at ``time`` (None:
        the bind pose); ``normals`` are the bind pose's, turned by each vertex's blended
        joint rotation (what GPU skinning does)."""
        overrides = {} if clip_index is None else self.clip_overrides(clip_index, time)
        return self._skin(self._world(overrides), normals)

    def clip_overrides(self, clip_index: int, time: float) -> dict:
        """{(node, path): value} of clip ``clip_index`` at ``time`` seconds."""
        clip = self.clips[clip_index]
        overrides: dict[tuple[int, str], np.ndarray] = {}
        slerps = []
        for ch in clip.channels:
            s = ch.sampler
            if ch.path == "rotation" and s.interpolation == "LINEAR" and s.inside(time):
                slerps.append(ch)  # batched below: one vectorised slerp per clip and frame
            else:
                overrides[(ch.node, ch.path)] = s.sample(time, ch.path == "rotation")
        if slerps:
            i = [int(np.searchsorted(ch.sampler.times, time, side="right")) - 1 for ch in slerps]
            q0 = np.stack([ch.sampler.values[k] for ch, k in zip(slerps, i)])
            q1 = np.stack([ch.sampler.values[k + 1] for ch, k in zip(slerps, i)])
            t0 = np.array([ch.sampler.times[k] for ch, k in zip(slerps, i)])
            t1 = np.array([ch.sampler.times[k + 1] for ch, k in zip(slerps, i)])
            for ch, q in zip(slerps, slerp_many(q0, q1, (time - t0) / (t1 - t0))):
                overrides[(ch.node, "rotation")] = q
        return overrides

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
        time = (
            float(rng.uniform(clip.start, clip.end))
            if clip.end > clip.start
            else clip.start
        )
        info = {"clip": index, "clip_name": clip.name, "time": time, "fallback": False}
        return self.pose(index, time), info

    def to_trimesh(self, vertices: np.ndarray) -> trimesh.Trimesh:
        """A trimesh of these faces (and uv) over posed ``vertices`` (N, 3), order kept."""
        visual = (
            trimesh.visual.TextureVisuals(uv=self.uv) if self.uv is not None else None
        )
        return trimesh.Trimesh(
            vertices=vertices, faces=self.faces, visual=visual, process=False
        )

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
            m = scipy.sparse.csr_matrix((w.ravel(), (rows, j.ravel())),
                                        shape=(len(w), len(self.skins[part.skin].joints)))
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


def load_skinned_gltf(path: Path) -> SkinnedModel:
    """Read a .glb or .gltf (embedded data: URI or external .bin buffers) for posing.

    Raises ``MeshError`` naming ``path`` when the file cannot be read, has no triangles,
    or references missing buffers or joints.
    """
    path = Path(path)
    if path.suffix.lower() not in (".glb", ".gltf"):
        raise MeshError(
            f"{path}: skinned models must be .glb or .gltf, convert it first"
        )
    try:
        gltf = pygltflib.GLTF2().load(str(path))
    except Exception as exc:  # pygltflib raises json, struct and key errors alike
        raise MeshError(
            f"{path}: cannot be read as glTF ({type(exc).__name__}: {exc}); re-download "
            "or re-export it"
        ) from exc
    if gltf is None:
        raise MeshError(f"{path}: cannot be read as glTF; re-download or re-export it")
    reader = _Reader(gltf, path)
    try:
        return reader.model()
    except MeshError:
        raise
    except (IndexError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MeshError(
            f"{path}: malformed glTF ({type(exc).__name__}: {exc}); validate it with the "
            "Khronos glTF validator and re-export"
        ) from exc


class _Reader:
    """Turns a parsed pygltflib document into arrays; one instance per file."""

    def __init__(self, gltf: pygltflib.GLTF2, path: Path):
        self.gltf, self.path = gltf, path
        self._buffers: dict[int, bytes] = {}

    def model(self) -> SkinnedModel:
        nodes, order = self.nodes()
        parts, verts, faces, joints, weights, uvs, colors = [], [], [], [], [], [], []
        count = 0
        for node_index in self.mesh_nodes(nodes):
            node = self.gltf.nodes[node_index]
            for prim in self.gltf.meshes[node.mesh].primitives:
                if prim.mode not in (None, 4) or prim.attributes.POSITION is None:
                    continue  # points, lines and strips never form our subjects
                v = self.read(prim.attributes.POSITION).astype(float)
                f = (
                    self.read(prim.indices).reshape(-1, 3).astype(np.int64)
                    if prim.indices is not None
                    else np.arange(len(v) - len(v) % 3, dtype=np.int64).reshape(-1, 3)
                )
                if f.size and (f.min() < 0 or f.max() >= len(v)):
                    raise MeshError(
                        f"{self.path}: face indices point past the vertices"
                    )
                j, w = self.influences(prim.attributes, len(v))
                skin = node.skin if node.skin is not None and w.shape[1] else None
                parts.append(Part(count, count + len(v), node_index, skin, prim.material))
                verts.append(v)
                faces.append(f + count)
                joints.append(j)
                weights.append(w)
                uv = prim.attributes.TEXCOORD_0
                uvs.append(
                    self.read(uv)[:, :2].astype(float) if uv is not None else None
                )
                col = prim.attributes.COLOR_0
                colors.append(None if col is None else self.read(col).astype(float))
                count += len(v)
        if not verts or not sum(len(f) for f in faces):
            raise MeshError(
                f"{self.path}: glTF has no triangle mesh in its scene; export one"
            )
        k = max(w.shape[1] for w in weights)
        joints = np.concatenate([_pad(j, k) for j in joints]).astype(np.int64)
        weights = np.concatenate([_pad(w, k) for w in weights])
        skins = tuple(self.skin(i) for i in range(len(self.gltf.skins or [])))
        for part in parts:
            if part.skin is not None and joints[part.start : part.stop].max(
                initial=0
            ) >= len(skins[part.skin].joints):
                raise MeshError(
                    f"{self.path}: a vertex references a joint its skin lacks"
                )
        return SkinnedModel(
            path=self.path,
            vertices=np.concatenate(verts),
            faces=np.concatenate(faces),
            joints=joints,
            weights=weights,
            uv=_stack_uv(uvs, [len(v) for v in verts]),
            colors=_stack_colors(colors, [len(v) for v in verts]),
            materials=self.materials(),
            parts=tuple(parts),
            nodes=nodes,
            order=order,
            skins=skins,
            clips=self.clips(),
        )

    def materials(self) -> tuple[BaseColor, ...]:
        """Every material's base colour (factor and decoded texture)."""
        out = []
        for i, mat in enumerate(self.gltf.materials or []):
            pbr = mat.pbrMetallicRoughness
            factor = np.asarray((pbr and pbr.baseColorFactor) or [1.0, 1.0, 1.0, 1.0], float)
            image = None
            info = pbr.baseColorTexture if pbr is not None else None
            if info is not None and info.index is not None:
                image = self.image(self.gltf.textures[info.index].source)
            out.append(BaseColor(mat.name or f"material{i}", factor, image))
        return tuple(out)

    def image(self, index: int | None) -> np.ndarray | None:
        """Image ``index`` decoded to (H, W, 3) uint8 (None when the texture has no source)."""
        if index is None:
            return None
        img = self.gltf.images[index]
        if img.bufferView is not None:
            view = self.gltf.bufferViews[img.bufferView]
            off = view.byteOffset or 0
            data = self.buffer(view.buffer)[off : off + view.byteLength]
        elif img.uri and img.uri.startswith("data:"):
            data = base64.b64decode(img.uri.split(",", 1)[1])
        elif img.uri:
            file = self.path.parent / unquote(img.uri)
            if not file.is_file():
                raise MeshError(f"{self.path}: texture image {file} is missing; keep the textures "
                                "next to the .gltf (extract the whole archive)")
            data = file.read_bytes()
        else:
            return None
        try:
            with Image.open(io.BytesIO(data)) as im:
                return np.asarray(im.convert("RGB"))
        except (OSError, SyntaxError, ValueError) as exc:
            raise MeshError(f"{self.path}: texture image {index} cannot be decoded ({exc}); "
                            "re-export the model with PNG or JPEG textures") from exc

    def nodes(self) -> tuple[tuple[Node, ...], tuple[int, ...]]:
        raw = self.gltf.nodes or []
        parent = [-1] * len(raw)
        for i, n in enumerate(raw):
            for c in n.children or []:
                parent[c] = i
        nodes = []
        for i, n in enumerate(raw):
            matrix = None
            if n.matrix is not None and not np.allclose(n.matrix, np.eye(4).ravel()):
                matrix = (
                    np.asarray(n.matrix, float).reshape(4, 4).T
                )  # stored column-major
            nodes.append(
                Node(
                    name=n.name or f"node{i}",
                    parent=parent[i],
                    translation=np.asarray(n.translation or [0, 0, 0], float),
                    rotation=np.asarray(n.rotation or [0, 0, 0, 1], float),
                    scale=np.asarray(n.scale or [1, 1, 1], float),
                    matrix=matrix,
                )
            )
        order, frontier = [], [i for i, p in enumerate(parent) if p < 0]
        while frontier and len(order) <= len(raw):
            i = frontier.pop()
            order.append(i)
            frontier.extend(raw[i].children or [])
        if len(order) != len(raw):
            raise MeshError(f"{self.path}: node hierarchy has a cycle or shared child")
        return tuple(nodes), tuple(order)

    def mesh_nodes(self, nodes: tuple[Node, ...]) -> list[int]:
        """Mesh-carrying nodes of the default scene (all roots when there is no scene)."""
        scenes = self.gltf.scenes or []
        if scenes:
            roots = scenes[self.gltf.scene or 0].nodes or []
        else:
            roots = [i for i, n in enumerate(nodes) if n.parent < 0]
        found, stack = [], list(reversed(roots))
        while stack:
            i = stack.pop()
            if self.gltf.nodes[i].mesh is not None:
                found.append(i)
            stack.extend(reversed(self.gltf.nodes[i].children or []))
        return found

    def influences(self, attrs, n: int) -> tuple[np.ndarray, np.ndarray]:
        joints, weights, k = [], [], 0
        while getattr(attrs, f"JOINTS_{k}", None) is not None and (
            getattr(attrs, f"WEIGHTS_{k}", None) is not None
        ):
            joints.append(self.read(getattr(attrs, f"JOINTS_{k}")))
            weights.append(self.read(getattr(attrs, f"WEIGHTS_{k}")).astype(float))
            k += 1
        if not joints:
            return np.zeros((n, 0), np.int64), np.zeros((n, 0))
        j, w = np.concatenate(joints, axis=1), np.concatenate(weights, axis=1)
        # Exporters pad unused slots with arbitrary joint indices; only weighted ones count.
        j = np.where(w > 0, j, 0)
        total = w.sum(axis=1, keepdims=True)
        # Exporters leave sums like 0.998 after quantisation; renormalise so meshes don't shrink.
        w = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
        return j.astype(np.int64), w

    def skin(self, index: int) -> Skin:
        skin = self.gltf.skins[index]
        joints = np.asarray(skin.joints, np.int64)
        if skin.inverseBindMatrices is None:
            ibm = np.broadcast_to(np.eye(4), (len(joints), 4, 4)).copy()
        else:
            ibm = (
                self.read(skin.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)
            )
        return Skin(joints=joints, inverse_bind=ibm.astype(float))

    def clips(self) -> tuple[AnimationClip, ...]:
        clips = []
        for a, anim in enumerate(self.gltf.animations or []):
            channels = []
            for ch in anim.channels:
                if ch.target.node is None or ch.target.path not in _PATHS:
                    continue  # morph-target weights do not move vertices through the skin
                s = anim.samplers[ch.sampler]
                times = self.read(s.input).ravel().astype(float)
                values = self.read(s.output).astype(float)
                interp = s.interpolation or "LINEAR"
                if interp == "CUBICSPLINE":
                    values = values.reshape(len(times), 3, -1)
                channels.append(
                    Channel(
                        ch.target.node, ch.target.path, Sampler(times, values, interp)
                    )
                )
            if channels:
                start = min(c.sampler.times[0] for c in channels)
                end = max(c.sampler.times[-1] for c in channels)
                clips.append(
                    AnimationClip(anim.name or f"clip{a}", tuple(channels), start, end)
                )
        return tuple(clips)

    def read(self, index: int) -> np.ndarray:
        """Accessor ``index`` as a (count, width) array; normalised integers become floats."""
        acc = self.gltf.accessors[index]
        if acc.sparse is not None:
            raise MeshError(
                f"{self.path}: sparse accessors are not supported; re-export without"
            )
        dtype = np.dtype(_DTYPES[acc.componentType])
        width = _WIDTH[acc.type]
        if acc.bufferView is None:
            return np.zeros((acc.count, width), dtype)
        view = self.gltf.bufferViews[acc.bufferView]
        data = self.buffer(view.buffer)
        offset = (view.byteOffset or 0) + (acc.byteOffset or 0)
        elem = dtype.itemsize * width
        stride = view.byteStride or elem
        end = offset + stride * (acc.count - 1) + elem if acc.count else offset
        view_end = (view.byteOffset or 0) + (view.byteLength or 0)
        if end > min(len(data), view_end):
            raise MeshError(
                f"{self.path}: accessor {index} runs past its buffer; file truncated?"
            )
        arr = np.ndarray(
            (acc.count, width),
            dtype,
            buffer=data,
            offset=offset,
            strides=(stride, dtype.itemsize),
        ).copy()
        if acc.normalized and dtype.str[1:] != "f4":
            arr = np.maximum(arr / _NORM_MAX[dtype.str.replace("|", "")], -1.0)
        return arr

    def buffer(self, index: int) -> bytes:
        if index not in self._buffers:
            uri = self.gltf.buffers[index].uri
            if uri is None:
                data = self.gltf.binary_blob()
                if data is None:
                    raise MeshError(
                        f"{self.path}: buffer {index} has no data (GLB BIN chunk missing)"
                    )
            elif uri.startswith("data:"):
                data = base64.b64decode(uri.split(",", 1)[1])
            else:
                file = self.path.parent / unquote(uri)
                if not file.is_file():
                    raise MeshError(
                        f"{self.path}: external buffer {file} is missing; keep the .bin "
                        "files next to the .gltf (extract the whole archive)"
                    )
                data = file.read_bytes()
            self._buffers[index] = bytes(data)
        return self._buffers[index]


def _stack_uv(uvs: list, counts: list[int]) -> np.ndarray | None:
    if all(uv is None for uv in uvs):
        return None
    return np.concatenate(
        [np.zeros((n, 2)) if uv is None else uv for uv, n in zip(uvs, counts)]
    )


def _stack_colors(colors: list, counts: list[int]) -> np.ndarray | None:
    if all(c is None for c in colors):
        return None
    out = []
    for c, n in zip(colors, counts):
        c = np.ones((n, 4)) if c is None else c
        out.append(np.hstack([c, np.ones((n, 1))]) if c.shape[1] == 3 else c)
    return np.concatenate(out)


def _pad(a: np.ndarray, k: int) -> np.ndarray:
    return np.pad(a, ((0, 0), (0, k - a.shape[1])))


def _unit(q: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(q))
    return q / n if n > 0 else np.array([0.0, 0.0, 0.0, 1.0])


def slerp(q0: np.ndarray, q1: np.ndarray, u: float) -> np.ndarray:
    """Spherical interpolation of unit quaternions (x, y, z, w) at fraction ``u`` in [0, 1]."""
    q0, q1 = _unit(np.asarray(q0, float)), _unit(np.asarray(q1, float))
    d = float(np.dot(q0, q1))
    if d < 0:  # take the short way round
        q1, d = -q1, -d
    if d > 0.9995:  # nearly parallel: sin(theta) ~ 0, nlerp is exact enough
        return _unit(q0 + u * (q1 - q0))
    theta = np.arccos(d)
    return (np.sin((1 - u) * theta) * q0 + np.sin(u * theta) * q1) / np.sin(theta)


def slerp_many(q0: np.ndarray, q1: np.ndarray, u: np.ndarray) -> np.ndarray:
    """:func:`slerp` of (C, 4) quaternion pairs at fractions ``u`` (C,), vectorised."""
    q0 = q0 / np.maximum(np.linalg.norm(q0, axis=1, keepdims=True), 1e-300)
    q1 = q1 / np.maximum(np.linalg.norm(q1, axis=1, keepdims=True), 1e-300)
    d = np.sum(q0 * q1, axis=1)
    flip = d < 0
    q1 = np.where(flip[:, None], -q1, q1)
    d = np.abs(d)
    u = np.asarray(u, float)[:, None]
    near = d > 0.9995
    theta = np.arccos(np.clip(d, -1.0, 1.0))[:, None]
    sin = np.where(near[:, None], 1.0, np.sin(theta))
    far = (np.sin((1 - u) * theta) * q0 + np.sin(u * theta) * q1) / sin
    lerp = q0 + u * (q1 - q0)
    lerp = lerp / np.linalg.norm(lerp, axis=1, keepdims=True)
    return np.where(near[:, None], lerp, far)


def trs_matrices(t: np.ndarray, r: np.ndarray, s: np.ndarray) -> np.ndarray:
    """(n, 4, 4) matrices T @ R @ S from (n, 3) translations, (n, 4) quaternions (x, y, z, w)
    and (n, 3) scales; :func:`trs_matrix` vectorised."""
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


def trs_matrix(t, r, s) -> np.ndarray:
    """4x4 matrix T @ R @ S from translation (3,), quaternion (x, y, z, w) and scale (3,)."""
    x, y, z, w = _unit(np.asarray(r, float))
    m = np.eye(4)
    m[:3, :3] = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    ) * np.asarray(s, float)
    m[:3, 3] = t
    return m


_INTERP = ("LINEAR", "STEP", "CUBICSPLINE")


def model_arrays(model: SkinnedModel, prefix: str = "skin_") -> dict[str, np.ndarray]:
    """What posing needs of ``model`` (skeleton, weights, clips) as flat numpy arrays, for
    ``np.savez``; :func:`model_from_arrays` reads them back. Materials and UVs are left out."""
    nodes = model.nodes
    out = {
        "vertices": model.vertices, "faces": model.faces, "joints": model.joints,
        "weights": model.weights,
        "parts": np.array([[p.start, p.stop, p.node, -1 if p.skin is None else p.skin] for p in model.parts]),
        "parent": np.array([n.parent for n in nodes]), "order": np.array(model.order),
        "translation": np.array([n.translation for n in nodes]).reshape(-1, 3),
        "rotation": np.array([n.rotation for n in nodes]).reshape(-1, 4),
        "scale": np.array([n.scale for n in nodes]).reshape(-1, 3),
        "has_matrix": np.array([n.matrix is not None for n in nodes]),
        "matrix": np.array([np.eye(4) if n.matrix is None else n.matrix for n in nodes]).reshape(-1, 4, 4),
        "skin_count": np.array([len(s.joints) for s in model.skins], np.int64),
        "skin_joints": np.concatenate([s.joints for s in model.skins] or [np.zeros(0, np.int64)]),
        "skin_ibm": np.concatenate([s.inverse_bind for s in model.skins] or [np.zeros((0, 4, 4))]),
        "clip_names": np.array([c.name for c in model.clips], dtype=str),
        "clip_range": np.array([[c.start, c.end] for c in model.clips]).reshape(-1, 2),
    }
    table = []
    for c, clip in enumerate(model.clips):
        for ch in clip.channels:
            k = len(table)
            table.append([c, ch.node, _PATHS.index(ch.path), _INTERP.index(ch.sampler.interpolation)])
            out[f"ch{k}_times"], out[f"ch{k}_values"] = ch.sampler.times, ch.sampler.values
    out["channels"] = np.array(table, np.int64).reshape(-1, 4)
    return {prefix + k: v for k, v in out.items()}


def model_from_arrays(data, path: Path, prefix: str = "skin_") -> SkinnedModel:
    """The posable model stored by :func:`model_arrays` (``data``: a mapping such as an
    ``np.load`` result); ``path`` names it in messages."""
    def g(k):
        return data[prefix + k]

    nodes = tuple(
        Node(f"node{i}", int(p), t, r, s, m if hm else None)
        for i, (p, t, r, s, hm, m) in enumerate(zip(g("parent"), g("translation"), g("rotation"), g("scale"),
                                                    g("has_matrix"), g("matrix"))))
    bounds = np.concatenate([[0], np.cumsum(g("skin_count"))])
    skins = tuple(Skin(g("skin_joints")[a:b], g("skin_ibm")[a:b]) for a, b in zip(bounds[:-1], bounds[1:]))
    channels: dict[int, list] = {}
    for k, (c, node, path_i, interp) in enumerate(g("channels")):
        sampler = Sampler(g(f"ch{k}_times"), g(f"ch{k}_values"), _INTERP[interp])
        channels.setdefault(int(c), []).append(Channel(int(node), _PATHS[path_i], sampler))
    clips = tuple(AnimationClip(str(name), tuple(channels.get(c, ())), float(a), float(b))
                  for c, (name, (a, b)) in enumerate(zip(g("clip_names"), g("clip_range"))))
    parts = tuple(Part(int(a), int(b), int(n), None if s < 0 else int(s)) for a, b, n, s in g("parts"))
    return SkinnedModel(path=Path(path), vertices=g("vertices"), faces=g("faces"), joints=g("joints"),
                        weights=g("weights"), uv=None, colors=None, materials=(), parts=parts, nodes=nodes,
                        order=tuple(int(i) for i in g("order")), skins=skins, clips=clips)
