"""Image loading, labels and batched augmentation."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from domrand.train.images import augment, labels_for, load_images

CFG = {"zoom": [0.8, 1.0], "rotation": 10, "flip": True, "brightness": 0.2}
IDENTITY = {"zoom": [1.0, 1.0], "rotation": 0, "flip": False, "brightness": 0.0}


@pytest.fixture
def batch():
    return torch.randint(0, 256, (6, 3, 20, 20), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def test_augment_keeps_shape_and_range(batch):
    out = augment(batch, CFG, torch.Generator().manual_seed(1))
    assert out.shape == batch.shape and out.dtype == torch.float32
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_augment_is_deterministic_with_the_same_generator(batch):
    a = augment(batch, CFG, torch.Generator().manual_seed(1))
    b = augment(batch, CFG, torch.Generator().manual_seed(1))
    c = augment(batch, CFG, torch.Generator().manual_seed(2))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_augment_advances_the_generator(batch):
    g = torch.Generator().manual_seed(1)
    assert not torch.equal(augment(batch, CFG, g), augment(batch, CFG, g))


def test_augment_identity_config_returns_the_image(batch):
    out = augment(batch, IDENTITY, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, batch.float() / 255, atol=1e-5, rtol=0)


def test_augment_accepts_float_input_as_uint8_over_255(batch):
    a = augment(batch, CFG, torch.Generator().manual_seed(3))
    b = augment(batch.float() / 255, CFG, torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)


def test_augment_brightness_only_scales_pixels():
    x = torch.full((32, 3, 8, 8), 0.5)
    out = augment(x, {**IDENTITY, "brightness": 0.2}, torch.Generator().manual_seed(0))
    per_image = out.flatten(1)
    assert torch.allclose(per_image, per_image[:, :1].expand_as(per_image))  # uniform per image
    assert per_image[:, 0].min() >= 0.5 * 0.8 - 1e-6 and per_image[:, 0].max() <= 0.5 * 1.2 + 1e-6
    assert per_image[:, 0].std() > 0.01


def test_augment_flip_mirrors_some_images_horizontally():
    x = torch.zeros(16, 3, 8, 8)
    x[..., :4] = 1.0  # left half bright
    out = augment(x, {**IDENTITY, "flip": True}, torch.Generator().manual_seed(0))
    left = out[..., :4].mean(dim=(1, 2, 3))
    flipped = left < 0.5
    assert 0 < int(flipped.sum()) < 16
    torch.testing.assert_close(out[flipped], x[flipped].flip(-1), atol=1e-5, rtol=0)
    torch.testing.assert_close(out[~flipped], x[~flipped], atol=1e-5, rtol=0)


def test_load_images_resizes_to_uint8_tensor(tmp_path, helpers):
    from domrand.data.index import read_index

    index = helpers.image_index(tmp_path, [("cat", "train"), ("dog", "test")], size=20)
    df = read_index(index)
    x = load_images(df["path"].tolist(), 16)
    assert x.shape == (2, 3, 16, 16) and x.dtype == torch.uint8
    # the red cat and the blue dog keep their colours
    means = x.float().mean(dim=(2, 3))
    cat = df.index[df["label"] == "cat"][0]
    dog = df.index[df["label"] == "dog"][0]
    assert means[cat, 0] > means[cat, 2] and means[dog, 2] > means[dog, 0]


def test_labels_for_uses_the_class_order_and_rejects_unknowns():
    df = pd.DataFrame({"label": ["dog", "cat", "dog"]})
    assert labels_for(df, ["cat", "dog"]).tolist() == [1, 0, 1]
    assert labels_for(df, ["dog", "cat"]).tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match="car"):
        labels_for(pd.DataFrame({"label": ["car"]}), ["cat", "dog"])


def test_load_images_gives_the_same_tensor_on_any_number_of_threads(tmp_path, helpers):
    from domrand.data.index import read_index

    rows = [("cat", "train"), ("dog", "train"), ("cat", "test"), ("dog", "test")] * 3
    paths = read_index(helpers.image_index(tmp_path, rows, size=20))["path"].tolist()
    one = load_images(paths, 16, threads=1)
    assert torch.equal(one, load_images(paths, 16, threads=4))
    assert len({bytes(one[i].numpy()) for i in range(len(paths))}) > 2  # the images differ
