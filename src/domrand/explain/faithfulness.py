"""Faithfulness of heatmaps: checks that a map can fail.

Three parts, each per image, summarised with intervals across images by
:mod:`domrand.figures.heatmaps`:

- **Deletion and insertion curves** (Petsiuk et al. 2018). Pixels are removed (deletion) or
  restored (insertion) in the map's order, most important first, in ``steps`` equal
  fractions, replacing them with a baseline image: ``black`` (zeros: the workflow's models
  take images in [0, 1]) or ``blur`` (the image under a Gaussian blur, sigma = side / 16, so
  removing pixels takes away detail without adding dark edges). The area under the curve of
  the true-class probability over the fraction removed (deletion, lower = more faithful) or
  restored (insertion, higher = more faithful) is the score.
- **A structured random baseline.** The same curves for the map cyclically shifted
  (``np.roll``) by a random offset between a quarter and three quarters of the image in each
  direction: a map with the method's own blob sizes and smoothness that points at the wrong
  place. Scattered random pixels are no baseline: removing them degrades the whole image at
  once, which measures the perturbation, not the map. A map is faithful where its deletion
  AUC is lower and insertion AUC higher than its shifted copy's, paired per image.
- **The model-randomisation sanity check** (Adebayo et al. 2018): Spearman's rank
  correlation between each image's map for the trained model and for the same architecture
  with randomised head weights (and randomised backbone weights for a fine-tuned model). A
  method whose maps barely change explains the image, not the model, and fails.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from scipy import stats
from torch import nn

from domrand.explain.heatmaps import check_images, eval_mode, gradcam, model_device, occlusion_models, per_image_targets

BASELINES = ("black", "blur")
CURVE_COLUMNS = (
    "image",
    "label",
    "method",
    "map",
    "baseline",
    "prob_original",
    "prob_baseline",
    "deletion_auc",
    "insertion_auc",
)
SANITY_COLUMNS = ("image", "label", "method", "randomised", "rank_corr")


def blurred(images: torch.Tensor, sigma: float | None = None) -> torch.Tensor:
    """Each image under a Gaussian blur of ``sigma`` pixels (default: side / 16)."""
    from torchvision.transforms.functional import gaussian_blur

    images = check_images(images)
    side = min(images.shape[-2:])
    sigma = float(sigma if sigma is not None else max(side / 16, 0.5))
    k = min(2 * math.ceil(3 * sigma) + 1, side if side % 2 else side - 1)
    return gaussian_blur(images, [k, k], [sigma, sigma])


def baseline_images(images: torch.Tensor, name: str) -> torch.Tensor:
    """The replacement image of baseline ``name`` (``black`` or ``blur``) for every image."""
    if name == "black":
        return torch.zeros_like(images)
    if name == "blur":
        return blurred(images)
    raise ValueError(f"unknown deletion baseline {name!r}; choose from {list(BASELINES)}")


def shifted_maps(maps: np.ndarray, seed: int | np.random.Generator = 0) -> np.ndarray:
    """Each map cyclically shifted by a random offset in [1/4, 3/4] of its size per axis:
    the same spatial structure, in the wrong place."""
    maps = np.asarray(maps)
    rng = np.random.default_rng(seed)
    h, w = maps.shape[-2:]
    out = np.empty_like(maps)
    for i, m in enumerate(maps):
        dy = int(rng.integers(max(1, h // 4), max(2, 3 * h // 4 + 1)))
        dx = int(rng.integers(max(1, w // 4), max(2, 3 * w // 4 + 1)))
        out[i] = np.roll(m, (dy, dx), axis=(0, 1))
    return out


def _order(heat: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pixel indices, most important first; ties (flat or blocky maps) in random order."""
    flat = np.asarray(heat, dtype=np.float64).ravel()
    perm = rng.permutation(flat.size)
    return perm[np.argsort(-flat[perm], kind="stable")]


