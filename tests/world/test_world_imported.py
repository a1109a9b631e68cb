"""Imported materials and skies: the .hdr reader, the ambientCG importer, build_world with
world.materials_from / skies_from, and the errors that name the download and file."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from domrand.config import ConfigError, expand_names
from domrand.world import imported, textures
from domrand.world.build import World, build_world
from domrand.world.imported import WorldAssetError
from helpers import texture_archives as ta

PARAMS = {
    "seed": 0,
    "classes": ["cat", "dog"],
    "breeds": 1,
    "heldout_breeds": {"real": 1, "toon": 1},
    "target_skies": 2,
    "target_grounds": 2,
    "target_texture_size": 32,
    "materials": 4,
    "skies": 3,
    "texture_size": 32,
    "sky_width": 64,
}
DOWNLOADS = {
    "acg_Wood049": {
        "url": "https://ambientcg.com/get?file=Wood049_1K-JPG.zip",
        "licence": "CC0-1.0",
        "attribution": "ambientCG.com",
        "kind": "material",
    },
    "acg_Metal032": {
        "url": "https://ambientcg.com/get?file=Metal032_1K-JPG.zip",
        "licence": "CC0-1.0",
        "attribution": "ambientCG.com",
        "kind": "material",
    },
    "ph_venice_sunset": {
        "url": "https://dl.polyhaven.org/x/venice_sunset_1k.hdr",
        "licence": "CC0-1.0",
        "attribution": "Poly Haven (polyhaven.com)",
        "kind": "sky",
    },
    "petimages": {"url": "https://example.org/p.zip", "licence": "x", "attribution": "y"},
}


def _unzip(data: bytes, dest):
    import io
    import zipfile

    dest.mkdir(parents=True)
    zipfile.ZipFile(io.BytesIO(data)).extractall(dest)
    return dest


@pytest.fixture
def assets(tmp_path):
    """resources/assets as the download rule leaves it: extracted zips, a bare .hdr."""
    root = tmp_path / "assets"
    _unzip(ta.acg_zip("Wood049", roughness=204), root / "acg_Wood049")
    _unzip(ta.acg_zip("Metal032", roughness=51, metalness=255, seed=1), root / "acg_Metal032")
    (root / "ph_venice_sunset").mkdir()
    (root / "ph_venice_sunset" / "venice_sunset_1k.hdr").write_bytes(ta.hdr_bytes(ta.sky_radiance(96)))
    return root


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("rle", [True, False])
def test_read_hdr_round_trips_rgbe(tmp_path, rle):
    img = ta.sky_radiance(64, seed=3)
    path = tmp_path / "sky.hdr"
    path.write_bytes(ta.hdr_bytes(img, rle=rle))
    got = imported.read_hdr(path)
    assert got.shape == (32, 64, 3) and got.dtype == np.float32
    # RGBE keeps 8 mantissa bits of the brightest channel.
    np.testing.assert_allclose(got, img, rtol=0, atol=img.max(-1, keepdims=True).max() / 128)
    np.testing.assert_allclose(got[8, 21], [50.0, 45.0, 40.0], rtol=0.01)


def test_read_hdr_refuses_a_truncated_or_foreign_file(tmp_path):
    good = ta.hdr_bytes(ta.sky_radiance(64))
    (tmp_path / "cut.hdr").write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="truncated"):
        imported.read_hdr(tmp_path / "cut.hdr")
    (tmp_path / "png.hdr").write_bytes(b"\x89PNG\r\n\x1a\n....")
    with pytest.raises(ValueError, match="Radiance"):
        imported.read_hdr(tmp_path / "png.hdr")


def test_tonemap_is_8bit_and_keeps_sky_brighter_than_ground():
    out = imported.tonemap(ta.sky_radiance(64))
    assert out.dtype == np.uint8 and out.shape == (32, 64, 3)
    assert out[:16].mean() > out[16:].mean() + 40
    assert out[8, 21].min() >= 230  # the sun is near white


def test_import_material_resizes_colour_and_reduces_maps(assets):
    img, pbr, family = imported.import_material(assets / "acg_Metal032", "acg_Metal032", 32)
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    assert family == "metal"
    assert pbr == {"metallic": 1.0, "roughness": pytest.approx(0.2, abs=0.005)}
    img, pbr, family = imported.import_material(assets / "acg_Wood049", "acg_Wood049", 16)
    assert family == "wood" and pbr == {"metallic": 0.0, "roughness": pytest.approx(0.8, abs=0.005)}
    # The colours are the source's, resized.
    src = np.asarray(Image.open(assets / "acg_Wood049" / "Wood049_1K-JPG_Color.jpg"), float)
    np.testing.assert_allclose(img.reshape(-1, 3).mean(0), src.reshape(-1, 3).mean(0), atol=3)


def test_import_material_defaults_without_maps_and_accepts_poly_haven_names(tmp_path):
    folder = tmp_path / "ph_tex"
    folder.mkdir()
    Image.fromarray(ta.colour_image(20)).save(folder / "brick_wall_02_diff_1k.png")
    Image.fromarray(np.full((20, 20), 0, np.uint8)).save(folder / "brick_wall_02_rough_1k.png")
    img, pbr, family = imported.import_material(folder, "ph_tex", 16)
    assert img.shape == (16, 16, 3) and family == "brick"
    assert pbr == {"metallic": 0.0, "roughness": 0.0}


def test_missing_colour_map_names_the_download_and_what_is_there(tmp_path):
    folder = _unzip(ta.acg_zip("Wood049", colour=False), tmp_path / "acg_Wood049")
    with pytest.raises(WorldAssetError) as err:
        imported.import_material(folder, "acg_Wood049", 32)
    msg = str(err.value)
    assert "world.materials_from" in msg and "'acg_Wood049'" in msg and "_Color" in msg
    assert "Wood049_1K-JPG_Roughness.jpg" in msg


def test_corrupt_colour_map_names_the_download_and_file(tmp_path):
    folder = _unzip(ta.acg_zip("Wood049"), tmp_path / "acg_Wood049")
    (folder / "Wood049_1K-JPG_Color.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(WorldAssetError) as err:
        imported.import_material(folder, "acg_Wood049", 32)
    assert "'acg_Wood049'" in str(err.value) and "Wood049_1K-JPG_Color.jpg" in str(err.value)
    assert "fetch it again" in str(err.value)


def test_missing_download_folder_says_to_fetch(tmp_path):
    with pytest.raises(WorldAssetError, match="'ph_x' is not at .*snakemake fetch"):
        imported.import_sky(tmp_path / "ph_x", "ph_x", 64)


def test_sky_folder_without_panorama_mentions_exr(tmp_path):
    (tmp_path / "ph_x").mkdir()
    (tmp_path / "ph_x" / "sky_1k.exr").write_bytes(b"v/1\x01")
    with pytest.raises(WorldAssetError, match="'ph_x'.*sky_1k.exr.*EXR"):
        imported.import_sky(tmp_path / "ph_x", "ph_x", 64)


def test_corrupt_hdr_names_the_download_and_file(tmp_path):
    (tmp_path / "ph_x").mkdir()
    (tmp_path / "ph_x" / "s.hdr").write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 4 +X 8\n\x02\x02")
    with pytest.raises(WorldAssetError, match="'ph_x'.*s.hdr"):
        imported.import_sky(tmp_path / "ph_x", "ph_x", 64)


def test_expand_names_keeps_config_order_and_names_the_key():
    names = list(DOWNLOADS)
    assert expand_names(["acg_*"], names, "k") == ["acg_Wood049", "acg_Metal032"]
    assert expand_names(["acg_Metal032", "acg_*"], names, "k") == ["acg_Metal032", "acg_Wood049"]
    with pytest.raises(ConfigError, match="config key world.skies_from: 'sky_\\*' matches no entry"):
        expand_names(["sky_*"], names, "world.skies_from")


def test_world_with_imports_lists_them_first_with_credits(assets, tmp_path):
    params = {**PARAMS, "materials_from": ["acg_*"], "skies_from": ["ph_venice_sunset"]}
    root = build_world(params, tmp_path / "world", log=lambda *_: None, downloads=DOWNLOADS, assets_dir=assets)
    m = json.loads((root / "world.json").read_text())
    assert m["params"] == params
    assert [e["name"] for e in m["materials"]] == ["000_wood", "001_metal", "002_metal", "003_fabric"]
    wood, metal = m["materials"][:2]
    assert wood["download"] == "acg_Wood049" and wood["licence"] == "CC0-1.0"
    assert wood["attribution"] == "ambientCG.com" and wood["url"] == DOWNLOADS["acg_Wood049"]["url"]
    assert metal["metallic"] == 1.0 and metal["roughness"] == pytest.approx(0.2, abs=0.005)
    assert [e["family"] for e in m["materials"][2:]] == list(textures.MATERIAL_FAMILIES[2:4])
    assert all("download" not in e for e in m["materials"][2:])
    sky = m["skies"][0]
    assert sky["name"] == "00_photo" and sky["kind"] == "photo" and sky["natural"] is True
    assert sky["download"] == "ph_venice_sunset" and sky["attribution"] == "Poly Haven (polyhaven.com)"
    assert sky["source_file"] == "venice_sunset_1k.hdr"
    assert [e["kind"] for e in m["skies"][1:]] == list(textures.SKY_KINDS[1:3])
    w = World.load(root)
    assert w.image(wood["file"]).shape == (32, 32, 3)
    assert w.image(sky["file"]).shape == (32, 64, 3)
    # Same downloads, same params: the same bytes.
    again = build_world(params, tmp_path / "again", log=lambda *_: None, downloads=DOWNLOADS, assets_dir=assets)
    assert _files(root) == _files(again)


def test_world_without_imports_is_unchanged_by_the_downloads(assets, tmp_path):
    plain = build_world(dict(PARAMS), tmp_path / "a", log=lambda *_: None)
    with_dl = build_world(dict(PARAMS), tmp_path / "b", log=lambda *_: None, downloads=DOWNLOADS, assets_dir=assets)
    assert _files(plain) == _files(with_dl)


def test_more_imports_than_the_count_is_refused(assets, tmp_path):
    params = {**PARAMS, "materials": 1, "materials_from": ["acg_*"]}
    with pytest.raises(WorldAssetError, match="world.materials_from: 2 downloads.*world.materials"):
        build_world(params, tmp_path / "w", log=lambda *_: None, downloads=DOWNLOADS, assets_dir=assets)
    assert not (tmp_path / "w").exists()


def test_a_bad_import_leaves_no_world(assets, tmp_path):
    (assets / "acg_Wood049" / "Wood049_1K-JPG_Color.jpg").write_bytes(b"broken")
    params = {**PARAMS, "materials_from": ["acg_*"]}
    with pytest.raises(WorldAssetError, match="acg_Wood049"):
        build_world(params, tmp_path / "w", log=lambda *_: None, downloads=DOWNLOADS, assets_dir=assets)
    assert not (tmp_path / "w").exists()
