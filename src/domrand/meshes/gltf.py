"""Reading a glTF 2.0 file (.glb, or .gltf with data: URI or external .bin buffers) into a
:class:`~domrand.meshes.skinning.SkinnedModel` (pygltflib + numpy).

trimesh ignores skins and animations, so this module reads them itself: triangle
primitives of every mesh node in the default scene, JOINTS_n/WEIGHTS_n, TEXCOORD_0,
COLOR_0, base-colour materials, the node hierarchy, inverse bind matrices and animation
channels (translation / rotation / scale).
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pygltflib
from PIL import Image

from .animation import PATHS, AnimationClip, Channel, Sampler
from .load import MeshError
from .skinning import BaseColor, Node, Part, Skin, SkinnedModel

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


def load_skinned_gltf(path: Path) -> SkinnedModel:
    """Read a .glb or .gltf (embedded data: URI or external .bin buffers) for posing.

    Raises ``MeshError`` naming ``path`` when the file cannot be read, has no triangles,
    or references missing buffers or joints.
    """
    path = Path(path)
    if path.suffix.lower() not in (".glb", ".gltf"):
        raise MeshError(f"{path}: skinned models must be .glb or .gltf, convert it first")
    try:
        gltf = pygltflib.GLTF2().load(str(path))
    except Exception as exc:  # pygltflib raises json, struct and key errors alike
        raise MeshError(
            f"{path}: cannot be read as glTF ({type(exc).__name__}: {exc}); re-download or re-export it"
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
                    raise MeshError(f"{self.path}: face indices point past the vertices")
                j, w = self.influences(prim.attributes, len(v))
                skin = node.skin if node.skin is not None and w.shape[1] else None
                parts.append(Part(count, count + len(v), node_index, skin, prim.material))
                verts.append(v)
                faces.append(f + count)
                joints.append(j)
                weights.append(w)
                uv = prim.attributes.TEXCOORD_0
                uvs.append(self.read(uv)[:, :2].astype(float) if uv is not None else None)
                col = prim.attributes.COLOR_0
                colors.append(None if col is None else self.read(col).astype(float))
                count += len(v)
        if not verts or not sum(len(f) for f in faces):
            raise MeshError(f"{self.path}: glTF has no triangle mesh in its scene; export one")
        k = max(w.shape[1] for w in weights)
        joints = np.concatenate([_pad(j, k) for j in joints]).astype(np.int64)
        weights = np.concatenate([_pad(w, k) for w in weights])
        skins = tuple(self.skin(i) for i in range(len(self.gltf.skins or [])))
        for part in parts:
            if part.skin is not None and joints[part.start : part.stop].max(initial=0) >= len(skins[part.skin].joints):
                raise MeshError(f"{self.path}: a vertex references a joint its skin lacks")
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
                raise MeshError(
                    f"{self.path}: texture image {file} is missing; keep the textures "
                    "next to the .gltf (extract the whole archive)"
                )
            data = file.read_bytes()
        else:
            return None
        try:
            with Image.open(io.BytesIO(data)) as im:
                return np.asarray(im.convert("RGB"))
        except (OSError, SyntaxError, ValueError) as exc:
            raise MeshError(
                f"{self.path}: texture image {index} cannot be decoded ({exc}); "
                "re-export the model with PNG or JPEG textures"
            ) from exc

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
                matrix = np.asarray(n.matrix, float).reshape(4, 4).T  # stored column-major
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
        while getattr(attrs, f"JOINTS_{k}", None) is not None and (getattr(attrs, f"WEIGHTS_{k}", None) is not None):
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
            ibm = self.read(skin.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)
        return Skin(joints=joints, inverse_bind=ibm.astype(float))

    def clips(self) -> tuple[AnimationClip, ...]:
        clips = []
        for a, anim in enumerate(self.gltf.animations or []):
            channels = []
            for ch in anim.channels:
                if ch.target.node is None or ch.target.path not in PATHS:
                    continue  # morph-target weights do not move vertices through the skin
                s = anim.samplers[ch.sampler]
                times = self.read(s.input).ravel().astype(float)
                values = self.read(s.output).astype(float)
                interp = s.interpolation or "LINEAR"
                if interp == "CUBICSPLINE":
                    values = values.reshape(len(times), 3, -1)
                channels.append(Channel(ch.target.node, ch.target.path, Sampler(times, values, interp)))
            if channels:
                start = min(c.sampler.times[0] for c in channels)
                end = max(c.sampler.times[-1] for c in channels)
                clips.append(AnimationClip(anim.name or f"clip{a}", tuple(channels), start, end))
        return tuple(clips)

    def read(self, index: int) -> np.ndarray:
        """Accessor ``index`` as a (count, width) array; normalised integers become floats."""
        acc = self.gltf.accessors[index]
        if acc.sparse is not None:
            raise MeshError(f"{self.path}: sparse accessors are not supported; re-export without")
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
            raise MeshError(f"{self.path}: accessor {index} runs past its buffer; file truncated?")
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
                    raise MeshError(f"{self.path}: buffer {index} has no data (GLB BIN chunk missing)")
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
    return np.concatenate([np.zeros((n, 2)) if uv is None else uv for uv, n in zip(uvs, counts)])


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
