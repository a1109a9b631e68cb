"""What the breed samplers (`subjects`, `target_subjects`) share: a uniform draw, and the
rounding of drawn parameters to 5 decimals before they are stored."""

from __future__ import annotations

import numpy as np


def uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    """One draw from U(lo, hi) as a Python float."""
    return float(rng.uniform(lo, hi))


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
