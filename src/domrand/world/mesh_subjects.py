"""Imported meshes (glTF/GLB, OBJ, PLY) as subjects of a class, beside or instead of the
procedural breeds.

At world build time (:func:`add_mesh_breeds`) every mesh the config lists for a class
(``world.subjects.<cls>``) becomes one breed: it is loaded, turned to +Y up, scaled and
centred (:func:`~domrand.assets.meshes.normalize_mesh`), and stored in the world folder
with a fixed set of pose variants: variant 0 is the bind (rest) pose, variants 1..n are
random frames of random animation clips of a rigged glTF (linear-blend skinning, as the
paper posed its Unity models). A model that cannot be posed (a glTF without skin or
animation, any OBJ or PLY) keeps its bind pose, with a warning at build time and
``pose_fallback=True`` in the metadata of every image posed at random.

At render time :func:`subject_rig` gives the scene (``domrand.render.scene``)
an object with the interface of a procedural :class:`~domrand.world.rig.Rig` (``parts``,
``pose_frame``): one rigid part per pose variant, all uploaded once; a frame shows the
variant its sampled pose selects (:func:`mesh_pose_index`) and shrinks the others to
nothing, so posing never re-uploads vertices.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image

from domrand.assets.meshes import SUPPORTED_SUFFIXES, MeshError, load_mesh, normalize_mesh
from domrand.seeds import hash64, seed_for
from domrand.world import textures
from domrand.world.rig import Part
from domrand.world.subjects import Breed, build_rig, sample_breed

MESH_DIR = "meshes"
_HIDDEN = np.diag([1e-9, 1e-9, 1e-9, 1.0])  # unselected pose variants: far below a pixel
_HIDDEN[1, 3] = -5.0  # and under the ground


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
        raise MeshError(f"world.subjects: {what} does not exist; run `snakemake fetch` for "
                        "downloads, or fix the path")
    found = sorted(root.glob(pattern) if pattern else root.rglob("*"))
    files = [f for f in found if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES]
    if not files:
        raise MeshError(f"world.subjects: {what} has no {'/'.join(SUPPORTED_SUFFIXES)} file"
                        + (f" matching {pattern!r}" if pattern else ""))
    return files


def pose_variants(path: Path, n_poses: int, up_axis: str, rng: np.random.Generator):
    """Vertices (K, N, 3) float32, faces (F, 3) and per-variant info of one mesh, normalised.

    Variant 0 is the bind pose; a rigged, animated glTF adds ``n_poses`` random frames.
    Info per variant: ``clip`` (name or None), ``time`` (s or None), ``fallback`` (True when
    the model cannot be posed). Every variant gets the bind pose's normalising transform,
    so proportions stay as animated; ground contact is fixed per frame at render time.
    """
    path = Path(path)
    variants, infos = None, []
    if path.suffix.lower() in (".glb", ".gltf"):
        from domrand.assets.skinning import load_skinned_gltf

        model = load_skinned_gltf(path)
        bind = model.bind_pose()
        variants = [bind]
        infos.append({"clip": None, "time": None, "fallback": not model.can_animate})
        if model.can_animate:
            for _ in range(n_poses):
                verts, info = model.random_pose(rng)
                variants.append(verts)
                infos.append({"clip": info["clip_name"], "time": info["time"], "fallback": False})
        else:
            model.random_pose(rng)  # warns, naming the file: bind pose for every image
        faces = np.asarray(model.faces)
    else:
        mesh = load_mesh(path)
        warnings.warn(f"{path}: {path.suffix} meshes have no skeleton; using the model as "
                      "authored for every image (pose randomisation is off for this model)",
                      stacklevel=2)
        variants, faces = [np.asarray(mesh.vertices)], np.asarray(mesh.faces)
        infos.append({"clip": None, "time": None, "fallback": True})
    rest = trimesh.Trimesh(vertices=variants[0], faces=faces, process=False)
    normal = normalize_mesh(rest, up_axis=up_axis, target_size=1.0)
    # normalize_mesh = rotate, then scale and shift: recover that affine map from 4 points.
    transform = _affine(rest.vertices, normal.vertices)
    out = np.stack([v @ transform[:3, :3].T + transform[:3, 3] for v in variants]).astype(np.float32)
    return out, faces.astype(np.int64), infos


def _affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    a = np.hstack([src, np.ones((len(src), 1))])
    m, *_ = np.linalg.lstsq(a, dst, rcond=None)
    out = np.eye(4)
    out[:3, :] = m.T
    return out


def add_mesh_breeds(entries: list[dict], cls: str, params: dict, world_dir: Path,
                    assets_dir: Path = Path("resources/assets"), log=print) -> list[dict]:
    """The class's breed entries with its configured meshes added (``mode: add``) or put in
    place of the synthetic procedural breeds (``mode: replace``; held-out breeds stay).

    Writes ``meshes/<breed>.npz`` and ``coats/<breed>.png`` into ``world_dir``. A mesh
    breed's coat (natural texture, toon colour) is drawn from the class's procedural
    family, so "natural coat" means the same for both kinds of subject.
    """
    spec = (params.get("subjects") or {}).get(cls)
    if not spec:
        return entries
    seed, size = int(params["seed"]), int(params["texture_size"])
    out = [e for e in entries if e["heldout"]] if spec.get("mode", "add") == "replace" else list(entries)
    next_index = max((e["index"] for e in entries), default=-1) + 1
    (Path(world_dir) / MESH_DIR).mkdir(exist_ok=True)
    files = [f for entry in spec["meshes"] for f in mesh_files(entry, assets_dir, cls)]
    for k, path in enumerate(files):
        index = next_index + k
        rng = np.random.default_rng(seed_for("mesh_subject", seed, cls, index))
        verts, faces, infos = pose_variants(path, int(spec.get("poses", 8)), spec.get("up_axis", "y"), rng)
        coat = sample_breed(cls, index, seed).coat
        breed = Breed(cls, index, {"mesh": f"{MESH_DIR}/{cls}{index:02d}.npz", "source": str(path),
                                   "poses": infos}, coat)
        np.savez_compressed(Path(world_dir) / breed.shape["mesh"], vertices=verts, faces=faces)
        img = textures.coat_texture(coat, size, np.random.default_rng(seed_for("coat", seed, cls, index)))
        Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).save(
            Path(world_dir) / "coats" / f"{breed.name}.png")
        out.append({**breed.to_dict(), "heldout": False, "coat_file": f"coats/{breed.name}.png"})
        log(f"world: {cls} subject {breed.name} from {path} ({len(infos)} pose variant(s), "
            f"{verts.shape[1]} vertices{', bind pose only' if infos[0]['fallback'] else ''})")
    return out


def is_mesh_breed(breed: Breed) -> bool:
    return "mesh" in breed.shape


def mesh_pose_index(pose: dict, n_variants: int) -> int:
    """The pose variant a frame's sampled pose selects: 0 (bind) for the default pose or a
    model with one variant, else one of 1..n-1 fixed by a hash of the sampled angles."""
    if n_variants <= 1 or not pose:
        return 0
    text = json.dumps({k: [round(float(a), 6) for a in v] for k, v in sorted(pose.items())})
    return 1 + hash64(text) % (n_variants - 1)


def subject_record(breed: Breed, pose: dict) -> dict:
    """Metadata columns of a frame's subject: kind, mesh file, clip and time, fallback."""
    if not is_mesh_breed(breed):
        return {"subject_kind": "procedural", "subject_mesh": None, "mesh_clip": None,
                "mesh_time": None, "pose_fallback": False}
    infos = breed.shape["poses"]
    info = infos[mesh_pose_index(pose, len(infos))]
    return {"subject_kind": "mesh", "subject_mesh": breed.shape["source"], "mesh_clip": info["clip"],
            "mesh_time": info["time"], "pose_fallback": bool(pose) and info["fallback"]}


