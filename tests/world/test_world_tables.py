"""The subjects' tables (`world.breed_tables`, `world.target_tables`): they validate their
ranges, the samplers keep to them, and a table value drives the geometry."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from domrand.world import breed_tables, target_tables
from domrand.world.draws import Table
from domrand.world.subjects import build_rig, sample_breed
from domrand.world.target_subjects import build_target_rig, sample_target_subject

SEEDS = (0, 1, 2)
N = 8
TOL = 1e-5  # drawn parameters are stored rounded to 5 decimals


def _tables(module) -> dict[str, Table]:
    return {name: v for name, v in vars(module).items() if isinstance(v, Table)}


def _with_range(table: Table, part: str, name: str, bounds) -> Table:
    parts = {p: dict(r) for p, r in table.parts.items()}
    parts[part][name] = bounds
    return dataclasses.replace(table, parts=parts)


def _within(value: float, bounds) -> bool:
    return bounds[0] - TOL <= value <= bounds[1] + TOL


# -- Table ----------------------------------------------------------------------------


def test_table_rejects_a_range_whose_lo_is_above_its_hi():
    with pytest.raises(ValueError, match=r"'Cat', ears\.ear_size: lo 0\.2 is above hi 0\.1"):
        Table("Cat: a test table.", {"ears": {"ear_size": (0.2, 0.1)}})


@pytest.mark.parametrize("bounds", [(0.1,), (0.1, float("nan")), ("a", 1.0), (0.0, float("inf"))])
def test_table_rejects_what_is_not_a_pair_of_finite_numbers(bounds):
    with pytest.raises(ValueError, match=r"body\.length: .* is not a \(lo, hi\) pair of finite numbers"):
        Table("Dog: a test table.", {"body": {"length": bounds}})


@pytest.mark.parametrize("doc", ["", "   ", "two\nlines"])
def test_table_needs_a_one_line_doc(doc):
    with pytest.raises(ValueError, match="one-line description"):
        Table(doc, {"body": {"length": (0.0, 1.0)}})


def test_table_names_what_it_has_when_asked_for_what_it_lacks():
    table = Table("Cat: a test table.", {"ears": {"ear_size": (0.1, 0.2)}})
    with pytest.raises(KeyError, match=r"no ears\.ear_height: it has ears\.ear_size"):
        table.range("ears", "ear_height")


def test_draw_part_draws_in_the_order_written_one_uniform_each():
    table = Table("Test: three ranges.", {"p": {"a": (0.0, 1.0), "b": (10.0, 20.0), "c": (-1.0, -0.5)}})
    drawn = table.draw_part(np.random.default_rng(3), "p")
    rng = np.random.default_rng(3)
    assert list(drawn) == ["a", "b", "c"]
    assert list(drawn.values()) == [float(rng.uniform(0, 1)), float(rng.uniform(10, 20)), float(rng.uniform(-1, -0.5))]


@pytest.mark.parametrize("module", [breed_tables, target_tables])
def test_every_table_of_a_generator_has_a_one_line_doc_and_ranges(module):
    tables = _tables(module)
    assert len(tables) >= 4
    for name, table in tables.items():
        assert table.doc.strip() and "\n" not in table.doc, name
        assert all(len(r) > 0 for r in table.parts.values()), name


# -- the samplers keep to their tables ----------------------------------------------------


@pytest.mark.parametrize("cls, table", [("cat", breed_tables.CAT), ("dog", breed_tables.DOG)])
def test_synthetic_animals_take_their_proportions_from_their_table(cls, table):
    limited = {"neck_length", "body_height", "leg_length"} if cls == "dog" else set()  # DOG_LIMITS
    for seed in SEEDS:
        for i in range(N):
            shape = sample_breed(cls, i, seed).shape
            for part, ranges in table.parts.items():
                for name, bounds in ranges.items():
                    if name not in limited:
                        assert _within(shape[name], bounds), (cls, seed, i, part, name, shape[name])


def test_synthetic_dogs_keep_within_their_limits():
    limits, tol = breed_tables.DOG_LIMITS, 3 * TOL  # two rounded values and a factor of 2
    for seed in SEEDS:
        for i in range(N):
            s = sample_breed("dog", i, seed).shape
            assert s["neck_length"] <= limits["neck_to_head_radius"] * s["head_radius"] + tol
            assert s["body_height"] >= s["body_length"] / limits["length_to_body_height"] - tol
            assert s["leg_length"] <= limits["leg_length_to_body_height"] * s["body_height"] + tol


def test_synthetic_cars_draw_the_cabin_of_their_kind():
    for seed in SEEDS:
        for i in range(N):
            s = sample_breed("car", i, seed).shape
            assert _within(s["cabin_length"], breed_tables.CAR.range("cabin_length", s["kind"]))
            assert _within(s["cabin_offset"], breed_tables.CAR.range("cabin_offset", s["kind"]))
            length = "length_hatchback" if s["kind"] == "hatchback" else "length"
            assert _within(s["length"], breed_tables.CAR.range("size", length))


def test_held_out_cats_are_their_table_swollen_by_fluff():
    t = target_tables
    for seed in SEEDS:
        for i in range(N):
            b = sample_target_subject("cat", "real", i, seed)
            s, fluff = b.shape, b.coat["fluff"]
            wedge = t.CAT_WEDGE if b.coat["pattern"] == "colourpoint" else {}
            for part, ranges in t.CAT.parts.items():
                for name, (lo, hi) in ranges.items():
                    k = (1 + t.CAT_FLUFF_SWELL.get(name, 0.0) * fluff) * wedge.get(name, 1.0)
                    assert _within(s[name], (lo * k, hi * k)), (seed, i, part, name)


def test_held_out_dogs_take_the_size_of_their_archetype():
    for seed in SEEDS:
        for i in range(N):
            s = sample_target_subject("dog", "real", i, seed).shape
            size = s["torso"] / target_tables.DOG_TORSO
            ranges = target_tables.DOG.parts["size"]
            assert _within(size, ranges.get(s["archetype"], ranges["other"]))
            assert s["ear_style"] in target_tables.DOG_EAR_STYLES[s["archetype"]]


# -- a table value drives the geometry -------------------------------------------------


def _height(rig, part: str) -> float:
    mesh = next(p.mesh for p in rig.parts if p.name == part)
    return float(np.ptp(mesh.vertices[:, 1]))


def test_a_larger_ear_size_in_the_cat_table_gives_taller_ears(monkeypatch):
    small = build_rig(sample_breed("cat", 0, 0))
    monkeypatch.setattr(breed_tables, "CAT", _with_range(breed_tables.CAT, "ears", "ear_size", (0.3, 0.3)))
    big = sample_breed("cat", 0, 0)
    assert big.shape["ear_size"] == 0.3
    assert _height(build_rig(big), "ear_l") == pytest.approx(0.3)
    assert _height(build_rig(big), "ear_l") > 1.8 * _height(small, "ear_l")


def test_a_longer_tail_in_the_dog_table_gives_a_longer_tail(monkeypatch):
    def tail_length(rig):
        return sum(float(np.linalg.norm(j.offset)) for j in rig.joints if j.name in ("tail1", "tail2", "tail3"))

    before = tail_length(build_rig(sample_breed("dog", 1, 0)))
    monkeypatch.setattr(breed_tables, "DOG", _with_range(breed_tables.DOG, "tail", "tail_length", (1.2, 1.2)))
    after = tail_length(build_rig(sample_breed("dog", 1, 0)))
    assert after == pytest.approx(0.75 * 1.2) and after > 2 * before


def test_a_larger_ear_height_in_the_held_out_cat_table_gives_taller_ears(monkeypatch):
    def ear_height(b):
        return _height(build_target_rig(b), "ear_l")

    before = sample_target_subject("cat", "real", 0, 0)
    monkeypatch.setattr(target_tables, "CAT", _with_range(target_tables.CAT, "ears", "ear_height", (0.2, 0.2)))
    after = sample_target_subject("cat", "real", 0, 0)
    assert after.shape["ear_height"] > 2 * before.shape["ear_height"]
    assert ear_height(after) > 2 * ear_height(before)


def test_a_table_change_moves_only_its_own_generator(monkeypatch):
    target_before = sample_target_subject("cat", "real", 2, 1).to_dict()
    monkeypatch.setattr(breed_tables, "CAT", _with_range(breed_tables.CAT, "ears", "ear_size", (0.3, 0.3)))
    assert sample_target_subject("cat", "real", 2, 1).to_dict() == target_before
