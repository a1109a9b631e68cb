"""domrand.data.adapters on fixture trees laid out like each real source (see conftest.py)."""

from __future__ import annotations

import logging
import os
import shutil

import pytest

from domrand.data.adapters import (
    ADAPTERS,
    DatasetLayoutError,
    build_index,
    check_image,
    index_domainnet,
    index_folder,
    index_oxford_pet,
    index_petimages,
)
from domrand.data.index import COLUMNS, read_index, write_index

LOG = logging.getLogger("test-adapters")


def rel(paths, root):
    return sorted(os.path.relpath(p, root) for p in paths)


def skipped_map(skipped, root):
    return {os.path.relpath(p, root): r for p, r in zip(skipped["path"], skipped["reason"])}


# ----------------------------------------------------------------------- check_image


def test_check_image_reasons(tmp_path, images):
    assert check_image(images.jpeg(tmp_path / "ok.jpg")) is None
    assert check_image(images.empty(tmp_path / "e.jpg")) == "empty file (0 bytes)"
    assert check_image(images.truncated(tmp_path / "t.jpg")).startswith("corrupt image: OSError")
    (tmp_path / "txt.jpg").write_text("hello")
    assert check_image(tmp_path / "txt.jpg").startswith("not an image")
    assert check_image(tmp_path / "missing.jpg").startswith("unreadable")


# ----------------------------------------------------------------------- petimages


def test_petimages_counts_and_skipped(petimages_root):
    index, skipped = index_petimages(petimages_root, {"n_train": 6, "n_test": 3, "seed": 0}, LOG)
    assert list(index.columns) == list(COLUMNS)
    assert index.groupby(["label", "split"]).size().to_dict() == {
        ("cat", "test"): 3,
        ("cat", "train"): 6,
        ("dog", "test"): 3,
        ("dog", "train"): 6,
    }
    assert set(index["source"]) == {"petimages"} and set(index["domain"]) == {"real"}
    assert all(os.path.isabs(p) for p in index["path"])
    assert all(f"/{'Cat' if lab == 'cat' else 'Dog'}/" in p for p, lab in zip(index["path"], index["label"]))
    reasons = skipped_map(skipped, petimages_root)
    assert set(reasons) == {
        "PetImages/Cat/666.jpg",
        "PetImages/Cat/999.jpg",
        "PetImages/Cat/Thumbs.db",
        "PetImages/Dog/11702.jpg",
        "PetImages/Dog/Thumbs.db",
    }
    assert reasons["PetImages/Cat/666.jpg"] == "empty file (0 bytes)"
    assert reasons["PetImages/Dog/11702.jpg"] == "empty file (0 bytes)"
    assert reasons["PetImages/Cat/999.jpg"].startswith("corrupt image")
    assert reasons["PetImages/Cat/Thumbs.db"].startswith("not an image")
    assert not set(skipped["path"]) & set(index["path"])


def test_petimages_split_is_deterministic(petimages_root, images):
    params = {"n_train": 6, "n_test": 3, "seed": 4}
    a, _ = index_petimages(petimages_root, params, LOG)
    b, _ = index_petimages(petimages_root, params, LOG, workers=3)
    assert a.equals(b)
    c, _ = index_petimages(petimages_root, {**params, "seed": 5}, LOG)
    assert not a.equals(c)
    # A new photo moves at most one existing test image per class.
    images.jpeg(petimages_root / "PetImages" / "Cat" / "5000.jpg", seed=77)
    d, _ = index_petimages(petimages_root, params, LOG)
    before = set(a.loc[(a.split == "test") & (a.label == "cat"), "path"])
    after = set(d.loc[(d.split == "test") & (d.label == "cat"), "path"])
    assert len(before - after) <= 1
    assert set(a.loc[a.label == "dog", "path"]) == set(d.loc[d.label == "dog", "path"])


def test_petimages_short_class_shrinks_both_splits_and_warns(petimages_root, caplog):
    with caplog.at_level(logging.WARNING):
        index, _ = index_petimages(petimages_root, {"n_train": 10000, "n_test": 2500}, LOG)
    counts = index.groupby(["label", "split"]).size().to_dict()
    # 12 valid images per class, split 80 / 20 like the requested counts.
    assert counts == {
        ("cat", "test"): 2,
        ("cat", "train"): 10,
        ("dog", "test"): 2,
        ("dog", "train"): 10,
    }
    assert "only 12 valid cat images" in caplog.text and "using 10 train + 2 test" in caplog.text


def test_petimages_accepts_the_petimages_folder_as_root(petimages_root):
    a, _ = index_petimages(petimages_root, {"n_train": 2, "n_test": 2}, LOG)
    b, _ = index_petimages(petimages_root / "PetImages", {"n_train": 2, "n_test": 2}, LOG)
    assert a.equals(b)


