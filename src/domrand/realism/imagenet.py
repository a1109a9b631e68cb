"""How photo-like a domain is, by an ImageNet classifier's own judgement.

Each test image goes through the full ImageNet-1k classifier (EfficientNet-Lite0 with its own
head, the default backbone's weights); an image counts as recognised when its top-5 holds a
class of its own family. The share recognised per domain and class answers "how photo-like is
this proxy?" with a number that does not depend on anything we trained.
"""

from __future__ import annotations

import difflib

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


def class_families(families: dict | None = None) -> dict[str, tuple[int, ...]]:
    """ImageNet-1k indices of each class's family: :data:`IMAGENET_FAMILIES` with the config's
    ``realism.families`` over it, each entry an index (0-999) or an ImageNet class name (as
    torchvision's list spells it, any case: ``"sorrel"``, ``"tiger cat"``). ValueError naming the
    key and the closest names for a name ImageNet does not have."""
    from torchvision.models._meta import _IMAGENET_CATEGORIES as names

    index = {n.lower(): i for i, n in enumerate(names)}
    out = dict(IMAGENET_FAMILIES)
    for cls, entries in (families or {}).items():
        ids = []
        for e in entries:
            if isinstance(e, str) and e.lower() not in index:
                close = difflib.get_close_matches(e.lower(), list(index), n=5, cutoff=0.5)
                raise ValueError(
                    f"config key realism.families.{cls}: {e!r} is not an ImageNet-1k class name"
                    + (f"; the closest are {[names[index[c]] for c in close]}" if close else "")
                    + " (or give its index, 0-999)"
                )
            ids.append(index[e.lower()] if isinstance(e, str) else int(e))
        out[cls] = tuple(ids)
    return out


def recognised(top5: torch.Tensor, labels: list[str], families: dict | None = None) -> list[bool | None]:
    """Whether each row of top-5 class indices holds a class of that row's family (``families``:
    class -> ImageNet indices, default :data:`IMAGENET_FAMILIES`); None for a class without one."""
    families = IMAGENET_FAMILIES if families is None else families
    return [bool(set(row.tolist()) & set(families[c])) if c in families else None for row, c in zip(top5, labels)]


def _top5_rows(net, paths: list, labels: list[str], params: dict, device: str, log) -> pd.DataFrame:
    """(top5, recognised) of each image under the full ImageNet classifier `net`; recognised is
    None for a class with no ImageNet family (logged, never guessed)."""
    families = class_families(params.get("families"))
    for c in sorted(set(labels) - set(families)):
        log(f"{c}: no ImageNet family (realism.families.{c}): its images are scored, not judged")
    input_size = params["input_size"]
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
            "recognised": recognised(top5, labels, families),
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
    params: images_per_class, input_size, families (realism.families, optional)."""
    net = _classifier(weights_path, sha256, device)
    parts = []
    for p in test_indexes:
        df = read_index(p, split="test")
        parts.append(df.groupby("label", sort=False).head(int(params["images_per_class"])))
    df = pd.concat(parts, ignore_index=True)
    out = _top5_rows(net, df["path"].tolist(), df["label"].tolist(), params, device, log)
    with atomic_path(out_path) as tmp:
        out.to_parquet(tmp, index=False)
    for c, g in out.groupby("label", sort=False):
        if g["recognised"].notna().all():
            log(f"{c}: {g['recognised'].mean():.1%} of {len(g)} images recognised in the ImageNet top-5")
    return out


@torch.inference_mode()
def measure_subject_realism(
    shard_dirs: list, weights_path, sha256: str, out_path, params: dict, device: str = "cpu", log=print
) -> pd.DataFrame:
    """Top-5 of the ImageNet classifier on every image of per-breed renders
    (:func:`domrand.render.shard.render_breeds`); one row per image (path, label, breed, top5,
    recognised). params: input_size, families (realism.families, optional)."""
    net = _classifier(weights_path, sha256, device)
    meta = []
    for d in shard_dirs:
        m = pd.read_parquet(f"{d}/metadata.parquet")
        meta.append(pd.DataFrame({"path": [f"{d}/{f}" for f in m["file"]], "label": m["class"], "breed": m["breed"]}))
    meta = pd.concat(meta, ignore_index=True)
    out = _top5_rows(net, meta["path"].tolist(), meta["label"].tolist(), params, device, log)
    out.insert(2, "breed", meta["breed"].to_numpy())
    with atomic_path(out_path) as tmp:
        out.to_parquet(tmp, index=False)
    for b, g in out.groupby("breed", sort=False):
        if g["recognised"].notna().all():
            log(f"{b}: {g['recognised'].mean():.0%} of {len(g)} images recognised in the ImageNet top-5")
    return out
