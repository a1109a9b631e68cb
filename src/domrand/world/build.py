"""Build the embedded procedural world once, as files: breeds, materials, skies, coats.

Layout of the world folder:
  world.json            every subject's parameters, the material and sky lists, and per class
                        the synthetic breeds (heldout false, domrand.world.subjects) and the
                        held-out subjects of each target pool (heldout: the pool's name, e.g.
                        real or toon; domrand.world.target_subjects, another construction)
  materials/NNN_family.png, skies/NN_kind.png, coats/<subject>.png: the synthetic world
  target_skies/NN_kind.png, target_grounds/NN_kind.png: the target domains' own scenery
                        (domrand.world.target_scenery), never drawn by a synthetic variant

Materials and skies named by `world.materials_from` / `world.skies_from` (downloads) come
first, imported from their folders (domrand.world.imported); procedural ones fill up to the
`materials` / `skies` counts. Imported entries record their download, url, licence and
attribution.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from domrand.config import expand_names
from domrand.io import atomic_dir
from domrand.seeds import seed_for
from domrand.world import imported, target_scenery, target_subjects, textures
from domrand.world.mesh_subjects import add_mesh_breeds
from domrand.world.own_classes import is_builtin
from domrand.world.subjects import Breed, sample_breed
from domrand.world.target_subjects import sample_target_subject

# The procedural texture sets of the world, by folder: (kinds in turn, seed name, draw(kind,
# size, rng), digits of the number in a file name, the entry's key for the kind). The target
# domains' skies and grounds are their own scenery, never drawn by a synthetic variant.
_PROCEDURAL = {
    "materials": (textures.MATERIAL_FAMILIES, "material", textures.material_texture, 3, "family"),
    "skies": (textures.SKY_KINDS, "sky", textures.sky_texture, 2, "kind"),
    "target_skies": (target_scenery.TARGET_SKY_KINDS, "target_sky", target_scenery.target_sky, 2, "kind"),
    "target_grounds": (target_scenery.TARGET_GROUND_KINDS, "target_ground", target_scenery.target_ground, 2, "family"),
}


def build_world(
    params: dict, out_dir: Path, log=print, downloads: dict | None = None, assets_dir: Path = Path("resources/assets")
) -> Path:
    """Generate the world described by the config's `world` slice into out_dir.

    params: seed, classes, breeds (synthetic breeds per built-in class), heldout_breeds ({pool:
    held-out subjects per built-in class}; other classes: domrand.world.own_classes), materials (count), skies (count), texture_size (px), sky_width (px),
    target_skies, target_grounds (counts), target_texture_size (px: target grounds and coats,
    which the photo-like domain sees close up), and optionally
    materials_from / skies_from (download names or globs, imported first).
    downloads: {name: config entry (url, licence, attribution)} of the config's downloads,
    in config order; needed when materials_from or skies_from is set. Their folders are
    assets_dir/<name>.
    """
    seed, size, width = int(params["seed"]), int(params["texture_size"]), int(params["sky_width"])
    target_size = int(params["target_texture_size"])
    mat_from, sky_from = _imports(params, downloads)
    with atomic_dir(Path(out_dir)) as tmp:
        for sub in ("materials", "skies", "coats", "target_skies", "target_grounds"):
            (tmp / sub).mkdir()
        materials = _imported_materials(tmp, mat_from, downloads, assets_dir, size, log)
        materials += _procedural(tmp, "materials", range(len(mat_from), int(params["materials"])), size, seed)
        skies = _imported_skies(tmp, sky_from, downloads, assets_dir, width, log)
        skies += _procedural(tmp, "skies", range(len(sky_from), int(params["skies"])), width, seed)
        target_skies = _procedural(tmp, "target_skies", range(int(params["target_skies"])), width, seed)
        target_grounds = _procedural(tmp, "target_grounds", range(int(params["target_grounds"])), target_size, seed)
        breeds = {cls: _class_subjects(tmp, cls, params, log) for cls in params["classes"]}
        manifest = {
            "params": params,
            "materials": materials,
            "skies": skies,
            "target_skies": target_skies,
            "target_grounds": target_grounds,
            "breeds": breeds,
        }
        (tmp / "world.json").write_text(json.dumps(manifest, indent=1))
        log(
            f"world: {len(materials)} materials, {len(skies)} skies, {len(target_grounds)} target grounds, "
            f"{len(target_skies)} target skies, {sum(len(v) for v in breeds.values())} subjects in {out_dir}"
        )
    return Path(out_dir)


def _imports(params: dict, downloads: dict | None) -> tuple[list[str], list[str]]:
    """The downloads imported as materials and as skies (globs expanded), checked against the counts."""
    names = list(downloads or {})
    mat_from = expand_names(params.get("materials_from") or [], names, "world.materials_from")
    sky_from = expand_names(params.get("skies_from") or [], names, "world.skies_from")
    for key, found, count in (("materials", mat_from, params["materials"]), ("skies", sky_from, params["skies"])):
        if len(found) > int(count):
            raise imported.WorldAssetError(
                f"config key world.{key}_from: {len(found)} downloads, more than "
                f"world.{key} ({count}); raise world.{key} to at least {len(found)}"
            )
    return mat_from, sky_from


def _imported_materials(tmp: Path, names: list[str], downloads, assets_dir: Path, size: int, log) -> list[dict]:
    """The materials imported from downloads `names`, first in the list, with their credit."""
    materials = []
    for i, dl in enumerate(names):
        img, pbr, family = imported.import_material(Path(assets_dir) / dl, dl, size)
        name = f"{i:03d}_{family}"
        Image.fromarray(img).save(tmp / "materials" / f"{name}.png")
        materials.append(
            {"name": name, "family": family, "file": f"materials/{name}.png", **pbr, **_credit(dl, downloads[dl])}
        )
    if names:
        log(f"world: imported {len(names)} materials from downloads")
    return materials


def _imported_skies(tmp: Path, names: list[str], downloads, assets_dir: Path, width: int, log) -> list[dict]:
    """The skies imported from downloads `names` (photographed, recorded as natural; they join
    the synthetic sky set), first in the list, with their credit."""
    skies = []
    for i, dl in enumerate(names):
        img, source = imported.import_sky(Path(assets_dir) / dl, dl, width)
        name = f"{i:02d}_photo"
        Image.fromarray(img).save(tmp / "skies" / f"{name}.png")
        skies.append(
            {
                "name": name,
                "kind": "photo",
                "natural": True,
                "file": f"skies/{name}.png",
                "source_file": source,
                **_credit(dl, downloads[dl]),
            }
        )
    if names:
        log(f"world: imported {len(names)} skies from downloads")
    return skies


def _procedural(tmp: Path, folder: str, indices, size: int, seed: int) -> list[dict]:
    """Procedural textures number i of `indices` into `folder` (_PROCEDURAL): kind kinds[i %
    len(kinds)], drawn at `size` px from the seed (seed name, seed, i), named NN_kind; a family's
    texture (materials, target grounds) comes with its PBR fields, a sky's is an image alone."""
    kinds, seed_name, draw, digits, key = _PROCEDURAL[folder]
    out = []
    for i in indices:
        kind = kinds[i % len(kinds)]
        rng = np.random.default_rng(seed_for(seed_name, seed, i))
        img, fields = draw(kind, size, rng) if key == "family" else (draw(kind, size, rng), {})
        name = f"{i:0{digits}d}_{kind}"
        _save(img, tmp / folder / f"{name}.png")
        out.append({"name": name, key: kind, "file": f"{folder}/{name}.png", **fields})
    return out


