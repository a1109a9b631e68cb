"""Feature extractors ("backbones") and the paper's classifier head.

A backbone maps normalised images (N, 3, S, S) to flat features (N, F) and names its last
convolutional block (the GradCAM layer). `small_cnn` is the embedded world's backbone,
pretrained by the workflow on a procedural task; `vgg16` is torchvision's VGG-16 whose
ImageNet weights come from a pinned file.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
BACKBONES = ("small_cnn", "vgg16")


class BackboneError(ValueError):
    pass


class SmallCNN(nn.Module):
    """Four conv blocks (conv-BN-ReLU-maxpool), then a 2x2 average pool: F = 4 * widths[-1]."""

    def __init__(self, widths=(32, 64, 128, 128)):
        super().__init__()
        blocks, c = [], 3
        for w in widths:
            blocks.append(nn.Sequential(nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w),
                                        nn.ReLU(inplace=True), nn.MaxPool2d(2)))
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


def make_backbone(name: str) -> nn.Module:
    if name == "small_cnn":
        return SmallCNN()
    if name == "vgg16":
        return VGG16Features()
    raise BackboneError(f"unknown backbone {name!r} (model.backbone): use one of {BACKBONES}")


def load_backbone(name: str, path: Path) -> nn.Module:
    """A backbone with weights from `path` (our .pt with a 'state' dict, or a torchvision VGG-16 .pth)."""
    net = make_backbone(name)
    obj = torch.load(path, map_location="cpu", weights_only=True)
    state = obj.get("state", obj) if isinstance(obj, dict) else obj
    if name == "vgg16" and any(k.startswith("classifier.") for k in state):
        state = {k: v for k, v in state.items() if k.startswith("features.")}
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise BackboneError(
            f"weights in {path} do not match the {name} architecture ({str(exc).splitlines()[0]}); "
            f"check model.backbone and the weights file it points to") from exc
    return net


class Head(nn.Module):
    """The paper's head: dense 128 + ReLU + dropout + dense to classes (softmax in the loss)."""

    def __init__(self, in_features: int, n_classes: int, dropout: float, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(inplace=True),
                                 nn.Dropout(dropout), nn.Linear(hidden, n_classes))

    def forward(self, f):
        return self.net(f)


class Classifier(nn.Module):
    """Normalisation + backbone + head; takes float images in [0, 1]."""

    def __init__(self, backbone: nn.Module, head: Head):
        super().__init__()
        self.backbone, self.head = backbone, head
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))

    def forward(self, x):
        return self.head(self.backbone((x - self.mean) / self.std))


def normalise(x: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std
