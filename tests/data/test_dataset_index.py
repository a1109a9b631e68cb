"""domrand.data.index: schema validation, atomic parquet round trip, stable hash splits."""

from __future__ import annotations

import os
import random
import shutil

import pandas as pd
import pytest

from domrand.data.index import (
    COLUMNS,
    IndexSchemaError,
    deterministic_split,
    hash_order,
    read_index,
    split_score,
    validate_index,
    write_index,
)


def make_df(tmp_path, n=6):
    rows = []
    for i in range(n):
        label = ("cat", "dog", "bicycle", "car")[i % 4]
        p = tmp_path / "resources" / "data" / "x" / label / f"{i}.jpg"
        rows.append(
            {
                "path": str(p),
                "label": label,
                "split": ("train", "test")[i % 2],
                "source": "x",
                "domain": "real",
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------- write / read


def test_round_trip_stores_paths_relative_to_index_folder(tmp_path):
    df = make_df(tmp_path)
    out = write_index(df, tmp_path / "results" / "datasets" / "d" / "index.parquet")
    stored = pd.read_parquet(out)
    assert list(stored.columns) == list(COLUMNS)
    assert all(p.startswith("../../../resources/data/x/") for p in stored["path"])
    back = read_index(out)
    assert sorted(back["path"]) == sorted(df["path"])
    assert read_index(out, resolve=False)["path"].tolist() == stored["path"].tolist()
    # Written sorted by split, label, path: identical bytes whatever the input order.
    again = write_index(df.sample(frac=1, random_state=3), tmp_path / "again.parquet")
    assert read_index(again)["path"].tolist() == back["path"].tolist()
    assert [f.name for f in out.parent.iterdir()] == ["index.parquet"]  # no temp file left


def test_index_survives_moving_the_project(tmp_path):
    proj = tmp_path / "proj"
    df = make_df(proj)
    write_index(df, proj / "results" / "datasets" / "d" / "index.parquet")
    shutil.move(proj, tmp_path / "moved")
    back = read_index(tmp_path / "moved" / "results" / "datasets" / "d" / "index.parquet")
    assert all(p.startswith(str(tmp_path / "moved" / "resources")) for p in back["path"])


def test_relative_input_paths_are_relative_to_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    df = make_df(tmp_path)
    df["path"] = [os.path.relpath(p, tmp_path) for p in df["path"]]
    out = write_index(df, "results/datasets/d/index.parquet")
    assert sorted(read_index(out)["path"]) == sorted(str(tmp_path / p) for p in df["path"])


def test_symlinked_results_folder(tmp_path):
    # Clusters often symlink results/ to scratch: '..' must be counted from the real folder.
    (tmp_path / "scratch").mkdir()
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "results").symlink_to(tmp_path / "scratch")
    df = make_df(proj)
    for p in df["path"]:
        os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, "wb").close()
    out = write_index(df, proj / "results" / "datasets" / "index.parquet")
    assert all(os.path.exists(p) for p in read_index(out)["path"])


def test_extra_columns_are_kept(tmp_path):
    df = make_df(tmp_path).assign(seed=7)
    out = write_index(df, tmp_path / "i.parquet")
    assert list(read_index(out).columns) == [*COLUMNS, "seed"]


def test_read_filters(tmp_path):
    out = write_index(make_df(tmp_path, n=8), tmp_path / "i.parquet")
    assert set(read_index(out, classes=["cat", "dog"])["label"]) == {"cat", "dog"}
    assert set(read_index(out, classes="car")["label"]) == {"car"}
    test = read_index(out, split="test")
    assert set(test["split"]) == {"test"} and len(test) == 4
    assert read_index(out, classes=["cat"], split="test").empty  # cats are even rows -> train
    assert read_index(out, classes=["horse"]).empty  # any class name; none of its images here
    with pytest.raises(ValueError, match="Horse"):
        read_index(out, classes=["Horse"])
    with pytest.raises(ValueError, match="val"):
        read_index(out, split="val")


