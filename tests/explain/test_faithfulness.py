"""Faithfulness checks with known answers: a model that reads one region, maps that point
elsewhere, a method that ignores the model, and the summary table's intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from domrand.explain.faithfulness import (
    CURVE_COLUMNS,
    SANITY_COLUMNS,
    blurred,
    deletion_insertion,
    faithfulness,
    randomised_copy,
    rank_correlation,
    shifted_maps,
)
from domrand.explain.heatmaps import compute_heatmaps, occlusion, occlusion_models
from domrand.figures.heatmaps import summarize_faithfulness
from domrand.train.backbones import Classifier, Head, SmallCNN
from helpers.explain_models import SIZE, ConstantModel, RegionModel

REGION = (slice(0, SIZE // 2), slice(0, SIZE // 2))  # top-left quadrant
ELSEWHERE = (slice(SIZE // 2, SIZE), slice(SIZE // 2, SIZE))  # bottom-right quadrant


def _indicator(region, n, noise=0.0, seed=0):
    m = np.zeros((n, SIZE, SIZE), np.float32)
    m[:, region[0], region[1]] = 1.0
    return m + noise * np.random.default_rng(seed).random(m.shape).astype(np.float32)


@pytest.fixture
def many_images():
    return torch.rand(24, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(2))


def _summary(curves, sanity=None):
    sanity = sanity if sanity is not None else pd.DataFrame(columns=list(SANITY_COLUMNS))
    return summarize_faithfulness(curves, sanity, 0.5).set_index(["method", "baseline", "measure"])


def test_true_map_beats_shifted_and_scattered_random_maps_on_deletion(many_images):
    """The model reads only the top-left quadrant: deleting it first kills the class fastest."""
    model = RegionModel(REGION, offset=0.3)
    n = len(many_images)
    true = _indicator(REGION, n)
    maps = {
        "true": true,
        "true_shifted": shifted_maps(true, 0),
        "random": np.random.default_rng(1).random((n, SIZE, SIZE)).astype(np.float32),
    }
    df = deletion_insertion(model, many_images, maps, 0, steps=8, baselines=("black",), seed=0)
    assert list(df.columns) == list(CURVE_COLUMNS) and len(df) == 3 * n
    auc = df[df["map"] == "map"].pivot(index="image", columns="method", values="deletion_auc")
    assert (auc["true"] < auc["random"]).all()
    s = _summary(df[df["method"] == "true"])
    assert s.loc[("true", "black", "deletion_gain"), "verdict"] == "beats shifted"
    assert s.loc[("true", "black", "deletion_gain"), "ci_low"] > 0
    assert s.loc[("true", "black", "insertion_gain"), "verdict"] == "beats shifted"
    assert s.loc[("true", "black", "deletion_gain"), "p_value"] < 0.01


def test_a_map_that_points_elsewhere_fails(many_images):
    """A map of the quadrant the model ignores does not beat its own shifted copy."""
    model = RegionModel(REGION, offset=0.3)
    wrong = _indicator(ELSEWHERE, len(many_images))
    df = deletion_insertion(
        model,
        many_images,
        {"wrong": wrong, "wrong_shifted": shifted_maps(wrong, 0)},
        0,
        steps=8,
        baselines=("black",),
        seed=0,
    )
    s = _summary(df)
    assert s.loc[("wrong", "black", "deletion_gain"), "verdict"] != "beats shifted"
    assert s.loc[("wrong", "black", "deletion_gain"), "mean"] < 0


def test_occlusion_maps_of_the_region_model_pass_on_black_and_blur(many_images):
    """The real method on a model that reads texture in one region (the blur baseline must
    remove evidence too, so the model reads local contrast, not brightness)."""

    class Contrast(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mask = torch.zeros(1, 1, SIZE, SIZE)
            self.mask[..., REGION[0], REGION[1]] = 1

        def forward(self, x):
            detail = (x - blurred(x, 1.0)).abs().mean(1, keepdim=True)
            s = 20 * ((detail * self.mask).sum((1, 2, 3)) / self.mask.sum() - 0.05)
            return torch.stack([s, -s], 1)

    model = Contrast()
    maps = compute_heatmaps(model, None, many_images, 0, methods=("occlusion",), occlusion={"window": 8, "stride": 8})
    maps["occlusion_shifted"] = shifted_maps(maps["occlusion"], 0)
    df = deletion_insertion(model, many_images, maps, 0, steps=8, seed=0)
    s = _summary(df)
    for baseline in ("black", "blur"):
        assert s.loc[("occlusion", baseline, "deletion_gain"), "verdict"] == "beats shifted", baseline


def test_curve_end_points_and_a_constant_model(many_images):
    model = ConstantModel()
    maps = {"m": _indicator(REGION, len(many_images))}
    df = deletion_insertion(model, many_images, maps, 0, steps=4, seed=0)
    p = float(torch.softmax(torch.tensor([1.0, -1.0]), 0)[0])
    # Nothing the deletion does changes the probability: both areas are p exactly.
    assert np.allclose(df[["deletion_auc", "insertion_auc", "prob_original", "prob_baseline"]], p, atol=1e-6)
    assert set(df["baseline"]) == {"black", "blur"}


def test_curves_seeded_and_batch_size_free(many_images):
    model = RegionModel(REGION, offset=0.3)
    maps = {"flat": np.zeros((len(many_images), SIZE, SIZE), np.float32)}  # all ties: order at random
    a = deletion_insertion(model, many_images, maps, 0, steps=5, seed=3, batch_size=7)
    b = deletion_insertion(model, many_images, maps, 0, steps=5, seed=np.random.default_rng(3), batch_size=64)
    c = deletion_insertion(model, many_images, maps, 0, steps=5, seed=4)
    pd.testing.assert_frame_equal(a, b, check_exact=False, atol=1e-6)
    assert not np.allclose(a["deletion_auc"], c["deletion_auc"])
    with pytest.raises(ValueError, match="steps must be >= 2"):
        deletion_insertion(model, many_images, maps, 0, steps=1)
    with pytest.raises(ValueError, match="expected"):
        deletion_insertion(model, many_images, {"m": maps["flat"][:2]}, 0)
    with pytest.raises(ValueError, match="unknown deletion baseline"):
        deletion_insertion(model, many_images, maps, 0, baselines=("grey",))


def test_shifted_maps_keep_structure_and_move_it():
    m = _indicator(REGION, 5)
    s = shifted_maps(m, 0)
    assert s.shape == m.shape and np.allclose(np.sort(s.ravel()), np.sort(m.ravel()))
    for a, b in zip(m, s):
        assert (a * b).sum() < a.sum()  # no longer on top of the original


def _classifier(seed=0):
    torch.manual_seed(seed)
    backbone = SmallCNN(widths=(4, 8, 8, 8))
    return Classifier(backbone, Head(backbone.out_features, 2, 0.0)).eval()


def test_randomised_copy_changes_the_head_and_only_the_head_unless_asked():
    clf = _classifier()
    before = {k: v.clone() for k, v in clf.state_dict().items()}
    rand = randomised_copy(clf, seed=1)
    assert rand.backbone is clf.backbone
    assert not torch.equal(rand.head.net[0].weight, clf.head.net[0].weight)
    full = randomised_copy(clf, seed=1, backbone=True)
    assert full.backbone is not clf.backbone
    assert not torch.equal(full.backbone.blocks[0][0].weight, clf.backbone.blocks[0][0].weight)
    assert all(torch.equal(before[k], v) for k, v in clf.state_dict().items())  # the original is untouched
    again = randomised_copy(clf, seed=1)
    assert torch.equal(again.head.net[0].weight, rand.head.net[0].weight)


def test_occlusion_of_models_sharing_a_backbone_equals_each_alone(many_images):
    clf = _classifier()
    rand = randomised_copy(clf, seed=1)
    x = many_images[:3]
    a, b = occlusion_models([clf, rand], x, [0, 1, 0], window=8, stride=4, batch_windows=5)
    np.testing.assert_allclose(a, occlusion(clf, x, [0, 1, 0], window=8, stride=4), atol=1e-5)
    np.testing.assert_allclose(b, occlusion(rand, x, [0, 1, 0], window=8, stride=4), atol=1e-5)


def test_sanity_check_flags_a_method_that_ignores_the_model(many_images):
    """An 'explanation' that is the image's own brightness is the same for any weights: the
    check fails it. The real methods on a classifier and its randomised copy change: they pass."""
    clf = _classifier()  # faithfulness() makes the randomised copy itself
    x = many_images[:12]
    brightness = x.mean(1).numpy()
    fake = pd.DataFrame(
        [(i, 0, "brightness", "head", rank_correlation(brightness[i], brightness[i])) for i in range(len(x))],
        columns=list(SANITY_COLUMNS),
    )
    curves, sanity = faithfulness(
        clf, clf.backbone.last_conv, x, [0] * len(x), {"window": 8, "stride": 8}, steps=3, seed=0
    )
    s = summarize_faithfulness(curves, pd.concat([sanity, fake]), 0.5).set_index(["method", "measure"])
    assert s.loc[("brightness", "rank_corr"), "verdict"] == "fails"
    assert s.loc[("brightness", "rank_corr"), "mean"] == pytest.approx(1.0)
    assert s.loc[("occlusion", "rank_corr"), "verdict"] == "passes"
    assert sanity["rank_corr"].between(-1, 1).all() and set(sanity["randomised"]) == {"head"}
    assert set(curves["map"]) == {"map", "shifted"} and set(curves["method"]) == {"gradcam", "occlusion"}


def test_rank_correlation_known_answers():
    a = np.arange(16.0).reshape(4, 4)
    assert rank_correlation(a, a) == pytest.approx(1.0)
    assert rank_correlation(a, -a) == pytest.approx(-1.0)
    assert rank_correlation(a, np.zeros_like(a)) == 0.0
