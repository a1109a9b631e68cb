"""Lock files and the pin command: unpinned downloads are refused, pins are verified."""

from __future__ import annotations

import pytest
import yaml

from domrand.assets.download import AssetError
from domrand.assets.fetch import fetch_download
from domrand.assets.lock import (
    UnpinnedAssetError,
    config_downloads,
    read_lock,
    require_pinned,
    resolve_download,
    write_lock,
)
from domrand.assets.pin import main as pin_main
from domrand.assets.pin import pin_downloads

DATA = b"texture bytes\n" * 500


def entry(url, **extra):
    return {"url": url, "licence": "CC0-1.0", "attribution": "test", **extra}


def quiet(_):
    pass


def test_lock_round_trip_and_missing_file(tmp_path):
    assert read_lock(tmp_path / "none.yaml")["assets"] == {}
    lock = {"assets": {"http://x/a.zip": {"sha256": "a" * 64, "size": 3, "licence": "CC0-1.0"}}}
    path = write_lock(lock, tmp_path / "l.lock.yaml")
    assert read_lock(path)["assets"] == lock["assets"]
    assert "python -m domrand.assets.pin" in path.read_text()


def test_bad_lock_names_the_file(tmp_path):
    bad = tmp_path / "bad.lock.yaml"
    bad.write_text(yaml.safe_dump({"version": 1, "assets": {"http://x": {"sha256": "nope"}}}))
    with pytest.raises(AssetError, match="bad.lock.yaml"):
        read_lock(bad)


def test_sha256_comes_from_config_then_lock():
    lock = {"assets": {"http://x/a.zip": {"sha256": "b" * 64}}}
    assert resolve_download("a", entry("http://x/a.zip"), lock)["sha256"] == "b" * 64
    own = resolve_download("a", entry("http://x/a.zip", sha256="b" * 64), lock)
    assert own["sha256"] == "b" * 64
    assert resolve_download("a", entry("http://x/other.zip"), lock)["sha256"] is None
    with pytest.raises(AssetError, match="downloads.a.sha256"):
        resolve_download("a", entry("http://x/a.zip", sha256="c" * 64), lock)


def test_unpinned_download_is_refused_naming_key_and_pin_command(http_server, tmp_path):
    (http_server.root / "t.zip").write_bytes(DATA)
    spec = resolve_download("tex", entry(http_server.url("t.zip")), {}, "downloads.tex", "configs/paper.lock.yaml")
    with pytest.raises(UnpinnedAssetError) as err:
        fetch_download(spec, tmp_path / "out", tmp_path / "cache", log=quiet)
    msg = str(err.value)
    assert "config key downloads.tex" in msg
    assert "python -m domrand.assets.pin" in msg and "configs/paper.lock.yaml" in msg
    assert http_server.count("t.zip") == 0  # refused before any request
    assert not (tmp_path / "out").exists()
    assert require_pinned({**spec, "sha256": "a" * 64})


def test_fetch_download_plain_file_and_archive(http_server, kit, tmp_path):
    (http_server.root / "sky.jpg").write_bytes(DATA)
    archive = kit.zip_bytes({"Wood/Wood_Color.jpg": DATA})
    (http_server.root / "wood.zip").write_bytes(archive)
    plain = resolve_download("sky", entry(http_server.url("sky.jpg"), sha256=kit.sha256_bytes(DATA)), {})
    out = fetch_download(plain, tmp_path / "assets" / "sky", tmp_path / "assets" / ".archives", log=quiet)
    assert (out / "sky.jpg").read_bytes() == DATA
    zipped = resolve_download("wood", entry(http_server.url("wood.zip"), sha256=kit.sha256_bytes(archive)), {})
    out = fetch_download(zipped, tmp_path / "assets" / "wood", tmp_path / "assets" / ".archives", log=quiet)
    assert (out / "Wood" / "Wood_Color.jpg").read_bytes() == DATA
    # Rebuilding the folder (Snakemake deletes outputs first) re-extracts from the cache.
    import shutil

    shutil.rmtree(out)
    fetch_download(zipped, tmp_path / "assets" / "wood", tmp_path / "assets" / ".archives", log=quiet)
    assert http_server.count("wood.zip") == 1


