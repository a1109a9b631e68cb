"""The study's plan (domrand.plan) on small configs with known answers: datasets, classes,
images per class, per-seed training sets, shards, figure models and the work of each job.

(tests/workflow/test_plan_dag.py checks the plan against the params of every job of a dry
run of the shipped configs.)"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from domrand.config import load_config
from domrand.plan import BEST, FIGURE_ARCH, FIGURE_TASK, Plan, dataset_variant, is_synthetic, variant_dataset

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config() -> dict:
    """Two variants, figure 9's counts 1 (= no_breeds), 2 (derived: breeds2) and all (= control),
    a rendered real and toon domain and a sourced, balanced one (photos); 30 + 10 synthetic
    images per class, shards of 25, seeds 0, 1, 2."""
    c = yaml.safe_load((ROOT / "config.yaml").read_text())
    c["variants"] = {"control": {}, "no_breeds": {"subject": {"breeds": 1}}}
    c["world"]["breeds"] = 4
    c["beyond"] = {
        "breed_counts": [1, 2, "all"],
        "real_counts": [0, 5],
        "synthetic_counts": [5, "all"],
        "parameter_bins": 3,
    }
    c["synth"] = {"classes": ["cat", "dog"], "train_per_class": 30, "test_per_class": 10}
    c["domains"]["real"].update(train_per_class=40, test_per_class=20)
    c["domains"]["toon"].update(train_per_class=0, test_per_class=15)
    c["domains"]["photos"] = {
        "train_per_class": 8,
        "test_per_class": 4,
        "balance_tasks": True,
        "sources": {"folder": {"adapter": "folder", "path": "x", "classes": ["cat", "dog"]}},
    }
    c["render"]["shard_size"] = 25
    c["seeds"] = [0, 1, 2]
    c["seeds_over"] = "model"
    c["figures"]["models"] = {}
    c["search"].update(small_per_class=10, val_per_class=5, candidates=2, keep=2)
    return c


def test_datasets(config):
    p = Plan(config)
    assert p.variants == ["control", "no_breeds"]
    assert p.variant_datasets == ["synth_control", "synth_no_breeds"]
    assert list(p.breed_variants) == ["breeds2"]
    assert p.breed_variants["breeds2"]["subject"]["breeds"] == 2
    assert p.datasets == ["synth_control", "synth_no_breeds", "synth_breeds2", "real", "toon", "photos"]
    assert (p.sourced, p.balanced, p.sources) == (["photos"], ["photos"], ["folder"])
    assert p.rendered == ["synth_control", "synth_no_breeds", "synth_breeds2", "real", "toon"]
    assert p.realism_sets == ["synth_control", "synth_no_breeds", "real", "toon", "photos"]
    assert [e["dataset"] for e in p.breed_scaling] == ["synth_no_breeds", "synth_breeds2", "synth_control"]
    assert (p.frozen, p.unfrozen) == (["dropout", "no_dropout"], ["unfrozen"])
    assert p.testsets == {"real": "real", "synthetic": "synth_control", "toon": "toon"}
    assert p.parameter_testsets == ["synthetic", "real"]
    assert is_synthetic("synth_breeds2") and not is_synthetic("real")
    assert variant_dataset("control") == "synth_control" and dataset_variant("synth_breeds2") == "breeds2"


def test_set_sizes_shared_by_every_seed(config):
    p = Plan(config)
    assert p.set_sizes("synth_control") == (30, 10)
    assert p.set_sizes("real") == (40, 20) and p.set_sizes("toon") == (0, 15) and p.set_sizes("photos") == (8, 4)
    assert p.data_seeds("synth_control") == 1 and p.data_slice("synth_control", "2") is None


def test_a_set_of_fewer_breeds_draws_them_per_seed(config):
    """`subject.breeds: n` below all: which breeds is a random factor, one draw per seed's
    training set, even where seeds otherwise share the data (`seeds_over: model`)."""
    p = Plan(config)
    assert p.draws_breeds("synth_no_breeds") and p.draws_breeds("synth_breeds2")
    assert not p.draws_breeds("synth_control") and not p.draws_breeds("real")
    assert p.data_seeds("synth_no_breeds") == 3
    assert p.set_sizes("synth_no_breeds") == (90, 10)
    assert p.set_sizes("synth_breeds2") == (90, 0)  # figure 9's derived sets: tested on real only
    assert p.data_slice("synth_breeds2", "1") == {"part": 1, "parts": 3}
    r = p.render_slice("synth_no_breeds")
    assert (r["images_per_class"], r["draws"], r["train_per_draw"]) == (100, 3, 30)
    assert "draws" not in p.render_slice("synth_control")
    assert p.training_images("synth_no_breeds", "cat_dog") == 30 * 2


def test_seeds_over_data_renders_a_training_set_per_seed(config):
    config["seeds"] = [3, 5, 7]
    config["seeds_over"] = "data"
    p = Plan(config)
    assert p.data_seeds("synth_no_breeds") == 3 and p.data_seeds("real") == 1
    assert p.set_sizes("synth_control") == (90, 10)
    assert p.set_sizes("synth_breeds2") == (90, 0)
    assert p.set_sizes("real") == (40, 20)  # domains are shared by every seed
    assert p.data_slice("synth_control", "5") == {"part": 1, "parts": 3}
    assert p.data_slice("synth_breeds2", 7) == {"part": 2, "parts": 3}
    assert p.data_slice("real", "5") is None
    # a model trains on its own seed's 30 images per class; features embed all 90 (2 views)
    assert p.training_images("synth_control", "plus_bicycle") == 30 * 3
    assert p.forward_passes("synth_control") == 90 * 2 + 10
    assert p.forward_passes("synth_breeds2") == 90 * 2


def test_shards(config):
    p = Plan(config)
    assert p.n_shards("synth_control") == 2  # 40 images in shards of 25
    assert [p.shard_images("synth_control", s) for s in (0, 1, 2)] == [25, 15, 0]
    assert p.n_shards("synth_breeds2") == 4 and p.shard_images("synth_breeds2", "3") == 15  # 3 draws x 30
    assert p.n_shards("toon") == 1 and p.shard_images("toon", 0) == 15
    assert p.shard_root("synth_breeds2") == "results/synth/breeds2"
    assert p.shard_root("real") == "results/proxy/real"
    assert p.shard_dirs("real", "dog") == [
        "results/proxy/real/dog/0",
        "results/proxy/real/dog/1",
        "results/proxy/real/dog/2",
    ]  # 60 images
    assert p.render_slice("synth_control") == {**config["render"], "seed": 0, "images_per_class": 40}
    config["seeds_over"] = "data"
    p = Plan(config)
    assert p.n_shards("synth_control") == 4  # 100 images: 25 x 4
    assert [p.shard_images("synth_control", s) for s in range(4)] == [25] * 4
    assert p.render_slice("synth_control")["images_per_class"] == 100


def test_classes_and_figure_models(config):
    p = Plan(config)
    everything = ["bicycle", "car", "cat", "dog"]
    assert p.all_classes == everything
    # figures.synthetic and the real domain render every task class; the others the pair
    assert p.dataset_classes("synth_control") == everything and p.dataset_classes("real") == everything
    assert p.dataset_classes("synth_no_breeds") == ["cat", "dog"] and p.dataset_classes("toon") == ["cat", "dog"]
    assert p.figure_models == dict.fromkeys(("fig2", "fig3", "fig5", "fig7", "fig8"), "synth_control")
    assert not p.uses_best()
    # figure 8's own model renders every task class too
    config["figures"]["models"] = {"fig8": "synth_no_breeds", "fig7": BEST}
    p = Plan(config)
    assert p.figure_model("fig8") == "synth_no_breeds" and p.figure_model("fig2") == "synth_control"
    assert p.dataset_classes("synth_no_breeds") == everything
    assert p.uses_best()
    # `best` is known only after the checkpoint: before it, no variant counts as figure 8's model
    config["figures"]["models"] = {"fig8": BEST}
    p = Plan(config)
    assert p.dataset_classes("synth_no_breeds") == ["cat", "dog"]
    assert p.dataset_classes("synth_control") == everything


def test_test_images_of_a_task(config):
    p = Plan(config)
    assert p.test_classes("toon", "plus_car") == ["cat", "dog"]  # toon has the study's pair only
    assert p.test_classes("real", "plus_car") == ["cat", "dog", "bicycle", "car"]
    assert p.test_images("toon", "plus_car") == 15 * 2
    assert p.test_images("real", "plus_bicycle") == 20 * 3
    assert p.test_images("synthetic", "cat_dog") == 10 * 2


def test_training_settings_of_an_architecture(config):
    p = Plan(config)
    t = p.training("unfrozen")
    assert "views" not in t and t["epochs"] == 3 and t["lr"] == config["training"]["lr"]
    assert p.training("dropout")["epochs"] == config["training"]["epochs"]
    assert p.input_size("unfrozen") == 64 and p.input_size("dropout") == config["model"]["input_size"]
    assert p.training_images("real", "cat_dog") == 40 * 2


def test_figures_task_and_architecture_are_named_once():
    c = load_config(base=ROOT / "config.yaml")
    assert FIGURE_TASK in c["tasks"] and FIGURE_ARCH in c["architectures"]
    # a quoted name as a value ("cat_dog", ["dropout"], tasks["cat_dog"]), not a key (arch["dropout"])
    quoted = re.compile(rf"""(?<!\w\[)["']({FIGURE_TASK}|{FIGURE_ARCH})["']\s*[,\])]""")
    for smk in sorted((ROOT / "rules").glob("*.smk")):
        assert not quoted.findall(smk.read_text()), f"{smk.name}: name FIGURE_TASK / FIGURE_ARCH"


def test_plan_does_not_change_the_config(config):
    before = copy.deepcopy(config)
    p = Plan(config)
    p.set_sizes("synth_breeds2"), p.render_slice("real"), p.training("unfrozen")
    assert config == before


def test_subject_pools_and_their_work(config):
    """4 breeds per built-in class, 2 and 3 held-out subjects in the real and toon pools, 5 images each."""
    config["world"]["breeds"] = 4
    config["world"]["heldout_breeds"] = {"real": 2, "toon": 3}
    config["realism"]["subjects"] = {"images_per_breed": 5, "generator": "real"}
    p = Plan(config)
    assert p.subject_pools == ["synthetic", "real", "toon"] and p.subject_reference == "real"
    assert p.pool_generator("toon")["subject"]["heldout"] == "toon"
    assert p.pool_generator("synthetic")["subject"]["heldout"] is False
    assert p.subject_images("synthetic", "cat") == 5 * 4 and p.subject_images("toon", "dog") == 5 * 3
    classes = config["world"]["classes"]
    assert p.subject_shards("real") == [f"results/subjects/real/{c}" for c in classes]
    assert p.pool_images("real") == 5 * 2 * len(classes)
    # imported meshes: Objaverse objects in place of a built-in class's procedural breeds, one held out
    config["objaverse"] = {"per_class": {"cat": 6}}
    config["world"]["subjects"] = {"cat": {"mode": "replace", "meshes": [{"objaverse": True}], "heldout": {"real": 1}}}
    p = Plan(config)
    assert (p.pool_subjects("synthetic", "cat"), p.pool_subjects("real", "cat"), p.pool_subjects("toon", "cat")) == (
        5,
        3,
        3,
    )


def test_explain_work(config):
    """Per class of the figures' task: the images shown and the faithfulness sample, at most the test set."""
    config["explain"].update(
        images_per_class=4, faithfulness={**config["explain"]["faithfulness"], "images_per_class": 50}
    )
    p = Plan(config)
    assert p.explain_images("real") == 2 * (4 + 20)  # the real domain has 20 test images per class
    assert p.explain_images("synthetic") == 2 * (4 + 10)


def test_paths_are_the_rules_output_patterns():
    """domrand.paths names its fields as the rules' wildcards: each pattern a rule makes is (the
    start of) an output pattern in rules/*.smk, and rules/common.smk writes no path by hand."""
    from domrand.paths import PATTERNS

    rules = "".join(smk.read_text() for smk in sorted((ROOT / "rules").glob("*.smk")))
    made_elsewhere = {"figure", "checkpoint", "backbone"}  # a figure's own name; a param; .pth/.pt
    missing = [k for k, pattern in PATTERNS.items() if k not in made_elsewhere and f'"{pattern}' not in rules]
    assert missing == [], f"patterns of domrand.paths that no rule's output starts with: {missing}"
    assert "results/" not in (ROOT / "rules" / "common.smk").read_text()
