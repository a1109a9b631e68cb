"""Textured subject models made at test time: a skinned glTF tube with two animation clips
and its own base-colour texture, and an OBJ + MTL with a map_Kd texture or a Kd colour.

The tube lies along +X, ``rings`` rings of ``ring`` vertices; ``joints`` bones form a chain
along it and every vertex is weighted to its nearest bones (up to four influences), the way
an exported character is. Clip 0 ``wave`` bends the chain about +Z, clip 1 ``twist`` about +X,
each with ``keys`` LINEAR keyframes over ``duration`` seconds.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pygltflib
import trimesh
from PIL import Image


def solid_png(rgb, size: int = 16) -> bytes:
    """A PNG of one colour with a faint checker (so mipmaps are not trivially flat)."""
    yy, xx = np.mgrid[:size, :size]
    img = np.clip(np.asarray(rgb, float)[None, None] + ((xx + yy) % 2)[..., None] * 8, 0, 255)
    buf = io.BytesIO()
    Image.fromarray(img.astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _quat(axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    return [*(np.sin(angle / 2) * axis), float(np.cos(angle / 2))]


def tube(rings: int = 40, ring: int = 24, length: float = 2.0, radius: float = 0.25):
    """Vertices (rings*ring, 3), faces, uv of an open tube along +X from x=0 to ``length``."""
    x = np.linspace(0, length, rings)
    a = np.linspace(0, 2 * np.pi, ring, endpoint=False)
    xx, aa = np.meshgrid(x, a, indexing="ij")
    verts = np.stack([xx, radius * np.cos(aa) + 0.5, radius * np.sin(aa)], -1).reshape(-1, 3)
    uv = np.stack([xx / length, aa / (2 * np.pi)], -1).reshape(-1, 2)
    faces = []
    for i in range(rings - 1):
        for j in range(ring):
            p, q = i * ring + j, i * ring + (j + 1) % ring
            faces += [[p, p + ring, q], [q, p + ring, q + ring]]
    return verts, np.asarray(faces), uv


def build_textured_rig(
    path: Path,
    *,
    rings: int = 40,
    ring: int = 24,
    joints: int = 8,
    keys: int = 10,
    duration: float = 2.0,
    texture_rgb=(220, 40, 200),
    textured: bool = True,
    factor=None,
    vertex_colors=None,
) -> Path:
    """Write the textured, skinned tube to ``path`` (.glb).

    ``textured``: a baseColorTexture of ``texture_rgb`` (PNG in the BIN chunk); ``factor``:
    baseColorFactor (linear RGBA); ``vertex_colors``: an (N, 3) COLOR_0 in [0, 1]. With none
    of them the primitive has no material at all.
    """
    F, US = pygltflib.FLOAT, pygltflib.UNSIGNED_SHORT
    verts, faces, uv = tube(rings, ring)
    length = 2.0
    bone_x = np.linspace(0, length, joints, endpoint=False)
    d = np.abs(verts[:, :1] - bone_x[None] - length / joints / 2)
    k = min(4, joints)
    near = np.argsort(d, axis=1)[:, :k]
    w = 1.0 / (np.take_along_axis(d, near, 1) + 1e-3)
    w /= w.sum(1, keepdims=True)
    data = bytearray()
    views, accessors = [], []

    def add(arr, ctype, gtype, target=True):
        raw = np.ascontiguousarray(arr).tobytes()
        while len(data) % 4:
            data.append(0)
        views.append(pygltflib.BufferView(buffer=0, byteOffset=len(data), byteLength=len(raw)))
        data.extend(raw)
        if not target:
            return len(views) - 1
        acc = pygltflib.Accessor(bufferView=len(views) - 1, componentType=ctype, count=len(arr), type=gtype)
        if gtype == "VEC3" and ctype == F:
            acc.min, acc.max = arr.min(0).tolist(), arr.max(0).tolist()
        accessors.append(acc)
        return len(accessors) - 1

    attrs = pygltflib.Attributes(POSITION=add(verts.astype("<f4"), F, "VEC3"))
    # glTF texture coordinates: v runs down the image.
    attrs.TEXCOORD_0 = add(np.stack([uv[:, 0], 1 - uv[:, 1]], 1).astype("<f4"), F, "VEC2")
    j4 = np.zeros((len(verts), 4), np.uint16)
    w4 = np.zeros((len(verts), 4), np.float32)
    j4[:, :k], w4[:, :k] = near, w
    attrs.JOINTS_0 = add(j4.astype("<u2"), US, "VEC4")
    attrs.WEIGHTS_0 = add(w4.astype("<f4"), F, "VEC4")
    if vertex_colors is not None:
        attrs.COLOR_0 = add(np.asarray(vertex_colors, "<f4"), F, "VEC3")
    indices = add(faces.astype("<u2").reshape(-1, 1), US, "SCALAR")
    ibm = np.stack([np.eye(4) for _ in range(joints)])
    ibm[:, 0, 3] = -bone_x
    ibm_acc = add(ibm.transpose(0, 2, 1).reshape(joints, 16).astype("<f4"), F, "MAT4")

    nodes = [
        pygltflib.Node(
            name=f"bone{i}",
            translation=[float(bone_x[1] if i else 0.0), 0.0, 0.0],
            children=[i + 1] if i + 1 < joints else [],
        )
        for i in range(joints)
    ]
    nodes.append(pygltflib.Node(name="body", mesh=0, skin=0))
    t = np.linspace(0, duration, keys).astype("<f4").reshape(-1, 1)
    t_acc = add(t, F, "SCALAR")
    animations = []
    for name, axis in (("wave", (0, 0, 1)), ("twist", (1, 0, 0))):
        samplers, channels = [], []
        for i in range(1, joints):
            rot = np.array([_quat(axis, 0.5 * np.sin(2 * np.pi * tk / duration + i)) for tk in t[:, 0]], "<f4")
            samplers.append(pygltflib.AnimationSampler(input=t_acc, output=add(rot, F, "VEC4"), interpolation="LINEAR"))
            channels.append(
                pygltflib.AnimationChannel(
                    sampler=len(samplers) - 1, target=pygltflib.AnimationChannelTarget(node=i, path="rotation")
                )
            )
        animations.append(pygltflib.Animation(name=name, samplers=samplers, channels=channels))

    prim = pygltflib.Primitive(attributes=attrs, indices=indices)
    gltf = pygltflib.GLTF2(
        scene=0,
        scenes=[pygltflib.Scene(nodes=[0, joints])],
        nodes=nodes,
        meshes=[pygltflib.Mesh(primitives=[prim])],
        skins=[pygltflib.Skin(joints=list(range(joints)), inverseBindMatrices=ibm_acc)],
        animations=animations,
    )
    if textured or factor is not None:
        pbr = pygltflib.PbrMetallicRoughness(baseColorFactor=list(factor) if factor is not None else None)
        if textured:
            gltf.images = [
                pygltflib.Image(
                    bufferView=add(np.frombuffer(solid_png(texture_rgb), np.uint8), None, None, target=False),
                    mimeType="image/png",
                )
            ]
            gltf.samplers = [pygltflib.Sampler()]
            gltf.textures = [pygltflib.Texture(source=0, sampler=0)]
            pbr.baseColorTexture = pygltflib.TextureInfo(index=0)
        gltf.materials = [pygltflib.Material(pbrMetallicRoughness=pbr)]
        prim.material = 0
    gltf.accessors, gltf.bufferViews = accessors, views
    gltf.buffers = [pygltflib.Buffer(byteLength=len(data))]
    gltf.set_binary_blob(bytes(data))
    path = Path(path)
    gltf.save_binary(str(path))
    return path


def write_textured_obj(folder: Path, *, texture_rgb=(40, 200, 60), kd=None) -> Path:
    """An OBJ box (tall along Y) with an MTL: ``map_Kd`` of one colour, or only ``Kd`` when
    ``kd`` (RGB in [0, 1]) is given. Returns the .obj path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    box = trimesh.creation.box(extents=(0.6, 1.5, 1.0))
    lines = ["mtllib model.mtl", "usemtl skin"]
    lines += ["v {:.6f} {:.6f} {:.6f}".format(*v) for v in box.vertices]
    if kd is None:
        lines += ["vt 0.25 0.25", "vt 0.75 0.25", "vt 0.75 0.75"]
        lines += [f"f {f[0] + 1}/1 {f[1] + 1}/2 {f[2] + 1}/3" for f in box.faces]
        (folder / "skin.png").write_bytes(solid_png(texture_rgb))
        mtl = "newmtl skin\nKd 0.4 0.4 0.4\nmap_Kd skin.png\n"
    else:
        lines += ["f {} {} {}".format(*(int(i) + 1 for i in f)) for f in box.faces]
        mtl = "newmtl skin\nKd {:.4f} {:.4f} {:.4f}\n".format(*kd)
    (folder / "model.mtl").write_text(mtl)
    (folder / "model.obj").write_text("\n".join(lines) + "\n")
    return folder / "model.obj"
