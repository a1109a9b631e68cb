"""Confidence intervals and tests for accuracies measured over training seeds and test images.

Every accuracy in the figures is a mean over ``S`` seeds (models trained alike) of an
accuracy over the same ``n`` test images. Its uncertainty has two sources, and both are
counted here:

- **seed variance**: models trained with other seeds score differently on the same images;
  estimated by the variance of the per-seed accuracies, ``V_seed = var_s(acc_s) / S``,
  with ``S - 1`` degrees of freedom (zero, and not estimable, with one seed);
- **test-set sampling**: another draw of ``n`` test images from the same domain scores
  differently; estimated by the variance over images of each image's accuracy averaged
  over seeds, ``V_test = var_i(mean_s c_si) / n``, with ``n - 1`` degrees of freedom.

A seed is the unit of replication, and its variance holds whatever differs between seeds:
head initialisation and batch order always; with `seeds_over: data` also the rendered training
images; and wherever a dataset draws a subset of breeds (`subject.breeds: n`), each seed trains on
its own draw of breeds, so the draw-to-draw variance is inside the seed term (S draws, S - 1 df).

Seeds and images are crossed (every seed sees every image), so the seed x image interaction
is counted in both terms: ``V_seed + V_test`` is slightly conservative. The interval is a
Student-t interval on the **logit scale** (delta method, ``se = sqrt(V) / (p (1 - p))``)
with Welch-Satterthwaite degrees of freedom, mapped back to [0, 1]: it never leaves the
range, and with few seeds whose spread dominates it is as wide as a t-interval over seeds.

Differences between two arms on the same images and seeds (an ablation against the control)
are paired: the seed term is the variance of the per-seed differences, the test term the
variance over images of the per-image differences; the test is a t-test on the difference
with the same Satterthwaite degrees of freedom.

All functions take proportions in [0, 1]; the figures multiply by 100.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

METHOD = (
    "logit-scale t-interval; variance = seed variance of the mean + test-image sampling "
    "variance, Welch-Satterthwaite df"
)
TEST = "paired t-test on the difference (seed + paired test-image variance, Welch-Satterthwaite df)"


def t_quantile(confidence: float, df: float) -> float:
    """Two-sided Student-t critical value (``scipy.stats.t``); ``df = inf`` gives the normal's."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return float(stats.t.ppf(0.5 + confidence / 2, df))


def satterthwaite_df(components: Sequence[tuple[float, float]]) -> float:
    """Welch-Satterthwaite degrees of freedom of a sum of variance estimates ``(v, df)``.

    Components with zero variance or zero df add nothing; inf when every variance is zero."""
    num = sum(v for v, _ in components) ** 2
    den = sum(v * v / d for v, d in components if v > 0 and d > 0)
    return float(num / den) if den > 0 else math.inf


def _matrix(correct) -> np.ndarray:
    c = np.asarray(correct, dtype=np.float64)
    if c.ndim == 1:
        c = c[None]
    if c.ndim != 2 or c.shape[1] == 0:
        raise ValueError(f"expected a (seeds, images) matrix of per-image scores, got shape {c.shape}")
    return c


def _components(mats: Sequence[np.ndarray]) -> tuple[float, float, float, float, float]:
    """Mean of the per-test-set means, and (V_seed, df_seed, V_test, df_test) of that mean."""
    s = mats[0].shape[0]
    if any(m.shape[0] != s for m in mats):
        raise ValueError(f"every test set needs the same seeds; got {[m.shape[0] for m in mats]} seeds")
    k = len(mats)
    per_seed = np.mean([m.mean(axis=1) for m in mats], axis=0)  # (S,)
    mean = float(per_seed.mean())
    v_seed = float(per_seed.var(ddof=1) / s) if s > 1 else 0.0
    # Test sets are independent samples of images: their sampling variances add.
    v_tests = [float(m.mean(axis=0).var(ddof=1) / m.shape[1]) if m.shape[1] > 1 else 0.0 for m in mats]
    v_test = sum(v_tests) / k**2
    df_test = satterthwaite_df([(v / k**2, m.shape[1] - 1) for v, m in zip(v_tests, mats)])
    return mean, v_seed, float(s - 1), v_test, df_test


