"""The search of figure 13 (domrand.search and its rounds in domrand.figures.search): candidates
drawn from the space, the datasets and sizes of each round, the config checks, the ranking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from domrand.config import ConfigError, validate_config, variant_generator
from domrand.figures.search_rounds import flat_settings, nested_patch, rank_round, read_kept, read_pick, write_round
from domrand.plan import Plan
from domrand.search import anchors, candidates, round_count, round_dataset

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas/config.schema.yaml"


@pytest.fixture
def config() -> dict:
    c = yaml.safe_load((ROOT / "config.yaml").read_text())
    c["search"].update(candidates=4, keep=3)
    return c


def test_candidates_are_drawn_from_the_space_and_new(config):
    drawn = candidates(config)
    assert list(drawn) == ["search1", "search2", "search3", "search4"]
    space = config["search"]["space"]
    gens = [variant_generator(config, v) for v in config["variants"]]
    for patch in drawn.values():
        flat = flat_settings(patch)
        assert set(flat) == set(space)
        for key, value in flat.items():
            spec = space[key]
            if isinstance(spec, dict):
                lo, hi = spec["uniform"]
                assert lo <= value <= hi
            else:
                assert value in spec
        gen = Plan(config).generator(f"synth_{next(n for n, p in drawn.items() if p is patch)}")
        assert gen not in gens  # no candidate repeats an anchor
    assert candidates(config) == drawn  # the same seed draws the same candidates


def test_another_seed_draws_other_candidates_and_more_keep_the_first(config):
    drawn = candidates(config)
    config["search"]["candidates"] = 6
    assert {k: v for k, v in candidates(config).items() if k in drawn} == drawn
    config["search"]["seed"] = 1
    assert candidates(config) != drawn


def test_rounds_train_on_small_then_full_sets(config):
    p = Plan(config)
    assert p.search_entries == [*anchors(config), "search1", "search2", "search3", "search4"]
    assert anchors(config)[0] == "control" and set(anchors(config)) == set(config["variants"])
    # round 1: an anchor's own (full) set, subset by the head; a candidate's small set
    assert round_dataset(config, "no_skies", 1) == "synth_no_skies"
    assert round_dataset(config, "search2", 1) == "synth_search2_small"
    assert round_dataset(config, "search2", 2) == "synth_search2"
    assert round_count(config, 1) == 100 and round_count(config, 2) == "all"
    config["search"]["small_per_class"] = 500  # more than a full set: round 1 takes the full set
    assert round_count(config, 1) == 400
    config["search"]["small_per_class"] = 100
    assert p.set_sizes("synth_search2_small") == (100, 0)
    assert p.set_sizes("synth_search2") == (400, 0)
    assert p.set_sizes("real_val") == (0, 100)
    assert p.data_seeds("synth_search2_small") == 1
    # the study's own lists are untouched: the search's sets are rendered apart
    assert not set(p.search_datasets) & set(p.datasets)
    assert "real_val" not in p.rendered and "real_val" in p.search_rendered
    assert p.generator("synth_search2_small") == p.generator("synth_search2")


def test_validation_is_its_own_render_source(config):
    p = Plan(config)
    # its per-image seeds come from (seed, source = real_val, class, index): never the real
    # domain's train or test images, which come from source `real`
    assert p.shard_root("real_val") == "results/proxy/real_val" != p.shard_root("real")
    assert p.index_domain("real_val") == "real"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"space": {"sky.colour": ["plain"]}}, "search.space.sky.colour"),
        ({"space": {"sky.mode": ["cloudy"]}}, "search.space.sky.mode"),
        ({"space": {"obstructors.count": [3]}}, "search.space.obstructors.count"),
        ({"keep": 40}, "search.keep"),
    ],
)
def test_bad_search_config_names_its_key(config, change, key):
    space = change.pop("space", None)
    config["search"].update(change)
    if space:
        config["search"]["space"] = space
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate_config(config, SCHEMA)
        Plan(config)


def test_a_space_with_nothing_new_is_refused(config):
    config["search"]["space"] = {"sky.mode": ["random", "plain"]}  # both are anchors already
    with pytest.raises(ConfigError, match="search.space: no new candidate 1"):
        candidates(config)


def _heads(tmp_path: Path, accuracies: dict[str, float], rnd: int) -> list[Path]:
    out = []
    for entry, acc in accuracies.items():
        p = tmp_path / f"round{rnd}" / f"{entry}.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps({"tests": {"val": {"accuracy": acc, "n": 20}}, "counts": {"synthetic": {"cat": 10}}}))
        out.append(p)
    return out


def _search(entries, rnd: int, keep: int) -> dict:
    return {
        "round": rnd,
        "keep": keep,
        "seed": 0,
        "entries": {
            e: {
                "kind": "anchor" if e == "control" or e.startswith("no_") else "candidate",
                "dataset": f"synth_{e}",
                "patch": {} if e == "control" else {"sky": {"mode": "plain"}},
            }
            for e in entries
        },
    }


def test_rounds_rank_by_validation_and_ties_go_to_the_first_entry(tmp_path):
    entries = ["control", "no_skies", "search1", "search2"]
    heads = _heads(tmp_path, {"search2": 0.9, "no_skies": 0.8, "control": 0.8, "search1": 0.5}, 1)
    t = write_round(heads, _search(entries, 1, 2), tmp_path / "round1.csv")
    assert list(t["entry"]) == ["search2", "control", "no_skies", "search1"]
    assert list(t["rank"]) == [1, 2, 3, 4]
    assert read_kept(tmp_path / "round1.csv") == ["search2", "control"]
    t2 = write_round(
        _heads(tmp_path, {"control": 0.85, "search2": 0.85}, 2), _search(entries, 2, 1), tmp_path / "r2.csv"
    )
    assert read_pick(tmp_path / "r2.csv") == "control" == t2["entry"][0]
    assert json.loads(t.loc[t["entry"] == "no_skies", "settings"].iloc[0]) == {"sky.mode": "plain"}


def test_a_round_names_a_head_of_no_entry(tmp_path):
    with pytest.raises(ValueError, match="not one of the search's entries"):
        rank_round(_heads(tmp_path, {"other": 0.5}, 1), _search(["control"], 1, 1))


def test_settings_round_trip():
    patch = {"obstructors": {"count": [0, 2], "between": 0.31}, "sky": {"mode": "plain"}}
    assert flat_settings(patch) == {"obstructors.count": [0, 2], "obstructors.between": 0.31, "sky.mode": "plain"}
    assert nested_patch(flat_settings(patch)) == patch
