"""Config helpers: deep_merge, variant generators, schema validation with key paths in errors."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from domrand.config import (ConfigError, deep_merge, domain_generator, load_config, validate_config,
                            variant_generator)

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas" / "config.schema.yaml"


@pytest.fixture
def config() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())


# -- load_config ------------------------------------------------------------------------

def test_load_config_merges_configs_over_the_default_in_order(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    paper = load_config("configs/paper.yaml")
    default = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert paper["model"]["backbone"] == "vgg16" and paper["model"]["input_size"] == 224
    assert paper["training"]["views"] == 10
    assert paper["training"]["augment"] == default["training"]["augment"]  # only in config.yaml
    assert load_config("config.yaml") == load_config() == default
    later = tmp_path / "later.yaml"
    later.write_text("training: {views: 3}\n")
    assert load_config("configs/paper.yaml", later)["training"]["views"] == 3


def test_load_config_names_a_missing_config_file(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    with pytest.raises(ConfigError, match="configs/papr.yaml"):
        load_config("configs/papr.yaml")
    assert load_config(base=tmp_path / "none.yaml") == {}  # no workflow default: nothing to merge


# -- deep_merge -------------------------------------------------------------------------

def test_deep_merge_merges_nested_dicts_and_patch_wins_on_leaves():
    base = {"a": {"x": 1, "y": 2}, "b": 3}
    out = deep_merge(base, {"a": {"y": 20, "z": 30}, "c": 4})
    assert out == {"a": {"x": 1, "y": 20, "z": 30}, "b": 3, "c": 4}


def test_deep_merge_replaces_lists_and_non_dicts_whole():
    base = {"r": [1, 2], "d": {"k": 1}, "s": "text"}
    out = deep_merge(base, {"r": [5], "d": 7, "s": {"now": "dict"}})
    assert out == {"r": [5], "d": 7, "s": {"now": "dict"}}


def test_deep_merge_does_not_mutate_or_alias_its_inputs():
    base = {"a": {"x": [1, 2]}}
    patch = {"b": {"y": [3]}}
    base_before, patch_before = copy.deepcopy(base), copy.deepcopy(patch)
    out = deep_merge(base, patch)
    out["a"]["x"].append(99)
    out["b"]["y"].append(99)
    assert base == base_before and patch == patch_before


@pytest.mark.parametrize("patch", [None, {}])
def test_deep_merge_with_empty_patch_is_an_equal_copy(patch):
    base = {"a": {"x": 1}}
    out = deep_merge(base, patch)
    assert out == base and out is not base and out["a"] is not base["a"]


# -- variant and domain generators ------------------------------------------------------

def test_variant_generator_applies_only_the_variants_patch(config):
    control = variant_generator(config, "control")
    assert control == config["generator"]
    no_light = variant_generator(config, "no_lighting")
    assert no_light["lighting"]["random"] is False
    assert no_light["lighting"]["intensity"] == config["generator"]["lighting"]["intensity"]
    no_light["lighting"]["random"] = True
    assert no_light == control


def test_variant_generator_unknown_variant_names_the_key(config):
    with pytest.raises(KeyError, match="variants"):
        variant_generator(config, "nope")


def test_domain_generator_patches_the_control(config):
    toon = domain_generator(config, "toon")
    assert toon["style"]["shading"] == "toon"
    assert toon["subject"]["heldout"] == "toon"
    assert toon["camera"]["yfov"] == config["generator"]["camera"]["yfov"]


# -- validate_config --------------------------------------------------------------------

def test_validate_config_accepts_the_default_config(config):
    validate_config(config, SCHEMA)


def _set(cfg: dict, dotted: str, value) -> dict:
    *parents, leaf = dotted.split(".")
    d = cfg
    for k in parents:
        d = d.setdefault(k, {})
    d[leaf] = value
    return cfg


@pytest.mark.parametrize("key, value, named", [
    ("world.bogus", 1, "world"),
    ("render.image_size", "big", "render.image_size"),
    ("world.breeds", 0, "world.breeds"),
    ("variants.no_lighting.lighting.bogus", True, "variants.no_lighting.lighting"),
    ("generator.camera.elevation", [2], "generator.camera.elevation"),
    ("training.augment.zoom", [0.8, 1.5], "training.augment.zoom"),
])
def test_validate_config_errors_name_the_key_path(config, key, value, named):
    _set(config, key, value)
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    msg = str(err.value)
    assert f"config key {named}" in msg
    if key.endswith("bogus"):
        assert "bogus" in msg  # additionalProperties names the unexpected key


def test_validate_config_missing_required_key(config):
    del config["generator"]["lighting"]["ambient"]
    with pytest.raises(ConfigError, match="ambient"):
        validate_config(config, SCHEMA)


def test_validate_config_figures_synthetic_must_name_a_variant(config):
    config["figures"]["synthetic"] = "synth_missing"
    with pytest.raises(ConfigError, match=r"figures\.synthetic.*synth_missing"):
        validate_config(config, SCHEMA)


def test_validate_config_task_classes_must_be_in_the_world(config):
    config["world"]["classes"] = ["cat", "dog"]
    with pytest.raises(ConfigError, match=r"tasks\.plus_bicycle.*bicycle"):
        validate_config(config, SCHEMA)
