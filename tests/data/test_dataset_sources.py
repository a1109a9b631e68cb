"""Real-image domains: a source's folders -> its index -> one capped index per class."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from domrand.data.index import read_index
from domrand.data.sources import adapter_params, class_sources, index_source, select_class


def test_petimages_source_index_and_skip_log(petimages_root, tmp_path):
    params = adapter_params("pets", {"adapter": "petimages", "classes": ["cat", "dog"]}, "real", (8, 2), 0)
    assert params == {"n_train": 8, "n_test": 2, "seed": 0}
    out = tmp_path / "sources" / "pets.parquet"
    index = index_source("petimages", [petimages_root], params, out, tmp_path / "skipped.csv")
    assert len(index) == 20
    skipped = pd.read_csv(tmp_path / "skipped.csv")
    names = {p.split("/")[-1] for p in skipped["path"]}
    assert {"Thumbs.db", "666.jpg", "999.jpg", "11702.jpg"} <= names
    stored = read_index(out)
    assert stored.groupby(["label", "split"]).size().to_dict() == {
        ("cat", "test"): 2, ("cat", "train"): 8, ("dog", "test"): 2, ("dog", "train"): 8}


def test_domainnet_from_several_downloads(domainnet_root, tmp_path):
    # As downloaded: one folder per zip or split list, merged into one root for the adapter.
    roots = []
    for dom in ("clipart", "painting"):
        (tmp_path / f"dl_{dom}").mkdir()
        shutil.copytree(domainnet_root / dom, tmp_path / f"dl_{dom}" / dom)
        (tmp_path / f"dl_{dom}" / ".sha256").write_text("x\n")  # download stamps are ignored
        for split in ("train", "test"):
            (tmp_path / f"dl_{dom}_{split}").mkdir()
            shutil.copy(domainnet_root / f"{dom}_{split}.txt", tmp_path / f"dl_{dom}_{split}")
            roots.append(tmp_path / f"dl_{dom}_{split}")
        roots.append(tmp_path / f"dl_{dom}")
    spec = {"adapter": "domainnet", "classes": ["cat", "dog"], "params": {"domains": ["clipart", "painting"]}}
    params = adapter_params("toon", spec, "toon", (0, 5), 0)
    out = tmp_path / "toon.parquet"
    index = index_source("domainnet", roots, params, out, tmp_path / "skipped.csv")
    assert set(index["domain"]) == {"toon"} and set(index["label"]) == {"cat", "dog"}
    # The index points at the downloaded files, not at the temporary merged root.
    assert all(p.startswith(str(tmp_path / "dl_")) for p in read_index(out)["path"])
    assert not list(tmp_path.glob(".toon.root-*"))
    reasons = set(pd.read_csv(tmp_path / "skipped.csv")["reason"])
    assert any("corrupt" in r for r in reasons) and any("missing" in r for r in reasons)


def test_select_class_caps_and_is_deterministic(domainnet_root, tmp_path):
    spec = {"adapter": "domainnet", "classes": ["cat"], "params": {"domains": ["real", "sketch"]}}
    src = tmp_path / "src.parquet"
    index_source("domainnet", [domainnet_root], adapter_params("s", spec, "real", (2, 1), 0), src,
                 tmp_path / "skipped.csv")
    a = select_class(src, "cat", 2, 1, 0, tmp_path / "a" / "cat.parquet")
    b = select_class(src, "cat", 2, 1, 0, tmp_path / "b" / "cat.parquet")
    assert a["split"].value_counts().to_dict() == {"train": 2, "test": 1}
    assert sorted(a["path"]) == sorted(b["path"])
    # Asking for more than there is keeps everything (and logs it).
    c = select_class(src, "cat", 100, 100, 0, tmp_path / "c" / "cat.parquet")
    assert len(c) == len(read_index(src, classes=["cat"]))
    with pytest.raises(ValueError, match="no car images"):
        select_class(src, "car", 1, 1, 0, tmp_path / "d" / "car.parquet")


def test_folder_source_tags_domain_and_source(folder_root, tmp_path):
    spec = {"adapter": "folder", "classes": ["cat", "dog"], "path": str(folder_root),
            "params": {"test_fraction": 0.25}}
    params = adapter_params("mine", spec, "toon", (10, 5), 3)
    assert params["domain"] == "toon" and params["source"] == "mine" and params["seed"] == 3
    index = index_source("folder", [folder_root], params, tmp_path / "f.parquet", tmp_path / "s.csv")
    assert set(index["source"]) == {"mine"}


def test_each_class_from_one_source():
    assert class_sources({"sources": {"a": {"classes": ["cat"]}, "b": {"classes": ["dog"]}}}) == {
        "cat": "a", "dog": "b"}
    with pytest.raises(ValueError, match="'cat'"):
        class_sources({"sources": {"a": {"classes": ["cat"]}, "b": {"classes": ["cat"]}}})
