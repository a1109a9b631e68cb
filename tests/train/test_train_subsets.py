"""Heads on subsets and mixtures of cached features (figures 10 and 11)."""

from __future__ import annotations

import json

import pytest
import torch

from domrand.train.fit import train_head
from domrand.train.subsets import nested_subset, train_feature_head

PARAMS = {
    "seed": 3,
    "classes": ["cat", "dog"],
    "dropout": 0.3,
    "lr": 0.01,
    "epochs": 3,
    "batch_size": 8,
    "backbone": "small_cnn",
}


def test_nested_subset_is_nested_seeded_and_complete():
    small, large = nested_subset(100, 10, 0, "real/cat"), nested_subset(100, 50, 0, "real/cat")
    assert len(small) == 10 and len(large) == 50 and set(small) <= set(large)
    assert small == sorted(small) and len(set(large)) == 50
    assert nested_subset(100, 10, 1, "real/cat") != small  # each seed draws its own
    assert nested_subset(100, 10, 0, "real/dog") != small  # and each class
    assert nested_subset(100, 10, 0, "real/cat") == small  # reproducibly
    assert nested_subset(7, "all", 0, "x") == list(range(7)) and nested_subset(7, 0, 0, "x") == []
    with pytest.raises(ValueError):
        nested_subset(5, 6, 0, "x")


@pytest.fixture
def features(tmp_path, helpers):
    """Per-class feature files of a synthetic and a real set (different seeds, so different rows)."""
    out = {}
    for name, seed, n_train in (("synthetic", 0, 20), ("real", 1, 12)):
        out[name] = [
            helpers.features(tmp_path / f"{name}_{c}.pt", [c] * n_train, [c] * 6, seed=seed + 10 * i)
            for i, c in enumerate(("cat", "dog"))
        ]
    return out


def _weights(model_path):
    return torch.load(model_path, weights_only=False)["head"]


def test_no_real_images_gives_exactly_the_synthetic_trained_head(features, tmp_path):
    spec = {"train": {"synthetic": "all", "real": 0}, "test": ["real"], "keys": {}}
    got = train_feature_head(
        {"synthetic": features["synthetic"], "real": features["real"]},
        {"real": features["real"]},
        tmp_path / "mix.json",
        spec,
        PARAMS,
        log=lambda *_: None,
    )
    want = train_head(features["synthetic"], features["real"], tmp_path / "m", None, PARAMS, log=lambda *_: None)
    assert got["counts"] == {"synthetic": {"cat": 20, "dog": 20}, "real": {"cat": 0, "dog": 0}}
    assert [h["train_loss"] for h in got["history"]] == pytest.approx([h["train_loss"] for h in want], abs=0)
    assert got["history"][-1]["test_acc"] == got["tests"]["real"]["accuracy"] == want[-1]["test_acc"]
    assert json.loads((tmp_path / "mix.json").read_text())["tests"]["real"]["n"] == 12


def test_all_real_images_alone_give_exactly_the_real_trained_head(features, tmp_path):
    spec = {"train": {"real": "all"}, "test": ["real", "synthetic"], "keys": {}}
    got = train_feature_head(
        {"real": features["real"]},
        {"real": features["real"], "synthetic": features["synthetic"]},
        tmp_path / "r.json",
        spec,
        PARAMS,
        log=lambda *_: None,
    )
    want = train_head(features["real"], features["real"], tmp_path / "m", None, PARAMS, log=lambda *_: None)
    assert [h["train_loss"] for h in got["history"]] == pytest.approx([h["train_loss"] for h in want], abs=0)
    assert set(got["tests"]) == {"real", "synthetic"} and got["tests"]["synthetic"]["n"] == 12


def test_k_real_images_are_added_to_the_synthetic_set(features, tmp_path):
    spec = {"train": {"synthetic": "all", "real": 5}, "test": ["real"], "keys": {}}
    got = train_feature_head(
        {"synthetic": features["synthetic"], "real": features["real"]},
        {"real": features["real"]},
        tmp_path / "mix.json",
        spec,
        PARAMS,
        log=lambda *_: None,
    )
    assert got["counts"] == {"synthetic": {"cat": 20, "dog": 20}, "real": {"cat": 5, "dog": 5}}
    assert got["history"][0]["images_per_second"] > 0
    assert 0.0 <= got["tests"]["real"]["accuracy"] <= 1.0


def test_asking_for_more_images_than_there_are_names_the_config_key(features, tmp_path):
    spec = {"train": {"real": 13}, "test": ["real"], "keys": {"real": "beyond.real_counts"}}
    with pytest.raises(ValueError, match=r"config key beyond.real_counts: 13 real .* has only 12 cat images"):
        train_feature_head(
            {"real": features["real"]},
            {"real": features["real"]},
            tmp_path / "x.json",
            spec,
            PARAMS,
            log=lambda *_: None,
        )
    assert not (tmp_path / "x.json").exists()