def deletion_insertion(
    model: nn.Module,
    images: torch.Tensor,
    maps: Mapping[str, np.ndarray],
    targets: int | Sequence[int],
    steps: int = 10,
    baselines: Sequence[str] = BASELINES,
    seed: int | np.random.Generator = 0,
    batch_size: int = 64,
) -> pd.DataFrame:
    """Deletion and insertion AUCs of each map, on each baseline.

    Args:
        model: classifier, float images ``(N, C, H, W)`` (as the model takes them, [0, 1]
            for the workflow's) -> logits.
        images: the images the maps explain.
        maps: ``{name: (N, H, W)}``, larger = more important (e.g. ``gradcam`` and its shifted
            copy ``gradcam_shifted``).
        targets: the class whose probability is tracked, one int or one per image.
        steps: the curve's resolution: fractions 0, 1/steps, ..., 1 of the pixels.
        baselines: any of :data:`BASELINES`.
        seed: breaks ties among equal map values.
        batch_size: perturbed images per forward pass (throughput only).

    Returns:
        One row per (image, map, baseline) with :data:`CURVE_COLUMNS`; ``method`` is the
        map's name without ``_shifted`` and ``map`` is ``map`` or ``shifted``. AUCs are
        trapezoids over the fraction in [0, 1], probabilities in [0, 1]. The curves'
        end points are shared: deletion starts at the image and ends at the baseline image,
        insertion the other way round. Forward passes: ``N * (1 + B + 2 * B * M * (steps - 1))``
        for B baselines and M maps.
    """
    images = check_images(images)
    n, _, h, w = images.shape
    if steps < 2:
        raise ValueError(f"steps must be >= 2 (explain.faithfulness.steps), got {steps}")
    for name, m in maps.items():
        if np.shape(m) != (n, h, w):
            raise ValueError(f"heatmap {name!r} has shape {np.shape(m)}; expected ({n}, {h}, {w})")
    targets = per_image_targets(targets, n)
    rng = np.random.default_rng(seed)
    names = list(maps)
    bases = {b: baseline_images(images, b) for b in baselines}
    cuts = [round(k * h * w / steps) for k in range(1, steps)]
    orders = {(name, i): _order(maps[name][i], rng) for name in names for i in range(n)}
    jobs = _curve_jobs(n, baselines, names, len(cuts))
    probs = np.empty(len(jobs))
    device = model_device(model)
    with eval_mode(model), torch.no_grad():
        for start in range(0, len(jobs), batch_size):
            chunk = jobs[start : start + batch_size]
            x = torch.stack([_perturbed(images, bases, orders, cuts, job) for job in chunk]).to(device)
            p = torch.softmax(model(x).float(), dim=1).cpu().numpy()
            probs[start : start + len(chunk)] = p[np.arange(len(chunk)), [targets[j[0]] for j in chunk]]
    rows = _curve_rows(dict(zip(jobs, probs)), targets, baselines, names, len(cuts), steps)
    return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))


def _curve_jobs(n: int, baselines: Sequence[str], names: Sequence[str], n_cuts: int) -> list[tuple]:
    """Every perturbed image as (image, baseline or None, map or None, mode or None, step)."""
    jobs = [(i, None, None, None, 0) for i in range(n)]
    jobs += [(i, b, None, None, 0) for i in range(n) for b in baselines]
    jobs += [
        (i, b, name, mode, k)
        for i in range(n)
        for b in baselines
        for name in names
        for mode in ("deletion", "insertion")
        for k in range(n_cuts)
    ]
    return jobs


def _perturbed(
    images: torch.Tensor,
    bases: Mapping[str, torch.Tensor],
    orders: Mapping[tuple[str, int], np.ndarray],
    cuts: Sequence[int],
    job: tuple,
) -> torch.Tensor:
    """The image of one job: the original, the whole baseline, or the map's top pixels
    swapped for the baseline (deletion) or kept over it (insertion)."""
    i, b, name, mode, k = job
    if b is None:
        return images[i]
    if name is None:
        return bases[b][i]
    h, w = images.shape[-2:]
    top = torch.zeros(h * w, dtype=torch.bool)
    top[torch.from_numpy(orders[(name, i)][: cuts[k]])] = True
    top = top.view(1, h, w)
    keep_image = ~top if mode == "deletion" else top
    return torch.where(keep_image, images[i], bases[b][i])


def _curve_rows(
    prob: Mapping[tuple, float],
    targets: Sequence[int],
    baselines: Sequence[str],
    names: Sequence[str],
    n_cuts: int,
    steps: int,
) -> list[tuple]:
    """One :data:`CURVE_COLUMNS` row per (image, baseline, map) from each job's probability."""
    frac = np.linspace(0, 1, steps + 1)
    rows = []
    for i in range(len(targets)):
        p0 = prob[(i, None, None, None, 0)]
        for b in baselines:
            pb = prob[(i, b, None, None, 0)]
            for name in names:
                dele = [prob[(i, b, name, "deletion", k)] for k in range(n_cuts)]
                ins = [prob[(i, b, name, "insertion", k)] for k in range(n_cuts)]
                method, kind = (name[: -len("_shifted")], "shifted") if name.endswith("_shifted") else (name, "map")
                rows.append(
                    (
                        i,
                        targets[i],
                        method,
                        kind,
                        b,
                        p0,
                        pb,
                        float(np.trapezoid([p0, *dele, pb], frac)),
                        float(np.trapezoid([pb, *ins, p0], frac)),
                    )
                )
    return rows


