"""GradCAM and occlusion-sensitivity heatmaps for an image classifier (paper fig. 5).

The model is any ``torch.nn.Module`` that maps float images ``(N, C, H, W)`` to logits
``(N, n_classes)``; the workflow's classifiers take images in [0, 1] and normalise inside,
so an occluded or deleted pixel set to 0 is black. Nothing here assumes an architecture: GradCAM is told its
target layer (the last conv block) explicitly.

Every map is a float32 array ``(N, H, W)`` at input resolution, non-negative and scaled
per image so its maximum is 1; a map with no positive evidence stays all zero.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from captum.attr import LayerAttribution, LayerGradCam, Occlusion
from torch import nn

from domrand.io import atomic_path

METHODS = ("gradcam", "occlusion")

_MAP_PREFIX = "map_"
_IMAGES_KEY = "images"
_META_KEY = "meta_json"


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU for a model with neither)."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """Run the block with ``model`` in eval mode, restoring its train/eval state afterwards."""
    # Explanations must see the deployed model (BatchNorm running stats, no dropout).
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def check_images(images: torch.Tensor) -> torch.Tensor:
    """``images`` as a float (N, C, H, W) tensor, or a ValueError that says how to make one."""
    if not isinstance(images, torch.Tensor):
        images = torch.as_tensor(np.asarray(images))
    if images.ndim != 4:
        raise ValueError(
            f"images must be a float tensor (N, C, H, W), got shape {tuple(images.shape)}; "
            "add a batch dimension with images[None] for a single image"
        )
    if not images.is_floating_point():
        raise ValueError(
            f"images must be float images as the model takes them, got dtype {images.dtype}; "
            "convert first (the workflow's classifiers take floats in [0, 1])"
        )
    return images


def _scale_unit(maps: torch.Tensor) -> torch.Tensor:
    """Clamp ``(N, H, W)`` maps at 0 and divide each by its maximum; all-zero maps stay zero."""
    maps = maps.clamp(min=0)
    peak = maps.amax(dim=(1, 2), keepdim=True)
    # Dividing by 1 where the peak is 0 leaves a flat map flat instead of producing NaN.
    return maps / torch.where(peak > 0, peak, torch.ones_like(peak))


def per_image_targets(target: int | Sequence[int], n: int) -> list[int]:
    """One class index per image from an int or a per-image sequence."""
    if isinstance(target, (int, np.integer)):
        return [int(target)] * n
    t = [int(v) for v in target]
    if len(t) != n:
        raise ValueError(f"target lists {len(t)} classes for {n} images; give one per image or a single int")
    return t


def gradcam(
    model: nn.Module,
    target_layer: nn.Module,
    images: torch.Tensor,
    target: int | Sequence[int],
    batch_size: int = 32,
) -> np.ndarray:
    """GradCAM maps for class ``target`` (captum ``LayerGradCam``).

    Args:
        model: classifier, float images ``(N, C, H, W)`` -> logits ``(N, n_classes)``.
        target_layer: the module whose output GradCAM weighs (the last conv block); its
            output must be ``(N, K, h, w)``.
        images: float images ``(N, C, H, W)`` as the model takes them, any device (moved to the model's).
        target: class index whose logit is explained, or one per image.
        batch_size: images per forward/backward pass (memory bound only; results do not
            depend on it).

    Returns:
        float32 ``(N, H, W)``: ReLU'd GradCAM upsampled bilinearly to the input size,
        each map scaled to [0, 1] (all zero where the class has no positive evidence).
    """
    images = check_images(images)
    device = model_device(model)
    height, width = images.shape[-2:]
    explainer = LayerGradCam(model, target_layer)
    targets = per_image_targets(target, len(images))
    out = []
    # GradCAM needs gradients of the logit w.r.t. the layer, so grad mode is forced on
    # even if the caller runs under torch.no_grad().
    with eval_mode(model), torch.enable_grad():
        for start in range(0, len(images), batch_size):
            batch = images[start : start + batch_size].to(device)
            attr = explainer.attribute(batch, target=targets[start : start + batch_size], relu_attributions=True)
            if attr.ndim != 4:
                raise ValueError(
                    f"GradCAM target layer {type(target_layer).__name__} gave attributions "
                    f"of shape {tuple(attr.shape)}; it must output conv feature maps "
                    "(N, K, h, w): pass the last convolutional block"
                )
            up = LayerAttribution.interpolate(attr, (height, width), interpolate_mode="bilinear")
            out.append(_scale_unit(up[:, 0].detach()).cpu())
    return torch.cat(out).numpy().astype(np.float32, copy=False)


def occlusion(
    model: nn.Module,
    images: torch.Tensor,
    target: int | Sequence[int],
    window: int,
    stride: int,
    baseline: float = 0.0,
    batch_windows: int = 64,
) -> np.ndarray:
    """Occlusion-sensitivity maps for class ``target`` (captum ``Occlusion``).

    A ``window x window`` patch (all channels) slides with step ``stride`` and is set to
    ``baseline``; a pixel's attribution is the mean drop of the target logit over the
    windows covering it, summed over channels. A drop (the class loses evidence when the
    pixel is hidden) is importance; rises are clipped to 0.

    Args:
        model: classifier, images ``(N, C, H, W)`` -> logits ``(N, n_classes)``.
        images: float images ``(N, C, H, W)`` as the model takes them.
        target: class index whose logit is explained, or one per image.
        window: side of the square occluding patch in pixels.
        stride: step between patches in pixels (``<= window`` to cover every pixel).
        baseline: value occluded pixels take in the model's input units; the workflow's
            models take images in [0, 1], so the default 0 is black.
        batch_windows: occluded copies of one image evaluated per forward pass
            (captum ``perturbations_per_eval``); throughput only, the map does not change.

    Returns:
        float32 ``(N, H, W)``, each map scaled to [0, 1] by its largest positive value.
    """
    return occlusion_models([model], images, target, window, stride, baseline, batch_windows)[0]


class _TargetLogits(nn.Module):
    """The target logit of each of several models, ``(N, M)``, from one set of inputs.

    Models that share a backbone (``model.backbone``, the same object, as the trained and the
    head-randomised copy of a frozen-backbone classifier) share its forward pass: a hook
    keeps the first model's backbone output and the others apply only their ``head``."""

    def __init__(self, models: Sequence[nn.Module]):
        super().__init__()
        self.models = nn.ModuleList(models)
        self.target = 0
        self._features: dict[int, torch.Tensor] = {}
        self._shared = [
            i > 0 and hasattr(m, "head") and getattr(m, "backbone", None) is getattr(models[0], "backbone", False)
            for i, m in enumerate(models)
        ]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, feats = [], {}
        hook = None
        if any(self._shared):
            hook = self.models[0].backbone.register_forward_hook(lambda mod, inp, o: feats.update(f=o))
        try:
            for m, shared in zip(self.models, self._shared):
                logits = m.head(feats["f"]) if shared else m(x)
                out.append(logits[:, self.target])
        finally:
            if hook is not None:
                hook.remove()
        return torch.stack(out, dim=1)


def occlusion_models(
    models: Sequence[nn.Module],
    images: torch.Tensor,
    target: int | Sequence[int],
    window: int,
    stride: int,
    baseline: float = 0.0,
    batch_windows: int = 64,
) -> list[np.ndarray]:
    """:func:`occlusion` maps of several models from one pass over the occluded images.

    Each model's map is what :func:`occlusion` gives for it alone; models sharing a frozen
    backbone object pay for one backbone pass per occluded image (see ``_TargetLogits``).

    Returns:
        One float32 ``(N, H, W)`` array per model, in order.
    """
    images = check_images(images)
    if window < 1 or stride < 1:
        raise ValueError(f"occlusion window and stride must be >= 1, got {window=} {stride=}")
    height, width = images.shape[-2:]
    if window > min(height, width):
        raise ValueError(
            f"occlusion window {window} is larger than the images ({height}x{width}); "
            "lower explain.occlusion.window in the config"
        )
    if stride > window:
        raise ValueError(
            f"occlusion stride {stride} > window {window} leaves pixels never occluded; use stride <= window"
        )
    device = model_device(models[0])
    channels = images.shape[1]
    stacked = _TargetLogits(models)
    explainer = Occlusion(stacked)
    targets = per_image_targets(target, len(images))
    out: list[list[torch.Tensor]] = [[] for _ in models]
    with contextlib.ExitStack() as stack, torch.no_grad():
        for m in models:
            stack.enter_context(eval_mode(m))
        # One image per call keeps the forward batch at batch_windows images, whatever N is;
        # with target=None captum attributes each of the M outputs: (M, C, H, W).
        for image, t in zip(images, targets):
            stacked.target = t
            attr = explainer.attribute(
                image[None].to(device),
                sliding_window_shapes=(channels, window, window),
                strides=(channels, stride, stride),
                baselines=float(baseline),
                target=None,
                perturbations_per_eval=int(batch_windows),
            )
            attr = attr.reshape(len(models), channels, height, width)
            for k in range(len(models)):
                out[k].append(_scale_unit(attr[k : k + 1].sum(dim=1)).cpu())
    return [torch.cat(o).numpy().astype(np.float32, copy=False) for o in out]


def compute_heatmaps(
    model: nn.Module,
    target_layer: nn.Module | None,
    images: torch.Tensor,
    target: int,
    methods: Sequence[str] = METHODS,
    occlusion: Mapping[str, Any] | None = None,
) -> dict[str, np.ndarray]:
    """All requested heatmaps for the same images.

    Args:
        model, images, target: as in :func:`gradcam` / :func:`occlusion`.
        target_layer: the last conv block; required when ``"gradcam"`` is in ``methods``.
        methods: any of ``"gradcam"``, ``"occlusion"``.
        occlusion: keyword arguments of :func:`occlusion` (``window``, ``stride`` required;
            ``baseline``, ``batch_windows`` optional); required for ``"occlusion"``.

    Returns:
        ``{method: float32 (N, H, W) in [0, 1]}`` in the order of ``methods``.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown heatmap method(s) {unknown}; choose from {list(METHODS)}")
    maps: dict[str, np.ndarray] = {}
    for method in methods:
        if method == "gradcam":
            if target_layer is None:
                raise ValueError("gradcam needs target_layer (the model's last conv block)")
            maps[method] = gradcam(model, target_layer, images, target)
        else:
            params = dict(occlusion or {})
            missing = {"window", "stride"} - params.keys()
            if missing:
                raise ValueError(f"occlusion needs {sorted(missing)} (explain.occlusion in the config)")
            maps[method] = _occlusion(model, images, target, **params)
    return maps


# compute_heatmaps' keyword argument shadows the function inside its body.
_occlusion = occlusion


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"heatmap meta value {value!r} of type {type(value).__name__} is not JSON")


def save_heatmaps(
    path: str | os.PathLike,
    images: np.ndarray | torch.Tensor,
    maps: Mapping[str, np.ndarray],
    meta: Mapping[str, Any],
) -> None:
    """Write images, their heatmaps and metadata to one compressed ``.npz`` atomically.

    Args:
        path: output ``.npz`` file.
        images: the images to show under the maps, ``(N, 3, H, W)`` or ``(N, H, W, 3)``;
            display images in [0, 1] (or uint8) are best, normalised ones are min-max
            stretched for display by the figure code.
        maps: ``{method: (N, H, W)}``, e.g. from :func:`compute_heatmaps`.
        meta: JSON-serialisable dict (numpy values allowed). Per-image entries are lists of
            length N. The fig. 5 code reads ``test_set`` (list[str]), ``label`` (list[int]),
            ``index`` (list[int], position in its test set), ``class_names`` (list[str]),
            ``target`` (int); see :mod:`domrand.figures.heatmaps`.
    """
    images = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    n = len(images)
    arrays: dict[str, np.ndarray] = {_IMAGES_KEY: images}
    for method, m in maps.items():
        m = np.asarray(m, dtype=np.float32)
        if m.ndim != 3 or len(m) != n:
            raise ValueError(f"heatmap {method!r} has shape {m.shape}; expected ({n}, H, W)")
        arrays[_MAP_PREFIX + method] = m
    arrays[_META_KEY] = np.array(json.dumps(dict(meta), default=_json_default))
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def load_heatmaps(path: str | os.PathLike) -> dict[str, Any]:
    """Read a file written by :func:`save_heatmaps`.

    Returns:
        ``{"images": array, "maps": {method: float32 (N, H, W)}, "meta": dict}``.
    """
    with np.load(path, allow_pickle=False) as data:
        if _IMAGES_KEY not in data.files or _META_KEY not in data.files:
            raise ValueError(f"{path} is not a heatmap file written by save_heatmaps")
        return {
            "images": data[_IMAGES_KEY],
            "maps": {k[len(_MAP_PREFIX) :]: data[k] for k in data.files if k.startswith(_MAP_PREFIX)},
            "meta": json.loads(str(data[_META_KEY])),
        }


# Meta keys that hold one entry per image; concat_heatmaps joins these and requires every
# other meta key to agree across the parts.
PER_IMAGE_META = ("test_set", "label", "index", "path", "pred", "prob")


def concat_heatmaps(parts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Join loaded heatmap records of one model (e.g. one file per test set) into one.

    Images and maps are concatenated in order; meta keys in ``PER_IMAGE_META`` are
    concatenated; any other meta key must be equal in every part.
    """
    if not parts:
        raise ValueError("concat_heatmaps needs at least one record")
    methods = list(parts[0]["maps"])
    for part in parts[1:]:
        if list(part["maps"]) != methods:
            raise ValueError(f"records disagree on methods: {methods} vs {list(part['maps'])}")
    meta: dict[str, Any] = {}
    for key in dict.fromkeys(k for p in parts for k in p["meta"]):
        values = [p["meta"].get(key) for p in parts]
        if key in PER_IMAGE_META:
            for v, p in zip(values, parts):
                if not isinstance(v, list) or len(v) != len(p["images"]):
                    raise ValueError(f"meta {key!r} must list one entry per image in every part")
            meta[key] = [x for v in values for x in v]
        elif all(v == values[0] for v in values):
            meta[key] = values[0]
        else:
            raise ValueError(f"records disagree on meta {key!r}: {values}")
    return {
        "images": np.concatenate([np.asarray(p["images"]) for p in parts]),
        "maps": {m: np.concatenate([p["maps"][m] for p in parts]) for m in methods},
        "meta": meta,
    }
