"""Subjects of classes that are not built in (any class but cat, dog, bicycle and car).

Such a class has no procedural family: its subjects are the meshes of ``world.subjects.<class>``.
This module gives them what a procedural family would: a coat, worn only where a model has no
colour of its own, and the split of the class's mesh files into its synthetic breeds and the
held-out pools (``world.subjects.<class>.heldout``) that stand in for the proxy target domains'
subjects, as the built-in classes' held-out subjects do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from domrand.config import BUILTIN_CLASSES
from domrand.seeds import seed_for, unit_hash
from domrand.world.draws import rounded

OWN_PATTERNS = ("solid", "spots", "bicolor", "saddle")  # patterns of textures.coat_texture


def is_builtin(cls: str) -> bool:
    return cls in BUILTIN_CLASSES


def sample_own_coat(cls: str, index: int, world_seed: int, pool: str | None = None) -> dict:
    """A plain coat for mesh `index` of a class that is not built in: a muted base colour and a
    darker second one in one of :data:`OWN_PATTERNS`; a pure function of its arguments."""
    rng = np.random.default_rng(seed_for("own coat", world_seed, cls, pool or "", index))
    hue, sat, val = rng.uniform(0, 1), rng.uniform(0.1, 0.6), rng.uniform(0.35, 0.85)
    base = _hsv(hue, sat, val)
    second = _hsv((hue + rng.uniform(-0.08, 0.08)) % 1.0, sat, val * rng.uniform(0.3, 0.6))
    coat = {
        "pattern": str(OWN_PATTERNS[int(rng.integers(len(OWN_PATTERNS)))]),
        "base": base,
        "second": second,
        "frequency": float(rng.uniform(3, 8)),
        "fur": float(rng.uniform(0.05, 0.2)),
    }
    return rounded(coat)


def _hsv(h: float, s: float, v: float) -> tuple[float, float, float]:
    import colorsys

    return tuple(float(x) for x in colorsys.hsv_to_rgb(h, s, v))


def split_meshes(files: list[Path], cls: str, heldout: dict, world_seed: int) -> dict[str | bool, list[Path]]:
    """The class's mesh files by pool: ``False`` (its synthetic breeds) and each held-out pool
    of ``heldout`` ({pool: count}). Files are ordered by a hash of (world seed, class, file name),
    so which meshes are held out does not follow their names; the pools take their counts in
    ``heldout`` order, the breeds the rest. Raises ValueError naming the key when fewer than one
    breed would be left."""
    order = sorted(files, key=lambda f: (unit_hash(f"heldout mesh/{cls}/{Path(f).name}", world_seed), str(f)))
    need = sum(int(n) for n in heldout.values())
    if need >= len(order):
        raise ValueError(
            f"config key world.subjects.{cls}.heldout: {need} meshes held out of {len(order)}, "
            f"leaving no breed of {cls}; hold out fewer or add meshes"
        )
    out: dict[str | bool, list[Path]] = {}
    start = 0
    for pool, n in heldout.items():
        out[pool] = order[start : start + int(n)]
        start += int(n)
    out[False] = order[start:]
    return out
