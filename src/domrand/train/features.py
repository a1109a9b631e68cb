"""Frozen-backbone features, computed once per image and augmented view.

A frozen backbone makes every epoch's forward pass through it redundant; the head trains on
stored features instead (on a CPU this is the difference between minutes and hours). Train-time augmentation is kept by storing `views` augmented views per training
image; epoch e trains on view e mod views.
"""

from __future__ import annotations

import time

import torch

from domrand.data.index import read_index
from domrand.io import atomic_path
from domrand.train.backbones import load_backbone, normalise
from domrand.train.images import augment, load_images


@torch.inference_mode()
def _embed(backbone, x_uint8, device, batch: int, aug=None, gen=None) -> torch.Tensor:
    """Features of x_uint8 (N, 3, S, S), float16, left on `device`.

    On CUDA nothing waits for the GPU until the end: batches come from pinned memory with
    non-blocking copies, and the features stay on the device until one copy back, so the
    host queues batch k+1 while the GPU still runs batch k (a per-batch `.cpu()` would
    synchronise every batch).
    """
    cuda = device.startswith("cuda")
    channels_last = cuda or getattr(backbone, "channels_last_on_cpu", False)
    out = []
    for chunk in x_uint8.split(batch):
        xb = chunk.to(device, non_blocking=cuda)
        xb = augment(xb, aug, gen) if aug is not None else xb.float().div_(255)
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=cuda):
            xb = normalise(xb, backbone.norm)
            if channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            out.append(backbone(xb).half())  # stored as float16
    return torch.cat(out)


def extract_features(
    index_path,
    backbone_name: str,
    backbone_path,
    out_path,
    params: dict,
    device: str = "cpu",
    batch: int = 256,
    log=print,
) -> None:
    """Features of every image of a dataset index: `views` augmented views of the train split,
    one plain view of the test split. params: input_size, views, augment, seed, and sha256 (the
    weights file's pin, checked on loading; None skips the check)."""
    torch.manual_seed(int(params["seed"]))
    net = load_backbone(backbone_name, backbone_path, params.get("sha256")).to(device).eval()
    if device.startswith("cuda") or getattr(net, "channels_last_on_cpu", False):
        net = net.to(memory_format=torch.channels_last)
    df = read_index(index_path)
    size = int(params["input_size"])
    gen = torch.Generator().manual_seed(int(params["seed"]))
    result = {"backbone": backbone_name, "params": params}
    for split in ("train", "test"):
        part = df[df["split"] == split].reset_index(drop=True)
        t0 = time.perf_counter()
        x = load_images(part["path"].tolist(), size, log)
        if device.startswith("cuda") and len(part):
            x = x.pin_memory()  # one host copy per split; lets every batch's upload run async
        if split == "train":
            # a domain without training images (toon) has a test split only: embed nothing
            views = (
                [_embed(net, x, device, batch, params["augment"], gen) for _ in range(int(params["views"]))]
                if len(part)
                else []
            )
            feats = torch.stack(views).cpu() if len(part) else torch.empty(0)
        else:
            feats = _embed(net, x, device, batch).cpu() if len(part) else torch.empty(0)
        n_img = len(part) * (int(params["views"]) if split == "train" else 1)
        log(f"{split}: {len(part)} images, {n_img} forward passes in {time.perf_counter() - t0:.1f} s")
        result[split] = feats
        result[f"{split}_labels"] = part["label"].tolist()
        result[f"{split}_paths"] = part["path"].tolist()
    with atomic_path(out_path) as tmp:
        torch.save(result, tmp)
