"""Image loading and train-time augmentation on uint8 tensors.

Every image is decoded once into a (N, 3, S, S) uint8 tensor; augmentation is a batched,
per-sample random affine warp (crop/zoom, flip, small rotation) plus brightness, so it runs
the same on CPU and GPU without a per-image Python loop.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from PIL import Image


def _decode(path, size: int) -> np.ndarray:
    with Image.open(path) as im:
        im = im.convert("RGB")
        if im.size != (size, size):
            im = im.resize((size, size), Image.BILINEAR)
        return np.array(im)


def load_images(paths, size: int, log=None, threads: int | None = None) -> torch.Tensor:
    """Decode and resize images to a (N, 3, size, size) uint8 tensor.

    Decoding runs on `threads` threads (default: the job's, domrand.train.device.decode_threads;
    Pillow releases the GIL while it decodes); the result does not depend on their number.
    """
    from domrand.train.device import decode_threads

    paths = list(paths)
    out = torch.empty((len(paths), 3, size, size), dtype=torch.uint8)
    threads = max(1, threads or decode_threads())
    with ThreadPoolExecutor(threads) as pool:
        for i, arr in enumerate(pool.map(lambda p: _decode(p, size), paths)):
            out[i] = torch.from_numpy(arr).permute(2, 0, 1)
            if log and (i + 1) % 2000 == 0:
                log(f"decoded {i + 1}/{len(paths)} images")
    return out


def labels_for(df: pd.DataFrame, classes: list[str]) -> torch.Tensor:
    """Integer labels of an index's rows in the order of `classes`."""
    unknown = sorted(set(df["label"]) - set(classes))
    if unknown:
        raise ValueError(f"labels {unknown} are not among the model's classes {classes}")
    return torch.tensor([classes.index(c) for c in df["label"]], dtype=torch.long)


def augment(x: torch.Tensor, cfg: dict, gen: torch.Generator) -> torch.Tensor:
    """Random crop/zoom, horizontal flip, rotation and brightness, per sample.

    x: uint8 or float (N, 3, S, S); returns float in [0, 1]. cfg: zoom [lo, hi] (scale of the
    crop side), rotation (max degrees), flip (bool), brightness (max relative change).
    """
    x = x.float() / 255.0 if x.dtype == torch.uint8 else x
    n = x.shape[0]
    dev = x.device

    def u(lo, hi):
        return torch.rand(n, generator=gen).mul(hi - lo).add(lo)

    zoom = u(*cfg["zoom"])
    ang = u(-cfg["rotation"], cfg["rotation"]) * (math.pi / 180)
    shift = 1 - zoom
    tx, ty = u(-1, 1) * shift, u(-1, 1) * shift
    flip = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0) if cfg["flip"] else torch.ones(n)
    cos, sin = torch.cos(ang) * zoom, torch.sin(ang) * zoom
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    grid = F.affine_grid(theta.to(dev, non_blocking=True), list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    b = u(1 - cfg["brightness"], 1 + cfg["brightness"]).to(dev, non_blocking=True).view(n, 1, 1, 1)
    return (out * b).clamp_(0, 1)