def test_read_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.parquet"):
        read_index(tmp_path / "nope.parquet")


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda d: d.drop(columns="domain"), r"missing column\(s\) \['domain'\]"),
        (
            lambda d: d.assign(label=["cat", "Horse", "cat", "cat", "cat", "cat"]),
            r"'label'.*\['Horse'\] that are not class names",
        ),
        (lambda d: d.assign(split="val"), r"'split'.*\['val'\]"),
        (lambda d: d.assign(domain="cartoon"), r"'domain'.*\['cartoon'\]"),
        (lambda d: d.assign(source=None), "'source' must hold non-empty strings"),
        (lambda d: d.assign(path=""), "'path' must hold non-empty strings"),
        (lambda d: d.assign(path="same.jpg"), "more than once"),
    ],
)
def test_write_rejects_bad_tables(tmp_path, change, match):
    with pytest.raises(IndexSchemaError, match=match):
        write_index(change(make_df(tmp_path)), tmp_path / "i.parquet")
    assert not (tmp_path / "i.parquet").exists()


def test_read_validates_too(tmp_path):
    make_df(tmp_path).assign(split="val").to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(IndexSchemaError, match="bad.parquet"):
        read_index(tmp_path / "bad.parquet")


def test_validate_orders_columns(tmp_path):
    df = make_df(tmp_path)
    df = df[["domain", "label", "path", "source", "split"]].assign(extra=1)
    assert list(validate_index(df).columns) == [*COLUMNS, "extra"]


# ----------------------------------------------------------------------- splits

KEYS = [f"Cat/{i}.jpg" for i in range(1000)]


def test_hash_is_pinned():
    # Changing the hash silently reshuffles every dataset split: this must fail loudly.
    assert hash_order(["a", "b", "c", "d", "e"], seed=0) == ["d", "a", "e", "b", "c"]
    assert split_score("Cat/1.jpg", 0) == pytest.approx(0.0536621363, abs=1e-9)


def test_fraction_split_is_stable_and_order_free():
    test = deterministic_split(KEYS, seed=1, test_fraction=0.2)
    assert 150 < len(test) < 250
    shuffled = random.Random(0).sample(KEYS, len(KEYS))
    assert deterministic_split(shuffled, seed=1, test_fraction=0.2) == test
    assert deterministic_split(KEYS, seed=2, test_fraction=0.2) != test
    # Adding and removing files never moves the others.
    grown = KEYS[100:] + [f"Cat/new{i}.jpg" for i in range(50)]
    assert deterministic_split(grown, seed=1, test_fraction=0.2) & set(KEYS) == test - set(KEYS[:100])
    assert deterministic_split(KEYS, seed=1, test_fraction=0.0) == set()
    assert deterministic_split(KEYS, seed=1, test_fraction=1.0) == set(KEYS)


def test_count_split_is_exact_and_moves_at_most_one():
    test = deterministic_split(KEYS, seed=1, n_test=100)
    assert len(test) == 100
    assert deterministic_split(list(reversed(KEYS)), seed=1, n_test=100) == test
    for i in range(20):
        grown = deterministic_split(KEYS + [f"Cat/new{i}.jpg"], seed=1, n_test=100)
        assert len(test - grown) <= 1
    assert deterministic_split(KEYS[:10], seed=1, n_test=100) == set(KEYS[:10])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "exactly one"),
        ({"test_fraction": 0.2, "n_test": 3}, "exactly one"),
        ({"test_fraction": 1.5}, r"\[0, 1\]"),
        ({"n_test": -1}, ">= 0"),
    ],
)
def test_split_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        deterministic_split(KEYS, seed=0, **kwargs)


def test_split_rejects_duplicate_keys():
    with pytest.raises(ValueError, match="Cat/1.jpg"):
        deterministic_split(KEYS + ["Cat/1.jpg"], seed=0, test_fraction=0.5)
