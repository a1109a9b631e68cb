"""Objaverse-LVIS subjects: object lists pinned by uid + sha256, licences filtered.

Pinning (``python -m domrand.assets.pin``, on a machine with internet) reads the LVIS
annotations (category -> uids), the object paths and the per-shard Sketchfab metadata of
Objaverse 1.0, keeps objects whose licence allows our use (default: CC-BY, CC-BY-SA, CC0;
never NC or ND), takes the first ``per_class`` of each class in uid order, downloads each
GLB to hash it, and writes the list (uid, url, sha256, size, licence, attribution) into
the lock file under ``objects: objaverse/<class>``. Runs then fetch exactly those files,
verified, into ``resources/assets/objaverse_<class>/`` and credit each in ATTRIBUTION.md.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pooch

from domrand.io import atomic_dir

from .download import Log, fetch_asset, fetch_unpinned
from .lock import PIN_COMMAND, write_lock

DEFAULT_BASE = "https://huggingface.co/datasets/allenai/objaverse/resolve/main"
DEFAULT_LICENCES = ("by", "by-sa", "cc0")
# LVIS category names of the study's classes.
DEFAULT_CATEGORIES = {"cat": ["cat"], "dog": ["dog"], "bicycle": ["bicycle"], "car": ["car_(automobile)"]}


def lock_key(cls: str) -> str:
    return f"objaverse/{cls}"


def licence_slug(meta: dict) -> str:
    """The Sketchfab licence slug of an object's metadata ('by', 'by-nc', 'cc0', ...)."""
    lic = meta.get("license")
    if isinstance(lic, dict):
        lic = lic.get("slug") or lic.get("label")
    return str(lic or "").strip().lower()


def licence_allowed(slug: str, allowed=DEFAULT_LICENCES) -> bool:
    """True for a slug in ``allowed``; NC and ND licences are refused whatever ``allowed`` says."""
    parts = slug.replace("_", "-").split("-")
    return slug in allowed and "nc" not in parts and "nd" not in parts


def select_objects(cls: str, annotations: dict, paths: dict, metadata: dict, spec: dict,
                   base_url: str) -> list[dict]:
    """The first ``per_class`` objects of ``cls`` (uid order) with an allowed licence.

    ``annotations``: LVIS category -> uids; ``paths``: uid -> 'glbs/<shard>/<uid>.glb';
    ``metadata``: uid -> Sketchfab metadata. Entries lack sha256/size until downloaded.
    """
    categories = (spec.get("categories") or DEFAULT_CATEGORIES)[cls]
    allowed = tuple(spec.get("licences") or DEFAULT_LICENCES)
    n = _per_class(spec, cls)
    uids = sorted({u for c in categories for u in annotations.get(c, [])})
    out = []
    for uid in uids:
        meta = metadata.get(uid)
        if meta is None or uid not in paths:
            continue
        slug = licence_slug(meta)
        if not licence_allowed(slug, allowed):
            continue
        user = meta.get("user") or {}
        author = user.get("displayName") or user.get("username") or "unknown author"
        out.append({
            "uid": uid,
            "url": f"{base_url.rstrip('/')}/{paths[uid]}",
            "licence": f"CC-{slug.upper()}" if slug != "cc0" else "CC0-1.0",
            "attribution": f"\"{meta.get('name') or uid}\" by {author} (Sketchfab, via Objaverse)",
        })
        if len(out) == n:
            break
    return out


def _per_class(spec: dict, cls: str) -> int:
    n = spec.get("per_class", 10)
    return int(n[cls] if isinstance(n, dict) else n)


def pin_objaverse(spec: dict, classes: list[str], lock: dict, lock_file: Path, cache_dir: Path,
                  log: Log = print, refresh: bool = False, timeout_s: float = 120.0) -> dict:
    """Choose, download and hash the objects of each class; record them in ``lock``."""
    base = spec.get("base_url", DEFAULT_BASE)
    todo = [c for c in classes if refresh or lock_key(c) not in lock["objects"]]
    if not todo:
        log("objaverse: every class pinned already")
        return lock
    # GLBs go where the workflow's fetch looks for them (cache/<uid>.glb); indexes beside.
    glb_dir, cache_dir = Path(cache_dir), Path(cache_dir) / "objaverse"
    annotations = _json_gz(f"{base}/lvis-annotations.json.gz", cache_dir, log, timeout_s)
    paths = _json_gz(f"{base}/object-paths.json.gz", cache_dir, log, timeout_s)
    for cls in todo:
        wanted = sorted({u for c in (spec.get("categories") or DEFAULT_CATEGORIES)[cls]
                         for u in annotations.get(c, [])})
        shards = sorted({paths[u].split("/")[1] for u in wanted if u in paths})
        metadata: dict = {}
        for shard in shards:
            metadata.update(_json_gz(f"{base}/metadata/{shard}.json.gz", cache_dir, log, timeout_s))
        objects = select_objects(cls, annotations, paths, metadata, spec, base)
        if len(objects) < _per_class(spec, cls):
            log(f"objaverse/{cls}: only {len(objects)} objects with an allowed licence")
        for obj in objects:
            path = _get(obj["url"], glb_dir, log, timeout_s)
            obj["sha256"], obj["size"] = pooch.file_hash(str(path)), path.stat().st_size
        lock["objects"][lock_key(cls)] = objects
        write_lock(lock, lock_file)
        log(f"objaverse/{cls}: pinned {len(objects)} objects")
    return lock


def fetch_objects(objects: list[dict] | None, cls: str, out_dir: Path, cache_dir: Path,
                  lock_file: str | None, log: Log = print) -> Path:
    """Fetch the pinned objects of ``cls`` (verified) into ``out_dir/<uid>.glb``.

    Raises ``UnpinnedAssetError``-style ``AssetError`` naming the pin command when the lock
    has no object list for the class.
    """
    if not objects:
        from .lock import UnpinnedAssetError

        raise UnpinnedAssetError(
            f"config key world.subjects.{cls}: the Objaverse objects of {cls} are not pinned "
            f"(no `objects: {lock_key(cls)}` in the lock file {lock_file}). On a machine with "
            f"internet run `{PIN_COMMAND} <your config file>` once and commit the lock file."
        )
    with atomic_dir(Path(out_dir)) as tmp:
        for i, obj in enumerate(objects, 1):
            spec = {"name": f"objaverse-{obj['uid']}", "url": obj["url"], "sha256": obj["sha256"],
                    "filename": f"{obj['uid']}.glb", "extract": None}
            got = fetch_asset(spec, cache_dir, log=log)
            shutil.copyfile(got, tmp / got.name)
            log(f"objaverse/{cls}: {i}/{len(objects)} objects")
    return Path(out_dir)


def _get(url: str, folder: Path, log: Log, timeout_s: float) -> Path:
    return fetch_unpinned(url, Path(folder) / url.rsplit("/", 1)[-1], "objaverse", log, timeout_s)


def _json_gz(url: str, folder: Path, log: Log, timeout_s: float):
    with gzip.open(_get(url, folder, log, timeout_s), "rt", encoding="utf-8") as fh:
        return json.load(fh)
