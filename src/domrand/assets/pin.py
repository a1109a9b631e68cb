"""Pin a config's downloads: ``python -m domrand.assets.pin configs/paper.yaml``.

Run once on a machine with internet. Every download the config names without a known
pin is fetched, hashed and recorded in the config's lock file (``lock:``; URL -> sha256,
size, licence); downloads the config pins itself are fetched and checked too, so a wrong
hash in the config shows up here rather than on a compute node. Files land in the
workflow's download cache (``resources/assets/.archives``), so `snakemake fetch`
afterwards does not download them again. Commit the lock file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pooch

from domrand.config import ConfigError, load_config

from .download import AssetError, Log, fetch_unpinned
from .lock import config_downloads, lock_path, read_lock, write_lock

CACHE = Path("resources/assets/.archives")


def pin_downloads(
    config: dict,
    lock_file: Path,
    cache_dir: Path,
    log: Log = print,
    refresh: bool = False,
    timeout_s: float = 120.0,
    retries: int = 4,
    backoff_s: float = 2.0,
) -> dict:
    """Fetch every download of ``config`` not yet in ``lock_file`` and write the lock.

    ``refresh`` re-downloads and re-pins entries already in the lock. A failed request is
    retried ``retries`` times with exponential backoff from ``backoff_s`` seconds (files
    already downloaded are kept, so a rerun resumes). Returns the lock.
    Raises ``AssetError`` naming the config key when a download fails or does not match
    a sha256 the config gives. The lock is written after each new pin, so an interrupted
    run keeps what it has done.
    """
    lock = read_lock(lock_file)
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name, (key, entry) in config_downloads(config).items():
        url = entry["url"]
        known = lock["assets"].get(url)
        if known and not refresh:
            log(f"{key}: pinned already ({known['sha256'][:12]}...)")
            continue
        filename = entry.get("filename") or Path(unquote(urlparse(url).path)).name or name
        path = fetch_unpinned(
            url,
            cache_dir / filename,
            f"config key {key}",
            log,
            timeout_s,
            refresh,
            retries=retries,
            backoff_s=backoff_s,
        )
        sha = pooch.file_hash(str(path))
        if entry.get("sha256") and entry["sha256"] != sha:
            path.unlink()
            raise AssetError(
                f"config key {key}.sha256 is {entry['sha256']}, but {url} serves {sha}; fix the config entry or the URL"
            )
        lock["assets"][url] = {"sha256": sha, "size": path.stat().st_size, "licence": entry.get("licence", "")}
        write_lock(lock, lock_file)
        log(f"{key}: pinned {url} -> sha256 {sha[:12]}..., {path.stat().st_size} bytes")
    classes = [
        c
        for c, spec in ((config.get("world") or {}).get("subjects") or {}).items()
        if any(m.get("objaverse") for m in spec["meshes"])
    ]
    if classes:
        from .objaverse import pin_objaverse

        pin_objaverse(
            config.get("objaverse") or {},
            classes,
            lock,
            lock_file,
            cache_dir,
            log,
            refresh=refresh,
            timeout_s=timeout_s,
            retries=retries,
            backoff_s=backoff_s,
        )
    write_lock(lock, lock_file)
    return lock


def _repo_root(config_file: Path) -> Path:
    """The workflow folder (the one with the Snakefile) above ``config_file``, else the cwd."""
    for folder in Path(config_file).resolve().parents:
        if (folder / "Snakefile").is_file():
            return folder
    return Path.cwd()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PIN_PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "configfile", nargs="+", type=Path, help="config file(s), merged in order over the workflow's config.yaml"
    )
    parser.add_argument("--lock", type=Path, help="lock file (default: the config's `lock:` key)")
    parser.add_argument("--cache", type=Path, help=f"download cache (default: <workflow>/{CACHE})")
    parser.add_argument("--refresh", action="store_true", help="re-download and re-pin everything")
    args = parser.parse_args(argv)
    root = _repo_root(args.configfile[0])
    try:
        config = load_config(*args.configfile, base=root / "config.yaml")
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    lock_file = args.lock or lock_path(config, root)
    if lock_file is None:
        lock_file = args.configfile[-1].with_suffix(".lock.yaml")
        print(f"no `lock:` key in the config; writing {lock_file} (add `lock: {lock_file}`)", file=sys.stderr)
    try:
        pin_downloads(
            config, lock_file, args.cache or root / CACHE, log=lambda m: print(m, file=sys.stderr), refresh=args.refresh
        )
    except AssetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {lock_file}; commit it", file=sys.stderr)
    return 0


PIN_PROG = "python -m domrand.assets.pin"

if __name__ == "__main__":
    sys.exit(main())
