"""Objaverse-LVIS subjects against a loopback copy of its layout: licence filter, pins, fetch."""

from __future__ import annotations

import pytest

from domrand.assets.download import AssetError
from domrand.assets.lock import UnpinnedAssetError, read_lock
from domrand.assets.objaverse import fetch_objects, licence_allowed, select_objects, shard_metadata
from domrand.assets.pin import pin_downloads
from helpers.objaverse_site import write_gz, write_objaverse

LICENCES = {"u1": "by", "u2": "by-nc", "u3": "cc0", "u4": "by-nd", "u5": "by-sa", "u6": "by-nc-sa"}


@pytest.fixture
def objaverse(http_server, kit, tmp_path):
    """<base>/lvis-annotations.json.gz, object-paths.json.gz, metadata/000-000.json.gz and
    glbs/000-000/<uid>.glb, as on the Hugging Face dataset."""
    annotations = {"cat": ["u5", "u1", "u2", "u3", "u4", "u6"], "dog": ["u9"]}
    write_objaverse(http_server.root / "objaverse", annotations, LICENCES, kit.build_rig)
    return http_server.url("objaverse")


def test_nc_and_nd_are_never_allowed():
    assert licence_allowed("by") and licence_allowed("cc0") and licence_allowed("by-sa")
    assert not licence_allowed("by-nc") and not licence_allowed("by-nd")
    assert not licence_allowed("by-nc", allowed=("by-nc",))


def test_select_keeps_allowed_licences_in_uid_order():
    ann = {"cat": ["u5", "u1", "u2", "u3"]}
    paths = {u: f"glbs/000-000/{u}.glb" for u in LICENCES}
    meta = {u: {"name": u, "license": lic, "user": {"displayName": "A"}} for u, lic in LICENCES.items()}
    got = select_objects("cat", ann, paths, meta, {"per_class": 2}, "http://h/base")
    assert [o["uid"] for o in got] == ["u1", "u3"]
    assert got[0]["url"] == "http://h/base/glbs/000-000/u1.glb" and got[1]["licence"] == "CC0-1.0"
    assert got[0]["attribution"] == '"u1" by A (Sketchfab, via Objaverse)'


def test_lvis_categories_default_for_built_in_classes_and_come_from_the_config_for_others():
    ann = {"cat": ["u1"], "horse": ["u3", "u5"]}
    paths = {u: f"glbs/000-000/{u}.glb" for u in LICENCES}
    meta = {u: {"name": u, "license": lic} for u, lic in LICENCES.items()}
    spec = {"per_class": 2, "categories": {"stallion": ["horse"]}}
    assert [o["uid"] for o in select_objects("stallion", ann, paths, meta, spec, "http://h")] == ["u3", "u5"]
    assert [o["uid"] for o in select_objects("cat", ann, paths, meta, spec, "http://h")] == ["u1"]  # default
    with pytest.raises(AssetError, match=r"objaverse\.categories\.mare"):
        select_objects("mare", ann, paths, meta, spec, "http://h")


def test_pin_then_fetch_objects(objaverse, http_server, tmp_path):
    config = {
        "world": {"subjects": {"cat": {"meshes": [{"objaverse": True}]}}},
        "objaverse": {"base_url": objaverse, "per_class": {"cat": 3}},
    }
    lock_file = tmp_path / "x.lock.yaml"
    cache = tmp_path / "resources" / "assets" / ".archives"
    pin_downloads(config, lock_file, cache, log=lambda _: None)
    objects = read_lock(lock_file)["objects"]["objaverse/cat"]
    assert [o["uid"] for o in objects] == ["u1", "u3", "u5"]  # by-nc, by-nd, by-nc-sa left out
    assert all(len(o["sha256"]) == 64 and o["size"] > 0 for o in objects)
    out = fetch_objects(
        objects, "cat", tmp_path / "resources" / "assets" / "objaverse_cat", cache, str(lock_file), log=lambda _: None
    )
    assert sorted(p.name for p in out.iterdir()) == ["u1.glb", "u3.glb", "u5.glb"]
    assert http_server.count("objaverse/glbs/000-000/u1.glb") == 1  # the pin's copy was reused
    # A changed file on the server no longer matches its pin.
    (http_server.root / "objaverse/glbs/000-000/u1.glb").write_bytes(b"changed")
    with pytest.raises(AssetError, match="sha256 mismatch"):
        fetch_objects(objects, "cat", tmp_path / "other", tmp_path / "cache2", None, log=lambda _: None)


