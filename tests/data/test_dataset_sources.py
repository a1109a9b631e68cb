"""Real-image domains: a source's folders -> its index -> one capped index per class."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from domrand.data.index import read_index
from domrand.data.sources import adapter_params, class_sources, index_source, select_class, select_validation


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
        ("cat", "test"): 2,
        ("cat", "train"): 8,
        ("dog", "test"): 2,
        ("dog", "train"): 8,
    }


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
    index_source(
        "domainnet", [domainnet_root], adapter_params("s", spec, "real", (2, 1), 0), src, tmp_path / "skipped.csv"
    )
    a = select_class(src, "cat", 2, 1, 0, tmp_path / "a" / "cat.parquet")
    b = select_class(src, "cat", 2, 1, 0, tmp_path / "b" / "cat.parquet")
    assert a["split"].value_counts().to_dict() == {"train": 2, "test": 1}
    assert sorted(a["path"]) == sorted(b["path"])
    # Asking for more than there is keeps everything (and logs it).
    c = select_class(src, "cat", 100, 100, 0, tmp_path / "c" / "cat.parquet")
    assert len(c) == len(read_index(src, classes=["cat"]))
    with pytest.raises(ValueError, match="no car images"):
        select_class(src, "car", 1, 1, 0, tmp_path / "d" / "car.parquet")


def test_validation_is_kept_out_of_the_real_training_set(petimages_root, tmp_path):
    src = tmp_path / "pets.parquet"
    params = adapter_params("pets", {"adapter": "petimages", "classes": ["cat", "dog"]}, "real", (8, 2), 0)
    index_source("petimages", [petimages_root], params, src, tmp_path / "skipped.csv")
    val = select_validation(src, "cat", 3, 0, tmp_path / "real_val" / "cat.parquet")
    # the pool holds exactly 8 train images: the real model trains on the 5 the validation leaves
    train = select_class(src, "cat", 8, 2, 0, tmp_path / "real" / "cat.parquet", reserve=3)
    assert len(val) == 3 and set(val["split"]) == {"test"}
    assert train["split"].value_counts().to_dict() == {"train": 5, "test": 2}
    assert not set(val["path"]) & set(train["path"])
    pool = read_index(src, classes=["cat"])
    assert set(val["path"]) <= set(pool.loc[pool["split"] == "train", "path"])  # never a test image
    # the same front of the order as without the reserve: the real model's images only shrink
    full = select_class(src, "cat", 5, 2, 0, tmp_path / "full" / "cat.parquet")
    assert sorted(full["path"]) == sorted(train["path"])
    with pytest.raises(ValueError, match="lower search.val_per_class"):
        select_validation(src, "cat", 8, 0, tmp_path / "too_many" / "cat.parquet")
    with pytest.raises(ValueError, match="all kept out for the search's 8 validation images"):
        select_class(src, "cat", 8, 2, 0, tmp_path / "nothing_left" / "cat.parquet", reserve=8)


def test_folder_source_tags_domain_and_source(folder_root, tmp_path):
    spec = {"adapter": "folder", "classes": ["cat", "dog"], "path": str(folder_root), "params": {"test_fraction": 0.25}}
    params = adapter_params("mine", spec, "toon", (10, 5), 3)
    assert params["domain"] == "toon" and params["source"] == "mine" and params["seed"] == 3
    index = index_source("folder", [folder_root], params, tmp_path / "f.parquet", tmp_path / "s.csv")
    assert set(index["source"]) == {"mine"}


def test_each_class_from_one_source():
    assert class_sources({"sources": {"a": {"classes": ["cat"]}, "b": {"classes": ["dog"]}}}) == {
        "cat": "a",
        "dog": "b",
    }
    with pytest.raises(ValueError, match="'cat'"):
        class_sources({"sources": {"a": {"classes": ["cat"]}, "b": {"classes": ["cat"]}}})


def _class_index(tmp_path, cls, n_train, n_test, source):
    from domrand.data.index import write_index

    rows = [
        {
            "path": str(tmp_path / "img" / f"{cls}_{split}_{i}.jpg"),
            "label": cls,
            "split": split,
            "source": source,
            "domain": "real",
        }
        for split, n in (("train", n_train), ("test", n_test))
        for i in range(n)
    ]
    for r in rows:
        (tmp_path / "img").mkdir(exist_ok=True)
        open(r["path"], "wb").close()
    out = tmp_path / "datasets" / f"{cls}.parquet"
    write_index(pd.DataFrame(rows), out)
    return out


def test_balance_task_caps_every_class_at_the_smallest_and_logs_it(tmp_path, caplog):
    import logging

    from domrand.data.sources import balance_task

    idx = [
        _class_index(tmp_path, "cat", 40, 12, "petimages"),
        _class_index(tmp_path, "dog", 35, 11, "petimages"),
        _class_index(tmp_path, "bicycle", 9, 4, "domainnet"),
    ]
    out, table = tmp_path / "tasks" / "plus_bicycle.parquet", tmp_path / "tasks" / "plus_bicycle_cap.csv"
    with caplog.at_level(logging.INFO):
        df = balance_task(idx, "plus_bicycle", 0, out, table)
    counts = read_index(out).groupby(["split", "label"]).size().to_dict()
    assert counts == {("test", c): 4 for c in ("cat", "dog", "bicycle")} | {
        ("train", c): 9 for c in ("cat", "dog", "bicycle")
    }
    assert len(df) == 39
    cap = pd.read_csv(table)
    assert set(cap["cap"][cap["split"] == "test"]) == {4} and set(cap["smallest"]) == {"bicycle"}
    assert cap.set_index(["split", "class"])["available"].to_dict()[("train", "cat")] == 40
    assert "capped at 4 images" in caplog.text and "bicycle" in caplog.text
    # Stable and nested: a second run keeps the same images; a larger cap keeps a superset.
    again = balance_task(idx, "plus_bicycle", 0, tmp_path / "b.parquet", tmp_path / "b.csv")
    assert set(again["path"]) == set(df["path"])
    two = balance_task(idx[:2], "plus_bicycle", 0, tmp_path / "c.parquet", tmp_path / "c.csv")
    assert set(df[df["label"] != "bicycle"]["path"]) < set(two["path"])
    assert read_index(tmp_path / "c.parquet").groupby("split").size().to_dict() == {"test": 22, "train": 70}


def test_domainnet_source_classes_are_checked_before_any_job():
    from domrand.data.sources import check_source_classes

    src = {"adapter": "domainnet", "classes": ["horse", "hot_air_balloon"], "params": {"domains": ["real"]}}
    config = {"domains": {"real": {"sources": {"dn": src}}, "toon": {}}}
    check_source_classes(config)
    src["classes"] = ["horse", "cwo"]
    with pytest.raises(ValueError, match=r"config key domains\.real\.sources\.dn\.classes has 'cwo'.*\['cow'"):
        check_source_classes(config)
