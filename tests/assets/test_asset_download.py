"""fetch_asset against a loopback server: checksums, retries, extraction, idempotency."""

from __future__ import annotations

import os

import pytest

from domrand.assets.download import STAMP_NAME, AssetError, fetch_asset

PAYLOAD = b"a pinned asset\n" * 1000


def spec_for(server, kit, name, served, data, **extra):
    (server.root / served).write_bytes(data)
    spec = {
        "name": name,
        "url": server.url(served),
        "sha256": kit.sha256_bytes(data),
        "licence": "CC0-1.0",
        "attribution": "test",
    }
    spec.update(extra)
    return spec


def everything_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def fetch(spec, dest, log=None, **kw):
    kw.setdefault("backoff_s", 0)
    kw.setdefault("timeout_s", 5)
    return fetch_asset(spec, dest, log=log if log is not None else (lambda _: None), **kw)


def test_plain_file_is_downloaded_and_verified(http_server, kit, tmp_path):
    spec = spec_for(http_server, kit, "blob", "blob.bin", PAYLOAD)
    lines = []
    out = fetch(spec, tmp_path / "res", log=lines.append)
    assert out == tmp_path / "res" / "blob.bin"
    assert out.read_bytes() == PAYLOAD
    # No temp dirs or partial files next to the result.
    assert everything_under(tmp_path / "res") == ["blob.bin"]
    assert any("MB/s" in line and "done" in line for line in lines), lines
    assert http_server.count("blob.bin") == 1
    assert out.stat().st_mode & 0o777 == 0o644


def test_sha256_prefix_and_filename_override(http_server, kit, tmp_path):
    spec = spec_for(http_server, kit, "blob", "blob.bin", PAYLOAD, filename="renamed.dat")
    spec["sha256"] = "sha256:" + spec["sha256"].upper()
    out = fetch(spec, tmp_path / "res")
    assert out.name == "renamed.dat" and out.read_bytes() == PAYLOAD


def test_checksum_mismatch_names_both_hashes_and_leaves_nothing(http_server, kit, tmp_path):
    spec = spec_for(http_server, kit, "blob", "blob.bin", PAYLOAD)
    actual = spec["sha256"]
    spec["sha256"] = "0" * 64
    dest = tmp_path / "res"
    with pytest.raises(AssetError) as err:
        fetch(spec, dest, retries=2)
    msg = str(err.value)
    for part in ("blob", spec["url"], "0" * 64, actual):
        assert part in msg
    assert everything_under(dest) == []
    # A wrong checksum is not a network hiccup: no retries.
    assert http_server.count("blob.bin") == 1


def test_existing_file_with_wrong_content_is_replaced(http_server, kit, tmp_path):
    spec = spec_for(http_server, kit, "blob", "blob.bin", PAYLOAD)
    dest = tmp_path / "res"
    dest.mkdir()
    (dest / "blob.bin").write_bytes(b"truncated")
    assert fetch(spec, dest).read_bytes() == PAYLOAD


def test_unreachable_url_is_retried_then_explains_offline_nodes(unreachable_url, tmp_path):
    spec = {"name": "far", "url": unreachable_url, "sha256": "a" * 64, "licence": "MIT"}
    lines = []
    with pytest.raises(AssetError) as err:
        fetch(spec, tmp_path / "res", log=lines.append, retries=2)
    msg = str(err.value)
    assert "far" in msg and unreachable_url in msg
    assert "3 attempts" in msg and "`snakemake fetch --configfile" in msg
    assert sum("failed" in line for line in lines) == 3
    assert everything_under(tmp_path / "res") == []


def test_transient_server_errors_are_retried(http_server, kit, tmp_path):
    spec = spec_for(http_server, kit, "blob", "blob.bin", PAYLOAD)
    http_server.fail("blob.bin", 503, times=2)
    assert fetch(spec, tmp_path / "res", retries=2).read_bytes() == PAYLOAD
    assert http_server.count("blob.bin") == 3


def test_http_404_fails_at_once_with_the_url(http_server, kit, tmp_path):
    spec = spec_for(http_server, kit, "blob", "blob.bin", PAYLOAD)
    http_server.fail("blob.bin", 404)
    with pytest.raises(AssetError, match="HTTP 404") as err:
        fetch(spec, tmp_path / "res", retries=3)
    assert spec["url"] in str(err.value)
    assert http_server.count("blob.bin") == 1
    assert everything_under(tmp_path / "res") == []


