"""Imported meshes (glTF/GLB, OBJ, PLY) as subjects of a class, beside or instead of the
procedural breeds.

At world build time (:func:`add_mesh_breeds`) every mesh the config lists for a class
(``world.subjects.<cls>``) becomes one breed: it is loaded, turned to +Y up, scaled and
centred (:func:`~domrand.meshes.load.normalize_mesh`), and stored in the world folder
(``meshes/<breed>.npz``) with its own base colours: glTF baseColorTexture / baseColorFactor /
COLOR_0, OBJ+MTL ``map_Kd`` / ``Kd``, PLY vertex colours. Faces are grouped by material
(``meshes/<breed>_<k>.png`` holds a group's texture, resized to at most ``texture_size``);
vertex colours become a palette of flat colours, one group each (the renderer has no
vertex-colour input). A group with no colour of its own (no material, or glTF's default
white) wears the breed's procedural coat, on procedural texture coordinates.

A rigged, animated glTF keeps its skeleton, skin weights and clips in the npz. Each image
shows a random clip at a random time, skinned for that frame (linear-blend skinning,
:mod:`domrand.meshes.skinning`, as the paper posed its Unity models): the clip and time are
drawn from the frame's sampled pose (:func:`clip_time`), so they are fixed by the image's
seed and written into its metadata (``clip``, ``clip_time``). Times are quantised to
``time_step`` seconds from the clip start (default 1/30 s: the frames of a 30 fps animation),
and skinned frames are cached per (clip, time), so the metadata names exactly what was drawn.
The default pose (``pose: default``) is the bind pose. A model that cannot be posed (a glTF
without skin or animation, any OBJ or PLY) keeps its bind pose, with a warning at build time
and ``pose_fallback=True`` in the metadata of every image posed at random.

At render time :func:`subject_rig` gives the scene (``domrand.render.scene``)
an object with the interface of a procedural :class:`~domrand.world.rig.Rig` (``parts``,
``pose_frame``) plus the groups' own materials and UVs, and, for a rigged model, the posed
vertices and normals of the current frame (``deformed``) for the scene to upload.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image

from domrand.meshes.load import SUPPORTED_SUFFIXES, MeshError, check_mesh, load_mesh, normalize_mesh
from domrand.seeds import seed_for
from domrand.world import textures
from domrand.world.own_classes import is_builtin, sample_own_coat, split_meshes
from domrand.world.rig import Part
from domrand.world.subjects import Breed, build_rig, sample_breed
from domrand.world.target_subjects import build_target_rig, is_target_subject

MESH_DIR = "meshes"
DEFAULT_TIME_STEP = 1.0 / 30.0  # seconds: the frames of a 30 fps animation
PALETTE_LEVELS = 8  # vertex colours are quantised to 8 levels per channel (at most 512 groups)
CACHE_FRAMES = 64  # skinned frames kept per subject (LRU)


def mesh_files(entry: dict, assets_dir: Path, cls: str = "") -> list[Path]:
    """The mesh files of one ``world.subjects.<cls>.meshes`` entry, sorted.

    ``{"download": name, "file": pattern}``: files matching the glob ``pattern`` (default:
    every supported mesh, recursively) in the download's folder ``assets_dir/<name>``;
    ``{"path": p}``: the file ``p``, or every supported mesh under the folder ``p``;
    ``{"objaverse": true}``: the pinned Objaverse objects of ``cls`` (``assets_dir/objaverse_<cls>``).
    """
    if entry.get("objaverse"):
        root, pattern, what = Path(assets_dir) / f"objaverse_{cls}", None, f"Objaverse objects of {cls}"
    elif "download" in entry:
        root = Path(assets_dir) / entry["download"]
        pattern = entry.get("file")
        what = f"download {entry['download']!r} ({root})"
    else:
        root, pattern, what = Path(entry["path"]), None, f"path {entry['path']!r}"
        if root.is_file():
            return [root]
    if not root.is_dir():
        raise MeshError(f"world.subjects: {what} does not exist; run `snakemake fetch` for downloads, or fix the path")
    found = sorted(root.glob(pattern) if pattern else root.rglob("*"))
    files = [f for f in found if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES]
    if not files:
        raise MeshError(
            f"world.subjects: {what} has no {'/'.join(SUPPORTED_SUFFIXES)} file"
            + (f" matching {pattern!r}" if pattern else "")
        )
    return files


def import_subject(path: Path, up_axis: str, max_texture: int) -> dict:
    """One mesh file as a subject: normalised bind-pose geometry, face groups with their own
    base colours, and (rigged glTF) what posing needs.

    Returns {"arrays": {name: array} for the npz, "groups": [{"own": bool, "factor": [r, g, b, a]
    linear, "texture": (H, W, 3) uint8 or None}], "clips": [{"name", "start", "end"}],
    "fallback": bool (cannot be posed), "transform": 4x4 file frame -> project frame}.
    """
    path = Path(path)
    clips, model = [], None
    if path.suffix.lower() in (".glb", ".gltf"):
        from domrand.meshes.arrays import model_arrays
        from domrand.meshes.gltf import load_skinned_gltf

        model = load_skinned_gltf(path)
        verts, faces = model.bind_pose(), np.asarray(model.faces)
        uv = None if model.uv is None else np.stack([model.uv[:, 0], 1.0 - model.uv[:, 1]], 1)
        face_part = np.zeros(len(faces), np.int64)
        for k, part in enumerate(model.parts):
            face_part[(faces[:, 0] >= part.start) & (faces[:, 0] < part.stop)] = k
        mats = [None if p.material is None else model.materials[p.material] for p in model.parts]
        sources = [
            (None if m is None or _is_default(m.factor, m.image) else m.factor, None if m is None else m.image)
            for m in mats
        ]
        colors = model.colors
        if not model.can_animate:
            model.random_pose(np.random.default_rng(0))  # warns, naming the file: bind pose for every image
        else:
            clips = [{"name": c.name, "start": float(c.start), "end": float(c.end)} for c in model.clips]
    else:
        verts, faces, uv, face_part, sources, colors = _trimesh_subject(path)
        warnings.warn(
            f"{path}: {path.suffix} meshes have no skeleton; using the model as "
            "authored for every image (pose randomisation is off for this model)",
            stacklevel=2,
        )
    rest = trimesh.Trimesh(vertices=verts, faces=faces, process=False)
    check_mesh(rest, path)
    normal = normalize_mesh(rest, up_axis=up_axis, target_size=1.0)
    # normalize_mesh = rotate, then scale and shift: recover that affine map from the vertices.
    transform = _affine(rest.vertices, normal.vertices)
    groups, face_group = _groups(faces, face_part, sources, colors, max_texture)
    arrays = {
        "vertices": np.asarray(normal.vertices, np.float32),
        "faces": faces.astype(np.int64),
        "face_group": face_group,
        "transform": transform,
        "normals": np.asarray(rest.vertex_normals, np.float64),  # file frame, for skinning
        "uv": np.zeros((len(verts), 2), np.float32) if uv is None else uv.astype(np.float32),
    }
    if clips:
        arrays.update(model_arrays(model))
    return {"arrays": arrays, "groups": groups, "clips": clips, "fallback": not clips, "transform": transform}


def _is_default(factor, image) -> bool:
    """glTF's default material (white, untextured) says nothing about the model's colour."""
    return image is None and np.allclose(np.asarray(factor, float)[:3], 1.0)


def _trimesh_subject(path: Path):
    """OBJ/PLY through trimesh, one geometry per material, concatenated in a stable order."""
    try:
        scene = trimesh.load(str(path), force="scene", process=False)
    except Exception:  # load_mesh names the file and the fix
        load_mesh(path)
        raise
    verts, faces, uvs, face_part, sources, colors, n = [], [], [], [], [], [], 0
    for k, geom in enumerate(g for g in scene.dump() if isinstance(g, trimesh.Trimesh)):
        v = np.asarray(geom.vertices, float)
        visual = geom.visual
        uv, image, factor, vc = None, None, None, None
        if isinstance(visual, trimesh.visual.TextureVisuals):
            mat = visual.material
            uv = None if visual.uv is None else np.asarray(visual.uv, float)
            image = getattr(mat, "image", None)
            if image is None and getattr(mat, "baseColorTexture", None) is not None:
                image = mat.baseColorTexture
            image = np.asarray(image.convert("RGB")) if image is not None and uv is not None else None
            diffuse = getattr(mat, "diffuse", None)
            if diffuse is None and getattr(mat, "baseColorFactor", None) is not None:
                diffuse = mat.baseColorFactor
            if image is None and diffuse is not None:
                factor = np.asarray(diffuse, float)[:4] / 255.0
        elif getattr(visual, "kind", None) == "vertex":
            vc = np.asarray(visual.vertex_colors, float) / 255.0
        elif getattr(visual, "kind", None) == "face":
            fc = np.asarray(visual.face_colors, float) / 255.0
            vc = np.zeros((len(v), 4))
            vc[geom.faces.ravel()] = np.repeat(fc, 3, axis=0)
        verts.append(v)
        faces.append(np.asarray(geom.faces) + n)
        uvs.append(np.zeros((len(v), 2)) if uv is None else uv)
        colors.append(np.ones((len(v), 4)) if vc is None else vc)
        face_part.append(np.full(len(geom.faces), k))
        # MTL: the texture when there is one (Kd is then ignored, as Blender does), else Kd.
        sources.append((None if image is not None or factor is None else factor, image))
        n += len(v)
    if not verts:
        load_mesh(path)  # raises the empty-mesh error naming the file
    has_vc = any(not np.allclose(c, 1.0) for c in colors)
    return (
        np.concatenate(verts),
        np.concatenate(faces),
        np.concatenate(uvs),
        np.concatenate(face_part),
        sources,
        np.concatenate(colors) if has_vc else None,
    )


def _groups(faces, face_part, sources, colors, max_texture):
    """Face groups by material: (groups, per-face group index)."""
    groups, face_group = [], np.zeros(len(faces), np.int64)
    for k, (factor, image) in enumerate(sources):
        sel = np.flatnonzero(face_part == k)
        if image is not None:
            face_group[sel] = len(groups)
            f = np.ones(4) if factor is None else np.asarray(factor, float)
            groups.append({"own": True, "factor": f.tolist(), "texture": _fit(image, max_texture)})
            continue
        if colors is not None and not np.allclose(colors[faces[sel]], 1.0):
            # Flat colour per face (mean of its corners), quantised to a palette: one group per colour.
            fc = colors[faces[sel]].mean(axis=1)[:, :3]
            levels = np.round(fc * (PALETTE_LEVELS - 1)).astype(int)
            keys, inverse = np.unique(levels, axis=0, return_inverse=True)
            f = np.ones(4) if factor is None else np.asarray(factor, float)
            for q in range(len(keys)):
                face_group[sel[inverse.ravel() == q]] = len(groups)
                mean = fc[inverse.ravel() == q].mean(axis=0)
                groups.append({"own": True, "factor": [*(mean * f[:3]).tolist(), 1.0], "texture": None})
            continue
        face_group[sel] = len(groups)
        own = factor is not None
        groups.append(
            {"own": own, "factor": list(map(float, factor)) if own else [1.0, 1.0, 1.0, 1.0], "texture": None}
        )
    return groups, face_group


def _fit(image: np.ndarray, size: int) -> np.ndarray:
    img = Image.fromarray(np.asarray(image, np.uint8))
    if max(img.size) > size:
        scale = size / max(img.size)
        img = img.resize((max(1, round(img.size[0] * scale)), max(1, round(img.size[1] * scale))), Image.LANCZOS)
    return np.asarray(img)


def _affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    a = np.hstack([src, np.ones((len(src), 1))])
    m, *_ = np.linalg.lstsq(a, dst, rcond=None)
    out = np.eye(4)
    out[:3, :] = m.T
    return out


def add_mesh_breeds(
    entries: list[dict], cls: str, params: dict, world_dir: Path, assets_dir: Path = Path("resources/assets"), log=print
) -> list[dict]:
    """The class's breed entries with its configured meshes added (``mode: add``) or put in
    place of the synthetic procedural breeds (``mode: replace``; held-out breeds stay).

    Writes ``meshes/<breed>.npz`` (and ``meshes/<breed>_<k>.png`` per textured group) and
    ``coats/<breed>.png`` into ``world_dir``. A mesh breed's coat (natural texture, toon
    colour) is drawn from the class's procedural family, so "natural coat" means the same for
    both kinds of subject; it is worn only where the model has no colour of its own.
    """
    spec = (params.get("subjects") or {}).get(cls)
    if not spec:
        return entries
    seed, size = int(params["seed"]), int(params["texture_size"])
    step = float(spec.get("time_step", DEFAULT_TIME_STEP))
    out = [e for e in entries if e["heldout"]] if spec.get("mode", "add") == "replace" else list(entries)
    next_index = max((e["index"] for e in entries), default=-1) + 1
    (Path(world_dir) / MESH_DIR).mkdir(exist_ok=True)
    files = [f for entry in spec["meshes"] for f in mesh_files(entry, assets_dir, cls)]
    pooled = [(False, f) for f in files]
    if spec.get("heldout"):  # held-out meshes stand in for proxy domains' subjects
        split = split_meshes(files, cls, spec["heldout"], seed)
        pooled = [(pool, f) for pool, fs in split.items() for f in fs]
    for k, (pool, path) in enumerate(pooled):
        index = next_index + k
        sub = import_subject(path, spec.get("up_axis", "y"), size)
        coat = sample_breed(cls, index, seed).coat if is_builtin(cls) else sample_own_coat(cls, index, seed, pool)
        name = f"{cls}_{pool}{index:02d}" if pool else f"{cls}{index:02d}"
        groups = []
        for g, group in enumerate(sub["groups"]):
            tex = None
            if group["texture"] is not None:
                tex = f"{MESH_DIR}/{name}_{g}.png"
                Image.fromarray(group["texture"]).save(Path(world_dir) / tex)
            groups.append(
                {"own": group["own"], "factor": [round(float(x), 6) for x in group["factor"]], "texture": tex}
            )
        texture = (
            "own" if all(g["own"] for g in groups) else "coat" if not any(g["own"] for g in groups) else "own+coat"
        )
        breed = Breed(
            cls,
            index,
            {
                "mesh": f"{MESH_DIR}/{name}.npz",
                "source": str(path),
                "groups": groups,
                "texture": texture,
                "clips": sub["clips"],
                "time_step": step,
                "fallback": sub["fallback"],
                **({"pool": pool} if pool else {}),
            },
            coat,
        )
        np.savez_compressed(Path(world_dir) / breed.shape["mesh"], **sub["arrays"])
        img = textures.coat_texture(coat, size, np.random.default_rng(seed_for("coat", seed, cls, index)))
        Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).save(
            Path(world_dir) / "coats" / f"{breed.name}.png"
        )
        out.append({**breed.to_dict(), "heldout": pool, "coat_file": f"coats/{breed.name}.png"})
        n_vert = len(sub["arrays"]["vertices"])
        log(
            f"world: {cls} {'subject' if not pool else f'held-out ({pool}) subject'} {breed.name} from {path} ({n_vert} vertices, {len(groups)} material "
            f"group(s), texture: {texture}, "
            + (f"{len(sub['clips'])} clip(s) skinned per frame)" if sub["clips"] else "bind pose only)")
        )
    return out


def is_mesh_breed(breed: Breed) -> bool:
    return "mesh" in breed.shape


def _uniforms(pose: dict) -> tuple[float, float]:
    """Two numbers in [0, 1) fixed by a frame's sampled pose (and so by its image seed).
    Angles are rounded as :meth:`FrameParams.record` rounds a procedural subject's (4 decimals),
    so a frame replayed from its seed shows the same clip and time."""
    text = json.dumps({k: [round(float(a), 4) for a in v] for k, v in sorted(pose.items())})
    h = hashlib.blake2b(text.encode(), digest_size=16).digest()
    return int.from_bytes(h[:8], "big") / 2.0**64, int.from_bytes(h[8:], "big") / 2.0**64


def clip_time(breed: Breed, pose: dict) -> tuple[int | None, float | None]:
    """The (clip index, time in seconds) a frame shows: (None, None) for the bind pose (the
    default pose, or a model that cannot be posed), else a uniformly drawn clip and a time
    uniform over it, quantised to the breed's ``time_step`` from the clip start."""
    clips = breed.shape.get("clips") or []
    if not clips or not pose:
        return None, None
    u, v = _uniforms(pose)
    c = min(int(u * len(clips)), len(clips) - 1)
    start, end = clips[c]["start"], clips[c]["end"]
    step = float(breed.shape.get("time_step", DEFAULT_TIME_STEP))
    t = start + v * (end - start)
    if step > 0:
        t = min(start + round((t - start) / step) * step, end)
    return c, round(float(t), 6)


