"""Known-answer tests for GradCAM and occlusion maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from domrand.explain.heatmaps import (
    compute_heatmaps,
    concat_heatmaps,
    gradcam,
    load_heatmaps,
    occlusion,
    save_heatmaps,
)
from helpers.explain_models import SIZE, ConstantModel, RegionModel, SmallCNN

H = SIZE // 2
REGIONS = {
    "top-left": (slice(0, H), slice(0, H)),
    "bottom-left": (slice(H, SIZE), slice(0, H)),
    "right-strip": (slice(8, 24), slice(24, 32)),
}

# The occlusion window averages a pixel with its neighbours' windows, so a narrow region
# (8 px) keeps only ~80% of the occlusion mass strictly inside; GradCAM keeps ~94%.
MIN_MASS_INSIDE = {"gradcam": 0.9, "occlusion": 0.75}


def _inside(region, y, x, margin=0):
    ys, xs = region
    return ys.start - margin <= y < ys.stop + margin and xs.start - margin <= x < xs.stop + margin


def _region_mask(region, margin=0):
    ys, xs = region
    m = np.zeros((SIZE, SIZE), dtype=bool)
    m[max(ys.start - margin, 0) : ys.stop + margin, max(xs.start - margin, 0) : xs.stop + margin] = True
    return m


def _all_maps(model, images, target):
    return {
        "gradcam": gradcam(model, model.block, images, target),
        "occlusion": occlusion(model, images, target, window=4, stride=2),
    }


@pytest.mark.parametrize("name", list(REGIONS))
def test_peak_lies_in_the_only_region_the_class_uses(name, images):
    region = REGIONS[name]
    model = RegionModel(region)
    for method, maps in _all_maps(model, images, target=0).items():
        assert maps.shape == (len(images), SIZE, SIZE) and maps.dtype == np.float32
        for m in maps:
            y, x = np.unravel_index(np.argmax(m), m.shape)
            assert _inside(region, y, x), f"{method} peak at {(y, x)} outside {name}"
            assert m.max() == pytest.approx(1.0) and m.min() >= 0
            # The stride-2 conv's receptive field (1 px), bilinear upsampling (GradCAM) and
            # the 4 px window (occlusion) spill a little past the border; nothing further
            # away may light up, and most of the mass must be inside.
            assert np.all(m[~_region_mask(region, margin=4)] == 0), method
            assert m[_region_mask(region)].sum() > MIN_MASS_INSIDE[method] * m.sum(), method


def test_counter_evidence_gives_zero_maps(images):
    # Class 1 only loses when the region brightens: no positive evidence anywhere.
    model = RegionModel(REGIONS["top-left"])
    for method, maps in _all_maps(model, images, target=1).items():
        assert np.all(maps == 0), method


def test_constant_model_gives_flat_zero_maps(images):
    model = ConstantModel()
    for method, maps in _all_maps(model, images, target=0).items():
        assert maps.shape == (len(images), SIZE, SIZE)
        assert np.all(np.isfinite(maps)), method
        assert np.all(maps == 0), method


@pytest.mark.parametrize("batch_windows", [1, 7, 500])
def test_occlusion_batched_equals_unbatched(batch_windows, images):
    # float64: in float32 the conv kernels CPU torch picks depend on batch size, which
    # moves logits by ~1e-6 and would test the BLAS instead of the batching logic.
    model, x = SmallCNN().double(), images[:2].double()
    ref = occlusion(model, x, target=1, window=6, stride=3, batch_windows=1)
    got = occlusion(model, x, target=1, window=6, stride=3, batch_windows=batch_windows)
    np.testing.assert_allclose(got, ref, atol=1e-6)


def test_gradcam_batch_size_and_no_grad_context_do_not_matter(images):
    model = SmallCNN()
    ref = gradcam(model, model.block, images, target=0, batch_size=len(images))
    with torch.no_grad():
        got = gradcam(model, model.block, images, target=0, batch_size=3)
    np.testing.assert_allclose(got, ref, atol=1e-6)


def test_non_square_images_and_train_mode_restored():
    model = SmallCNN().train()
    x = torch.randn(2, 3, 20, 28, generator=torch.Generator().manual_seed(2))
    maps = compute_heatmaps(model, model.block, x, target=0, occlusion=dict(window=5, stride=3))
    assert list(maps) == ["gradcam", "occlusion"]
    for m in maps.values():
        assert m.shape == (2, 20, 28)
        assert 0 <= m.min() and m.max() <= 1
    assert model.training, "the caller's train mode must be restored"
    # Explanations are computed in eval mode, so dropout cannot make them random.
    again = compute_heatmaps(model, model.block, x, target=0, occlusion=dict(window=5, stride=3))
    for k in maps:
        np.testing.assert_allclose(again[k], maps[k], atol=1e-6)


def test_compute_heatmaps_argument_errors(images):
    model = SmallCNN()
    with pytest.raises(ValueError, match="unknown heatmap method"):
        compute_heatmaps(model, model.block, images, 0, methods=("lime",))
    with pytest.raises(ValueError, match="window"):
        compute_heatmaps(model, model.block, images, 0, methods=("occlusion",), occlusion={})
    with pytest.raises(ValueError, match="target_layer"):
        compute_heatmaps(model, None, images, 0, methods=("gradcam",))
    with pytest.raises(ValueError, match="stride"):
        occlusion(model, images, 0, window=4, stride=5)
    with pytest.raises(ValueError, match="larger than the images"):
        occlusion(model, images, 0, window=64, stride=4)
    with pytest.raises(ValueError, match="N, C, H, W"):
        gradcam(model, model.block, images[0], 0)


def test_npz_round_trip_is_exact_and_atomic(tmp_path, images):
    maps = {
        "gradcam": np.random.default_rng(0).random((4, SIZE, SIZE), dtype=np.float32),
        "occlusion": np.zeros((4, SIZE, SIZE), np.float32),
    }
    meta = {
        "test_set": ["real"] * 4,
        "label": np.array([0, 0, 1, 1]),
        "index": [0, 1, 0, 1],
        "class_names": ["cat", "dog"],
        "target": np.int64(0),
        "model": "real/vgg/seed0",
    }
    path = tmp_path / "sub" / "heatmaps.npz"
    save_heatmaps(path, images, maps, meta)
    assert sorted(p.name for p in path.parent.iterdir()) == ["heatmaps.npz"]
    rec = load_heatmaps(path)
    np.testing.assert_array_equal(rec["images"], images.numpy())
    assert list(rec["maps"]) == ["gradcam", "occlusion"]
    for k in maps:
        np.testing.assert_array_equal(rec["maps"][k], maps[k])
    assert rec["meta"] == {**meta, "label": [0, 0, 1, 1], "target": 0}

    # A failed write leaves the previous file intact and no temp file behind.
    with pytest.raises(TypeError, match="not JSON"):
        save_heatmaps(path, images, maps, {"bad": object()})
    with pytest.raises(ValueError, match="expected"):
        save_heatmaps(path, images, {"gradcam": maps["gradcam"][:2]}, meta)
    assert sorted(p.name for p in path.parent.iterdir()) == ["heatmaps.npz"]
    np.testing.assert_array_equal(load_heatmaps(path)["maps"]["gradcam"], maps["gradcam"])


def test_concat_heatmaps_joins_per_image_meta():
    def part(test_set, n):
        return {
            "images": np.zeros((n, 3, 4, 4)),
            "maps": {"gradcam": np.ones((n, 4, 4))},
            "meta": {"test_set": [test_set] * n, "label": [0] * n, "class_names": ["cat", "dog"]},
        }

    rec = concat_heatmaps([part("real", 2), part("synthetic", 2)])
    assert rec["images"].shape == (4, 3, 4, 4) and rec["maps"]["gradcam"].shape == (4, 4, 4)
    assert rec["meta"]["test_set"] == ["real", "real", "synthetic", "synthetic"]
    assert rec["meta"]["label"] == [0, 0, 0, 0]
    assert rec["meta"]["class_names"] == ["cat", "dog"]
    bad = part("synthetic", 2)
    bad["meta"]["class_names"] = ["dog", "cat"]
    with pytest.raises(ValueError, match="class_names"):
        concat_heatmaps([part("real", 2), bad])
