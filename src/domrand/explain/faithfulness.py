"""Deletion check: does hiding a heatmap's top pixels hurt the class more than random ones?

For each image, the top ``q`` fraction of pixels by heatmap value is set to a baseline and
the drop in the target class's softmax probability is measured; the same number of
uniformly random pixels (averaged over ``k`` draws) gives the reference drop. A faithful
map removes more evidence than chance: ``drop_top > drop_random``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch
from torch import nn

from domrand.explain.heatmaps import _check_images, _eval_mode, model_device

RESULT_COLUMNS = (
    "image",
    "method",
    "n_removed",
    "prob_original",
    "prob_top_removed",
    "prob_random_removed",
    "drop_top",
    "drop_random",
)


def deletion_check(
    model: nn.Module,
    images: torch.Tensor,
    maps: Mapping[str, np.ndarray],
    target: int,
    q: float = 0.10,
    k: int = 5,
    baseline: float = 0.0,
    seed: int | np.random.Generator = 0,
    batch_size: int = 64,
) -> pd.DataFrame:
    """Per-image deletion check for each heatmap method.

    Args:
        model: classifier, normalised images ``(N, C, H, W)`` -> logits ``(N, n_classes)``.
        images: the normalised float images the maps explain, ``(N, C, H, W)``.
        maps: ``{method: (N, H, W)}`` heatmaps (larger = more important).
        target: class whose softmax probability is measured.
        q: fraction of pixels removed, in (0, 1]; ``ceil(q * H * W)`` pixels.
        k: random draws averaged for the reference drop (shared by all methods of an
            image, so the comparison between methods is paired).
        baseline: value removed pixels take in every channel, normalised units.
        seed: seed or ``numpy.random.Generator`` for the random pixels and for breaking
            ties among equal heatmap values (a flat map then removes random pixels).
        batch_size: images per forward pass.

    Returns:
        One row per (image, method) with columns ``RESULT_COLUMNS``; probabilities in
        [0, 1], ``drop_* = prob_original - prob_*_removed`` (positive = the class lost
        probability).
    """
    images = _check_images(images)
    n, channels, height, width = images.shape
    if not 0 < q <= 1:
        raise ValueError(f"q is the fraction of pixels removed and must be in (0, 1], got {q}")
    if k < 1:
        raise ValueError(f"k (random draws) must be >= 1, got {k}")
    for method, m in maps.items():
        if np.shape(m) != (n, height, width):
            raise ValueError(
                f"heatmap {method!r} has shape {np.shape(m)}; expected ({n}, {height}, {width}) "
                "to match the images"
            )
    rng = np.random.default_rng(seed)
    n_pixels = height * width
    n_removed = min(n_pixels, math.ceil(q * n_pixels))
    methods = list(maps)

    # Per image: the original, one copy per method (top pixels removed), k random copies.
    masks = np.zeros((n, 1 + len(methods) + k, n_pixels), dtype=bool)
    for i in range(n):
        for j, method in enumerate(methods):
            flat = np.asarray(maps[method][i], dtype=np.float64).ravel()
            # A random order first, then a stable sort, so ties are broken at random.
            perm = rng.permutation(n_pixels)
            top = perm[np.argsort(-flat[perm], kind="stable")[:n_removed]]
            masks[i, 1 + j, top] = True
        for r in range(k):
            masks[i, 1 + len(methods) + r, rng.choice(n_pixels, n_removed, replace=False)] = True

    probs = _masked_probs(
        model, images, masks.reshape(n, -1, height, width), target, baseline, batch_size
    )
    rows = []
    for i in range(n):
        p_orig = float(probs[i, 0])
        p_rand = float(probs[i, 1 + len(methods) :].mean())
        for j, method in enumerate(methods):
            p_top = float(probs[i, 1 + j])
            rows.append(
                (i, method, n_removed, p_orig, p_top, p_rand, p_orig - p_top, p_orig - p_rand)
            )
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


def _masked_probs(
    model: nn.Module,
    images: torch.Tensor,
    masks: np.ndarray,
    target: int,
    baseline: float,
    batch_size: int,
) -> np.ndarray:
    """Target softmax probability of each image under each of its masks: ``(N, M)``."""
    device = model_device(model)
    n, n_masks = masks.shape[:2]
    out = np.empty((n, n_masks), dtype=np.float64)
    # Flatten (image, mask) pairs so every forward pass is a full batch.
    pairs = [(i, m) for i in range(n) for m in range(n_masks)]
    mask_t = torch.from_numpy(masks)
    with _eval_mode(model), torch.no_grad():
        for start in range(0, len(pairs), batch_size):
            chunk = pairs[start : start + batch_size]
            idx_img = torch.tensor([i for i, _ in chunk])
            idx_mask = torch.tensor([m for _, m in chunk])
            batch = images[idx_img].to(device)
            hide = mask_t[idx_img, idx_mask].to(device)[:, None]
            batch = torch.where(
                hide, torch.as_tensor(baseline, dtype=batch.dtype, device=device), batch
            )
            prob = torch.softmax(model(batch).float(), dim=1)[:, int(target)].cpu().numpy()
            out[idx_img.numpy(), idx_mask.numpy()] = prob
    return out


def summarize_faithfulness(results: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per method: mean drops and the faithfulness gap with a t-interval across images.

    Args:
        results: output of :func:`deletion_check` (columns ``method``, ``drop_top``,
            ``drop_random``), possibly concatenated over models with extra key columns.
        confidence: two-sided confidence level of the interval.

    Returns:
        One row per method: ``n_images``, ``mean_drop_top``, ``mean_drop_random``, ``gap``
        (= mean of ``drop_top - drop_random``, paired per image), ``gap_ci_low``,
        ``gap_ci_high`` (NaN with fewer than 2 images).
    """
    rows = []
    for method, group in results.groupby("method", sort=False):
        diff = (group["drop_top"] - group["drop_random"]).to_numpy(dtype=np.float64)
        n = len(diff)
        gap = float(diff.mean())
        if n >= 2:
            half = t_quantile(0.5 + confidence / 2, n - 1) * float(diff.std(ddof=1)) / math.sqrt(n)
        else:
            half = math.nan
        rows.append(
            {
                "method": method,
                "n_images": n,
                "mean_drop_top": float(group["drop_top"].mean()),
                "mean_drop_random": float(group["drop_random"].mean()),
                "gap": gap,
                "gap_ci_low": gap - half,
                "gap_ci_high": gap + half,
            }
        )
    return pd.DataFrame(rows)


