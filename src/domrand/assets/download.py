"""Pinned asset downloads: sha256-verified, retried, atomic, idempotent.

An asset spec is a dict from the config::

    {name, url, sha256, licence, attribution,
     extract: "zip" | "tar" | None (optional), filename (optional)}

``fetch_asset`` puts the file at ``dest_dir/<filename>`` and, for archives, its
contents at ``dest_dir/<name>/``. Nothing that looks finished is ever left by a
failed or killed run: downloads and extractions go to hidden temporary names in
``dest_dir`` and are renamed into place only once verified.
"""

from __future__ import annotations

import os
import re
import shutil
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import NoReturn, TypeVar
from urllib.parse import unquote, urlparse

import pooch
import requests

STAMP_NAME = ".sha256"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
# 4xx answers other than these are permanent (moved or removed file): retrying cannot help.
_RETRYABLE_4XX = {408, 425, 429}

Log = Callable[[str], None]
T = TypeVar("T")


class AssetError(RuntimeError):
    """An asset could not be fetched, verified or unpacked; the message says how to fix it."""


def fetch_unpinned(
    url: str,
    target: Path,
    what: str,
    log: Log = print,
    timeout_s: float = 120.0,
    refresh: bool = False,
    retries: int = 4,
    backoff_s: float = 2.0,
) -> Path:
    """Download ``url`` to ``target`` with no known checksum (to pin it: the pin command), or
    keep ``target`` when it is there already (unless ``refresh``). Only a complete download is
    renamed into place. A failed attempt (connection error, timeout, HTTP 5xx, 408, 425, 429)
    is retried ``retries`` times, waiting ``backoff_s``, then twice as long before each next
    retry; another 4xx answer is final. Raises ``AssetError`` starting with ``what`` (a config
    key or a name)."""
    target = Path(target)
    if target.is_file() and not refresh:
        log(f"{what}: using cached {target}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    attempts = 1 + max(int(retries), 0)

    def attempt_once(attempt: int) -> Path:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.pin-", dir=target.parent))
        try:
            log(f"{what}: downloading {url}" + (f" (attempt {attempt}/{attempts})" if attempt > 1 else ""))
            got = pooch.retrieve(
                url,
                known_hash=None,
                fname=target.name,
                path=tmp,
                progressbar=False,
                downloader=pooch.HTTPDownloader(timeout=timeout_s, headers=HEADERS),
            )
            os.chmod(got, 0o644)
            Path(got).replace(target)
            return target
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def final_error(exc: Exception, attempt: int) -> Exception:
        tried = f" after {attempt} attempts" if attempt > 1 else ""
        return AssetError(
            f"{what}: cannot download {url}{tried} ({type(exc).__name__}: {exc}); "
            "pinning needs internet access and a working URL"
        )

    return _retrying(attempt_once, final_error, what, attempts, backoff_s, log)


def _transient(exc: Exception) -> bool:
    """Whether a download that failed with ``exc`` may work when tried again: a connection
    error, a timeout, HTTP 5xx, 408, 425 or 429 (any other 4xx answer is final)."""
    return isinstance(exc, requests.exceptions.RequestException) and not _final_4xx(_http_status(exc))


def _http_status(exc: Exception) -> int | None:
    return getattr(getattr(exc, "response", None), "status_code", None)


def _final_4xx(status: int | None) -> bool:
    return status is not None and 400 <= status < 500 and status not in _RETRYABLE_4XX


def _retrying(
    attempt_once: Callable[[int], T],
    final_error: Callable[[Exception, int], Exception | None],
    what: str,
    attempts: int,
    backoff_s: float,
    log: Log,
) -> T:
    """Return ``attempt_once(attempt)`` for the first of attempts 1, 2, ... ``attempts`` that
    does not raise: the one retry rule of both download paths. An attempt that fails with a
    transient error (`_transient`) is logged and, unless it was the last, retried after
    ``backoff_s`` seconds, then twice as long before each next retry. Any other error, or the
    last attempt's, is raised as ``final_error(exc, attempt)`` (chained to ``exc``), or as
    itself where that returns None."""
    for attempt in range(1, attempts + 1):
        try:
            return attempt_once(attempt)
        except Exception as exc:  # final_error decides what each type means
            if _transient(exc):
                wait = backoff_s * 2 ** (attempt - 1)
                retry = attempt < attempts
                log(
                    f"{what}: attempt {attempt}/{attempts} failed ({exc})"
                    + (f"; retrying in {wait:g} s" if retry else "")
                )
                if retry:
                    if wait > 0:
                        time.sleep(wait)
                    continue
            err = final_error(exc, attempt)
            if err is None:
                raise
            raise err from exc
    raise AssertionError("unreachable")  # the last attempt returns or raises


def fetch_asset(
    spec: dict,
    dest_dir: Path,
    log: Log = print,
    retries: int = 3,
    backoff_s: float = 1.0,
    timeout_s: float = 60.0,
) -> Path:
    """Download one pinned asset into ``dest_dir`` and return its path.

    Returns ``dest_dir/<filename>`` for plain files, ``dest_dir/<name>/`` for archives
    (zip, tar, tar.gz/bz2/xz; chosen by ``spec["extract"]`` or inferred from the file
    suffix when the key is absent; an explicit ``None`` keeps the archive unextracted).
    Does nothing, and makes no request, when the verified result is already there.
    A failed attempt (connection error, timeout, HTTP 5xx, 408, 425, 429) is retried
    ``retries`` times, waiting ``backoff_s``, then twice as long before each next retry;
    each request times out after ``timeout_s`` seconds.
    Raises ``AssetError`` on checksum mismatch, unreachable URL or unsafe archive.
    """
    name, url, expected = _check_spec(spec)
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    filename = spec.get("filename") or _filename_from_url(url, name)
    archive = dest_dir / filename
    kind = _extract_kind(spec, filename)
    if kind is not None and filename == name:
        raise AssetError(
            f"asset '{name}': the archive file name equals the extraction folder name; "
            f"set 'filename' in its entry (e.g. '{name}.zip')"
        )

    if kind is not None:
        out_dir = dest_dir / name
        if _stamp_matches(out_dir, expected):
            log(f"{name}: already extracted at {out_dir} (sha256 {expected[:12]}...)")
            return out_dir
    if archive.is_file() and pooch.file_hash(archive) == expected:
        log(f"{name}: already downloaded at {archive}")
    else:
        _download(name, url, expected, archive, log, retries, backoff_s, timeout_s)
    if kind is None:
        return archive
    _extract(name, archive, kind, out_dir, expected, log)
    return out_dir


def _check_spec(spec: dict) -> tuple[str, str, str]:
    name = spec.get("name")
    if not name or not isinstance(name, str):
        raise AssetError(f"asset spec {spec!r} has no 'name'; give every asset a unique name")
    if name in (".", "..") or "/" in name or "\\" in name:
        raise AssetError(f"asset name {name!r} must be a plain file name (no '/' or '..')")
    url = spec.get("url")
    if not url:
        raise AssetError(f"asset '{name}' has no 'url'; add the pinned download URL to its entry")
    expected = _normalise_hash(spec.get("sha256"), f"asset '{name}'")
    return name, url, expected


def _normalise_hash(value, what: str) -> str:
    text = str(value or "").strip().lower()
    if text.startswith("sha256:"):
        text = text[len("sha256:") :]
    if not _HEX64.match(text):
        raise AssetError(
            f"{what}: sha256 {value!r} is not a 64-digit hex digest; pin the asset with "
            "the output of `sha256sum <file>`"
        )
    return text


def _filename_from_url(url: str, name: str) -> str:
    base = PurePosixPath(unquote(urlparse(url).path)).name
    return base or name


def _extract_kind(spec: dict, filename: str) -> str | None:
    if "extract" in spec:
        kind = spec["extract"]
        if kind in (None, False, "none"):
            return None
        if kind not in ("zip", "tar"):
            raise AssetError(f"asset '{spec['name']}': extract={kind!r} is not one of 'zip', 'tar' or null")
        return kind
    lower = filename.lower()
    if lower.endswith(".zip"):
        return "zip"
    if lower.endswith(_TAR_SUFFIXES):
        return "tar"
    return None


class _LogProgress:
    """tqdm-like object pooch's HTTPDownloader drives; writes throttled lines to ``log``."""

    def __init__(self, name: str, log: Log, every_s: float = 2.0):
        self.name, self.log, self.every_s = name, log, every_s
        self.total = 0
        self.done = 0
        self.start = time.monotonic()
        self.last = self.start

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.every_s:
            self.last = now
            self.log(f"{self.name}: {self._progress(now, eta=True)}")

    def reset(self) -> None:
        # pooch calls reset() then update(total) at the end to fill the bar.
        self.done = 0

    def close(self) -> None:
        self.log(f"{self.name}: done, {self._progress(time.monotonic(), eta=False)}")

    def _progress(self, now: float, eta: bool) -> str:
        elapsed = max(now - self.start, 1e-6)
        rate = self.done / elapsed
        text = f"{_mb(self.done)}"
        if self.total:
            pct = 100.0 * min(self.done, self.total) / self.total
            text += f" / {_mb(self.total)} ({pct:.0f}%)"
            if eta and rate > 0:
                text += f", ETA {(self.total - self.done) / rate:.0f} s"
        return text + f", {_mb(rate)}/s, {elapsed:.1f} s"


def _mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB"


# Some asset sites (ambientCG) refuse the default python-requests user agent.
HEADERS = {"User-Agent": "Mozilla/5.0 (compatible; domrand asset fetcher)"}


def _download(name, url, expected, target: Path, log, retries, backoff_s, timeout_s) -> None:
    """Fetch ``url`` into ``target`` via a private temp dir; only a verified file is renamed in."""
    attempts = 1 + max(int(retries), 0)
    # pooch's own info lines name our private temp dir; the log lines below replace them.
    pooch_logger = pooch.get_logger()
    level = pooch_logger.level
    pooch_logger.setLevel("WARNING")
    try:
        _attempts(name, url, expected, target, log, attempts, backoff_s, timeout_s)
    finally:
        pooch_logger.setLevel(level)


def _attempts(name, url, expected, target: Path, log, attempts, backoff_s, timeout_s) -> None:
    def attempt_once(attempt: int) -> None:
        tmp_dir = Path(tempfile.mkdtemp(prefix=f".{name}.download-", dir=target.parent))
        hashing = _HashingDownloader(
            pooch.HTTPDownloader(progressbar=_LogProgress(name, log), timeout=timeout_s, headers=HEADERS)
        )
        try:
            log(f"{name}: downloading {url} (attempt {attempt}/{attempts})")
            fetched = pooch.retrieve(
                url,
                known_hash=f"sha256:{expected}",
                fname=target.name,
                path=tmp_dir,
                downloader=hashing,
                progressbar=False,
            )
            # pooch's temp file is 0600; resources are often shared by a group on clusters.
            os.chmod(fetched, 0o644)
            os.replace(fetched, target)
            log(f"{name}: verified sha256 {expected[:12]}... -> {target}")
        except ValueError as exc:
            # pooch raises ValueError on a hash mismatch, after deleting its temp file.
            if hashing.actual is None or hashing.actual == expected:
                raise
            raise AssetError(
                f"asset '{name}' from {url}: sha256 mismatch, expected {expected}, "
                f"got {hashing.actual}. The download was deleted. If the server changed "
                "the file on purpose, check it and update the asset's sha256 in the config; "
                "otherwise the URL no longer serves the pinned file."
            ) from exc
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)

    def final_error(exc: Exception, attempt: int) -> Exception | None:
        if not isinstance(exc, requests.exceptions.RequestException):
            return None  # a checksum mismatch (already an AssetError) or a local failure
        status = _http_status(exc)
        if _final_4xx(status):
            return AssetError(
                f"asset '{name}': {url} answered HTTP {status}; the pinned URL is wrong "
                "or the file was moved. Fix the asset's url in the config."
            )
        return AssetError(
            f"asset '{name}': could not download {url} after {attempts} attempts "
            f"(last error: {exc}). Compute nodes usually have no internet: run the "
            "`fetch` target on a connected machine first (`snakemake fetch --configfile <your "
            "config>`), then rerun here."
        )

    _retrying(attempt_once, final_error, name, attempts, backoff_s, log)


