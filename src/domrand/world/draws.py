"""What the two subject generators (`subjects`, `target_subjects`) share: the `Table` of named
ranges their tables are written in, a uniform draw, a palette pick, a colour jitter, and the
rounding of drawn parameters to 5 decimals before they are stored. Nothing here knows a class."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Table:
    """One class's named ranges by part: part -> {name: (lo, hi)}, each drawn as U(lo, hi).

    `doc` says in one line what the table describes. Within a part, names are drawn in the
    order written (`draw_part`), so a new entry goes last in its part: put it anywhere else and
    every later draw, and so every subject, changes.
    """

    doc: str
    parts: Mapping[str, Mapping[str, tuple[float, float]]]

    def __post_init__(self):
        if not self.doc.strip() or "\n" in self.doc.strip():
            raise ValueError(f"table {self.doc[:40]!r}: give it a one-line description as its doc")
        for part, ranges in self.parts.items():
            for name, bounds in ranges.items():
                where = f"table {self.doc.split(':')[0]!r}, {part}.{name}"
                if len(bounds) != 2 or not all(isinstance(x, (int, float)) and math.isfinite(x) for x in bounds):
                    raise ValueError(f"{where}: {bounds!r} is not a (lo, hi) pair of finite numbers")
                if bounds[0] > bounds[1]:
                    raise ValueError(f"{where}: lo {bounds[0]} is above hi {bounds[1]}; swap them")

    def range(self, part: str, name: str) -> tuple[float, float]:
        """The (lo, hi) range of `name` in `part`; a clear error for a name the table lacks."""
        if part not in self.parts or name not in self.parts[part]:
            known = ", ".join(f"{p}.{n}" for p, r in self.parts.items() for n in r)
            raise KeyError(f"table {self.doc.split(':')[0]!r} has no {part}.{name}: it has {known}")
        return self.parts[part][name]

    def draw(self, rng: np.random.Generator, part: str, name: str) -> float:
        """One draw of `name` in `part` (one call of ``rng.uniform``)."""
        return uniform(rng, *self.range(part, name))

    def draw_part(self, rng: np.random.Generator, part: str) -> dict[str, float]:
        """Every name of `part`, drawn in the order written."""
        return {name: self.draw(rng, part, name) for name in self.parts[part]}


def uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    """One draw from U(lo, hi) as a Python float."""
    return float(rng.uniform(lo, hi))


def pick(rng: np.random.Generator, items: Sequence):
    """One item of `items`, each equally likely (one call of ``rng.integers``)."""
    return items[int(rng.integers(len(items)))]


def jitter(rng: np.random.Generator, colour, shade: tuple[float, float], tint: tuple[float, float]) -> list:
    """A palette colour scaled by one U(shade) draw (lighter or darker, hue kept) plus a small
    U(tint) offset per channel, clipped to [0, 1]."""
    return np.clip(np.asarray(colour) * rng.uniform(*shade) + rng.uniform(*tint, 3), 0, 1).tolist()


def rounded(d: dict) -> dict:
    """``d`` with its float values, and the items of its list, tuple and array values, rounded
    to 5 decimals; other values kept."""
    out = {}
    for k, v in d.items():
        if isinstance(v, (float, np.floating)):
            out[k] = round(float(v), 5)
        elif isinstance(v, (list, tuple, np.ndarray)):
            out[k] = [round(float(x), 5) for x in v]
        else:
            out[k] = v
    return out
