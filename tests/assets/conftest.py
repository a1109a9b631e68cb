"""Fixtures for the asset layer, all built at test time (no binary blobs in the repo).

``http_server`` (a loopback file server) is meant for reuse: another folder's conftest can
build one the same way from tests/helpers/httpserver.py.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from pathlib import Path

import numpy as np
import pygltflib
import pytest
import trimesh
from PIL import Image

from helpers.httpserver import LoopbackServer, closed_port
from helpers.realdata_archives import zip_bytes


@pytest.fixture
def http_server(tmp_path, monkeypatch):
    """A LoopbackServer serving ``tmp_path/www``; proxies bypassed for 127.0.0.1."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with LoopbackServer(tmp_path / "www") as server:
        yield server


@pytest.fixture
def unreachable_url():
    """An http URL on 127.0.0.1 where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{closed_port()}/missing.bin"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def png_bytes(size: int = 8) -> bytes:
    """A small RGB checkerboard PNG."""
    yy, xx = np.mgrid[:size, :size]
    img = np.where(((xx + yy) % 2)[..., None] == 0, [200, 30, 30], [20, 20, 200]).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def textured_obj_files() -> dict[str, bytes]:
    """A textured box as OBJ + MTL + PNG, the way a downloaded model zip looks."""
    box = trimesh.creation.box(extents=(2.0, 1.0, 0.5))
    uv = np.random.default_rng(0).random((len(box.vertices), 2))
    box.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.open(io.BytesIO(png_bytes())))
    files = trimesh.exchange.obj.export_obj(box, include_texture=True, return_texture=True, mtl_name="model.mtl")
    text, extra = files
    out = {"model/model.obj": text.encode()}
    out.update({f"model/{k}": v for k, v in extra.items()})
    return out


def tar_gz_bytes(members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tf.addfile(info)
    return buf.getvalue()


# --- a 2-bone skinned glTF ------------------------------------------------------------
#
# bone1 (node 0) at the origin, bone2 (node 1) its child at (0, 1, 0); node 2 holds the
# mesh and the skin. Inverse bind matrices match the rest pose, so the bind pose is the
# authored vertices. Clips (all on [0, 1] s except "slide" on [0, 2] s):
#   0 "bend":  bone2 rotation LINEAR, identity -> 90 deg about +Z
#   1 "slide": bone1 translation LINEAR, (0,0,0) -> (0,0,2)
#   2 "snap":  bone2 rotation STEP, identity then 90 deg about +Z
#   3 "ease":  bone1 translation CUBICSPLINE with zero tangents, (0,0,0) -> (0,0,2)

RIG_VERTICES = np.array(
    [
        [0.0, 2.0, 0.0],  # 0: fully bone2
        [0.0, 2.0, 0.0],  # 1: half bone1, half bone2
        [1.0, 0.0, 0.0],  # 2: fully bone1
        [0.0, 0.0, 1.0],  # 3: fully bone1
        [1.0, 2.0, 0.0],  # 4: fully bone2
    ]
)
RIG_FACES = np.array([[0, 2, 3], [1, 2, 3], [4, 2, 3], [2, 4, 3]])
# Two influences per vertex (slot 0 = bone1, slot 1 = bone2), as fractions.
RIG_WEIGHTS = np.array([[0, 1], [0.5, 0.5], [1, 0], [1, 0], [0, 1]], float)
RIG_UV = RIG_VERTICES[:, :2] / 2
QZ90 = [0.0, 0.0, float(np.sin(np.pi / 4)), float(np.cos(np.pi / 4))]


class _Blob:
    """Accumulates a glTF binary buffer with 4-byte aligned bufferViews."""

    def __init__(self):
        self.data = bytearray()
        self.views: list[pygltflib.BufferView] = []
        self.accessors: list[pygltflib.Accessor] = []

    def add(self, array: np.ndarray, ctype: int, gtype: str, normalized=False, stride=None):
        array = np.ascontiguousarray(array)
        rows = array.reshape(len(array), -1)
        raw = rows.tobytes()
        if stride:  # pad every element to `stride` bytes to exercise byteStride
            elem = rows.shape[1] * rows.dtype.itemsize
            padded = bytearray()
            for i in range(len(rows)):
                padded += raw[i * elem : (i + 1) * elem] + b"\xab" * (stride - elem)
            raw = bytes(padded)
        while len(self.data) % 4:
            self.data += b"\0"
        self.views.append(
            pygltflib.BufferView(
                buffer=0,
                byteOffset=len(self.data),
                byteLength=len(raw),
                byteStride=stride,
            )
        )
        self.data += raw
        acc = pygltflib.Accessor(
            bufferView=len(self.views) - 1,
            componentType=ctype,
            count=len(rows),
            type=gtype,
            normalized=normalized or None,
        )
        if gtype == "VEC3" and ctype == pygltflib.FLOAT:
            acc.min, acc.max = rows.min(0).tolist(), rows.max(0).tolist()
        self.accessors.append(acc)
        return len(self.accessors) - 1


def build_rig(
    path: Path,
    *,
    skinned: bool = True,
    animated: bool = True,
    quantized: bool = False,
    stride: int | None = None,
    pad_joint: int = 0,
) -> Path:
    """Write the 2-bone rig to ``path``; the suffix and name pick the buffer storage.

    ``.glb``: BIN chunk. ``.gltf``: external ``<stem>.bin`` unless the stem ends in
    ``_embedded``, then a base64 data: URI. ``quantized`` stores joints as UNSIGNED_BYTE
    and weights as normalised UNSIGNED_BYTE (else UNSIGNED_SHORT / normalised UNSIGNED_SHORT).
    ``stride`` pads POSITION elements to that many bytes (a strided bufferView).
    ``pad_joint`` is the joint index written in the unused (zero-weight) slots.
    """
    F, UB, US = pygltflib.FLOAT, pygltflib.UNSIGNED_BYTE, pygltflib.UNSIGNED_SHORT
    blob = _Blob()
    attrs = pygltflib.Attributes(POSITION=blob.add(RIG_VERTICES.astype("<f4"), F, "VEC3", stride=stride))
    attrs.TEXCOORD_0 = blob.add(RIG_UV.astype("<f4"), F, "VEC2")
    indices = blob.add(RIG_FACES.astype("<u2").reshape(-1, 1), US, "SCALAR")
    if skinned:
        joints = np.full((len(RIG_VERTICES), 4), pad_joint)
        joints[:, 0], joints[:, 1] = 0, 1
        weights = np.zeros((len(RIG_VERTICES), 4))
        weights[:, :2] = RIG_WEIGHTS
        if quantized:
            attrs.JOINTS_0 = blob.add(joints.astype("u1"), UB, "VEC4")
            # 0.5 is not representable in u8 (128/255); equal integers still renormalise to 0.5.
            attrs.WEIGHTS_0 = blob.add((weights * 254).round().astype("u1"), UB, "VEC4", True)
        else:
            attrs.JOINTS_0 = blob.add(joints.astype("<u2"), US, "VEC4")
            attrs.WEIGHTS_0 = blob.add((weights * 65534).round().astype("<u2"), US, "VEC4", True)
        ibm = np.stack([np.eye(4), np.eye(4)])
        ibm[1, 1, 3] = -1.0  # bone2 joint sits at y = 1
        ibm_acc = blob.add(ibm.transpose(0, 2, 1).reshape(2, 16).astype("<f4"), F, "MAT4")

    nodes = [
        pygltflib.Node(name="bone1", children=[1]),
        pygltflib.Node(name="bone2", translation=[0.0, 1.0, 0.0]),
        pygltflib.Node(name="body", mesh=0, skin=0 if skinned else None),
    ]
    gltf = pygltflib.GLTF2(
        scene=0,
        scenes=[pygltflib.Scene(nodes=[0, 2])],
        nodes=nodes,
        meshes=[pygltflib.Mesh(primitives=[pygltflib.Primitive(attributes=attrs, indices=indices)])],
    )
    if skinned:
        gltf.skins = [pygltflib.Skin(joints=[0, 1], inverseBindMatrices=ibm_acc)]
    if animated:
        gltf.animations = _rig_animations(blob)
    gltf.accessors, gltf.bufferViews = blob.accessors, blob.views

    data = bytes(blob.data)
    path = Path(path)
    if path.suffix == ".glb":
        gltf.buffers = [pygltflib.Buffer(byteLength=len(data))]
        gltf.set_binary_blob(data)
        gltf.save_binary(str(path))
    elif path.stem.endswith("_embedded"):
        uri = "data:application/octet-stream;base64," + base64.b64encode(data).decode()
        gltf.buffers = [pygltflib.Buffer(uri=uri, byteLength=len(data))]
        gltf.save_json(str(path))
    else:
        bin_path = path.with_suffix(".bin")
        bin_path.write_bytes(data)
        gltf.buffers = [pygltflib.Buffer(uri=bin_path.name, byteLength=len(data))]
        gltf.save_json(str(path))
    return path


def _rig_animations(blob: _Blob) -> list[pygltflib.Animation]:
    F = pygltflib.FLOAT
    t01 = blob.add(np.array([[0.0], [1.0]], "<f4"), F, "SCALAR")
    t02 = blob.add(np.array([[0.0], [2.0]], "<f4"), F, "SCALAR")
    rot = blob.add(np.array([[0, 0, 0, 1], QZ90], "<f4"), F, "VEC4")
    slide = blob.add(np.array([[0, 0, 0], [0, 0, 2]], "<f4"), F, "VEC3")
    # CUBICSPLINE output: (in-tangent, value, out-tangent) per key.
    ease = blob.add(
        np.array([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 2], [0, 0, 0]], "<f4"),
        F,
        "VEC3",
    )

    def clip(name, node, path, t, out, interp):
        return pygltflib.Animation(
            name=name,
            samplers=[pygltflib.AnimationSampler(input=t, output=out, interpolation=interp)],
            channels=[
                pygltflib.AnimationChannel(
                    sampler=0,
                    target=pygltflib.AnimationChannelTarget(node=node, path=path),
                )
            ],
        )

    return [
        clip("bend", 1, "rotation", t01, rot, "LINEAR"),
        clip("slide", 0, "translation", t02, slide, "LINEAR"),
        clip("snap", 1, "rotation", t01, rot, "STEP"),
        clip("ease", 0, "translation", t01, ease, "CUBICSPLINE"),
    ]


@pytest.fixture
def rig_glb(tmp_path) -> Path:
    return build_rig(tmp_path / "rig.glb")


@pytest.fixture
def kit():
    """The builders above, for tests (importing from conftest breaks under importlib mode)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        sha256_bytes=sha256_bytes,
        png_bytes=png_bytes,
        textured_obj_files=textured_obj_files,
        zip_bytes=zip_bytes,
        tar_gz_bytes=tar_gz_bytes,
        build_rig=build_rig,
        RIG_VERTICES=RIG_VERTICES,
        RIG_FACES=RIG_FACES,
        RIG_UV=RIG_UV,
        QZ90=QZ90,
    )
