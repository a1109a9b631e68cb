"""ATTRIBUTION.md: a markdown table of every asset, refused when a licence is missing."""

from __future__ import annotations

import os

import pytest

from domrand.assets.attribution import write_attribution
from domrand.assets.download import AssetError

ASSETS = [
    {
        "name": "cat_01",
        "class": "cat",
        "url": "https://example.org/cat.glb",
        "licence": "CC-BY-4.0",
        "attribution": "Jane Doe | Sketchfab",
    },
    {
        "name": "wood",
        "kind": "material",
        "url": "https://example.org/wood.zip",
        "licence": "CC0-1.0",
    },
]


def test_table_has_a_row_per_asset(tmp_path):
    path = write_attribution(ASSETS, tmp_path / "out" / "ATTRIBUTION.md")
    lines = path.read_text().splitlines()
    assert lines[0] == "# Third-party assets"
    table = [line for line in lines if line.startswith("|")]
    assert table[0] == "| name | class/kind | url | licence | attribution |"
    assert table[2] == ("| cat_01 | cat | https://example.org/cat.glb | CC-BY-4.0 | Jane Doe \\| Sketchfab |")
    assert table[3] == "| wood | material | https://example.org/wood.zip | CC0-1.0 |  |"
    assert len(table) == 2 + len(ASSETS)
    assert os.listdir(path.parent) == ["ATTRIBUTION.md"]  # no temp file left


@pytest.mark.parametrize("licence", [None, "", "   "])
def test_missing_licence_names_the_asset_and_writes_nothing(tmp_path, licence):
    assets = ASSETS + [{"name": "mystery_dog", "url": "https://example.org/d.glb", "licence": licence}]
    path = tmp_path / "ATTRIBUTION.md"
    with pytest.raises(AssetError, match="mystery_dog.*no licence"):
        write_attribution(assets, path)
    assert list(tmp_path.iterdir()) == []


def test_rewrite_replaces_the_old_file(tmp_path):
    path = tmp_path / "ATTRIBUTION.md"
    write_attribution(ASSETS, path)
    write_attribution(ASSETS[:1], path)
    assert "wood" not in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def test_study_attribution_of_the_procedural_default(tmp_path):
    from domrand.assets.attribution import write_study_attribution

    path = write_study_attribution(
        {"downloads": {}, "domains": {"real": "proxy", "toon": "proxy"}}, tmp_path / "ATTRIBUTION.md"
    )
    text = path.read_text()
    assert "embedded procedural world" in text and "Domain `real`: proxy renders" in text
    assert "No third-party assets were downloaded" in text and "|" not in text


def test_study_attribution_lists_downloads_and_pinned_objects(tmp_path):
    from domrand.assets.attribution import write_study_attribution

    params = {
        "downloads": {
            "petimages": {"url": "https://x/p.zip", "licence": "CDLA", "attribution": "MS", "kind": "dataset"}
        },
        "domains": {"real": {"pets": "petimages"}, "toon": "proxy"},
        "subjects": {
            "cat": {"mode": "add", "meshes": [{"objaverse": True}]},
            "dog": {"mode": "add", "meshes": [{"objaverse": True}]},
        },
        "objects": {
            "cat": [{"uid": "u1", "url": "https://h/u1.glb", "licence": "CC-BY", "attribution": '"Tom" by A'}],
            "dog": None,
        },
    }
    text = write_study_attribution(params, tmp_path / "A.md").read_text()
    assert "| petimages | dataset | https://x/p.zip | CDLA | MS |" in text
    assert "| objaverse u1 | cat | https://h/u1.glb | CC-BY |" in text
    assert "Objaverse objects of `dog`: not pinned yet" in text
    assert "Domain `real`: images from pets (petimages adapter)" in text
    assert "imported subject meshes for cat (1 mesh entries, add)" in text
