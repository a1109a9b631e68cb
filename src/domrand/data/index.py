"""The dataset index: one parquet table per dataset, synthetic or real.

Schema (one row per image; extra columns are allowed and kept):

=========  ====================================================================
``path``   str. The image file. **On disk it is stored relative to the folder
           that holds the index file**, POSIX separators, computed from the
           resolved (symlink-free) locations of both, e.g.
           ``../../../resources/data/petimages/PetImages/Cat/1.jpg`` for an
           index at ``results/datasets/pets/index.parquet``. ``write_index``
           takes paths that ``open()`` would accept (absolute, or relative to
           the current directory); ``read_index`` returns absolute paths by
           default. So an index never depends on the directory a job runs in,
           and moving the project directory as a whole keeps it valid.
``label``  str, a class name: a lowercase identifier (:data:`CLASS_NAME`).
``split``  ``"train"`` or ``"test"``.
``source`` str, where the images came from: ``"petimages"``, ``"oxford_pet"``,
           ``"domainnet"``, ``"folder"``, a synthetic variant name, ...
``domain`` str, one of :data:`DOMAINS`: ``"real"``, ``"synthetic"``, ``"toon"``,
           or a DomainNet domain that has no closer match (``"sketch"``,
           ``"infograph"``, ``"quickdraw"``).
=========  ====================================================================

Paths must be unique within an index: the same image in two rows could sit in
both splits.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from domrand.seeds import unit_hash

__all__ = [
    "CLASS_NAME",
    "COLUMNS",
    "DOMAINS",
    "SPLITS",
    "IndexSchemaError",
    "deterministic_split",
    "hash_order",
    "is_class_name",
    "read_index",
    "split_score",
    "validate_index",
    "write_index",
]

COLUMNS = ("path", "label", "split", "source", "domain")
CLASS_NAME = re.compile(r"[a-z][a-z0-9_]*")  # the config schema's class names (schemas/)
SPLITS = ("train", "test")
DOMAINS = ("real", "synthetic", "toon", "sketch", "infograph", "quickdraw")


class IndexSchemaError(ValueError):
    """A dataset index that breaks the schema."""


def is_class_name(name) -> bool:
    """Whether ``name`` is a class name: a lowercase identifier such as ``cat`` or ``fire_hydrant``."""
    return isinstance(name, str) and CLASS_NAME.fullmatch(name) is not None


def validate_index(df: pd.DataFrame, where: str = "index") -> pd.DataFrame:
    """Check ``df`` against the index schema and return it with required columns first.

    ``where`` names the table in error messages (a file path, an adapter name).
    Raises :class:`IndexSchemaError` listing the offending column, values and a few rows.
    """
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise IndexSchemaError(
            f"{where}: missing column(s) {missing}; an index needs columns {list(COLUMNS)} (has {list(df.columns)})"
        )
    for col in COLUMNS:
        values = df[col]
        bad = values.isna() | ~values.map(lambda v: isinstance(v, str) and v != "")
        if bad.any():
            raise IndexSchemaError(
                f"{where}: column {col!r} must hold non-empty strings; "
                f"{int(bad.sum())} row(s) do not, e.g. rows {_rows(df, bad)}"
            )
    bad = ~df["label"].map(is_class_name)
    if bad.any():
        raise IndexSchemaError(
            f"{where}: column 'label' has value(s) {sorted(set(df.loc[bad, 'label']))} that are not "
            f"class names (lowercase identifiers), e.g. rows {_rows(df, bad)}"
        )
    for col, allowed in (("split", SPLITS), ("domain", DOMAINS)):
        bad = ~df[col].isin(allowed)
        if bad.any():
            raise IndexSchemaError(
                f"{where}: column {col!r} has value(s) {sorted(set(df.loc[bad, col]))} "
                f"outside {list(allowed)}, e.g. rows {_rows(df, bad)}"
            )
    dup = df["path"].duplicated(keep=False)
    if dup.any():
        raise IndexSchemaError(
            f"{where}: {int(df.loc[dup, 'path'].nunique())} path(s) occur more than once "
            f"(an image may not be in an index twice), e.g. {sorted(set(df.loc[dup, 'path']))[:3]}"
        )
    extra = [c for c in df.columns if c not in COLUMNS]
    return df[list(COLUMNS) + extra]


def write_index(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Validate ``df`` and write it atomically as a parquet index at ``path``.

    ``df["path"]`` holds image paths as ``open()`` takes them (absolute or relative to
    the current directory); they are stored relative to ``path``'s folder (see module
    docstring). Rows are written sorted by split, label, path so the file is identical
    run to run. Parent folders are created. Returns ``path`` as a :class:`Path`.
    """
    path = Path(path)
    df = validate_index(df, where=f"index for {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    base = path.parent.resolve()
    out = df.copy()
    out["path"] = [Path(os.path.relpath(Path(p).resolve(), base)).as_posix() for p in df["path"]]
    out = out.sort_values(["split", "label", "path"], kind="stable").reset_index(drop=True)
    # Temp file in the same folder so the rename is atomic; a killed job leaves no index.
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        out.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_index(
    path: str | os.PathLike,
    classes: Iterable[str] | None = None,
    split: str | None = None,
    *,
    resolve: bool = True,
) -> pd.DataFrame:
    """Read and validate the index at ``path``, optionally filtered.

    ``classes``: keep only these labels (each must be a class name).
    ``split``: ``"train"``, ``"test"`` or ``None`` for both.
    ``resolve``: return ``path`` as absolute path strings (default) rather than as
    stored (relative to the index folder).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"dataset index {path} does not exist; build it with domrand.data.index.write_index "
            f"(the workflow's datasets rule)"
        )
    df = validate_index(pd.read_parquet(path), where=str(path))
    if split is not None:
        if split not in SPLITS:
            raise ValueError(f"split={split!r} is not one of {list(SPLITS)} or None")
        df = df[df["split"] == split]
    if classes is not None:
        classes = [classes] if isinstance(classes, str) else list(classes)
        unknown = [c for c in classes if not is_class_name(c)]
        if unknown:
            raise ValueError(f"classes {unknown} are not class names (lowercase identifiers such as 'cat')")
        df = df[df["label"].isin(classes)]
    df = df.reset_index(drop=True)
    if resolve:
        base = path.parent.resolve()
        df["path"] = [os.path.normpath(base / p) for p in df["path"]]
    return df


def split_score(key: str, seed: int | str) -> float:
    """A uniform number in [0, 1) fixed by ``(seed, key)`` alone.

    See :mod:`domrand.seeds` (``hash()`` is salted per process).
    """
    return unit_hash(key, seed)


def hash_order(keys: Iterable[str], seed: int | str) -> list[str]:
    """``keys`` sorted by :func:`split_score`: a seeded shuffle that ignores input order.

    Taking a prefix of this order selects a subset in which adding or removing other
    keys moves at most one selected key out per key added.
    """
    keys = _unique(keys)
    return sorted(keys, key=lambda k: (split_score(k, seed), k))


def deterministic_split(
    keys: Sequence[str],
    *,
    seed: int | str,
    test_fraction: float | None = None,
    n_test: int | None = None,
) -> set[str]:
    """Return the subset of ``keys`` that goes to the test split.

    Give exactly one of:

    - ``test_fraction`` in [0, 1]: a key is test iff ``split_score(key, seed) <
      test_fraction``. Each key's split depends on nothing but itself and the seed, so
      adding or removing files never moves another file; the test count is binomial
      around ``test_fraction * len(keys)``.
    - ``n_test`` >= 0: exactly ``min(n_test, len(keys))`` keys, the first ones of
      :func:`hash_order`. Adding a key moves at most one existing key from test to train.

    Keys are usually paths relative to the dataset root; they must be unique.
    The result does not depend on the order of ``keys``.
    """
    if (test_fraction is None) == (n_test is None):
        raise ValueError("deterministic_split: give exactly one of test_fraction and n_test")
    if test_fraction is not None:
        if not 0.0 <= test_fraction <= 1.0:
            raise ValueError(f"test_fraction={test_fraction} must lie in [0, 1]")
        return {k for k in _unique(keys) if split_score(k, seed) < test_fraction}
    if n_test < 0:
        raise ValueError(f"n_test={n_test} must be >= 0")
    return set(hash_order(keys, seed)[:n_test])


def _unique(keys: Iterable[str]) -> list[str]:
    keys = list(keys)
    if len(set(keys)) != len(keys):
        dup = sorted(k for k, n in Counter(keys).items() if n > 1)[:3]
        raise ValueError(f"split keys must be unique; duplicated: {dup}")
    return keys


def _rows(df: pd.DataFrame, mask: pd.Series, n: int = 3) -> list:
    return df.loc[mask].head(n).to_dict("records")
