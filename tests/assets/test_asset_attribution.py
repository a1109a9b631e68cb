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
    assert table[2] == (
        "| cat_01 | cat | https://example.org/cat.glb | CC-BY-4.0 | Jane Doe \\| Sketchfab |"
    )
    assert table[3] == "| wood | material | https://example.org/wood.zip | CC0-1.0 |  |"
    assert len(table) == 2 + len(ASSETS)
    assert os.listdir(path.parent) == ["ATTRIBUTION.md"]  # no temp file left


@pytest.mark.parametrize("licence", [None, "", "   "])
def test_missing_licence_names_the_asset_and_writes_nothing(tmp_path, licence):
    assets = ASSETS + [
        {"name": "mystery_dog", "url": "https://example.org/d.glb", "licence": licence}
    ]
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
