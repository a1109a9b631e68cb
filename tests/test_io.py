"""Atomic outputs: nothing that looks finished after an exception; replacement on success."""

from __future__ import annotations

import json

import pytest

from domrand.io import atomic_dir, atomic_path, write_json


class Boom(RuntimeError):
    pass


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_atomic_dir_success_creates_the_folder_with_its_contents(tmp_path):
    final = tmp_path / "sub" / "out"
    with atomic_dir(final) as tmp:
        assert tmp.parent == final.parent and tmp != final
        (tmp / "a.txt").write_text("a")
        assert not final.exists()  # nothing final until the block succeeds
    assert _listing(final) == ["a.txt"]
    assert _listing(final.parent) == ["out"]  # no temp folder left beside it


def test_atomic_dir_success_replaces_an_existing_folder(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (final / "old.txt").write_text("old")
    with atomic_dir(final) as tmp:
        (tmp / "new.txt").write_text("new")
    assert _listing(final) == ["new.txt"]
    assert _listing(tmp_path) == ["out"]


def test_atomic_dir_exception_leaves_nothing(tmp_path):
    final = tmp_path / "out"
    with pytest.raises(Boom):
        with atomic_dir(final) as tmp:
            (tmp / "half.txt").write_text("x")
            raise Boom()
    assert _listing(tmp_path) == []


def test_atomic_dir_exception_keeps_the_previous_output(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (final / "old.txt").write_text("old")
    with pytest.raises(Boom):
        with atomic_dir(final) as tmp:
            (tmp / "new.txt").write_text("new")
            raise Boom()
    assert _listing(final) == ["old.txt"]
    assert _listing(tmp_path) == ["out"]


def test_atomic_dir_removes_what_a_killed_attempt_left(tmp_path):
    (tmp_path / ".out.k1ll3d").mkdir()
    (tmp_path / ".out.k1ll3d" / "half.jpg").write_bytes(b"x")
    (tmp_path / ".other.k1ll3d").mkdir()
    with atomic_dir(tmp_path / "out") as tmp:
        (tmp / "a.txt").write_text("a")
    assert _listing(tmp_path) == [".other.k1ll3d", "out"]


def test_atomic_path_success_writes_the_file(tmp_path):
    final = tmp_path / "d" / "x.csv"
    with atomic_path(final) as tmp:
        assert tmp.parent == final.parent and tmp.suffix == ".csv" and tmp != final
        tmp.write_text("1,2\n")
        assert not final.exists()
    assert final.read_text() == "1,2\n"
    assert _listing(final.parent) == ["x.csv"]


def test_atomic_path_success_replaces_an_existing_file(tmp_path):
    final = tmp_path / "x.txt"
    final.write_text("old")
    with atomic_path(final) as tmp:
        tmp.write_text("new")
    assert final.read_text() == "new"
    assert _listing(tmp_path) == ["x.txt"]


def test_atomic_path_exception_leaves_nothing_and_keeps_the_old_file(tmp_path):
    with pytest.raises(Boom):
        with atomic_path(tmp_path / "fresh.txt") as tmp:
            tmp.write_text("half")
            raise Boom()
    assert _listing(tmp_path) == []
    old = tmp_path / "old.txt"
    old.write_text("old")
    with pytest.raises(Boom):
        with atomic_path(old) as tmp:
            tmp.write_text("new")
            raise Boom()
    assert old.read_text() == "old"
    assert _listing(tmp_path) == ["old.txt"]


def test_write_json_is_sorted_and_round_trips(tmp_path):
    path = tmp_path / "a" / "e.json"
    write_json({"b": 1, "a": [1, 2]}, path)
    assert json.loads(path.read_text()) == {"a": [1, 2], "b": 1}
    assert path.read_text().index('"a"') < path.read_text().index('"b"')