def t_quantile(p: float, df: int) -> float:
    """Quantile of Student's t distribution with ``df`` degrees of freedom, ``p`` in (0, 1).

    SciPy is not a dependency: the CDF is the integral of the density (Simpson's rule on
    a substitution that tames the heavy tail) and is inverted by bisection; accurate to
    ~1e-7 for df >= 1.
    """
    if not 0 < p < 1:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if df < 1:
        raise ValueError(f"df must be >= 1, got {df}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1 - p, df)
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def upper_mass(t: float) -> float:
        # P(T > t) = integral over u in (0, 1/(1+t)) after the substitution x = 1/u - 1,
        # whose integrand is bounded, so plain Simpson converges quickly.
        n_steps = 2000
        u = np.linspace(0.0, 1 / (1 + t), n_steps + 1)
        # pdf(x) / u^2 written in u so nothing overflows: with x = (1 - u) / u,
        # 1 + x^2/df = (df u^2 + (1 - u)^2) / (df u^2).
        with np.errstate(divide="ignore", invalid="ignore"):
            log_f = (
                log_norm
                - (df + 1) / 2 * (np.log(df * u * u + (1 - u) ** 2) - math.log(df))
                + (df - 1) * np.log(u)
            )
        # At u = 0 the integrand tends to its df = 1 limit, else to 0.
        log_f[0] = log_norm + math.log(df) if df == 1 else -np.inf
        f = np.exp(log_f)
        h = u[1] - u[0]
        return float(h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum()))

    lo, hi = 0.0, 1.0
    while upper_mass(hi) > 1 - p:
        hi *= 2
    for _ in range(100):
        mid = (lo + hi) / 2
        if upper_mass(mid) > 1 - p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-10:
            break
    return (lo + hi) / 2