def randomised_copy(model: nn.Module, seed: int = 0, backbone: bool = False) -> nn.Module:
    """The same classifier (``backbone`` + ``head``) with freshly initialised head weights,
    and backbone weights too with ``backbone=True``. The backbone object is shared when it
    is kept, so a frozen model's randomised copy costs no second backbone pass
    (:func:`~domrand.explain.heatmaps.occlusion_models`)."""
    if not (hasattr(model, "head") and hasattr(model, "backbone")):
        raise ValueError("the randomisation check needs a classifier with .backbone and .head")
    clone = copy.copy(model)
    clone._modules = dict(model._modules)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        parts = ["head"] + (["backbone"] if backbone else [])
        for name in parts:
            part = copy.deepcopy(getattr(model, name))
            for m in part.modules():
                if hasattr(m, "reset_parameters"):
                    m.reset_parameters()
            clone._modules[name] = part
    return clone


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two maps; 0 where either map is constant (it ranks
    nothing, so it shares no ranking with the other)."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(stats.spearmanr(a, b).statistic)


def faithfulness(
    model: nn.Module,
    target_layer: nn.Module,
    images: torch.Tensor,
    labels: Sequence[int],
    occlusion: Mapping,
    steps: int = 10,
    randomise_backbone: bool = False,
    seed: int = 0,
    batch_size: int = 64,
    log=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All three checks of GradCAM and occlusion, each image explained for its true class.

    Args:
        model: a classifier with ``backbone`` and ``head`` (the workflow's ``Classifier``).
        target_layer: its GradCAM layer (``model.backbone.last_conv``).
        images: float images as the model takes them, ``(N, C, H, W)``.
        labels: the true class index of each image.
        occlusion: ``window``, ``stride`` (and optional ``baseline``) of the occlusion maps.
        steps: deletion/insertion curve steps.
        randomise_backbone: also randomise the backbone in the sanity check (fine-tuned
            models; a frozen backbone is not the model's to explain).
        seed: the randomised weights, the shifts and the tie-breaking.

    Returns:
        ``(curves, sanity)``: :func:`deletion_insertion` rows for each method's map and its
        shifted copy, and one row per (image, method) with the rank correlation between the
        trained and the randomised model's maps (``SANITY_COLUMNS``).
    """
    import time

    log = log or (lambda *_: None)
    labels = [int(v) for v in labels]
    rand = randomised_copy(model, seed=seed, backbone=randomise_backbone)
    t0 = time.perf_counter()
    occ = {
        "window": int(occlusion["window"]),
        "stride": int(occlusion["stride"]),
        "baseline": float(occlusion.get("baseline", 0.0)),
    }
    occ_trained, occ_rand = occlusion_models([model, rand], images, labels, **occ)
    rand_layer = _same_module(model, rand, target_layer)
    maps = {"gradcam": gradcam(model, target_layer, images, labels), "occlusion": occ_trained}
    maps_rand = {"gradcam": gradcam(rand, rand_layer, images, labels), "occlusion": occ_rand}
    t1 = time.perf_counter()
    sanity = pd.DataFrame(
        [
            (
                i,
                labels[i],
                method,
                "head+backbone" if randomise_backbone else "head",
                rank_correlation(maps[method][i], maps_rand[method][i]),
            )
            for method in maps
            for i in range(len(labels))
        ],
        columns=list(SANITY_COLUMNS),
    )
    rng = np.random.default_rng(seed)
    curve_maps = {**maps, **{f"{k}_shifted": shifted_maps(v, rng) for k, v in maps.items()}}
    curves = deletion_insertion(model, images, curve_maps, labels, steps=steps, seed=rng, batch_size=batch_size)
    t2 = time.perf_counter()
    n, h, w = len(labels), *images.shape[-2:]
    windows = len(range(0, h - occ["window"] + 1, occ["stride"])) * len(range(0, w - occ["window"] + 1, occ["stride"]))
    log(
        f"faithfulness on {n} images: occlusion ({windows + 1} passes per image, trained and randomised model "
        f"together) and GradCAM maps {t1 - t0:.1f} s; deletion/insertion curves "
        f"({1 + 2 * (1 + 2 * len(curve_maps) * (steps - 1))} passes per image) {t2 - t1:.1f} s"
    )
    return curves, sanity


def _same_module(model: nn.Module, clone: nn.Module, module: nn.Module) -> nn.Module:
    """The module of ``clone`` at the path ``module`` has in ``model``."""
    for name, m in model.named_modules():
        if m is module:
            return clone.get_submodule(name)
    raise ValueError("the GradCAM layer is not a submodule of the model")