def subject_record(breed: Breed, pose: dict, random_material: bool = False) -> dict:
    """Metadata columns of a frame's subject: kind, mesh file, clip name and time (seconds),
    whether a random pose fell back to the bind pose, and the texture it wore (``own``,
    ``own+coat``: own colours where the model has them, ``coat``: the procedural coat,
    ``random_material``).

    For a mesh subject it also replaces the frame's ``pose_mode`` and ``pose`` columns, which
    otherwise hold the procedural quadruped's sampled mode and joint angles: a mesh is never
    posed by them (they only seed its clip and time), so its columns say what was applied:
    ``pose_mode`` ``clip`` (a clip at a time) or ``bind`` (the bind pose: the default pose, or a
    model without animation), ``pose`` the JSON ``{"clip": name, "clip_time": seconds}`` or
    ``{}``."""
    texture = "random_material" if random_material else breed.shape.get("texture", "coat")
    if not is_mesh_breed(breed):
        return {
            "subject_kind": "lofted" if is_target_subject(breed) else "procedural",
            "subject_mesh": None,
            "clip": None,
            "clip_time": None,
            "pose_fallback": False,
            "subject_texture": texture,
        }
    c, t = clip_time(breed, pose)
    clip = None if c is None else breed.shape["clips"][c]["name"]
    return {
        "subject_kind": "mesh",
        "subject_mesh": breed.shape["source"],
        "clip": clip,
        "clip_time": t,
        "pose_fallback": bool(pose) and bool(breed.shape.get("fallback")),
        "subject_texture": texture,
        "pose_mode": "bind" if clip is None else "clip",
        "pose": json.dumps({} if clip is None else {"clip": clip, "clip_time": t}),
    }


