"""Figures 9-12's plan: breed-count variants generated from the config (reusing identical
ones), the heads on cached features, and the range checks on the `beyond` lists."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from domrand.config import ConfigError, deep_merge, load_config, validate_config, variant_generator
from domrand.experiments import breed_scaling, breed_variants, feature_heads

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def test_default_breed_counts_reuse_identical_variants_and_derive_the_others(config):
    entries = breed_scaling(config)
    assert [(e["count"], e["dataset"], e["variant"]) for e in entries] == [
        (1, "synth_no_breeds", None),  # no_breeds: {subject: {breeds: 1}} is the same generator
        (2, "synth_breeds2", "breeds2"),
        (4, "synth_breeds4", "breeds4"),
        ("all", "synth_control", None),
    ]
    derived = breed_variants(config)
    assert list(derived) == ["breeds2", "breeds4"]
    control = variant_generator(config, "control")
    for n in (2, 4):
        # The control generator with exactly one change: the breed count.
        assert derived[f"breeds{n}"] == deep_merge(control, {"subject": {"breeds": n}})
        assert derived[f"breeds{n}"] != control
        assert {k: v for k, v in derived[f"breeds{n}"].items() if k != "subject"} == {
            k: v for k, v in control.items() if k != "subject"
        }


def test_a_count_is_rendered_when_no_variant_has_its_generator(config):
    del config["variants"]["no_breeds"]
    entries = breed_scaling(config)
    assert entries[0] == {"count": 1, "dataset": "synth_breeds1", "variant": "breeds1"}
    # A changed control changes every derived variant with it (and keeps none reusable).
    config["variants"]["control"] = {"lighting": {"random": False}}
    assert breed_variants(config)["breeds2"]["lighting"]["random"] is False
    assert breed_scaling(config)[-1]["dataset"] == "synth_control"


def test_the_base_is_the_figures_synthetic_variant(config):
    config["figures"]["synthetic"] = "synth_no_skies"
    entries = {e["count"]: e for e in breed_scaling(config)}
    assert entries["all"]["dataset"] == "synth_no_skies"
    assert entries[1]["dataset"] == "synth_breeds1"  # no_breeds has skies: not the same generator
    assert breed_variants(config)["breeds2"]["sky"]["mode"] == "plain"


def test_a_user_variant_named_like_a_derived_one_is_an_error(config):
    config["variants"]["breeds2"] = {"sky": {"mode": "plain"}}
    with pytest.raises(ConfigError, match=r"config key beyond.breed_counts: .*'breeds2'.*variants.breeds2"):
        breed_scaling(config)


@pytest.mark.parametrize(
    "key, values, match",
    [
        ("breed_counts", [1, 13], r"beyond.breed_counts: \[13\] outside 1..12"),
        ("breed_counts", [2, 2], r"beyond.breed_counts: .* twice"),
        ("real_counts", [0, 500], r"beyond.real_counts: \[500\] outside 0..400"),
        ("synthetic_counts", [401, "all"], r"beyond.synthetic_counts: \[401\] outside 1..400"),
    ],
)
def test_counts_beyond_what_the_config_renders_are_errors(config, key, values, match):
    config["beyond"][key] = values
    with pytest.raises(ConfigError, match=match):
        feature_heads(config)


def test_feature_heads_of_the_default_config(config):
    heads = feature_heads(config)
    assert sorted(h for h in heads if h.startswith("mix_")) == sorted(f"mix_k{k}" for k in (0, 10, 50, 100, "all"))
    # k = 0 real images alone is no training set: no head.
    assert sorted(h for h in heads if h.startswith("real_")) == sorted(f"real_k{k}" for k in (10, 50, 100, "all"))
    assert heads["mix_k10"]["train"] == {"synthetic": "all", "real": 10}
    assert list(heads["mix_k10"]["train"]) == ["synthetic", "real"]  # training order
    assert heads["real_k50"]["train"] == {"real": 50} and heads["real_k50"]["test"] == ["real"]
    assert heads["size_n25"] == {
        "train": {"synthetic": 25},
        "test": ["real", "synthetic"],
        "keys": {"synthetic": "beyond.synthetic_counts"},
    }


@pytest.mark.parametrize(
    "configfile", [None, "configs/ci.yaml", "configs/paper.yaml", "configs/examples/farm_animals.yaml"]
)
def test_every_shipped_config_has_a_valid_plan(configfile, monkeypatch):
    monkeypatch.chdir(ROOT)
    cfg = load_config(*([configfile] if configfile else []))
    validate_config(copy.deepcopy(cfg), ROOT / "schemas/config.schema.yaml")
    entries = breed_scaling(cfg)
    assert entries[-1]["dataset"] == cfg["figures"]["synthetic"]  # "all" is the synthetic set itself
    assert feature_heads(cfg)


def test_schema_rejects_a_bad_count(config):
    config["beyond"]["real_counts"] = [0, "most"]
    with pytest.raises(ConfigError, match="config key beyond.real_counts.1"):
        validate_config(config, ROOT / "schemas/config.schema.yaml")
