"""Adapters that turn an extracted real-image dataset into a dataset index.

Each adapter ``index_<source>(root, params, log, *, workers=1)`` takes the folder the
archive was extracted into and returns ``(index, skipped)``:

- ``index``: a DataFrame in the schema of :mod:`domrand.data.index` with absolute
  image paths, sorted by split, label, path; ready for :func:`~domrand.data.index.write_index`.
- ``skipped``: a DataFrame with columns ``path`` (absolute) and ``reason``, one row per
  file that was found but left out (empty, corrupt, not an image, not in the official
  lists, listed but missing). The caller writes it as a log table.

Every candidate image is decoded once with Pillow (open, load, convert to RGB); a file
that fails is skipped and counted, never dropped silently. ``workers`` threads decode in
parallel (Pillow releases the GIL while decoding); it changes speed, never the result.

Use :func:`build_index` (or :data:`ADAPTERS`) to pick an adapter by source name.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
from PIL import Image, UnidentifiedImageError

from domrand.data.domainnet_classes import domainnet_folders
from domrand.data.index import (
    COLUMNS,
    DOMAINS,
    SPLITS,
    deterministic_split,
    hash_order,
    is_class_name,
    validate_index,
)

__all__ = [
    "ADAPTERS",
    "DOMAINNET_DOMAINS",
    "LAYOUTS",
    "SKIPPED_COLUMNS",
    "DatasetLayoutError",
    "build_index",
    "check_image",
    "check_images",
    "index_domainnet",
    "index_folder",
    "index_oxford_pet",
    "index_petimages",
]

SKIPPED_COLUMNS = ("path", "reason")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
DOMAINNET_DOMAINS = ("clipart", "infograph", "painting", "quickdraw", "real", "sketch")
# The paper's "toon" target is cartoon-like art; DomainNet's clipart and painting are the
# closest match, its real photos join the real domain.
DOMAINNET_TAGS = {"clipart": "toon", "painting": "toon", "real": "real"}

LAYOUTS = {
    "petimages": (
        "<root>/PetImages/Cat/*.jpg and <root>/PetImages/Dog/*.jpg (the extracted Microsoft "
        "kagglecatsanddogs zip; <root> may also be the PetImages folder itself)"
    ),
    "oxford_pet": (
        "<root>/images/*.jpg and <root>/annotations/{list,trainval,test}.txt (the extracted "
        "Oxford-IIIT Pet images.tar.gz and annotations.tar.gz)"
    ),
    "domainnet": (
        "<root>/<domain>/<category>/*.jpg and <root>/<domain>_train.txt, <root>/<domain>_test.txt "
        "for each domain in params['domains'] (the extracted DomainNet zips and split lists)"
    ),
    "folder": (
        "<root>/<class>/**/*.{jpg,jpeg,png}, or <root>/train/<class>/... and <root>/test/<class>/... "
        "for each class in params['classes']"
    ),
}

Log = logging.Logger | logging.LoggerAdapter | None
_module_log = logging.getLogger(__name__)


class DatasetLayoutError(FileNotFoundError):
    """An extracted dataset lacks a folder or file its adapter expects, or a list is malformed."""


# --------------------------------------------------------------------------- image checks


def check_image(path: str | os.PathLike) -> str | None:
    """Decode one image fully; return ``None`` if it is usable, else the reason it is not."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as e:
        return f"unreadable: {e.strerror or e}"
    if size == 0:
        return "empty file (0 bytes)"
    try:
        with Image.open(path) as im:
            im.load()
            im.convert("RGB")
    except UnidentifiedImageError:
        return "not an image (Pillow cannot identify the format)"
    # Broken files in the wild raise all sorts (OSError, SyntaxError, struct.error,
    # IndexError, DecompressionBombError); one bad photo must not stop the whole index.
    except Exception as e:  # broken files raise all sorts (above); each is a reason to skip
        return f"corrupt image: {type(e).__name__}: {e}"
    return None


def check_images(paths: Sequence[Path], log: Log = None, *, workers: int = 1, what: str = "images") -> list[str | None]:
    """:func:`check_image` for each path, in order, logging progress with rate and ETA."""
    log = log or _module_log
    n = len(paths)
    log.info("decoding %d %s to check them (%d worker(s))", n, what, workers)
    t0 = last = time.monotonic()
    out: list[str | None] = []
    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    try:
        results = pool.map(check_image, paths) if pool else map(check_image, paths)
        for i, reason in enumerate(results, 1):
            out.append(reason)
            now = time.monotonic()
            if now - last >= 10.0 or i == n:
                last = now
                rate = i / max(now - t0, 1e-9)
                log.info("checked %d/%d %s (%.0f/s, ETA %.0fs)", i, n, what, rate, (n - i) / rate)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    return out


