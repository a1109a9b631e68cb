"""Fixtures for the training tests: feature files, small JPEG datasets, backbone weights."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from domrand.data.index import write_index

CLASS_COLOURS = {"cat": (200, 60, 40), "dog": (40, 60, 200), "bicycle": (40, 200, 60), "car": (200, 200, 40)}


def write_features(
    path: Path, labels_train, labels_test, views: int = 2, dim: int = 16, seed: int = 0, sep: float = 2.0
) -> Path:
    """A feature file in the format of `features.extract_features`: class k's features are
    Gaussian around +sep (cat) or -sep (other classes) on the first axes, so linearly separable."""
    g = torch.Generator().manual_seed(seed)
    centre = {c: torch.zeros(dim) for c in CLASS_COLOURS}
    for k, c in enumerate(CLASS_COLOURS):
        centre[c][k % dim] = sep

    def draw(labels):
        return (
            torch.stack([centre[c] + 0.5 * torch.randn(dim, generator=g) for c in labels])
            if labels
            else torch.empty(0, dim)
        )

    train = torch.stack([draw(labels_train) for _ in range(views)]).half()
    test = draw(labels_test).half()
    torch.save(
        {
            "backbone": "small_cnn",
            "params": {},
            "train": train,
            "train_labels": list(labels_train),
            "train_paths": [f"t{i}.jpg" for i in range(len(labels_train))],
            "test": test,
            "test_labels": list(labels_test),
            "test_paths": [f"e{i}.jpg" for i in range(len(labels_test))],
        },
        path,
    )
    return path


def write_image_index(root: Path, rows: list[tuple[str, str]], size: int = 24, seed: int = 0) -> Path:
    """JPEGs coloured by class (plus noise) and their dataset index; rows: (label, split)."""
    rng = np.random.default_rng(seed)
    recs = []
    for i, (label, split) in enumerate(rows):
        base = np.array(CLASS_COLOURS[label], float)
        img = np.clip(base + rng.normal(0, 20, (size, size, 3)), 0, 255).astype(np.uint8)
        p = root / "img" / f"{label}_{split}_{i}.jpg"
        p.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(p, quality=95)
        recs.append({"path": str(p), "label": label, "split": split, "source": "test", "domain": "synthetic"})
    return write_index(pd.DataFrame(recs), root / "index.parquet")


def save_backbone(path: Path, seed: int = 0, **kwargs) -> Path:
    from domrand.train.backbones import SmallCNN

    torch.manual_seed(seed)
    net = SmallCNN(**kwargs)
    torch.save({"state": net.state_dict()}, path)
    return path


@pytest.fixture
def helpers() -> SimpleNamespace:
    return SimpleNamespace(features=write_features, image_index=write_image_index, backbone=save_backbone)


@pytest.fixture(autouse=True)
def _few_threads():
    """Tiny models: thread start-up costs more than it saves, and the suite shares 2 cores."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