def test_petimages_errors(petimages_root, caplog):
    with pytest.raises(ValueError, match=r"missing params \['n_test'\]"):
        index_petimages(petimages_root, {"n_train": 2}, LOG)
    with pytest.raises(ValueError, match="n_test"):
        index_petimages(petimages_root, {"n_train": 2, "n_test": -1}, LOG)
    with caplog.at_level(logging.WARNING):
        index_petimages(petimages_root, {"n_train": 2, "n_test": 2, "url": "x"}, LOG)
    assert "ignoring params ['url']" in caplog.text
    shutil.rmtree(petimages_root / "PetImages" / "Dog")
    with pytest.raises(
        DatasetLayoutError,
        match=r"PetImages/Dog is missing; expected layout: .*PetImages/Cat/\*\.jpg",
    ):
        index_petimages(petimages_root, {"n_train": 2, "n_test": 2}, LOG)


# ----------------------------------------------------------------------- oxford pet


def test_oxford_official_split_and_species(oxford_root):
    index, skipped = index_oxford_pet(oxford_root, {}, LOG)
    names = {os.path.basename(p): (lab, s) for p, lab, s in zip(index["path"], index["label"], index["split"])}
    assert len(index) == 16
    assert names["Abyssinian_1.jpg"] == ("cat", "train")
    assert names["Abyssinian_4.jpg"] == ("cat", "test")
    assert names["american_bulldog_2.jpg"] == ("dog", "train")
    assert names["beagle_4.jpg"] == ("dog", "test")
    assert names["Bengal_3.jpg"] == ("cat", "train")
    assert index.groupby("split").size().to_dict() == {"test": 4, "train": 12}
    assert set(index["source"]) == {"oxford_pet"} and set(index["domain"]) == {"real"}
    reasons = skipped_map(skipped, oxford_root)
    assert reasons == {
        "images/Abyssinian_50.jpg": "listed in the annotations but missing",
        "images/Abyssinian_101.mat": "not in annotations/list.txt, trainval.txt or test.txt",
        "images/Persian_999.jpg": "not in annotations/list.txt, trainval.txt or test.txt",
        "images/Bengal_50.jpg": "in neither annotations/trainval.txt nor test.txt",
        "images/beagle_50.jpg": reasons["images/beagle_50.jpg"],
    }
    assert reasons["images/beagle_50.jpg"].startswith("corrupt image")


def test_oxford_classes_filter(oxford_root):
    index, skipped = index_oxford_pet(oxford_root, {"classes": ["dog"]}, LOG)
    assert set(index["label"]) == {"dog"} and len(index) == 8
    # Cats are filtered, not skipped; unlisted files are still reported.
    assert "images/Bengal_50.jpg" not in skipped_map(skipped, oxford_root)
    assert "images/Persian_999.jpg" in skipped_map(skipped, oxford_root)
    with pytest.raises(ValueError, match="car"):
        index_oxford_pet(oxford_root, {"classes": ["car"]}, LOG)


def test_oxford_errors(oxford_root):
    test_txt = oxford_root / "annotations" / "test.txt"
    test_txt.write_text(test_txt.read_text() + "beagle_9 5 3 3\n")
    with pytest.raises(DatasetLayoutError, match=r"test.txt:\d+: expected 'Image CLASS-ID SPECIES BREED-ID'"):
        index_oxford_pet(oxford_root, {}, LOG)
    test_txt.write_text("Abyssinian_1 1 1 1\n")
    with pytest.raises(DatasetLayoutError, match="both trainval.txt and test.txt"):
        index_oxford_pet(oxford_root, {}, LOG)
    test_txt.unlink()
    with pytest.raises(DatasetLayoutError, match=r"annotations/test.txt is missing; expected layout"):
        index_oxford_pet(oxford_root, {}, LOG)


# ----------------------------------------------------------------------- domainnet


