"""build_world: the files, the manifest, the held-out split, byte-identical rebuilds."""

from __future__ import annotations

import json

import pytest

from domrand.world import target_scenery, textures
from domrand.world.build import World, build_world

PARAMS = {
    "seed": 0,
    "classes": ["cat", "dog"],
    "breeds": 2,
    "heldout_breeds": {"real": 1, "toon": 1},
    "target_skies": 2,
    "target_grounds": 2,
    "target_texture_size": 32,
    "materials": 3,
    "skies": 2,
    "texture_size": 32,
    "sky_width": 64,
}


@pytest.fixture
def world_dir(tmp_path):
    return build_world(dict(PARAMS), tmp_path / "world", log=lambda *_: None)


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_world_writes_the_manifest_and_every_file(world_dir):
    m = json.loads((world_dir / "world.json").read_text())
    assert m["params"] == PARAMS
    assert [e["family"] for e in m["materials"]] == list(textures.MATERIAL_FAMILIES[:3])
    assert [e["kind"] for e in m["skies"]] == list(textures.SKY_KINDS[:2])
    assert [e["kind"] for e in m["target_skies"]] == list(target_scenery.TARGET_SKY_KINDS[:2])
    assert [e["family"] for e in m["target_grounds"]] == list(target_scenery.TARGET_GROUND_KINDS[:2])
    listed = [e["file"] for k in ("materials", "skies", "target_skies", "target_grounds") for e in m[k]]
    listed += [e["coat_file"] for v in m["breeds"].values() for e in v]
    on_disk = set(_files(world_dir)) - {"world.json"}
    assert set(listed) == on_disk
    assert len(on_disk) == 3 + 2 + 2 + 2 + 2 * (2 + 2)


def test_build_world_image_sizes(world_dir):
    w = World.load(world_dir)
    assert w.image(w.manifest["materials"][0]["file"]).shape == (32, 32, 3)
    assert w.image(w.manifest["skies"][0]["file"]).shape == (32, 64, 3)
    assert w.image(w.manifest["target_grounds"][0]["file"]).shape == (32, 32, 3)  # target_texture_size


def test_world_load_round_trip_and_heldout_split(world_dir):
    w = World.load(world_dir)
    assert w.manifest == json.loads((world_dir / "world.json").read_text())
    for cls in PARAMS["classes"]:
        synth = w.breeds(cls, heldout=False)
        held = w.breeds(cls, heldout=True)
        assert [b.index for b in synth] == [0, 1]
        assert [b.name for b in held] == [f"{cls}_real00", f"{cls}_toon00"]
        assert [b.name for b in w.breeds(cls, heldout="toon")] == [f"{cls}_toon00"]
        assert {b.cls for b in synth + held} == {cls}
        for b in synth + held:
            assert w.coat_file(b).is_file()
    assert [e["heldout"] for e in w.manifest["breeds"]["cat"]] == [False, False, "real", "toon"]
    assert all(p.is_file() for p in w.files("materials"))
    assert len(w.files("skies")) == 2


def test_world_breeds_match_sample_breed(world_dir):
    from domrand.world.subjects import sample_breed
    from domrand.world.target_subjects import sample_target_subject

    w = World.load(world_dir)
    for b in w.breeds("dog", heldout=False):
        assert b.to_dict() == sample_breed("dog", b.index, PARAMS["seed"]).to_dict()
    for pool in ("real", "toon"):
        for b in w.breeds("dog", heldout=pool):
            assert b.to_dict() == sample_target_subject("dog", pool, b.index, PARAMS["seed"]).to_dict()


def test_world_breeds_of_a_missing_class_says_how_to_fix(world_dir):
    with pytest.raises(KeyError, match="world.classes"):
        World.load(world_dir).breeds("car", heldout=False)


def test_world_load_missing_folder_says_build_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="world.json"):
        World.load(tmp_path / "nowhere")


def test_build_world_twice_gives_identical_bytes(tmp_path, world_dir):
    again = build_world(dict(PARAMS), tmp_path / "again", log=lambda *_: None)
    a, b = _files(world_dir), _files(again)
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == b[k], k


def test_build_world_depends_on_its_seed(tmp_path, world_dir):
    other = build_world({**PARAMS, "seed": 1}, tmp_path / "other", log=lambda *_: None)
    assert (other / "materials" / "000_wood.png").read_bytes() != (
        world_dir / "materials" / "000_wood.png"
    ).read_bytes()


def test_build_world_leaves_no_temp_folder_and_replaces_old_output(tmp_path):
    out = tmp_path / "w"
    out.mkdir()
    (out / "stale.txt").write_text("x")
    build_world(dict(PARAMS), out, log=lambda *_: None)
    assert not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w"]