def logit_interval(p: float, variance: float, df: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Interval for a proportion ``p`` with variance estimate ``variance`` on the logit scale.

    ``n`` (images) sets the continuity adjustment at p = 0 or 1, where the logit is infinite
    and the estimated variance is zero: there ``p`` becomes ``(0.5) / (n + 1)`` (or its
    mirror) and the variance at least the binomial ``p (1 - p) / n``."""
    if not math.isfinite(p):
        return math.nan, math.nan
    eps = 0.5 / (n + 1)
    pc = min(max(p, eps), 1 - eps)
    if pc != p or variance <= 0:
        variance = max(variance, pc * (1 - pc) / n)
    se = math.sqrt(variance) / (pc * (1 - pc))
    h = t_quantile(confidence, df) * se
    lo, hi = (float(stats.logistic.cdf(stats.logistic.ppf(pc) + d)) for d in (-h, h))
    return min(lo, p), max(hi, p)


def accuracy_interval(correct, confidence: float = 0.95) -> dict:
    """Mean accuracy over seeds (and over test sets) with its logit-scale interval.

    Args:
        correct: one ``(seeds, images)`` array of per-image correctness (0/1, or any score in
            [0, 1]), rows in seed order; or a list of such arrays, one per test set with the
            same seeds, for the mean over test sets (each test set weighs the same).
        confidence: two-sided level.

    Returns:
        ``mean``, ``ci_low``, ``ci_high`` in [0, 1]; the components ``se_seed`` and
        ``se_test`` (square roots of V_seed and V_test, proportion units); ``df``;
        ``n_seeds``; ``n_images`` (summed over test sets).
    """
    mats = [_matrix(c) for c in (correct if isinstance(correct, list) else [correct])]
    mean, v_seed, df_seed, v_test, df_test = _components(mats)
    df = satterthwaite_df([(v_seed, df_seed), (v_test, df_test)])
    n = min(m.shape[1] for m in mats)
    lo, hi = logit_interval(mean, v_seed + v_test, df, n, confidence)
    return {
        "mean": mean,
        "ci_low": lo,
        "ci_high": hi,
        "se_seed": math.sqrt(v_seed),
        "se_test": math.sqrt(v_test),
        "df": df,
        "n_seeds": mats[0].shape[0],
        "n_images": sum(m.shape[1] for m in mats),
    }


def binomial_seed_interval(per_seed, n_images: int, confidence: float = 0.95) -> dict:
    """Logit-scale interval from per-seed accuracies alone (no per-image results, e.g. the
    per-epoch history): the seed term from their spread, the test term the binomial bound
    ``p (1 - p) / n`` (the largest variance over images a mean accuracy p allows).

    Returns the keys of :func:`accuracy_interval`."""
    v = np.asarray([x for x in per_seed if math.isfinite(x)], dtype=np.float64)
    if len(v) == 0 or n_images < 1:
        return {
            "mean": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "se_seed": math.nan,
            "se_test": math.nan,
            "df": math.nan,
            "n_seeds": len(v),
            "n_images": n_images,
        }
    s, p = len(v), float(v.mean())
    v_seed = float(v.var(ddof=1) / s) if s > 1 else 0.0
    v_test = p * (1 - p) / n_images
    df = satterthwaite_df([(v_seed, s - 1), (v_test, n_images - 1)])
    lo, hi = logit_interval(p, v_seed + v_test, df, n_images, confidence)
    return {
        "mean": p,
        "ci_low": lo,
        "ci_high": hi,
        "se_seed": math.sqrt(v_seed),
        "se_test": math.sqrt(v_test),
        "df": df,
        "n_seeds": s,
        "n_images": n_images,
    }


def paired_difference(a, b, confidence: float = 0.95) -> dict:
    """Difference ``mean(a) - mean(b)`` of two arms scored on the same images with the same
    seeds, its paired interval and two-sided p-value.

    Args:
        a, b: ``(seeds, images)`` per-image correctness, rows matched by seed, columns by image.

    Returns:
        ``diff``, ``ci_low``, ``ci_high`` (proportion units, clipped to [-1, 1]), ``se_seed``
        (from the per-seed differences), ``se_test`` (from the per-image differences averaged
        over seeds), ``df``, ``t``, ``p_value``, ``significant`` (the interval excludes 0).
    """
    a, b = _matrix(a), _matrix(b)
    if a.shape != b.shape:
        raise ValueError(f"paired arms need the same seeds and images; got shapes {a.shape} and {b.shape}")
    d = a - b
    diff, v_seed, df_seed, v_test, df_test = _components([d])
    v = v_seed + v_test
    df = satterthwaite_df([(v_seed, df_seed), (v_test, df_test)])
    if v > 0:
        t = diff / math.sqrt(v)
        p = float(2 * stats.t.sf(abs(t), df))
        h = t_quantile(confidence, df) * math.sqrt(v)
    else:  # every image scored the same difference under every seed
        t, p, h = (0.0, 1.0, 0.0) if diff == 0 else (math.copysign(math.inf, diff), 0.0, 0.0)
    lo, hi = max(diff - h, -1.0), min(diff + h, 1.0)
    return {
        "diff": diff,
        "ci_low": lo,
        "ci_high": hi,
        "se_seed": math.sqrt(v_seed),
        "se_test": math.sqrt(v_test),
        "df": df,
        "t": t,
        "p_value": p,
        "significant": bool(lo > 0 or hi < 0),
    }


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (NaN stays NaN)."""
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    order = ok[np.argsort(p[ok])]
    m, running = len(order), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def mean_interval(values, confidence: float = 0.95) -> dict:
    """Mean of independent per-image values with its Student-t interval (``scipy.stats.t``).

    Returns ``mean``, ``ci_low``, ``ci_high`` (NaN with fewer than 2 values), ``se``, ``n``,
    and ``p_value`` of the one-sample t-test against 0."""
    v = np.asarray([x for x in values if math.isfinite(x)], dtype=np.float64)
    n = len(v)
    if n == 0:
        return {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "se": math.nan, "n": 0, "p_value": math.nan}
    m = float(v.mean())
    if n < 2:
        return {"mean": m, "ci_low": math.nan, "ci_high": math.nan, "se": math.nan, "n": 1, "p_value": math.nan}
    se = float(v.std(ddof=1) / math.sqrt(n))
    h = t_quantile(confidence, n - 1) * se
    p = float(2 * stats.t.sf(abs(m / se), n - 1)) if se > 0 else (1.0 if m == 0 else 0.0)
    return {"mean": m, "ci_low": m - h, "ci_high": m + h, "se": se, "n": n, "p_value": p}


def wilson(count: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of the proportion ``count / n`` at confidence ``level`` (``count``
    may be fractional: a count averaged over seeds); (nan, nan) when ``n`` is 0."""
    if n <= 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = count / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # At p = 0 or 1 one bound equals p exactly; rounding must not leave p outside the interval.
    return min(max(0.0, centre - half), p), max(min(1.0, centre + half), p)