# --------------------------------------------------------------------------- adapters


def index_petimages(
    root: Path, params: dict, log: Log = None, *, workers: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Index Microsoft PetImages (the Kaggle Dogs vs Cats source): labels cat, dog; domain real.

    params:
      - ``n_train``, ``n_test`` (int >= 0, per class; the paper uses 10000 and 2500).
      - ``seed`` (int, default 0): which images go where.

    Per class, valid images are put in :func:`~domrand.data.index.hash_order` of their
    path under ``PetImages/`` (e.g. ``Cat/1.jpg``); the first ``n_test`` are test, the next
    ``n_train`` train, the rest unused. If a class has fewer valid images than
    ``n_train + n_test``, both splits shrink in proportion and a warning is logged.
    ``Thumbs.db`` and the empty or corrupt JPEGs the archive ships land in ``skipped``.
    """
    log = log or _module_log
    root = Path(root).absolute()
    p = _params(params, "petimages", log, required=("n_train", "n_test"), optional=("seed",))
    n_train, n_test = _count(p, "n_train", "petimages"), _count(p, "n_test", "petimages")
    seed = p.get("seed", 0)
    base = root / "PetImages"
    if not base.is_dir() and (root / "Cat").is_dir() and (root / "Dog").is_dir():
        base = root
    rows, skipped = [], []
    for folder, label in (("Cat", "cat"), ("Dog", "dog")):
        files = _files(_require_dir(base / folder, "petimages"), log, recursive=False)
        valid = _check(files, log, workers, skipped, what=f"PetImages/{folder} files")
        keys = {f.relative_to(base).as_posix(): f for f in valid}
        want = n_train + n_test
        if len(keys) >= want:
            k_train, k_test = n_train, n_test
        else:
            k_test = round(len(keys) * n_test / want) if want else 0
            k_train = len(keys) - k_test
            log.warning(
                "petimages: only %d valid %s images, fewer than n_train + n_test = %d + %d; using %d train + %d test",
                len(keys),
                label,
                n_train,
                n_test,
                k_train,
                k_test,
            )
        order = hash_order(keys, seed)
        for i, key in enumerate(order[: k_test + k_train]):
            rows.append(_row(keys[key], label, "test" if i < k_test else "train", "petimages", "real"))
        if len(order) > k_test + k_train:
            log.info("petimages: %d valid %s images left unused", len(order) - k_test - k_train, label)
    return _frames(rows, skipped, "petimages")


def index_oxford_pet(
    root: Path, params: dict, log: Log = None, *, workers: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Index Oxford-IIIT Pet with its official split: trainval.txt -> train, test.txt -> test.

    Labels come from the SPECIES column (1 = cat, 2 = dog) of ``annotations/list.txt`` and
    the split lists; domain real. params: ``classes`` (default ``["cat", "dog"]``) keeps
    only those species. Image files not in the lists, listed images that are missing,
    and listed images in neither split land in ``skipped``.
    """
    log = log or _module_log
    root = Path(root).absolute()
    p = _params(params, "oxford_pet", log, optional=("classes",))
    classes = _classes(p, "oxford_pet", allowed=("cat", "dog"), default=("cat", "dog"))
    images = _require_dir(root / "images", "oxford_pet")
    ann = root / "annotations"
    species: dict[str, str] = {}
    split_of: dict[str, str] = {}
    for name, split in (("list.txt", None), ("trainval.txt", "train"), ("test.txt", "test")):
        list_file = _require_file(ann / name, "oxford_pet")
        for lineno, image, sp in _oxford_lines(list_file):
            if species.setdefault(image, sp) != sp:
                raise DatasetLayoutError(
                    f"{list_file}:{lineno}: {image} has species {sp}, another list says "
                    f"{species[image]}; the annotations are inconsistent, re-extract annotations.tar.gz"
                )
            if split is not None:
                if split_of.setdefault(image, split) != split:
                    raise DatasetLayoutError(
                        f"{list_file}:{lineno}: {image} is in both trainval.txt and test.txt; "
                        f"re-extract annotations.tar.gz"
                    )
    skipped: list[tuple[str, str]] = []
    on_disk = {f.name: f for f in _files(images, log, recursive=False)}
    for fname, f in on_disk.items():
        if not (fname.endswith(".jpg") and fname[: -len(".jpg")] in species):
            skipped.append((str(f), "not in annotations/list.txt, trainval.txt or test.txt"))
    candidates: list[tuple[Path, str, str]] = []
    for image, label in sorted(species.items()):
        if label not in classes:
            continue
        f = images / f"{image}.jpg"
        if f.name not in on_disk:
            skipped.append((str(f.absolute()), "listed in the annotations but missing"))
        elif image not in split_of:
            skipped.append((str(on_disk[f.name]), "in neither annotations/trainval.txt nor test.txt"))
        else:
            candidates.append((on_disk[f.name], label, split_of[image]))
    valid = set(_check([c[0] for c in candidates], log, workers, skipped, what="Oxford-IIIT Pet images"))
    rows = [_row(f, label, split, "oxford_pet", "real") for f, label, split in candidates if f in valid]
    return _frames(rows, skipped, "oxford_pet")


def index_domainnet(
    root: Path, params: dict, log: Log = None, *, workers: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Index DomainNet domains with their official train/test lists.

    params:
      - ``domains`` (list, required): of :data:`DOMAINNET_DOMAINS`.
      - ``classes`` (default cat, dog, bicycle, car): any of DomainNet's 345 classes, each
        the class of the folder of that name in lowercase with ``-`` as ``_`` (exact names, so
        ``police_car`` is not ``car``; :mod:`domrand.data.domainnet_classes`); an unknown
        name is an error naming the closest ones.

    Domain tags: clipart and painting -> ``"toon"``, real -> ``"real"``, others keep their
    name. ``source`` is ``"domainnet"`` for all; the DomainNet domain stays visible in the
    path. The label integers in the lists are DomainNet's 345-way ids and are ignored.
    Files in a category folder that no list names, and listed files that are missing,
    land in ``skipped``.
    """
    log = log or _module_log
    root = Path(root).absolute()
    p = _params(params, "domainnet", log, required=("domains",), optional=("classes",))
    domains = p["domains"]
    if isinstance(domains, str) or not domains or any(d not in DOMAINNET_DOMAINS for d in domains):
        raise ValueError(
            f"domainnet: params['domains']={domains!r} must be a non-empty list of {list(DOMAINNET_DOMAINS)}"
        )
    classes = _classes(p, "domainnet", allowed=None, default=("cat", "dog", "bicycle", "car"))
    folders = domainnet_folders(classes, "domainnet: params['classes']")
    rows, skipped = [], []
    for dom in dict.fromkeys(domains):
        dom_dir = _require_dir(root / dom, "domainnet")
        split_of: dict[str, str] = {}
        for split in SPLITS:
            list_file = _require_file(root / f"{dom}_{split}.txt", "domainnet")
            for lineno, rel in _domainnet_lines(list_file, dom):
                if rel.split("/")[1] not in folders:
                    continue
                if split_of.setdefault(rel, split) != split:
                    raise DatasetLayoutError(
                        f"{list_file}:{lineno}: {rel} is in both {dom}_train.txt and {dom}_test.txt"
                    )
        on_disk: dict[str, Path] = {}
        for folder in folders:
            for f in _files(_require_dir(dom_dir / folder, "domainnet"), log, recursive=True):
                rel = f.relative_to(root).as_posix()
                if rel in split_of:
                    on_disk[rel] = f
                else:
                    skipped.append((str(f), f"not in {dom}_train.txt or {dom}_test.txt"))
        for rel in sorted(set(split_of) - set(on_disk)):
            skipped.append((str((root / rel).absolute()), f"listed in {dom}_{split_of[rel]}.txt but missing"))
        rels = sorted(on_disk)
        valid = set(_check([on_disk[r] for r in rels], log, workers, skipped, what=f"DomainNet {dom} images"))
        tag = DOMAINNET_TAGS.get(dom, dom)
        for r in rels:
            if on_disk[r] in valid:
                rows.append(_row(on_disk[r], folders[r.split("/")[1]], split_of[r], "domainnet", tag))
    return _frames(rows, skipped, "domainnet")


def index_folder(root: Path, params: dict, log: Log = None, *, workers: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Index a folder-per-class tree; the folder names are the labels.

    Layouts: ``<root>/<class>/...`` (split by ``test_fraction``), or split folders
    ``<root>/train/<class>/...`` and/or ``<root>/test/<class>/...`` (official split, no
    ``test_fraction``). Class folders are searched recursively for .jpg, .jpeg, .png
    (any case); other files land in ``skipped``.

    params:
      - ``classes`` (list, required): class names (lowercase identifiers); each needs its folder.
      - ``domain`` (required): one of :data:`~domrand.data.index.DOMAINS`.
      - ``test_fraction`` (float in [0, 1]): required without split folders; a file's
        split depends only on its path under ``<root>`` and ``seed``, so adding files
        never moves others.
      - ``seed`` (int, default 0), ``source`` (str, default ``"folder"``).
    """
    log = log or _module_log
    root = Path(root).absolute()
    p = _params(
        params,
        "folder",
        log,
        required=("classes", "domain"),
        optional=("test_fraction", "seed", "source"),
    )
    classes = _classes(p, "folder", allowed=None, default=None)
    domain, source, seed = p["domain"], p.get("source", "folder"), p.get("seed", 0)
    if domain not in DOMAINS:
        raise ValueError(f"folder: params['domain']={domain!r} is not one of {list(DOMAINS)}")
    if not isinstance(source, str) or not source:
        raise ValueError(f"folder: params['source']={source!r} must be a non-empty string")
    _require_dir(root, "folder")
    split_dirs = [s for s in SPLITS if (root / s).is_dir()]
    test_fraction = p.get("test_fraction")
    if split_dirs and test_fraction is not None:
        raise ValueError(
            f"folder: {root} has split folder(s) {split_dirs}, which fix the split; "
            f"drop params['test_fraction'] or move the class folders up to {root}/<class>/"
        )
    if not split_dirs and test_fraction is None:
        raise ValueError(f"folder: {root} has no train/ or test/ folder, so params['test_fraction'] is needed")
    groups: list[tuple[str | None, str, Path]] = []  # (split or None, label, folder)
    for split in split_dirs or [None]:
        for cls in classes:
            groups.append((split, cls, _require_dir(root / split / cls if split else root / cls, "folder")))
    rows, skipped = [], []
    for split, cls, folder in groups:
        files = []
        for f in _files(folder, log, recursive=True):
            if f.suffix.lower() in IMAGE_SUFFIXES:
                files.append(f)
            else:
                skipped.append(
                    (
                        str(f),
                        f"extension {f.suffix or '(none)'} is not one of {list(IMAGE_SUFFIXES)}",
                    )
                )
        valid = _check(files, log, workers, skipped, what=f"{folder.relative_to(root)} images")
        if split is None:
            keys = {f.relative_to(root).as_posix(): f for f in valid}
            test = deterministic_split(list(keys), seed=seed, test_fraction=float(test_fraction))
            rows += [_row(f, cls, "test" if k in test else "train", source, domain) for k, f in keys.items()]
        else:
            rows += [_row(f, cls, split, source, domain) for f in valid]
    return _frames(rows, skipped, "folder")


Adapter = Callable[..., tuple[pd.DataFrame, pd.DataFrame]]

ADAPTERS: dict[str, Adapter] = {
    "petimages": index_petimages,
    "oxford_pet": index_oxford_pet,
    "domainnet": index_domainnet,
    "folder": index_folder,
}


def build_index(
    source: str, root: str | os.PathLike, params: dict, log: Log = None, *, workers: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the adapter registered for ``source`` on the extracted dataset at ``root``.

    Returns ``(index, skipped)`` as the adapters do (see module docstring) and logs a
    summary. Raises ``ValueError`` for an unknown source (listing the known ones) and
    :class:`DatasetLayoutError` when ``root`` or a file the source needs is missing.
    """
    log = log or _module_log
    if source not in ADAPTERS:
        raise ValueError(f"unknown dataset source {source!r}; known sources: {sorted(ADAPTERS)}")
    root = Path(root)
    if not root.is_dir():
        raise DatasetLayoutError(f"{source}: dataset folder {root} does not exist; expected layout: {LAYOUTS[source]}")
    index, skipped = ADAPTERS[source](root, dict(params or {}), log, workers=workers)
    counts = index.groupby(["split", "label"]).size().to_dict()
    log.info(
        "%s: indexed %d images from %s (%s); %d file(s) skipped",
        source,
        len(index),
        root,
        ", ".join(f"{s}/{label} {n}" for (s, label), n in sorted(counts.items())) or "none",
        len(skipped),
    )
    if len(skipped):
        for reason, n in skipped["reason"].value_counts().items():
            log.warning("%s: skipped %d file(s): %s", source, n, reason)
    return index, skipped


# --------------------------------------------------------------------------- helpers


def _params(params: dict, source: str, log: logging.Logger, required=(), optional=()) -> dict:
    params = dict(params or {})
    missing = [k for k in required if k not in params]
    if missing:
        raise ValueError(
            f"{source}: missing params {missing}; this adapter takes {list(required)} "
            f"(required) and {list(optional)} (optional)"
        )
    unknown = sorted(set(params) - set(required) - set(optional))
    if unknown:
        # A warning, not an error: callers may pass a dataset's whole config entry.
        log.warning("%s: ignoring params %s (known: %s)", source, unknown, list(required) + list(optional))
    return params


def _count(params: dict, key: str, source: str) -> int:
    v = params[key]
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ValueError(f"{source}: params[{key!r}]={v!r} must be an integer >= 0")
    return v


def _classes(params: dict, source: str, allowed: Sequence[str] | None, default) -> list[str]:
    """params['classes'] (or ``default``) once each: of ``allowed``, or (None) any class names."""
    classes = params.get("classes", default)
    what = (
        f"of {list(allowed)} (the only classes {source} has)" if allowed else "of class names (lowercase identifiers)"
    )
    ok = (lambda c: c in allowed) if allowed else is_class_name
    if isinstance(classes, str) or not classes or not all(ok(c) for c in classes):
        raise ValueError(f"{source}: params['classes']={classes!r} must be a non-empty list {what}")
    return list(dict.fromkeys(classes))


def _require_dir(path: Path, source: str) -> Path:
    if not path.is_dir():
        raise DatasetLayoutError(f"{source}: expected folder {path} is missing; expected layout: {LAYOUTS[source]}")
    return path


def _require_file(path: Path, source: str) -> Path:
    if not path.is_file():
        raise DatasetLayoutError(f"{source}: expected file {path} is missing; expected layout: {LAYOUTS[source]}")
    return path


def _files(folder: Path, log: logging.Logger, *, recursive: bool) -> list[Path]:
    """Regular files under ``folder``, sorted, as absolute paths."""
    folder = folder.absolute()
    found = sorted(folder.rglob("*") if recursive else folder.iterdir())
    if not recursive:
        subdirs = [d.name for d in found if d.is_dir()]
        if subdirs:
            log.warning("ignoring sub-folder(s) %s of %s", subdirs[:5], folder)
    return [f for f in found if f.is_file()]


def _check(files: Sequence[Path], log, workers: int, skipped: list, what: str) -> list[Path]:
    """Decode ``files``; append failures to ``skipped``; return the readable ones in order."""
    valid = []
    for f, reason in zip(files, check_images(files, log, workers=workers, what=what)):
        if reason is None:
            valid.append(f)
        else:
            skipped.append((str(f), reason))
    return valid


def _row(path: Path, label: str, split: str, source: str, domain: str) -> dict:
    return {"path": str(path), "label": label, "split": split, "source": source, "domain": domain}


def _frames(rows: list[dict], skipped: Iterable[tuple[str, str]], source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    index = pd.DataFrame(rows, columns=list(COLUMNS))
    index = validate_index(index, where=f"{source} adapter output")
    index = index.sort_values(["split", "label", "path"], kind="stable").reset_index(drop=True)
    skipped = pd.DataFrame(list(skipped), columns=list(SKIPPED_COLUMNS))
    skipped = skipped.sort_values("path", kind="stable").reset_index(drop=True)
    return index, skipped


def _oxford_lines(list_file: Path):
    """(line number, image name, "cat" | "dog") for each data line of an Oxford-IIIT Pet list."""
    species = {"1": "cat", "2": "dog"}
    for lineno, line in enumerate(list_file.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) < 3 or fields[2] not in species:
            raise DatasetLayoutError(
                f"{list_file}:{lineno}: expected 'Image CLASS-ID SPECIES BREED-ID' with SPECIES "
                f"1 (cat) or 2 (dog), got {line!r}"
            )
        yield lineno, fields[0], species[fields[2]]


def _domainnet_lines(list_file: Path, domain: str):
    """(line number, '<domain>/<category>/<file>') for each line of a DomainNet split list."""
    for lineno, line in enumerate(list_file.read_text().splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        rel = line.split()[0]
        parts = rel.split("/")
        if len(parts) != 3 or parts[0] != domain:
            raise DatasetLayoutError(
                f"{list_file}:{lineno}: expected '{domain}/<category>/<file>.jpg <label_int>', got {line!r}"
            )
        yield lineno, rel