class _HashingDownloader:
    """Wraps a pooch downloader to remember the digest of what arrived (for the error text)."""

    def __init__(self, inner):
        self.inner = inner
        self.actual: str | None = None

    def __call__(self, url, output_file, pooch_obj, check_only=False):
        result = self.inner(url, output_file, pooch_obj, check_only=check_only)
        if not check_only:
            self.actual = pooch.file_hash(Path(output_file))
        return result


def _stamp_matches(out_dir: Path, expected: str) -> bool:
    stamp = out_dir / STAMP_NAME
    return stamp.is_file() and stamp.read_text().strip() == expected


def _extract(name: str, archive: Path, kind: str, out_dir: Path, sha: str, log: Log) -> None:
    """Unpack ``archive`` into ``out_dir`` via a temp dir, stamping it with the archive sha256."""
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{name}.extract-", dir=out_dir.parent))
    old_dir = None
    try:
        log(f"{name}: extracting {archive.name} ({kind}) -> {out_dir}")
        if kind == "zip":
            _extract_zip(name, archive, tmp_dir)
        else:
            _extract_tar(name, archive, tmp_dir)
        (tmp_dir / STAMP_NAME).write_text(sha + "\n")
        os.chmod(tmp_dir, 0o755)  # mkdtemp makes 0700; the result is a shared resource
        if out_dir.exists():
            # A stale extraction (other sha or no stamp): swap it out, then delete it.
            old_dir = Path(tempfile.mkdtemp(prefix=f".{name}.old-", dir=out_dir.parent))
            os.replace(out_dir, old_dir / "stale")
        os.replace(tmp_dir, out_dir)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        if old_dir is not None:
            shutil.rmtree(old_dir, ignore_errors=True)


