"""Tiny models with known explanations, built at test time (imported by the tests)."""

from __future__ import annotations

import torch
from torch import nn

SIZE = 32  # input side; the target block halves it


class FixedMask(nn.Module):
    """Zero every feature outside a fixed spatial region."""

    def __init__(self, mask: torch.Tensor):
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.mask


class RegionModel(nn.Module):
    """Two-class CNN whose class-0 logit depends only on one input region.

    block = conv(stride 2, positive weights) -> ReLU -> mask outside ``region`` (given in
    input pixels), so with non-negative inputs the class-0 logit rises with the region's
    brightness and ignores everything else; class 1 is its negative (pure counter-evidence).
    """

    def __init__(self, region: tuple[slice, slice], offset: float = 1.0):
        super().__init__()
        conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        gen = torch.Generator().manual_seed(0)
        with torch.no_grad():
            conv.weight.copy_(0.05 + 0.1 * torch.rand(conv.weight.shape, generator=gen))
            conv.bias.zero_()
        ys, xs = region
        mask = torch.zeros(1, 1, SIZE // 2, SIZE // 2)
        mask[..., ys.start // 2 : ys.stop // 2, xs.start // 2 : xs.stop // 2] = 1
        self.block = nn.Sequential(conv, nn.ReLU(), FixedMask(mask))
        self.n_units = int(mask.sum()) * conv.out_channels
        self.offset = offset

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.block(x).sum(dim=(1, 2, 3)) / self.n_units - self.offset
        return torch.stack([s, -s], dim=1)


class ConstantModel(nn.Module):
    """Logits that do not depend on the input, though the conv block is still in the graph."""

    def __init__(self):
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
        self.register_buffer("logits", torch.tensor([1.0, -1.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits + 0.0 * self.block(x).sum(dim=(1, 2, 3))[:, None]


class SmallCNN(nn.Module):
    """An ordinary random CNN with BatchNorm and dropout, for shape and mode checks."""

    def __init__(self, n_classes: int = 2):
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.5), nn.Linear(8, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.block(x))
