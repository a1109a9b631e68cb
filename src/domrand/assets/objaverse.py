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

from .download import AssetError, Log, fetch_asset, fetch_unpinned
from .lock import PIN_COMMAND, write_lock

DEFAULT_BASE = "https://huggingface.co/datasets/allenai/objaverse/resolve/main"
DEFAULT_LICENCES = ("by", "by-sa", "cc0")
# LVIS category names of the study's classes.
DEFAULT_CATEGORIES = {"cat": ["cat"], "dog": ["dog"], "bicycle": ["bicycle"], "car": ["car_(automobile)"]}


def class_categories(spec: dict, cls: str) -> list[str]:
    """The LVIS categories of ``cls``: ``objaverse.categories.<cls>``, else the built-in default."""
    categories = {**DEFAULT_CATEGORIES, **(spec.get("categories") or {})}
    if cls not in categories:
        raise AssetError(
            f"config key objaverse.categories.{cls}: {cls} has no default LVIS categories (only "
            f"{sorted(DEFAULT_CATEGORIES)} have); list its categories there"
        )
    return categories[cls]


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


def select_objects(cls: str, annotations: dict, paths: dict, metadata: dict, spec: dict, base_url: str) -> list[dict]:
    """The first ``per_class`` objects of ``cls`` (uid order) with an allowed licence.

    ``annotations``: LVIS category -> uids; ``paths``: uid -> 'glbs/<shard>/<uid>.glb';
    ``metadata``: uid -> Sketchfab metadata. Entries lack sha256/size until downloaded.
    """
    categories = class_categories(spec, cls)
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
        out.append(
            {
                "uid": uid,
                "url": f"{base_url.rstrip('/')}/{paths[uid]}",
                "licence": f"CC-{slug.upper()}" if slug != "cc0" else "CC0-1.0",
                "attribution": f'"{meta.get("name") or uid}" by {author} (Sketchfab, via Objaverse)',
            }
        )
        if len(out) == n:
            break
    return out


def _per_class(spec: dict, cls: str) -> int:
    n = spec.get("per_class", 10)
    return int(n[cls] if isinstance(n, dict) else n)


def pin_objaverse(
    spec: dict,
    classes: list[str],
    lock: dict,
    lock_file: Path,
    cache_dir: Path,
    log: Log = print,
    refresh: bool = False,
    timeout_s: float = 120.0,
    retries: int = 4,
    backoff_s: float = 2.0,
) -> dict:
    """Choose, download and hash the objects of each class; record them in ``lock``.

    A class is pinned again when the lock has fewer than ``per_class`` objects for it. A class
    with fewer than ``per_class`` objects of an allowed licence is an ``AssetError`` naming its
    LVIS categories, and nothing of it goes into the lock (classes pinned before it stay).
    """
    base = spec.get("base_url", DEFAULT_BASE)
    todo = [c for c in classes if refresh or len(lock["objects"].get(lock_key(c)) or []) < _per_class(spec, c)]
    if not todo:
        log("objaverse: every class pinned already")
        return lock
    # GLBs go where the workflow's fetch looks for them (cache/<uid>.glb); indexes beside.
    glb_dir, cache_dir = Path(cache_dir), Path(cache_dir) / "objaverse"

    def get(url):
        return _get(url, cache_dir, log, timeout_s, retries, backoff_s)

    categories = {c: class_categories(spec, c) for c in todo}
    annotations = _json_gz(get(f"{base}/lvis-annotations.json.gz"))
    annotations = {k: annotations.get(k, []) for cats in categories.values() for k in cats}
    # Of the ~800k objects' paths and metadata, only those of the wanted categories are kept.
    wanted_all = {u for uids in annotations.values() for u in uids}
    paths = {u: p for u, p in _json_gz(get(f"{base}/object-paths.json.gz")).items() if u in wanted_all}
    for cls in todo:
        wanted = {u for c in categories[cls] for u in annotations[c]}
        metadata = shard_metadata(base, {paths[u] for u in wanted if u in paths}, wanted, get)
        objects = select_objects(cls, annotations, paths, metadata, spec, base)
        n = _per_class(spec, cls)
        if len(objects) < n:
            allowed = ", ".join(spec.get("licences") or DEFAULT_LICENCES)
            raise AssetError(
                f"objaverse/{cls}: the LVIS categories {categories[cls]} have only {len(objects)} objects "
                f"with an allowed licence ({allowed}), {n} asked; nothing was pinned for {cls}. Lower "
                f"objaverse.per_class.{cls} to {len(objects)} or fewer, or add LVIS categories under "
                f"objaverse.categories.{cls}, then rerun the pin command"
            )
        for obj in objects:
            path = _get(obj["url"], glb_dir, log, timeout_s, retries, backoff_s)
            obj["sha256"], obj["size"] = pooch.file_hash(str(path)), path.stat().st_size
        lock["objects"][lock_key(cls)] = objects
        write_lock(lock, lock_file)
        log(f"objaverse/{cls}: pinned {len(objects)} objects")
    return lock


def shard_metadata(base: str, paths: set[str], wanted: set[str], get) -> dict:
    """uid -> Sketchfab metadata of the ``wanted`` uids, from the metadata shards their
    ``paths`` ('glbs/<shard>/<uid>.glb') lie in. Each shard holds ~5k objects' metadata; one
    is read at a time and only its wanted entries are kept (as the objaverse package does),
    so memory follows the wanted uids, not the ~800k objects of the shards they spread over."""
    out: dict = {}
    for shard in sorted({p.split("/")[1] for p in paths}):
        data = _json_gz(get(f"{base}/metadata/{shard}.json.gz"))
        out.update({u: data[u] for u in wanted if u in data})
        del data
    return out


def fetch_objects(
    objects: list[dict] | None, cls: str, out_dir: Path, cache_dir: Path, lock_file: str | None, log: Log = print
) -> Path:
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
            spec = {
                "name": f"objaverse-{obj['uid']}",
                "url": obj["url"],
                "sha256": obj["sha256"],
                "filename": f"{obj['uid']}.glb",
                "extract": None,
            }
            got = fetch_asset(spec, cache_dir, log=log)
            shutil.copyfile(got, tmp / got.name)
            log(f"objaverse/{cls}: {i}/{len(objects)} objects")
    return Path(out_dir)


def _get(url: str, folder: Path, log: Log, timeout_s: float, retries: int = 4, backoff_s: float = 2.0) -> Path:
    return fetch_unpinned(
        url, Path(folder) / url.rsplit("/", 1)[-1], "objaverse", log, timeout_s, retries=retries, backoff_s=backoff_s
    )


def _json_gz(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)