def _safe_member(name: str, member: str, archive: Path) -> None:
    path = PurePosixPath(member.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", member):
        _refuse(name, member, archive)


def _refuse(name: str, member: str, archive: Path) -> NoReturn:
    raise AssetError(
        f"asset '{name}': archive {archive} has an unsafe member {member!r} that would "
        "be written outside the extraction directory; refusing to extract. Check the "
        "asset's url and sha256."
    )


def _extract_zip(name: str, archive: Path, out: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                _safe_member(name, info.filename, archive)
            zf.extractall(out)
    except zipfile.BadZipFile as exc:
        raise AssetError(f"asset '{name}': {archive} is not a valid zip file ({exc})") from exc


def _extract_tar(name: str, archive: Path, out: Path) -> None:
    try:
        with tarfile.open(archive, "r:*") as tf:
            members = tf.getmembers()
            for m in members:
                _safe_member(name, m.name, archive)
                if m.issym() or m.islnk():
                    # Symlinks resolve from their own folder, hard links from the archive root.
                    base = PurePosixPath(m.name).parent if m.issym() else PurePosixPath()
                    link = PurePosixPath(m.linkname)
                    if link.is_absolute() or ".." in _normparts(base / link):
                        _refuse(name, f"{m.name} -> {m.linkname}", archive)
                elif not (m.isfile() or m.isdir()):
                    raise AssetError(
                        f"asset '{name}': archive {archive} has a special member {m.name!r} "
                        "(device or fifo); refusing to extract."
                    )
            # The "data" filter re-checks everything above inside tarfile itself.
            tf.extractall(out, members=members, filter="data")
    except (tarfile.TarError, OSError) as exc:
        if isinstance(exc, tarfile.FilterError):
            raise AssetError(
                f"asset '{name}': archive {archive} has an unsafe member ({exc}); refusing to extract."
            ) from exc
        raise AssetError(f"asset '{name}': cannot extract {archive} as tar ({exc})") from exc


def _normparts(path: PurePosixPath) -> tuple[str, ...]:
    """Path parts with '..' resolved lexically; a leading '..' survives (escapes the root)."""
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            else:
                parts.append("..")
        elif part not in (".", ""):
            parts.append(part)
    return tuple(parts)
