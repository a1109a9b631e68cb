"""The default backbone is a real ImageNet network: a photo of a cat is a cat to it, and its
weights file is pinned."""

import shutil

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from domrand.train.backbones import EfficientNetLite0, load_backbone
from domrand.train.weights import BackboneError, install_packaged_weights, packaged_weights_path

CONFIG_SHA256 = yaml.safe_load(open("config.yaml"))["model"]["sha256"]
IMAGENET_CATS = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat


def _photo(size: int) -> torch.Tensor:
    # chelsea.png, the photo of the cat Chelsea that the scikit-image wheel bundles: "No
    # copyright restrictions. CC0 by the photographer (Stefan van der Walt)" (skimage.data).
    # scikit-image is in the test extras (pyproject.toml): without it this test fails, it is not skipped.
    try:
        from skimage import data as skimage_data
    except ImportError as e:
        pytest.fail(f"scikit-image is missing from the test environment ({e}): pip install -e '.[test]'")
    img = Image.fromarray(skimage_data.chelsea()).resize((size, size), Image.BILINEAR)
    return torch.from_numpy(np.array(img)).permute(2, 0, 1).float().div(255)[None]


def test_imagenet_head_calls_a_real_cat_photo_a_cat():
    net = load_backbone("efficientnet_lite0", packaged_weights_path("efficientnet_lite0"), CONFIG_SHA256).eval()
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in net.norm)
    with torch.no_grad():
        logits = net.classify((_photo(224) - mean) / std)
    assert int(logits.argmax()) in IMAGENET_CATS
    assert net(torch.zeros(2, 3, 128, 128)).shape == (2, 1280)


def test_changed_weights_file_stops_naming_file_and_both_hashes(tmp_path):
    bad = tmp_path / "weights.pth"
    shutil.copyfile(packaged_weights_path("efficientnet_lite0"), bad)
    with open(bad, "ab") as f:
        f.write(b"\0")
    with pytest.raises(BackboneError) as err:
        load_backbone("efficientnet_lite0", bad, CONFIG_SHA256)
    msg = str(err.value)
    assert str(bad) in msg and CONFIG_SHA256 in msg and "model.sha256" in msg
    from pooch import file_hash

    assert file_hash(str(bad)) in msg


def test_install_checks_the_pin_before_copying(tmp_path):
    out = tmp_path / "efficientnet_lite0.pth"
    with pytest.raises(BackboneError):
        install_packaged_weights("efficientnet_lite0", out, "0" * 64, log=lambda m: None)
    assert not out.exists()
    install_packaged_weights("efficientnet_lite0", out, CONFIG_SHA256, log=lambda m: None)
    assert out.read_bytes() == packaged_weights_path("efficientnet_lite0").read_bytes()


def test_backbone_normalises_to_minus_one_one():
    assert EfficientNetLite0.norm == ((0.5,) * 3, (0.5,) * 3)


@pytest.mark.parametrize(
    "patch, key",
    [
        ({"model": {"sha256": None}}, "model.sha256"),
        ({"model": {"input_size": 100}}, "model.input_size"),
        ({"architectures": {"unfrozen": {"input_size": 48}}}, "architectures.unfrozen.input_size"),
    ],
)
def test_config_errors_for_the_packaged_backbone_name_the_key(patch, key):
    from domrand.config import ConfigError, deep_merge, validate_config

    cfg = deep_merge(yaml.safe_load(open("config.yaml")), patch)
    if cfg["model"].get("sha256") is None:
        del cfg["model"]["sha256"]
    with pytest.raises(ConfigError, match=f"config key {key}"):
        validate_config(cfg, "schemas/config.schema.yaml")


def test_realism_families_by_index_or_name_and_none_for_a_class_without_one():
    from domrand.realism.imagenet import IMAGENET_FAMILIES, class_families, recognised

    families = class_families({"horse": ["Sorrel", 603], "cat": [281]})
    assert families["horse"] == (339, 603) and families["cat"] == (281,)  # the config's over the default
    assert families["dog"] == IMAGENET_FAMILIES["dog"]
    top5 = torch.tensor([[339, 1, 2, 3, 4], [0, 1, 2, 3, 4], [339, 1, 2, 3, 4]])
    assert recognised(top5, ["horse", "horse", "crate"], families) == [True, False, None]
    with pytest.raises(ValueError, match=r"realism\.families\.horse: 'sorel'.*closest are \['sorrel'"):
        class_families({"horse": ["sorel"]})
