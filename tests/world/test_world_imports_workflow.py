"""world.materials_from / skies_from through the config and the workflow: schema and
cross-reference checks, the build_world rule fetching served downloads, reruns when an
asset changes, ATTRIBUTION.md, and the refusal of an unpinned texture."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from domrand.config import ConfigError, deep_merge, validate_config, world_imports
from helpers import texture_archives as ta
from helpers.httpserver import LoopbackServer

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SCHEMA = REPO / "schemas/config.schema.yaml"


@pytest.fixture
def config():
    return yaml.safe_load((REPO / "config.yaml").read_text())


def _with_imports(config, materials=("acg_*",), skies=("ph_*",)):
    cfg = copy.deepcopy(config)
    cfg["downloads"] = {
        "acg_Wood049": {
            "url": "https://ambientcg.com/get?file=Wood049_1K-JPG.zip",
            "licence": "CC0-1.0",
            "attribution": "ambientCG.com",
            "filename": "Wood049_1K-JPG.zip",
        },
        "ph_sky": {"url": "https://example.org/sky_1k.hdr", "licence": "CC0-1.0", "attribution": "Poly Haven"},
    }
    cfg["world"]["materials_from"] = list(materials)
    cfg["world"]["skies_from"] = list(skies)
    return cfg


def test_config_accepts_imports_and_expands_globs(config):
    cfg = _with_imports(config)
    validate_config(cfg, SCHEMA)
    assert world_imports(cfg) == {"materials": ["acg_Wood049"], "skies": ["ph_sky"]}
    assert world_imports(config) == {"materials": [], "skies": []}


@pytest.mark.parametrize(
    "change, match",
    [
        ({"materials": ("wood_*",)}, r"config key world.materials_from: 'wood_\*' matches no entry of `downloads`"),
        ({"skies": ("ph/sky",)}, r"config key world.skies_from.0: "),
    ],
)
def test_config_errors_name_the_key(config, change, match):
    with pytest.raises(ConfigError, match=match):
        validate_config(_with_imports(config, **change), SCHEMA)


def test_more_imported_skies_than_skies_is_a_config_error(config):
    cfg = _with_imports(config)
    cfg["downloads"]["ph_sky2"] = dict(cfg["downloads"]["ph_sky"], url="https://example.org/b.hdr")
    cfg["world"]["skies"] = 1
    with pytest.raises(ConfigError, match="world.skies_from: 2 downloads, more than world.skies"):
        validate_config(cfg, SCHEMA)


def test_paper_config_imports_74_materials_and_its_skies():
    cfg = deep_merge(
        yaml.safe_load((REPO / "config.yaml").read_text()), yaml.safe_load((REPO / "configs/paper.yaml").read_text())
    )
    validate_config(cfg, SCHEMA)
    found = world_imports(cfg)
    assert len(found["materials"]) == cfg["world"]["materials"] == 74
    assert len(found["skies"]) == cfg["world"]["skies"] >= 8
    for name in found["materials"] + found["skies"]:
        entry = cfg["downloads"][name]
        assert entry["licence"] == "CC0-1.0" and "sha256" not in entry  # pinned in the lock
        if name in found["materials"]:
            asset_id = name.removeprefix("acg_")
            assert entry["url"] == f"https://ambientcg.com/get?file={asset_id}_1K-JPG.zip"
            assert entry["filename"] == f"{asset_id}_1K-JPG.zip"  # the URL path ("get") names nothing
            assert entry["attribution"] == "ambientCG.com"
        else:
            sky = name.removeprefix("ph_")
            assert entry["url"] == f"https://dl.polyhaven.org/file/ph-assets/HDRIs/hdr/1k/{sky}_1k.hdr"
            assert entry["attribution"] == "Poly Haven (polyhaven.com)"
    families = {n.removeprefix("acg_").rstrip("0123456789ABCD") for n in found["materials"]}
    assert {"Wood", "Rock", "Metal", "Fabric", "Tiles", "Ground", "Plastic", "Leather", "Bricks"} <= families


def _snakemake(*args, cwd=REPO, check=True):
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    cmd = [str(BIN / "snakemake"), "-s", str(REPO / "Snakefile"), *args]
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p


def _serve(server, pin=True) -> dict:
    files = {
        "Wood049_1K-JPG.zip": ta.acg_zip("Wood049"),
        "Metal032_1K-JPG.zip": ta.acg_zip("Metal032", metalness=250),
        "venice_sunset_1k.hdr": ta.hdr_bytes(ta.sky_radiance(64)),
    }
    downloads = {}
    for fname, data in files.items():
        (server.root / fname).write_bytes(data)
        name = ("ph_" if fname.endswith(".hdr") else "acg_") + fname.split("_1")[0]
        downloads[name] = {
            "url": server.url(fname),
            "licence": "CC0-1.0",
            "attribution": f"test {name}",
            "kind": "sky" if fname.endswith(".hdr") else "material",
        }
        if fname.endswith(".zip"):
            downloads[name]["filename"] = fname
        if pin:
            downloads[name]["sha256"] = hashlib.sha256(data).hexdigest()
    return {"world": {"materials_from": ["acg_*"], "skies_from": ["ph_*"]}, "downloads": downloads}


def test_workflow_builds_the_world_from_served_textures(tmp_path):
    with LoopbackServer(tmp_path / "www") as server:
        override = tmp_path / "textures.yaml"
        override.write_text(yaml.safe_dump(_serve(server), sort_keys=False))
        work = tmp_path / "work"
        args = ("--cores", "1", "--directory", str(work), "--configfile", str(REPO / "configs/ci.yaml"), str(override))
        _snakemake("resources/world", "results/ATTRIBUTION.md", *args)
        m = json.loads((work / "resources/world/world.json").read_text())
        assert [e.get("download") for e in m["materials"][:3]] == ["acg_Wood049", "acg_Metal032", None]
        assert m["materials"][1]["metallic"] > 0.95
        assert m["skies"][0]["download"] == "ph_venice_sunset" and len(m["skies"]) == 4
        text = (work / "results/ATTRIBUTION.md").read_text()
        assert "imported 2 materials (acg_Wood049, acg_Metal032) and 1 sky (ph_venice_sunset)" in text
        for name in ("acg_Wood049", "acg_Metal032", "ph_venice_sunset"):
            assert f"| {name} |" in text
        # Nothing changed: nothing to do. A changed asset (new bytes, new pin) rebuilds the world.
        assert "build_world" not in _snakemake("-n", "resources/world", *args).stdout
        cfg = yaml.safe_load(override.read_text())
        data = ta.acg_zip("Wood049", seed=7)
        (server.root / "Wood049_1K-JPG.zip").write_bytes(data)
        cfg["downloads"]["acg_Wood049"]["sha256"] = hashlib.sha256(data).hexdigest()
        override.write_text(yaml.safe_dump(cfg, sort_keys=False))
        p = _snakemake("-n", "resources/world", *args)
        assert "build_world" in p.stdout and "download_asset" in p.stdout


def test_unpinned_texture_is_refused_naming_the_key(tmp_path):
    with LoopbackServer(tmp_path / "www") as server:
        override = tmp_path / "textures.yaml"
        override.write_text(yaml.safe_dump(_serve(server, pin=False), sort_keys=False))
        work = tmp_path / "work"
        p = _snakemake(
            "resources/world",
            "--cores",
            "1",
            "--directory",
            str(work),
            "--configfile",
            str(REPO / "configs/ci.yaml"),
            str(override),
            check=False,
        )
        assert p.returncode != 0
        assert server.count("Wood049_1K-JPG.zip") == 0
    # Snakemake may start any of the unpinned downloads first; it fails naming its own key.
    logs = [p.read_text() for p in (work / "logs/assets").glob("download_*.log")]
    assert any(
        re.search(r"config key downloads\.(acg|ph)_\w+", log) and "python -m domrand.assets.pin" in log for log in logs
    ), logs
    assert not (work / "resources/world").exists()


def test_pin_command_pins_each_texture_and_sky(tmp_path, monkeypatch):
    from domrand.assets.lock import config_downloads, read_lock, require_pinned, resolve_download
    from domrand.assets.pin import pin_downloads

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with LoopbackServer(tmp_path / "www") as server:
        override = _serve(server, pin=False)
        lock_file = tmp_path / "paper.lock.yaml"
        pin_downloads(override, lock_file, tmp_path / "cache", log=lambda *_: None)
    lock = read_lock(lock_file)
    for name, (key, entry) in config_downloads(override).items():
        pinned = lock["assets"][entry["url"]]
        assert pinned["sha256"] == hashlib.sha256((server.root / Path(entry["url"]).name).read_bytes()).hexdigest()
        assert pinned["licence"] == "CC0-1.0"
        assert require_pinned(resolve_download(name, entry, lock, key, lock_file))["sha256"] == pinned["sha256"]
