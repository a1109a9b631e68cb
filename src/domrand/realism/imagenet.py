"""How photo-like a domain is, by an ImageNet classifier's own judgement.

Each test image goes through the full ImageNet-1k classifier (EfficientNet-Lite0 with its own
head, the default backbone's weights); an image counts as recognised when its top-5 holds a
class of its own family. The share recognised per domain and class answers "how photo-like is
this proxy?" with a number that does not depend on anything we trained.
"""

from __future__ import annotations

import pandas as pd
import torch

from domrand.data.index import read_index
from domrand.io import atomic_path
from domrand.train.backbones import load_backbone, normalise
from domrand.train.images import load_images

# ImageNet-1k class indices of each study class's family.
IMAGENET_FAMILIES = {
    "cat": tuple(range(281, 286)),  # tabby, tiger cat, Persian, Siamese, Egyptian cat
    "dog": tuple(range(151, 269)),  # the dog breeds, Chihuahua .. Mexican hairless
    "bicycle": (444, 671),  # bicycle-built-for-two, mountain bike
    # ambulance, beach wagon, cab, convertible, jeep, limousine, minivan, Model T, pickup,
    # racer, sports car, tow truck
    "car": (407, 436, 468, 511, 609, 627, 656, 661, 717, 751, 817, 864),
}


def recognised(top5: torch.Tensor, labels: list[str]) -> list[bool]:
    """Whether each row of top-5 class indices holds a class of that row's family."""
    return [bool(set(row.tolist()) & set(IMAGENET_FAMILIES[c])) for row, c in zip(top5, labels)]


def _top5_rows(net, paths: list, labels: list[str], input_size: int, device: str, log) -> pd.DataFrame:
    """(top5, recognised) of each image under the full ImageNet classifier `net`."""
    unknown = sorted(set(labels) - set(IMAGENET_FAMILIES))
    if unknown:
        raise ValueError(f"classes {unknown} have no ImageNet family in IMAGENET_FAMILIES")
    x = load_images([str(p) for p in paths], int(input_size), log)
    top5 = (
        torch.cat(
            [
                net.classify(
                    normalise(c.to(device).float().div(255), net.norm).contiguous(memory_format=torch.channels_last)
                )
                .topk(5, dim=1)
                .indices.cpu()
                for c in x.split(64)
            ]
        )
        if len(paths)
        else torch.empty((0, 5), dtype=torch.long)
    )
    return pd.DataFrame(
        {
            "path": [str(p) for p in paths],
            "label": labels,
            "top5": [" ".join(map(str, r.tolist())) for r in top5],
            "recognised": recognised(top5, labels),
        }
    )


def _classifier(weights_path, sha256: str, device: str):
    net = load_backbone("efficientnet_lite0", weights_path, sha256).to(device).eval()
    return net.to(memory_format=torch.channels_last)


@torch.inference_mode()
def measure_realism(
    test_indexes: list, weights_path, sha256: str, out_path, params: dict, device: str = "cpu", log=print
) -> pd.DataFrame:
    """Top-5 of the ImageNet classifier on up to params['images_per_class'] test images per
    class (index order) of each index; one row per image (path, label, top5, recognised).
    params: images_per_class, input_size."""
    net = _classifier(weights_path, sha256, device)
    parts = []
    for p in test_indexes:
        df = read_index(p, split="test")
        parts.append(df.groupby("label", sort=False).head(int(params["images_per_class"])))
    df = pd.concat(parts, ignore_index=True)
    out = _top5_rows(net, df["path"].tolist(), df["label"].tolist(), params["input_size"], device, log)
    with atomic_path(out_path) as tmp:
        out.to_parquet(tmp, index=False)
    for c, g in out.groupby("label", sort=False):
        log(f"{c}: {g['recognised'].mean():.1%} of {len(g)} images recognised in the ImageNet top-5")
    return out


@torch.inference_mode()
def measure_subject_realism(
    shard_dirs: list, weights_path, sha256: str, out_path, params: dict, device: str = "cpu", log=print
) -> pd.DataFrame:
    """Top-5 of the ImageNet classifier on every image of per-breed renders
    (:func:`domrand.render.shard.render_breeds`); one row per image (path, label, breed, top5,
    recognised). params: input_size."""
    net = _classifier(weights_path, sha256, device)
    meta = []
    for d in shard_dirs:
        m = pd.read_parquet(f"{d}/metadata.parquet")
        meta.append(pd.DataFrame({"path": [f"{d}/{f}" for f in m["file"]], "label": m["class"], "breed": m["breed"]}))
    meta = pd.concat(meta, ignore_index=True)
    out = _top5_rows(net, meta["path"].tolist(), meta["label"].tolist(), params["input_size"], device, log)
    out.insert(2, "breed", meta["breed"].to_numpy())
    with atomic_path(out_path) as tmp:
        out.to_parquet(tmp, index=False)
    for b, g in out.groupby("breed", sort=False):
        log(f"{b}: {g['recognised'].mean():.0%} of {len(g)} images recognised in the ImageNet top-5")
    return out
