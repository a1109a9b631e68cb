"""Objaverse-LVIS subjects against a loopback copy of its layout: licence filter, pins, fetch."""

from __future__ import annotations

import gzip
import json

import pytest

from domrand.assets.download import AssetError
from domrand.assets.lock import UnpinnedAssetError, read_lock
from domrand.assets.objaverse import fetch_objects, licence_allowed, select_objects
from domrand.assets.pin import pin_downloads

LICENCES = {"u1": "by", "u2": "by-nc", "u3": "cc0", "u4": "by-nd", "u5": "by-sa", "u6": "by-nc-sa"}


def write_gz(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps(obj).encode()))


@pytest.fixture
def objaverse(http_server, kit, tmp_path):
    """<base>/lvis-annotations.json.gz, object-paths.json.gz, metadata/000-000.json.gz and
    glbs/000-000/<uid>.glb, as on the Hugging Face dataset."""
    root = http_server.root / "objaverse"
    write_gz(root / "lvis-annotations.json.gz", {"cat": ["u5", "u1", "u2", "u3", "u4", "u6"], "dog": ["u9"]})
    write_gz(root / "object-paths.json.gz", {u: f"glbs/000-000/{u}.glb" for u in LICENCES})
    write_gz(root / "metadata" / "000-000.json.gz", {
        u: {"name": f"Model {u}", "license": lic, "user": {"username": f"artist_{u}"}}
        for u, lic in LICENCES.items()})
    (root / "glbs" / "000-000").mkdir(parents=True)
    for u in LICENCES:
        kit.build_rig(root / "glbs" / "000-000" / f"{u}.glb")
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


def test_pin_then_fetch_objects(objaverse, http_server, tmp_path):
    config = {"world": {"subjects": {"cat": {"meshes": [{"objaverse": True}]}}},
              "objaverse": {"base_url": objaverse, "per_class": {"cat": 3}}}
    lock_file = tmp_path / "x.lock.yaml"
    cache = tmp_path / "resources" / "assets" / ".archives"
    pin_downloads(config, lock_file, cache, log=lambda _: None)
    objects = read_lock(lock_file)["objects"]["objaverse/cat"]
    assert [o["uid"] for o in objects] == ["u1", "u3", "u5"]  # by-nc, by-nd, by-nc-sa left out
    assert all(len(o["sha256"]) == 64 and o["size"] > 0 for o in objects)
    out = fetch_objects(objects, "cat", tmp_path / "resources" / "assets" / "objaverse_cat", cache,
                        str(lock_file), log=lambda _: None)
    assert sorted(p.name for p in out.iterdir()) == ["u1.glb", "u3.glb", "u5.glb"]
    assert http_server.count("objaverse/glbs/000-000/u1.glb") == 1  # the pin's copy was reused
    # A changed file on the server no longer matches its pin.
    (http_server.root / "objaverse/glbs/000-000/u1.glb").write_bytes(b"changed")
    with pytest.raises(AssetError, match="sha256 mismatch"):
        fetch_objects(objects, "cat", tmp_path / "other", tmp_path / "cache2", None, log=lambda _: None)


def test_unpinned_objects_are_refused():
    with pytest.raises(UnpinnedAssetError, match="python -m domrand.assets.pin"):
        fetch_objects(None, "dog", "/nonexistent/out", "/nonexistent/cache", "configs/paper.lock.yaml")
