"""Feature extraction: the GPU-friendly path (pinned memory, non-blocking uploads, one copy
back) computes exactly the features of the plain per-batch implementation it replaced."""

from __future__ import annotations

import pytest
import torch

from domrand.data.index import read_index
from domrand.train.backbones import load_backbone, normalise
from domrand.train.features import extract_features
from domrand.train.images import augment, load_images

AUG = {"zoom": [0.8, 1.0], "rotation": 10, "flip": True, "brightness": 0.2}


# The implementation before the change (commit ef7273c), copied verbatim but for the names:
# every batch uploaded with a blocking copy and its features copied back with `.cpu()`.
@torch.inference_mode()
def _embed_before(backbone, x_uint8, device, batch: int, aug=None, gen=None) -> torch.Tensor:
    out = []
    for chunk in x_uint8.split(batch):
        xb = chunk.to(device)
        xb = augment(xb, aug, gen) if aug is not None else xb.float().div_(255)
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda")):
            out.append(backbone(normalise(xb)).half().cpu())
    return torch.cat(out)


def _features_before(index_path, backbone_name, backbone_path, params, device="cpu", batch=256) -> dict:
    torch.manual_seed(int(params["seed"]))
    net = load_backbone(backbone_name, backbone_path).to(device).eval()
    if device.startswith("cuda"):
        net = net.to(memory_format=torch.channels_last)
    df = read_index(index_path)
    size = int(params["input_size"])
    gen = torch.Generator().manual_seed(int(params["seed"]))
    result = {"backbone": backbone_name, "params": params}
    for split in ("train", "test"):
        part = df[df["split"] == split].reset_index(drop=True)
        x = load_images(part["path"].tolist(), size)
        if split == "train":
            views = [_embed_before(net, x, device, batch, params["augment"], gen) for _ in range(int(params["views"]))]
            feats = torch.stack(views) if len(part) else torch.empty(0)
        else:
            feats = _embed_before(net, x, device, batch) if len(part) else torch.empty(0)
        result[split] = feats
        result[f"{split}_labels"] = part["label"].tolist()
        result[f"{split}_paths"] = part["path"].tolist()
    return result


def _compare(tmp_path, helpers, device: str) -> None:
    # 7 train images in batches of 3: two full batches and a partial one, per view
    rows = [("cat", "train")] * 4 + [("dog", "train")] * 3 + [("cat", "test"), ("dog", "test")] * 2
    index = helpers.image_index(tmp_path / "d", rows)
    backbone = helpers.backbone(tmp_path / "bb.pt")
    params = {"seed": 3, "input_size": 32, "views": 3, "augment": AUG}
    want = _features_before(index, "small_cnn", backbone, params, device=device, batch=3)
    out = tmp_path / "feats.pt"
    extract_features(index, "small_cnn", backbone, out, params, device=device, batch=3, log=lambda *_: None)
    got = torch.load(out, weights_only=False)
    assert got.keys() == want.keys()
    for split in ("train", "test"):
        assert got[split].device.type == "cpu" and got[split].dtype == torch.float16
        assert got[split].shape == want[split].shape
        # byte-identical, not merely close
        assert torch.equal(got[split].view(torch.int16), want[split].view(torch.int16)), split
        assert got[f"{split}_labels"] == want[f"{split}_labels"]
        assert got[f"{split}_paths"] == want[f"{split}_paths"]
    assert got["train"].shape == (3, 7, 512) and not torch.equal(got["train"][0], got["train"][1])


def test_features_are_byte_identical_to_the_per_batch_implementation(tmp_path, helpers):
    _compare(tmp_path, helpers, "cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_features_on_cuda_match_the_per_batch_implementation(tmp_path, helpers, monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", True)
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    _compare(tmp_path, helpers, "cuda")


def test_a_domain_without_training_images_gets_test_features_only(tmp_path, helpers):
    # the toon domain: test images only
    index = helpers.image_index(tmp_path / "d", [("cat", "test"), ("dog", "test")])
    backbone = helpers.backbone(tmp_path / "bb.pt")
    out = tmp_path / "feats.pt"
    extract_features(
        index,
        "small_cnn",
        backbone,
        out,
        {"seed": 0, "input_size": 32, "views": 2, "augment": AUG},
        log=lambda *_: None,
    )
    got = torch.load(out, weights_only=False)
    assert got["train"].numel() == 0 and got["train_labels"] == []
    assert got["test"].shape == (2, 512) and got["test_labels"] == ["cat", "dog"]