def test_domainnet_tags_classes_and_splits(domainnet_root):
    params = {"domains": ["clipart", "painting", "real", "sketch"]}
    index, skipped = index_domainnet(domainnet_root, params, LOG)
    assert set(index["label"]) == {"cat", "dog", "bicycle", "car"}
    assert not any("police_car" in p or "zebra" in p for p in index["path"])
    dom = {p.split(os.sep)[-3]: d for p, d in zip(index["path"], index["domain"])}
    assert dom == {"clipart": "toon", "painting": "toon", "real": "real", "sketch": "sketch"}
    assert set(index["source"]) == {"domainnet"}
    # 4 domains x 4 classes x (3 train + 1 test); the extra clipart/cat files are all skipped.
    assert index.groupby("split").size().to_dict() == {"test": 16, "train": 48}
    assert all(p.endswith("_000003.jpg") == (s == "test") for p, s in zip(index["path"], index["split"]))
    assert all(p.split(os.sep)[-2] == lab for p, lab in zip(index["path"], index["label"]))
    reasons = skipped_map(skipped, domainnet_root)
    assert set(reasons) == {
        "clipart/cat/clipart_061_009999.jpg",
        "clipart/cat/clipart_061_000100.jpg",
        "clipart/cat/clipart_061_000200.jpg",
    }
    assert reasons["clipart/cat/clipart_061_009999.jpg"] == "not in clipart_train.txt or clipart_test.txt"
    assert reasons["clipart/cat/clipart_061_000200.jpg"] == "listed in clipart_test.txt but missing"
    assert reasons["clipart/cat/clipart_061_000100.jpg"].startswith("corrupt image")


def test_domainnet_domain_and_class_choice(domainnet_root):
    index, skipped = index_domainnet(domainnet_root, {"domains": ["real"], "classes": ["car"]}, LOG)
    assert len(index) == 4 and set(index["label"]) == {"car"} and set(index["domain"]) == {"real"}
    assert skipped.empty and list(skipped.columns) == ["path", "reason"]


def test_domainnet_takes_any_of_its_classes_by_lowercase_name(domainnet_root, images):
    for dom in ("real", "clipart"):  # DomainNet folders that are not lowercase identifiers
        for folder, label in (("t-shirt", 306), ("The_Eiffel_Tower", 299)):
            rel = f"{dom}/{folder}/{dom}_{label:03d}_000000.jpg"
            images.jpeg(domainnet_root / rel, seed=label)
            with open(domainnet_root / f"{dom}_train.txt", "a") as fh:
                fh.write(f"{rel} {label}\n")
    params = {"domains": ["real", "clipart"], "classes": ["t_shirt", "the_eiffel_tower", "police_car"]}
    index, _ = index_domainnet(domainnet_root, params, LOG)
    assert index.groupby("label").size().to_dict() == {"police_car": 8, "the_eiffel_tower": 2, "t_shirt": 2}
    assert set(index["domain"]) == {"real", "toon"}


def test_domainnet_unknown_class_names_the_closest(domainnet_root):
    with pytest.raises(ValueError, match=r"'hors', which is not a DomainNet class; the closest are \['horse'"):
        index_domainnet(domainnet_root, {"domains": ["real"], "classes": ["hors"]}, LOG)


def test_pet_adapters_stay_cats_and_dogs(oxford_root):
    with pytest.raises(ValueError, match=r"\['cat', 'dog'\] \(the only classes oxford_pet has\)"):
        index_oxford_pet(oxford_root, {"classes": ["horse"]}, LOG)


def test_domainnet_errors(domainnet_root):
    with pytest.raises(ValueError, match="cartoon"):
        index_domainnet(domainnet_root, {"domains": ["cartoon"]}, LOG)
    with pytest.raises(ValueError, match=r"missing params \['domains'\]"):
        index_domainnet(domainnet_root, {}, LOG)
    (domainnet_root / "sketch_test.txt").unlink()
    with pytest.raises(DatasetLayoutError, match=r"sketch_test.txt is missing; expected layout: <root>/<domain>"):
        index_domainnet(domainnet_root, {"domains": ["sketch"]}, LOG)
    with pytest.raises(DatasetLayoutError, match=r"domainnet/quickdraw is missing"):
        index_domainnet(domainnet_root, {"domains": ["quickdraw"]}, LOG)
    (domainnet_root / "real_train.txt").write_text("clipart/cat/x.jpg 61\n")
    with pytest.raises(DatasetLayoutError, match=r"real_train.txt:1: expected 'real/<category>/<file>.jpg"):
        index_domainnet(domainnet_root, {"domains": ["real"]}, LOG)


# ----------------------------------------------------------------------- folder


def test_folder_without_split_folders(folder_root, images):
    params = {"classes": ["cat", "dog"], "domain": "toon", "test_fraction": 0.25, "seed": 3}
    index, skipped = index_folder(folder_root, params, LOG)
    per_class = index.groupby("label").size().to_dict()
    assert per_class == {"cat": 40, "dog": 40}  # 36 + .JPG + .jpeg + .png + nested
    assert 5 < (index["split"] == "test").sum() < 40
    assert set(index["domain"]) == {"toon"} and set(index["source"]) == {"folder"}
    assert not any("zebra" in p for p in index["path"])
    reasons = skipped_map(skipped, folder_root)
    assert reasons == {
        "cat/notes.txt": "extension .txt is not one of ['.jpg', '.jpeg', '.png']",
        "dog/empty.jpg": "empty file (0 bytes)",
    }
    # Stable: same seed same split, and new files never move existing ones.
    again, _ = index_folder(folder_root, params, LOG, workers=2)
    assert again.equals(index)
    for i in range(10):
        images.jpeg(folder_root / "cat" / f"new_{i}.jpg", seed=i)
    grown, _ = index_folder(folder_root, params, LOG)
    old = dict(zip(index["path"], index["split"]))
    assert {p: s for p, s in zip(grown["path"], grown["split"]) if p in old} == old
    assert len(grown) == len(index) + 10


