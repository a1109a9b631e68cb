"""One download of the config into its own folder, as the workflow's download rule makes it.

``resources/assets/<name>/`` holds the extracted archive, or the single downloaded file;
archives themselves stay in a cache folder beside it (``.archives/``), so a rebuild of the
folder re-extracts without downloading again, and the pin command can fill the cache.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from domrand.io import atomic_dir

from .download import Log, fetch_asset
from .lock import require_pinned

_SPEC_KEYS = ("name", "url", "sha256", "licence", "attribution", "filename", "extract")


def fetch_download(spec: dict, out_dir: Path, cache_dir: Path, log: Log = print) -> Path:
    """Fetch the pinned download ``spec`` (see :func:`~domrand.assets.lock.resolve_download`)
    into the folder ``out_dir`` and return it.

    Raises ``UnpinnedAssetError`` (before any request) when the spec has no sha256, and
    ``AssetError`` for any failed download, mismatch or bad archive. ``out_dir`` appears
    only once complete.
    """
    spec = require_pinned(spec)
    out_dir, cache_dir = Path(out_dir), Path(cache_dir)
    asset = {k: spec[k] for k in _SPEC_KEYS if k in spec}
    got = fetch_asset(asset, cache_dir, log=log)
    if got.is_dir():
        # The extraction is renamed into place (cheap, atomic); the cached archive remains.
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        os.replace(got, out_dir)
    else:
        with atomic_dir(out_dir) as tmp:
            try:
                os.link(got, tmp / got.name)  # no second copy of a large file on the same disk
            except OSError:
                shutil.copyfile(got, tmp / got.name)
    log(f"{spec['name']}: ready at {out_dir}")
    return out_dir
