"""Deletion check: known answers on the region model and the t-interval summary."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from domrand.explain.faithfulness import (
    RESULT_COLUMNS,
    deletion_check,
    summarize_faithfulness,
    t_quantile,
)
from domrand.explain.heatmaps import compute_heatmaps
from explain_models import SIZE, ConstantModel, RegionModel

REGION = (slice(SIZE // 2, SIZE), slice(0, SIZE // 2))


@pytest.fixture
def region_case(images):
    model = RegionModel(REGION)
    maps = compute_heatmaps(model, model.block, images, 0, occlusion=dict(window=4, stride=2))
    return model, images, maps


def test_faithful_maps_remove_more_than_random_pixels(region_case):
    model, images, maps = region_case
    df = deletion_check(model, images, maps, target=0, q=0.1, k=4, seed=0)
    assert list(df.columns) == list(RESULT_COLUMNS)
    assert len(df) == len(images) * 2 and set(df["method"]) == {"gradcam", "occlusion"}
    assert (df["n_removed"] == math.ceil(0.1 * SIZE * SIZE)).all()
    # Probabilities stay away from 0/1 so drops are measurable, not saturated.
    assert df["prob_original"].between(0.2, 0.95).all()
    assert (df["drop_top"] > df["drop_random"]).all()
    assert (df["drop_top"] > 0).all()
    np.testing.assert_allclose(df["drop_top"], df["prob_original"] - df["prob_top_removed"])
    # Random draws are shared by the methods of one image: a paired comparison.
    assert (df.groupby("image")["prob_random_removed"].nunique() == 1).all()

    summary = summarize_faithfulness(df)
    assert list(summary["method"]) == ["gradcam", "occlusion"]
    assert (summary["gap"] > 0).all() and (summary["gap_ci_low"] > 0).all()
    assert (summary["n_images"] == len(images)).all()


def test_seeded_and_reproducible(region_case):
    model, images, maps = region_case
    a = deletion_check(model, images, maps, 0, seed=3)
    b = deletion_check(model, images, maps, 0, seed=np.random.default_rng(3))
    c = deletion_check(model, images, maps, 0, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["prob_random_removed"], c["prob_random_removed"])


def test_batch_size_does_not_change_results(region_case):
    model, images, maps = region_case
    a = deletion_check(model.double(), images.double(), maps, 0, batch_size=5)
    b = deletion_check(model, images.double(), maps, 0, batch_size=1000)
    pd.testing.assert_frame_equal(a, b)


def test_removing_all_region_pixels_gives_known_probability(images):
    # q = 1 removes every pixel: the region model then sees the baseline image, whose
    # class-0 logit is -offset, so the probability is sigmoid(-2 * offset) exactly.
    model = RegionModel(REGION, offset=0.5)
    maps = {"ones": np.ones((len(images), SIZE, SIZE))}
    df = deletion_check(model, images, maps, target=0, q=1.0, k=1)
    expected = 1 / (1 + math.exp(2 * 0.5))
    np.testing.assert_allclose(df["prob_top_removed"], expected, rtol=1e-6)
    np.testing.assert_allclose(df["prob_random_removed"], expected, rtol=1e-6)


def test_constant_model_has_no_drop(images):
    model = ConstantModel()
    maps = {"zeros": np.zeros((len(images), SIZE, SIZE), np.float32)}
    df = deletion_check(model, images, maps, target=0)
    np.testing.assert_allclose(df[["drop_top", "drop_random"]].to_numpy(), 0, atol=1e-7)


def test_bad_arguments(region_case):
    model, images, maps = region_case
    with pytest.raises(ValueError, match="expected"):
        deletion_check(model, images, {"gradcam": maps["gradcam"][:, :8]}, 0)
    with pytest.raises(ValueError, match="q"):
        deletion_check(model, images, maps, 0, q=0)
    with pytest.raises(ValueError, match="k"):
        deletion_check(model, images, maps, 0, k=0)


def test_summary_t_interval_by_hand():
    df = pd.DataFrame(
        {
            "method": ["m"] * 3 + ["single"],
            "drop_top": [1.0, 2.0, 3.0, 0.5],
            "drop_random": [0.0, 0.0, 0.0, 0.25],
        }
    )
    s = summarize_faithfulness(df).set_index("method")
    # diffs 1, 2, 3: mean 2, sd 1, se 1/sqrt(3), t(0.975, df=2) = 4.302653
    half = 4.302652729 / math.sqrt(3)
    assert s.loc["m", "gap"] == pytest.approx(2.0)
    assert s.loc["m", "gap_ci_low"] == pytest.approx(2 - half, abs=1e-6)
    assert s.loc["m", "gap_ci_high"] == pytest.approx(2 + half, abs=1e-6)
    assert s.loc["m", "mean_drop_top"] == 2.0 and s.loc["m", "mean_drop_random"] == 0.0
    assert s.loc["single", "gap"] == 0.25 and math.isnan(s.loc["single", "gap_ci_low"])


@pytest.mark.parametrize(
    "p,df,expected",
    [
        (0.975, 1, 12.70620474),
        (0.975, 2, 4.30265273),
        (0.975, 10, 2.22813885),
        (0.975, 100, 1.98397152),
        (0.995, 3, 5.84090931),
        (0.05, 7, -1.89457861),
        (0.5, 4, 0.0),
    ],
)
def test_t_quantile_matches_tables(p, df, expected):
    assert t_quantile(p, df) == pytest.approx(expected, abs=1e-6)