def test_folder_with_split_folders(tmp_path, images):
    root = tmp_path / "real_photos"
    for split, n in (("train", 3), ("test", 2)):
        for cls in ("bicycle", "car"):
            for i in range(n):
                images.jpeg(root / split / cls / f"{i}.png", seed=i)
    params = {"classes": ["bicycle", "car"], "domain": "real", "source": "my_photos"}
    index, skipped = index_folder(root, params, LOG)
    assert index.groupby(["split", "label"]).size().to_dict() == {
        ("test", "bicycle"): 2,
        ("test", "car"): 2,
        ("train", "bicycle"): 3,
        ("train", "car"): 3,
    }
    assert all(f"/{s}/{lab}/" in p for p, s, lab in zip(index["path"], index["split"], index["label"]))
    assert set(index["source"]) == {"my_photos"} and skipped.empty
    with pytest.raises(ValueError, match="fix the split; drop params\\['test_fraction'\\]"):
        index_folder(root, {**params, "test_fraction": 0.2}, LOG)
    with pytest.raises(DatasetLayoutError, match=r"real_photos/train/cat is missing"):
        index_folder(root, {**params, "classes": ["cat"]}, LOG)


def test_folder_takes_any_class(folder_root):
    index, _ = index_folder(folder_root, {"classes": ["zebra", "cat"], "domain": "real", "test_fraction": 0.5}, LOG)
    assert set(index["label"]) == {"zebra", "cat"} and (index["label"] == "zebra").sum() == 1


def test_folder_errors(folder_root):
    base = {"classes": ["cat", "dog"], "domain": "real", "test_fraction": 0.2}
    with pytest.raises(ValueError, match="test_fraction"):
        index_folder(folder_root, {k: v for k, v in base.items() if k != "test_fraction"}, LOG)
    with pytest.raises(ValueError, match="'photo' is not one of"):
        index_folder(folder_root, {**base, "domain": "photo"}, LOG)
    with pytest.raises(DatasetLayoutError, match=r"folder/horse is missing"):  # any class, given its folder
        index_folder(folder_root, {**base, "classes": ["horse"]}, LOG)
    with pytest.raises(ValueError, match="lowercase identifiers"):
        index_folder(folder_root, {**base, "classes": ["Zebra"]}, LOG)
    with pytest.raises(DatasetLayoutError, match=r"folder/car is missing; expected layout"):
        index_folder(folder_root, {**base, "classes": ["cat", "car"]}, LOG)


# ----------------------------------------------------------------------- registry


def test_build_index_dispatches_and_round_trips(petimages_root, tmp_path, caplog):
    assert set(ADAPTERS) == {"petimages", "oxford_pet", "domainnet", "folder"}
    with caplog.at_level(logging.INFO):
        index, skipped = build_index("petimages", petimages_root, {"n_train": 4, "n_test": 2}, LOG)
    assert "petimages: indexed 12 images" in caplog.text
    assert "skipped 2 file(s): empty file (0 bytes)" in caplog.text
    assert len(skipped) == 5
    out = write_index(index, tmp_path / "results" / "datasets" / "pets" / "index.parquet")
    assert read_index(out)["path"].tolist() == index["path"].tolist()
    assert len(read_index(out, classes=["dog"], split="test")) == 2


def test_build_index_errors(tmp_path):
    with pytest.raises(
        ValueError,
        match=r"unknown dataset source 'kaggle'; known sources: \['domainnet', 'folder', 'oxford_pet', 'petimages'\]",
    ):
        build_index("kaggle", tmp_path, {}, LOG)
    with pytest.raises(
        DatasetLayoutError,
        match=r"oxford_pet: dataset folder .*/absent does not exist; expected layout: <root>/images",
    ):
        build_index("oxford_pet", tmp_path / "absent", {}, LOG)


def test_relative_root(petimages_root, monkeypatch):
    monkeypatch.chdir(petimages_root.parent)
    index, skipped = build_index("petimages", "petimages", {"n_train": 1, "n_test": 1}, LOG)
    assert all(os.path.isabs(p) and os.path.exists(p) for p in [*index["path"], *skipped["path"]])