def test_unpinned_objects_are_refused():
    with pytest.raises(UnpinnedAssetError, match="python -m domrand.assets.pin"):
        fetch_objects(None, "dog", "/nonexistent/out", "/nonexistent/cache", "configs/paper.lock.yaml")


@pytest.fixture
def waits(monkeypatch):
    """The backoff waits asked of time.sleep by the downloads, which return at once."""
    asked = []
    monkeypatch.setattr("domrand.assets.download.time.sleep", asked.append)
    return asked


def _cat_config(base, per_class=3, **objaverse):
    return {
        "world": {"subjects": {"cat": {"meshes": [{"objaverse": True}]}}},
        "objaverse": {"base_url": base, "per_class": {"cat": per_class}, **objaverse},
    }


def test_pin_retries_transient_server_errors_with_backoff(objaverse, http_server, tmp_path, waits):
    http_server.fail("objaverse/lvis-annotations.json.gz", 503, times=1)
    http_server.fail("objaverse/glbs/000-000/u3.glb", 503, times=2)
    lines = []
    pin_downloads(_cat_config(objaverse), tmp_path / "x.lock.yaml", tmp_path / "cache", log=lines.append, backoff_s=0.5)
    assert [o["uid"] for o in read_lock(tmp_path / "x.lock.yaml")["objects"]["objaverse/cat"]] == ["u1", "u3", "u5"]
    assert http_server.count("objaverse/lvis-annotations.json.gz") == 2
    assert http_server.count("objaverse/glbs/000-000/u3.glb") == 3
    assert waits == [0.5, 0.5, 1.0]  # exponential per file: 0.5 s, then 0.5 s and 1 s
    assert any("attempt 1/5 failed" in line and "retrying in 0.5 s" in line for line in lines)


def test_pin_gives_up_after_its_retries_and_on_a_missing_file(objaverse, http_server, tmp_path, waits):
    http_server.fail("objaverse/object-paths.json.gz", 503)
    with pytest.raises(AssetError, match="object-paths.json.gz after 3 attempts"):
        pin_downloads(
            _cat_config(objaverse),
            tmp_path / "x.lock.yaml",
            tmp_path / "cache",
            log=lambda _: None,
            retries=2,
            backoff_s=0,
        )
    assert http_server.count("objaverse/object-paths.json.gz") == 3 and waits == []
    http_server.fail("objaverse/object-paths.json.gz", 404)  # permanent: asked once
    with pytest.raises(AssetError, match="404"):
        pin_downloads(
            _cat_config(objaverse), tmp_path / "x.lock.yaml", tmp_path / "cache", log=lambda _: None, backoff_s=0
        )
    assert http_server.count("objaverse/object-paths.json.gz") == 4
    assert "objaverse/cat" not in read_lock(tmp_path / "x.lock.yaml")["objects"]


def test_metadata_keeps_only_the_wanted_uids_of_each_shard(http_server):
    root = http_server.root / "objaverse"
    everyone = {
        f"{s:03d}-000": {f"x{s}_{i:05d}": {"name": f"object {i}", "license": "by", "user": {}} for i in range(3000)}
        for s in range(2)
    }
    for shard, meta in everyone.items():
        write_gz(root / "metadata" / f"{shard}.json.gz", meta)
    wanted = {"x0_00007", "x1_02999", "x1_00000", "not_anywhere"}
    paths = {"glbs/000-000/x0_00007.glb", "glbs/001-000/x1_02999.glb", "glbs/001-000/x1_00000.glb"}
    base = http_server.url("objaverse")
    fetched = []

    def get(url):
        fetched.append(url)
        name = url.rsplit("/", 1)[-1]
        return root / "metadata" / name

    got = shard_metadata(base, paths, wanted, get)
    assert got == {u: everyone[f"{u[1]:0>3}-000"][u] for u in wanted - {"not_anywhere"}}
    assert fetched == [f"{base}/metadata/000-000.json.gz", f"{base}/metadata/001-000.json.gz"]  # one read each