class MeshRig:
    """A mesh subject with the interface the scene uses for a procedural Rig.

    ``parts``: one per face group (its vertices in the bind pose); ``groups``: the group's
    own material ({"own", "factor", "texture"}) and ``uvs`` its texture coordinates (None for a
    group that wears the coat). After :meth:`pose_frame`, ``deformed`` holds the frame's
    (positions, normals) per part when they differ from what the last frame showed, else None.
    """

    def __init__(self, breed: Breed, data, world_root: Path | None = None):
        self.cls, self.breed, self._breed = breed.cls, breed.name, breed
        self.groups = breed.shape.get("groups") or [{"own": False, "factor": [1, 1, 1, 1], "texture": None}]
        verts, faces = np.asarray(data["vertices"], np.float64), np.asarray(data["faces"])
        face_group = np.asarray(data["face_group"]) if "face_group" in data else np.zeros(len(faces), int)
        uv = np.asarray(data["uv"]) if "uv" in data else np.zeros((len(verts), 2))
        self._index, self.parts, self.uvs = [], [], []
        for g, group in enumerate(self.groups):
            f = faces[face_group == g]
            vid, local = np.unique(f, return_inverse=True)
            self._index.append(vid)
            self.parts.append(
                Part(
                    f"group{g:02d}",
                    "root",
                    trimesh.Trimesh(vertices=verts[vid], faces=local.reshape(-1, 3), process=False),
                )
            )
            self.uvs.append(uv[vid] if group["texture"] else None)
        self.textures = [
            None
            if g["texture"] is None or world_root is None
            else np.asarray(Image.open(Path(world_root) / g["texture"]).convert("RGB"))
            for g in self.groups
        ]
        self._rest = verts
        self._model = None
        if breed.shape.get("clips"):
            from domrand.meshes.arrays import model_from_arrays

            self._model = model_from_arrays(data, breed.shape["source"])
            self._transform = np.asarray(data["transform"])
            self._normals = np.asarray(data["normals"])
        self._cache: OrderedDict = OrderedDict()
        self._shown = None
        self.deformed = None
        self.skin_seconds = 0.0  # of the last pose_frame (0 when served from the cache)

    @classmethod
    def load(cls, world_root: Path, breed: Breed) -> MeshRig:
        data = np.load(Path(world_root) / breed.shape["mesh"])
        return cls(breed, {k: data[k] for k in data.files}, world_root)

    def posed(self, clip: int | None, time: float | None) -> tuple[np.ndarray, np.ndarray]:
        """Project-frame vertices (N, 3) and unit normals (N, 3) of clip ``clip`` at ``time``
        (None: the bind pose), skinned and cached per (clip, time)."""
        key = (clip, time)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        import time as _time

        t0 = _time.perf_counter()
        v, n = self._model.pose_with_normals(clip, time, self._normals)
        R, t = self._transform[:3, :3], self._transform[:3, 3]
        v = v @ R.T + t
        n = n @ R.T
        n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
        self._cache[key] = (v, n)
        if len(self._cache) > CACHE_FRAMES:
            self._cache.popitem(last=False)
        self.skin_seconds = _time.perf_counter() - t0
        return v, n

    def pose_frame(self, pose: dict) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Part name -> 4x4 world transform (the frame's pose grounded on y=0), and the
        (2, 3) bounds of the posed mesh. Sets ``deformed`` for a rigged model."""
        self.skin_seconds = 0.0
        if self._model is None:
            verts, key, self.deformed = self._rest, None, None
        else:
            key = clip_time(self._breed, pose)
            verts, normals = self.posed(*key)
            self.deformed = None if key == self._shown else [(verts[i], normals[i]) for i in self._index]
            self._shown = key
        lo, hi = verts.min(0), verts.max(0)
        lift = np.eye(4)
        lift[1, 3] = -lo[1]
        return {p.name: lift for p in self.parts}, np.stack([lo, hi]) + lift[:3, 3]


def subject_rig(world, breed: Breed):
    """The rig of a breed: a :class:`MeshRig` for an imported mesh, the lofted rig of a
    target-domain subject (domrand.world.target_subjects), else the procedural rig."""
    if is_mesh_breed(breed):
        return MeshRig.load(world.root, breed)
    if is_target_subject(breed):
        return build_target_rig(breed)
    return build_rig(breed)
