"""Shared fixtures for the heatmap tests."""

from __future__ import annotations

import pytest
import torch

from helpers.explain_models import SIZE


@pytest.fixture
def images() -> torch.Tensor:
    return torch.rand(4, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))
