"""Backbones: construction, weights loading and clear errors."""

from __future__ import annotations

import pytest
import torch

from domrand.train.backbones import BackboneError, Classifier, Head, SmallCNN, load_backbone, make_backbone


def test_small_cnn_feature_size_and_last_conv():
    net = SmallCNN().eval()
    f = net(torch.rand(2, 3, 64, 64))
    assert f.shape == (2, net.out_features) == (2, 512)
    assert net.last_conv is net.blocks[-1]


def test_unknown_backbone_names_the_choices(tmp_path):
    for fn in (lambda: make_backbone("nope"), lambda: load_backbone("nope", tmp_path / "missing.pt")):
        with pytest.raises(BackboneError, match=r"unknown backbone 'nope'.*small_cnn.*vgg16"):
            fn()


def test_load_backbone_round_trip(tmp_path, helpers):
    path = helpers.backbone(tmp_path / "w.pt", seed=3)
    net = load_backbone("small_cnn", path)
    saved = torch.load(path, weights_only=True)["state"]
    assert all(torch.equal(saved[k], v) for k, v in net.state_dict().items())


def test_load_backbone_accepts_a_bare_state_dict(tmp_path):
    torch.manual_seed(1)
    ref = SmallCNN()
    torch.save(ref.state_dict(), tmp_path / "bare.pt")
    net = load_backbone("small_cnn", tmp_path / "bare.pt")
    assert torch.equal(net.blocks[0][0].weight, ref.blocks[0][0].weight)


def test_weights_of_another_architecture_raise_a_clear_error(tmp_path, helpers):
    path = helpers.backbone(tmp_path / "narrow.pt", widths=(8, 8, 8, 8))
    with pytest.raises(BackboneError) as err:
        load_backbone("small_cnn", path)
    msg = str(err.value)
    assert str(path) in msg and "small_cnn" in msg and "model.backbone" in msg


def test_weights_of_another_model_entirely_raise(tmp_path):
    torch.save({"state": torch.nn.Linear(3, 2).state_dict()}, tmp_path / "linear.pt")
    with pytest.raises(BackboneError, match="do not match the small_cnn architecture"):
        load_backbone("small_cnn", tmp_path / "linear.pt")


def test_classifier_normalises_then_applies_backbone_and_head():
    torch.manual_seed(0)
    backbone, head = SmallCNN().eval(), Head(512, 3, 0.5).eval()
    clf = Classifier(backbone, head).eval()
    x = torch.rand(2, 3, 32, 32)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        torch.testing.assert_close(clf(x), head(backbone((x - mean) / std)))
    assert clf(x).shape == (2, 3)