def test_pin_writes_the_lock_then_fetch_verifies_against_it(http_server, kit, tmp_path):
    (http_server.root / "a.zip").write_bytes(kit.zip_bytes({"a/x.txt": DATA}))
    (http_server.root / "b.txt").write_bytes(DATA)
    config = {
        "downloads": {
            "a": entry(http_server.url("a.zip")),
            "b": entry(http_server.url("b.txt"), sha256=kit.sha256_bytes(DATA)),
        },
        "model": {},
    }
    lock_file = tmp_path / "c.lock.yaml"
    lock = pin_downloads(config, lock_file, tmp_path / "cache", log=quiet)
    a_sha = kit.sha256_bytes((http_server.root / "a.zip").read_bytes())
    assert lock["assets"][http_server.url("a.zip")]["sha256"] == a_sha
    assert lock["assets"][http_server.url("a.zip")]["size"] == (http_server.root / "a.zip").stat().st_size
    assert read_lock(lock_file)["assets"] == lock["assets"]
    # Pinned entries are skipped on the next run; the cache makes the fetch request-free.
    pin_downloads(config, lock_file, tmp_path / "cache", log=quiet)
    assert http_server.count("a.zip") == 1
    spec = resolve_download("a", config["downloads"]["a"], read_lock(lock_file))
    fetch_download(spec, tmp_path / "out", tmp_path / "cache", log=quiet)
    assert http_server.count("a.zip") == 1
    # A changed file no longer matches its pin.
    (http_server.root / "a.zip").write_bytes(kit.zip_bytes({"a/x.txt": b"other"}))
    (tmp_path / "cache" / "a.zip").unlink()
    with pytest.raises(AssetError, match="sha256 mismatch"):
        fetch_download(spec, tmp_path / "out2", tmp_path / "cache2", log=quiet)


def test_pin_refuses_a_wrong_config_hash(http_server, tmp_path):
    (http_server.root / "b.txt").write_bytes(DATA)
    config = {"downloads": {"b": entry(http_server.url("b.txt"), sha256="0" * 64)}}
    with pytest.raises(AssetError, match="config key downloads.b.sha256"):
        pin_downloads(config, tmp_path / "l.yaml", tmp_path / "cache", log=quiet)


def test_pin_command_line(http_server, tmp_path, capsys):
    (http_server.root / "w.pth").write_bytes(DATA)
    repo = tmp_path / "repo"
    (repo / "configs").mkdir(parents=True)
    (repo / "Snakefile").write_text("")
    (repo / "configs" / "x.yaml").write_text(
        yaml.safe_dump(
            {"lock": "configs/x.lock.yaml", "model": {"weights": {"name": "w.pth", **entry(http_server.url("w.pth"))}}}
        )
    )
    assert pin_main([str(repo / "configs" / "x.yaml")]) == 0
    lock = read_lock(repo / "configs" / "x.lock.yaml")
    assert list(lock["assets"]) == [http_server.url("w.pth")]
    assert (repo / "resources" / "assets" / ".archives" / "w.pth").is_file()
    http_server.fail("w.pth", 404)
    (repo / "configs" / "y.yaml").write_text(
        yaml.safe_dump(
            {"lock": "configs/y.lock.yaml", "model": {"weights": {"name": "w.pth", **entry(http_server.url("w.pth"))}}}
        )
    )
    (repo / "resources" / "assets" / ".archives" / "w.pth").unlink()
    assert pin_main([str(repo / "configs" / "y.yaml")]) == 1
    assert "config key model.weights" in capsys.readouterr().err
    assert pin_main([str(repo / "configs" / "z.yaml")]) == 2
    assert "configs/z.yaml" in capsys.readouterr().err


def test_config_downloads_lists_downloads_and_weights():
    config = {"downloads": {"a": entry("http://x/a")}, "model": {"weights": {"name": "w.pth", **entry("http://x/w")}}}
    assert config_downloads(config) == {
        "a": ("downloads.a", entry("http://x/a")),
        "w.pth": ("model.weights", entry("http://x/w")),
    }