def _class_subjects(tmp: Path, cls: str, params: dict, log) -> list[dict]:
    """A class's subject entries: a built-in class's procedural breeds and each pool's held-out
    subjects (another construction, one pool per domain), then its imported meshes (world.subjects;
    every subject of a class that is not built in)."""
    entries = []
    if not is_builtin(cls):  # no procedural family: every subject is an imported mesh
        return add_mesh_breeds(entries, cls, params, tmp, log=log)
    seed, size, target_size = int(params["seed"]), int(params["texture_size"]), int(params["target_texture_size"])
    for i in range(int(params["breeds"])):
        b = sample_breed(cls, i, seed)
        rng = np.random.default_rng(seed_for("coat", seed, cls, i))
        _save(textures.coat_texture(b.coat, size, rng), tmp / "coats" / f"{b.name}.png")
        entries.append({**b.to_dict(), "heldout": False, "coat_file": f"coats/{b.name}.png"})
    for pool, count in {str(k): int(v) for k, v in params["heldout_breeds"].items()}.items():
        for i in range(count):
            b = sample_target_subject(cls, pool, i, seed)
            rng = np.random.default_rng(seed_for("target_coat", seed, cls, pool, i))
            _save(target_subjects.target_coat_texture(b.coat, target_size, rng), tmp / "coats" / f"{b.name}.png")
            entries.append({**b.to_dict(), "heldout": pool, "coat_file": f"coats/{b.name}.png"})
    return add_mesh_breeds(entries, cls, params, tmp, log=log)


def _credit(download: str, entry: dict) -> dict:
    return {
        "download": download,
        "url": entry.get("url", ""),
        "licence": entry.get("licence", ""),
        "attribution": entry.get("attribution", ""),
    }


def _save(img: np.ndarray, path: Path) -> None:
    Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).save(path)


@dataclass
class World:
    """A built world, read back from its folder."""

    root: Path
    manifest: dict

    @classmethod
    def load(cls, root) -> World:
        root = Path(root)
        path = root / "world.json"
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: build the world first (snakemake resources/world)")
        return cls(root, json.loads(path.read_text()))

    def breeds(self, cls: str, heldout: bool | str) -> list[Breed]:
        """The subjects of `cls`: synthetic (heldout False), one target pool (its name, e.g.
        "real"), or every held-out subject (True)."""
        if cls not in self.manifest["breeds"]:
            raise KeyError(
                f"class {cls!r} is not in the world at {self.root}; it has "
                f"{sorted(self.manifest['breeds'])}: add it to world.classes in the config"
            )
        entries = self.manifest["breeds"][cls]
        if heldout is True:
            chosen = [e for e in entries if e["heldout"] is not False]
        else:
            chosen = [e for e in entries if e["heldout"] == heldout]
        return [Breed(e["cls"], e["index"], e["shape"], e["coat"]) for e in chosen]

    def pools(self) -> list[str]:
        """Names of the held-out subject pools (one per proxy target domain)."""
        return list(self.manifest["params"]["heldout_breeds"])

    def coat_file(self, breed: Breed) -> Path:
        return self.root / "coats" / f"{breed.name}.png"

    def files(self, kind: str) -> list[Path]:
        return [self.root / e["file"] for e in self.manifest[kind]]

    def image(self, rel: str) -> np.ndarray:
        return np.asarray(Image.open(self.root / rel).convert("RGB"))
