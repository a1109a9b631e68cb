"""Lock files: sha256 pins for downloads whose hash cannot be written in the config.

Some sources publish no checksums (texture and sky archives, object lists), so their hash
is only known once someone has downloaded them. The config lists such a download with its
URL, licence and attribution but no ``sha256``; ``python -m domrand.assets.pin CONFIG``,
run once on a machine with internet, downloads it and records ``URL -> sha256, size,
licence`` in the lock file the config names (``lock:``), which is committed. Every later
run verifies the download against that pin, and a download pinned by neither the config
nor the lock is refused with a message saying how to pin it.

Lock file layout (YAML, keys sorted so diffs are small)::

    version: 1
    assets:
      https://example.org/a.zip: {sha256: <64 hex>, size: 1234, licence: CC0-1.0}
    objects:              # written by source pinners (e.g. Objaverse): chosen object lists
      <source key>: [{uid: ..., url: ..., sha256: ..., licence: ..., attribution: ...}]
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from domrand.io import write_text

from .download import AssetError

LOCK_VERSION = 1
PIN_COMMAND = "python -m domrand.assets.pin"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class UnpinnedAssetError(AssetError):
    """A download has no sha256 in the config or the lock file; the message says how to pin it."""


def lock_path(config: dict, basedir: str | os.PathLike) -> Path | None:
    """The lock file a config names (``lock:``, relative to the workflow folder), or None."""
    if not config.get("lock"):
        return None
    path = Path(config["lock"])
    return path if path.is_absolute() else Path(basedir) / path


def read_lock(path: str | os.PathLike | None) -> dict:
    """The lock at ``path`` as ``{"assets": {url: entry}, "objects": {...}}``; empty if absent.

    Raises ``AssetError`` naming the file if it is not a lock file of this version or an
    entry has no valid sha256.
    """
    empty = {"version": LOCK_VERSION, "assets": {}, "objects": {}}
    if path is None or not Path(path).is_file():
        return empty
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except yaml.YAMLError as exc:
        raise AssetError(
            f"lock file {path} is not valid YAML ({exc}); restore it from git or write it again with `{PIN_COMMAND}`"
        ) from exc
    if not isinstance(data, dict) or data.get("version") != LOCK_VERSION:
        raise AssetError(f"lock file {path}: expected `version: {LOCK_VERSION}`; write it again with `{PIN_COMMAND}`")
    assets = data.get("assets") or {}
    for url, entry in assets.items():
        if not isinstance(entry, dict) or not _HEX64.match(str(entry.get("sha256", ""))):
            raise AssetError(
                f"lock file {path}: entry {url} has no 64-digit hex sha256; pin it again with `{PIN_COMMAND}`"
            )
    return {"version": LOCK_VERSION, "assets": dict(assets), "objects": dict(data.get("objects") or {})}


def write_lock(lock: dict, path: str | os.PathLike) -> Path:
    """Write ``lock`` to ``path`` atomically, keys sorted, with a header saying what it is."""
    body = {"version": LOCK_VERSION, "assets": lock.get("assets", {}), "objects": lock.get("objects", {})}
    text = (
        f"# Pinned downloads (URL -> sha256, size in bytes, licence). Written by `{PIN_COMMAND}`\n"
        "# on a machine with internet; commit it. Runs verify every download against it.\n"
        + yaml.safe_dump(body, sort_keys=True, default_flow_style=False, width=120)
    )
    return write_text(text, path)


def config_downloads(config: dict) -> dict[str, tuple[str, dict]]:
    """Every download a config names, as ``{name: (config key, entry)}``.

    The entries of ``downloads:`` (datasets, textures, skies, meshes) and the backbone
    weights (``model.weights``), in that order.
    """
    out: dict[str, tuple[str, dict]] = {}
    for name, entry in (config.get("downloads") or {}).items():
        out[name] = (f"downloads.{name}", dict(entry))
    weights = (config.get("model") or {}).get("weights")
    if weights:
        out[weights["name"]] = ("model.weights", {k: v for k, v in weights.items() if k != "name"})
    return out


def resolve_download(
    name: str, entry: dict, lock: dict, key: str | None = None, lock_file: str | os.PathLike | None = None
) -> dict:
    """The asset spec of download ``name`` for :func:`~domrand.assets.download.fetch_asset`.

    ``sha256`` comes from the config entry, else from the lock (by URL), else is None
    (:func:`require_pinned` then refuses it). ``key`` (the config key) and ``lock`` (the
    lock file) are carried along for error messages. Raises ``AssetError`` if config and
    lock pin different hashes for the same URL.
    """
    key = key or f"downloads.{name}"
    spec = {"name": name, **entry, "key": key, "lock": str(lock_file) if lock_file else None}
    pinned = (lock.get("assets") or {}).get(entry["url"])
    if entry.get("sha256") and pinned and pinned["sha256"] != entry["sha256"]:
        raise AssetError(
            f"config key {key}.sha256 ({entry['sha256'][:12]}...) disagrees with the lock file "
            f"{lock_file} ({pinned['sha256'][:12]}...) for {entry['url']}; keep one of them"
        )
    spec["sha256"] = entry.get("sha256") or (pinned or {}).get("sha256")
    return spec


def require_pinned(spec: dict) -> dict:
    """``spec`` unchanged if it has a sha256; else raise ``UnpinnedAssetError`` saying how to pin."""
    if spec.get("sha256"):
        return spec
    key = spec.get("key") or f"downloads.{spec.get('name')}"
    lock = spec.get("lock")
    where = f"in the lock file {lock}" if lock else "and the config names no lock file (`lock:`)"
    raise UnpinnedAssetError(
        f"config key {key}: {spec.get('url')} is not pinned (no sha256 in the config, "
        f"{where}). On a machine with internet run `{PIN_COMMAND} <your config file>` once and "
        "commit the lock file it writes, or add `sha256:` to the entry; unpinned downloads "
        "are refused so that every run uses the same bytes."
    )