def test_pin_keeps_only_the_wanted_objects_paths(objaverse, http_server, tmp_path, monkeypatch):
    """Of object-paths (800k uids on the real server) only the wanted classes' uids are kept."""
    import domrand.assets.objaverse as ov

    root = http_server.root / "objaverse"
    paths = {u: f"glbs/000-000/{u}.glb" for u in LICENCES} | {
        f"other{i}": f"glbs/001-000/other{i}.glb" for i in range(5000)
    }
    write_gz(root / "object-paths.json.gz", paths)
    seen = {}
    real = ov.select_objects

    def spy(cls, annotations, paths, metadata, spec, base_url):
        seen.update(annotations=annotations, paths=paths, metadata=metadata)
        return real(cls, annotations, paths, metadata, spec, base_url)

    monkeypatch.setattr(ov, "select_objects", spy)
    pin_downloads(_cat_config(objaverse), tmp_path / "x.lock.yaml", tmp_path / "cache", log=lambda _: None)
    assert seen["annotations"] == {"cat": ["u5", "u1", "u2", "u3", "u4", "u6"]}  # not the other categories
    assert set(seen["paths"]) == set(LICENCES) and set(seen["metadata"]) == set(LICENCES)
    assert http_server.count("objaverse/metadata/001-000.json.gz") == 0


def test_a_class_short_of_objects_is_an_error_and_not_locked(objaverse, http_server, tmp_path):
    config = _cat_config(objaverse, per_class=4)  # 3 of the 6 cats have an allowed licence
    config["world"]["subjects"]["dog"] = {"meshes": [{"objaverse": True}]}
    config["objaverse"]["per_class"]["dog"] = 1
    lock_file = tmp_path / "x.lock.yaml"
    with pytest.raises(
        AssetError,
        match=r"objaverse/cat: the LVIS categories \['cat'\] have only 3 objects.*"
        r"objaverse\.per_class\.cat to 3 or fewer.*objaverse\.categories\.cat",
    ):
        pin_downloads(config, lock_file, tmp_path / "cache", log=lambda _: None)
    assert "objaverse/cat" not in read_lock(lock_file)["objects"]
    assert http_server.count("objaverse/glbs/000-000/u1.glb") == 0  # nothing downloaded for it
    # Fixed for the cat, the dog (LVIS "dog" has one object, without a path) fails the same way,
    # after the cat is pinned and kept.
    config["objaverse"]["per_class"]["cat"] = 3
    with pytest.raises(AssetError, match=r"objaverse/dog: the LVIS categories \['dog'\] have only 0 objects"):
        pin_downloads(config, lock_file, tmp_path / "cache", log=lambda _: None)
    objects = read_lock(lock_file)["objects"]
    assert len(objects["objaverse/cat"]) == 3 and "objaverse/dog" not in objects


def test_a_short_class_in_an_older_lock_is_pinned_again(objaverse, tmp_path):
    lock_file = tmp_path / "x.lock.yaml"
    pin_downloads(_cat_config(objaverse, per_class=1), lock_file, tmp_path / "cache", log=lambda _: None)
    assert len(read_lock(lock_file)["objects"]["objaverse/cat"]) == 1
    pin_downloads(_cat_config(objaverse, per_class=3), lock_file, tmp_path / "cache", log=lambda _: None)
    assert [o["uid"] for o in read_lock(lock_file)["objects"]["objaverse/cat"]] == ["u1", "u3", "u5"]