class MeshRig:
    """A mesh subject with the interface the scene uses for a procedural Rig."""

    def __init__(self, breed: Breed, vertices: np.ndarray, faces: np.ndarray):
        self.cls, self.breed = breed.cls, breed.name
        self.parts = [Part(f"pose{k:02d}", "root", trimesh.Trimesh(vertices=v, faces=faces, process=False))
                      for k, v in enumerate(vertices)]
        self._bounds = [np.stack([v.min(0), v.max(0)]) for v in vertices]

    @classmethod
    def load(cls, world_root: Path, breed: Breed) -> "MeshRig":
        data = np.load(Path(world_root) / breed.shape["mesh"])
        return cls(breed, data["vertices"], data["faces"])

    def pose_frame(self, pose: dict) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Part name -> 4x4 world transform (the selected variant grounded on y=0, the
        others hidden), and the (2, 3) bounds of the selected variant."""
        k = mesh_pose_index(pose, len(self.parts))
        lo, hi = self._bounds[k]
        lift = np.eye(4)
        lift[1, 3] = -lo[1]
        mats = {p.name: (lift if i == k else _HIDDEN) for i, p in enumerate(self.parts)}
        return mats, np.stack([lo, hi]) + lift[:3, 3]


def subject_rig(world, breed: Breed):
    """The rig of a breed: a :class:`MeshRig` for an imported mesh, else the procedural rig."""
    return MeshRig.load(world.root, breed) if is_mesh_breed(breed) else build_rig(breed)
