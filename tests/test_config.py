"""Config helpers: deep_merge, variant generators, schema validation with key paths in errors."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from domrand.config import (
    ConfigError,
    deep_merge,
    domain_generator,
    drop_nulls,
    load_config,
    read_config_file,
    validate_config,
    variant_generator,
)
from domrand.config import main as config_main

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


@pytest.mark.parametrize(
    "key, value, named",
    [
        ("world.bogus", 1, "world"),
        ("render.image_size", "big", "render.image_size"),
        ("world.breeds", 0, "world.breeds"),
        ("variants.no_lighting.lighting.bogus", True, "variants.no_lighting.lighting"),
        ("generator.camera.elevation", [2], "generator.camera.elevation"),
        ("training.augment.zoom", [0.8, 1.5], "training.augment.zoom"),
    ],
)
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


def test_validate_config_figure_models_name_a_variant_or_best(config):
    config["figures"]["models"] = {"fig7": "best", "fig8": "synth_no_poses"}
    validate_config(config, SCHEMA)
    config["figures"]["models"]["fig8"] = "synth_missing"
    with pytest.raises(ConfigError, match=r"figures\.models\.fig8.*synth_missing"):
        validate_config(config, SCHEMA)
    config["figures"]["models"] = {"fig4": "best"}  # figure 4 is every variant: no model to choose
    with pytest.raises(ConfigError, match="fig4"):
        validate_config(config, SCHEMA)


def test_validate_config_task_classes_must_be_in_the_world(config):
    config["world"]["classes"] = ["cat", "dog"]
    with pytest.raises(ConfigError, match=r"tasks\.plus_bicycle.*bicycle"):
        validate_config(config, SCHEMA)


# -- classes that are not built in ------------------------------------------------------


def _own_classes(config: dict, tmp_path, monkeypatch) -> dict:
    """The default config turned into a horse-vs-cow study from local meshes, proxy domains
    included (2 meshes of each held out per proxy pool)."""
    monkeypatch.chdir(tmp_path)
    for c in ("horse", "cow"):
        (tmp_path / c).mkdir()
    config["world"]["classes"] = ["horse", "cow"]
    config["world"]["subjects"] = {
        c: {"meshes": [{"path": c}], "heldout": {"real": 2, "toon": 2}} for c in ("horse", "cow")
    }
    config["synth"]["classes"] = config["tasks"]["cat_dog"] = ["horse", "cow"]
    del config["tasks"]["plus_bicycle"], config["tasks"]["plus_car"]
    config["explain"]["target"] = "horse"
    return config


def test_classes_that_are_not_built_in_validate(config, tmp_path, monkeypatch):
    validate_config(_own_classes(config, tmp_path, monkeypatch), SCHEMA)


def test_a_class_without_subjects_names_the_key_to_add(config, tmp_path, monkeypatch):
    config = _own_classes(config, tmp_path, monkeypatch)
    del config["world"]["subjects"]["cow"]
    with pytest.raises(ConfigError, match=r"config key world\.subjects\.cow: class 'cow' is not built in.*meshes"):
        validate_config(config, SCHEMA)


@pytest.mark.parametrize(
    "key, value, named",
    [
        (
            "tasks.cat_dog",
            ["horse", "cwo"],
            r"tasks\.cat_dog: classes \['cwo'\] are not in world\.classes \['horse', 'cow'\]",
        ),
        ("realism.families", {"hrose": [339]}, r"realism\.families\.hrose: classes \['hrose'\]"),
        ("world.classes", ["horse", "Cow"], r"world\.classes\.1: 'Cow' does not match"),
    ],
)
def test_a_typod_class_names_the_known_classes(config, tmp_path, monkeypatch, key, value, named):
    with pytest.raises(ConfigError, match=named):
        validate_config(_set(_own_classes(config, tmp_path, monkeypatch), key, value), SCHEMA)


def test_a_typod_source_class_names_the_known_classes(config, tmp_path, monkeypatch):
    config = _own_classes(config, tmp_path, monkeypatch)
    src = {"adapter": "folder", "path": "horse", "classes": ["horse", "cows"]}
    config["domains"]["real"]["sources"] = {"mine": src}
    with pytest.raises(ConfigError, match=r"domains\.real\.sources\.mine\.classes: classes \['cows'\]"):
        validate_config(config, SCHEMA)
    src["classes"] = ["horse", "cow"]
    validate_config(config, SCHEMA)
    config["domains"]["real"]["sources"] = {"pets": {**src, "adapter": "oxford_pet"}}
    with pytest.raises(ConfigError, match=r"oxford_pet adapter has only \['cat', 'dog'\]"):
        validate_config(config, SCHEMA)


def test_a_proxy_domain_needs_held_out_meshes_of_each_class(config, tmp_path, monkeypatch):
    config = _own_classes(config, tmp_path, monkeypatch)
    config["world"]["subjects"]["cow"]["heldout"] = {"real": 2}
    with pytest.raises(ConfigError, match=r"world\.subjects\.cow\.heldout\.toon: the proxy domain 'toon'"):
        validate_config(config, SCHEMA)
    config["world"]["subjects"]["cow"]["heldout"] = {"real": 2, "painting": 1}
    with pytest.raises(ConfigError, match=r"world\.subjects\.cow\.heldout: pools \['painting'\]"):
        validate_config(config, SCHEMA)


def test_a_study_with_a_proxy_domain_must_say_proxy(config):
    config["proxy"] = False
    with pytest.raises(ConfigError, match=r"config key proxy: false, but domains\.real is rendered"):
        validate_config(config, SCHEMA)


def test_objaverse_objects_of_a_class_need_its_lvis_categories(config, tmp_path, monkeypatch):
    config = _own_classes(config, tmp_path, monkeypatch)
    config["world"]["subjects"]["cow"]["meshes"] = [{"objaverse": True}]
    with pytest.raises(ConfigError, match=r"config key objaverse\.categories\.cow"):
        validate_config(config, SCHEMA)
    config["objaverse"] = {"categories": {"cow": ["cow"]}}
    validate_config(config, SCHEMA)


# -- ranges, local paths, YAML syntax, null removes -------------------------------------


@pytest.mark.parametrize(
    "key, value",
    [
        ("generator.camera.distance", [1.6, 0.9]),  # the control generator
        ("generator.obstructors.count", [4, 1]),
        ("variants.no_lighting.lighting.intensity", [4.0, 2.0]),  # a variant's patch
        ("domains.real.generator.style.blur", [1.5, 0.5]),  # a proxy domain's generator
        ("training.augment.zoom", [1.0, 0.8]),  # an augmentation
    ],
)
def test_reversed_range_names_its_key(config, key, value):
    _set(config, key, value)
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    assert f"config key {key}: {value} is a range [low, high] with low > high" in str(err.value)


def test_equal_bounds_and_directions_are_not_reversed_ranges(config):
    _set(config, "generator.camera.distance", [1.2, 1.2])
    _set(config, "generator.lighting.default_direction", [60, 45])  # azimuth, elevation: any order
    validate_config(config, SCHEMA)


def test_missing_source_path_names_its_key(config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config["domains"]["real"]["sources"] = {
        "mine": {
            "adapter": "folder",
            "path": "data/pets",
            "classes": sorted({c for t in config["tasks"].values() for c in t}),
        }
    }
    with pytest.raises(
        ConfigError,
        match=r"config key domains\.real\.sources\.mine\.path: 'data/pets' "
        r"does not exist .*" + str(tmp_path),
    ):
        validate_config(config, SCHEMA)
    (tmp_path / "data/pets").mkdir(parents=True)
    validate_config(config, SCHEMA)


def test_missing_mesh_path_names_its_key(config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config["world"]["subjects"] = {"cat": {"meshes": [{"path": "meshes/cat.glb"}]}}
    with pytest.raises(ConfigError, match=r"config key world\.subjects\.cat\.meshes\.0\.path: 'meshes/cat.glb'"):
        validate_config(config, SCHEMA)


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("world:\n  breeds: 3\n bad: [1, 2\n")
    with pytest.raises(ConfigError, match=rf"config file {bad}, line 3, column 2: not valid YAML"):
        read_config_file(bad)
    with pytest.raises(ConfigError, match=rf"config file {bad}, line 3"):
        load_config(bad, base=tmp_path / "none.yaml")


def test_config_check_command_reports_a_configfile_yaml_error(tmp_path, capsys):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("seed: 1\n")
    bad.write_text("tasks: {cat_dog: [cat, dog]\n")
    assert config_main(["results/fig4_ablation.png", "--configfile", str(good), "--cores", "2"]) == 0
    assert config_main(["--configfile", str(good), str(bad), "--cores", "2"]) == 2
    assert f"config file {bad}, line 2" in capsys.readouterr().err


def test_null_in_an_override_removes_the_entry(config, tmp_path):
    override = tmp_path / "only_cats_and_dogs.yaml"
    override.write_text("tasks: {plus_bicycle: null, plus_car: null}\n")
    merged = load_config(override, base=ROOT / "config.yaml")
    assert merged["tasks"] == {"cat_dog": ["cat", "dog"]}
    validate_config(merged, SCHEMA)
    cfg = deep_merge(config, {"tasks": {"plus_car": None}, "world": {"subjects": None}})
    assert drop_nulls(cfg) == ["world.subjects", "tasks.plus_car"] and "plus_car" not in cfg["tasks"]


@pytest.mark.parametrize(
    "key, needed_by",
    [
        ("domains.toon", "figures 6 and 7"),
        ("architectures.unfrozen", "figure 3"),
        ("tasks.cat_dog", "figures 2 to 8"),
    ],
)
def test_removing_an_entry_a_figure_needs_names_the_key_and_figure(config, key, needed_by):
    section, entry = key.split(".")
    cfg = deep_merge(config, {section: {entry: None}})
    with pytest.raises(ConfigError, match=rf"config key {key}: an override set it to null .*{needed_by}"):
        validate_config(cfg, SCHEMA, removed=drop_nulls(cfg))