def test_second_fetch_makes_no_request(http_server, kit, tmp_path):
    spec = spec_for(http_server, kit, "blob", "blob.bin", PAYLOAD)
    first = fetch(spec, tmp_path / "res")
    mtime = first.stat().st_mtime_ns
    second = fetch(spec, tmp_path / "res")
    assert second == first and second.stat().st_mtime_ns == mtime
    assert http_server.count("blob.bin") == 1


def test_zip_is_extracted_with_stamp_and_is_idempotent(http_server, kit, tmp_path):
    members = kit.textured_obj_files()
    spec = spec_for(http_server, kit, "catmodel", "cat.zip", kit.zip_bytes(members))
    dest = tmp_path / "res"
    out = fetch(spec, dest)
    assert out == dest / "catmodel"
    for name, data in members.items():
        assert (out / name).read_bytes() == data
    assert (out / STAMP_NAME).read_text().strip() == spec["sha256"]
    assert out.stat().st_mode & 0o777 == 0o755
    assert sorted(os.listdir(dest)) == ["cat.zip", "catmodel"]  # no temp dirs left
    assert fetch(spec, dest) == out
    assert http_server.count("cat.zip") == 1


def test_tar_gz_kind_is_inferred_from_suffix(http_server, kit, tmp_path):
    data = kit.tar_gz_bytes({"tex/wood.png": kit.png_bytes(), "readme.txt": b"hi"})
    spec = spec_for(http_server, kit, "materials", "materials.tar.gz", data)
    out = fetch(spec, tmp_path / "res")
    assert (out / "tex" / "wood.png").read_bytes() == kit.png_bytes()
    assert (out / "readme.txt").read_bytes() == b"hi"


def test_extract_none_keeps_the_archive_as_a_file(http_server, kit, tmp_path):
    data = kit.zip_bytes({"a.txt": b"a"})
    spec = spec_for(http_server, kit, "raw", "raw.zip", data, extract=None)
    assert fetch(spec, tmp_path / "res") == tmp_path / "res" / "raw.zip"
    assert not (tmp_path / "res" / "raw").exists()


def test_stale_extraction_without_stamp_is_replaced(http_server, kit, tmp_path):
    spec = spec_for(http_server, kit, "pack", "pack.zip", kit.zip_bytes({"new.txt": b"new"}))
    stale = tmp_path / "res" / "pack"
    stale.mkdir(parents=True)
    (stale / "old.txt").write_text("left by a killed run")
    out = fetch(spec, tmp_path / "res")
    assert everything_under(out) == [STAMP_NAME, "new.txt"]
    assert sorted(os.listdir(tmp_path / "res")) == ["pack", "pack.zip"]


@pytest.mark.parametrize(
    "filename, make",
    [
        (
            "evil.zip",
            lambda kit: kit.zip_bytes({"ok.txt": b"1", "../escaped.txt": b"x"}),
        ),
        (
            "evil.tar.gz",
            lambda kit: kit.tar_gz_bytes({"ok.txt": b"1", "../escaped.txt": b"x"}),
        ),
        ("abs.tar.gz", lambda kit: kit.tar_gz_bytes({"/tmp/escaped.txt": b"x"})),
        (
            "link.tar.gz",
            lambda kit: kit.tar_gz_bytes({}, symlinks={"sub/up": "../../.."}),
        ),
    ],
)
def test_path_traversal_members_are_refused(http_server, kit, tmp_path, filename, make):
    spec = spec_for(http_server, kit, "evil", filename, make(kit))
    dest = tmp_path / "deep" / "res"
    with pytest.raises(AssetError, match="unsafe member"):
        fetch(spec, dest)
    assert not (dest / "evil").exists()
    assert not any(p.name == "escaped.txt" for p in tmp_path.rglob("*"))
    assert [p for p in os.listdir(dest) if p.startswith(".")] == []


def test_corrupt_archive_is_a_clear_error(http_server, kit, tmp_path):
    spec = spec_for(http_server, kit, "broken", "broken.zip", b"this is not a zip file")
    with pytest.raises(AssetError, match="broken.*not a valid zip"):
        fetch(spec, tmp_path / "res")
    assert not (tmp_path / "res" / "broken").exists()


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"sha256": None}, "not a 64-digit hex"),
        ({"sha256": "abc"}, "not a 64-digit hex"),
        ({"url": ""}, "has no 'url'"),
        ({"name": "../x"}, "plain file name"),
        ({"extract": "rar"}, "not one of"),
    ],
)
def test_bad_specs_are_rejected_before_any_request(http_server, kit, tmp_path, bad, match):
    spec = spec_for(http_server, kit, "blob", "blob.zip", PAYLOAD)
    spec.update(bad)
    with pytest.raises(AssetError, match=match):
        fetch(spec, tmp_path / "res")
    assert http_server.count("blob.zip") == 0
