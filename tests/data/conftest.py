"""Fixture trees with the exact on-disk layout of each real-image source, made at test time."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image


def write_jpeg(path: Path, seed: int = 0, size: tuple[int, int] = (12, 10)) -> Path:
    """A small valid JPEG whose colour depends on ``seed``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    colour = (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)
    Image.new("RGB", size, colour).save(path, "JPEG")
    return path


def write_png(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGBA", (8, 8), (seed % 256, 0, 0, 128)).save(path, "PNG")
    return path


def write_empty(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def write_truncated_jpeg(path: Path) -> Path:
    """A JPEG cut in half: Pillow identifies it but cannot decode it."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(buf, "JPEG")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    return path


def write_thumbs_db(path: Path) -> Path:
    # An OLE compound file header, like Windows' Thumbs.db: present in PetImages/Cat and /Dog.
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)
    return path


@pytest.fixture
def images() -> SimpleNamespace:
    """The file writers above, for tests (importing conftest by name is fragile under pytest)."""
    return SimpleNamespace(jpeg=write_jpeg, png=write_png, empty=write_empty, truncated=write_truncated_jpeg)


@pytest.fixture
def petimages_root(tmp_path: Path) -> Path:
    """<root>/PetImages/{Cat,Dog}: 12 valid JPEGs each, plus the archive's known bad files."""
    root = tmp_path / "petimages"
    for folder in ("Cat", "Dog"):
        for i in range(12):
            write_jpeg(root / "PetImages" / folder / f"{i}.jpg", seed=i)
        write_thumbs_db(root / "PetImages" / folder / "Thumbs.db")
    write_empty(root / "PetImages" / "Cat" / "666.jpg")
    write_truncated_jpeg(root / "PetImages" / "Cat" / "999.jpg")
    write_empty(root / "PetImages" / "Dog" / "11702.jpg")
    (root / "readme[1].txt").write_text("Microsoft Kaggle cats and dogs")
    return root


OXFORD_BREEDS = [  # (breed, class id, species 1 cat / 2 dog, breed id), as in list.txt
    ("Abyssinian", 1, 1, 1),
    ("american_bulldog", 2, 2, 1),
    ("Bengal", 6, 1, 3),
    ("beagle", 5, 2, 3),
]


@pytest.fixture
def oxford_root(tmp_path: Path) -> Path:
    """<root>/images/*.jpg + <root>/annotations/{list,trainval,test}.txt, 4 breeds x 4 images.

    Per breed, images 1-3 are trainval and 4 is test. Extras: an unlisted image and a .mat
    file in images/, a listed image that is missing, a corrupt listed image, and a listed
    image in neither split list.
    """
    root = tmp_path / "oxford"
    header = [
        "#Image CLASS-ID SPECIES BREED ID",
        "#ID: 1:37 Class ids",
        "#SPECIES: 1:Cat 2:Dog",
        "#BREED ID: 1-25:Cat 1:12:Dog",
        "#All images with 1st letter as captial are cat images",
    ]
    listing, trainval, test = list(header), [], []
    for b, (breed, cid, sp, bid) in enumerate(OXFORD_BREEDS):
        for i in range(1, 5):
            name = f"{breed}_{i}"
            line = f"{name} {cid} {sp} {bid}"
            listing.append(line)
            (trainval if i <= 3 else test).append(line)
            write_jpeg(root / "images" / f"{name}.jpg", seed=10 * b + i)
    listing += ["Abyssinian_50 1 1 1", "beagle_50 5 2 3", "Bengal_50 6 1 3"]
    trainval += ["Abyssinian_50 1 1 1", "beagle_50 5 2 3"]  # Bengal_50: in no split
    write_truncated_jpeg(root / "images" / "beagle_50.jpg")
    write_jpeg(root / "images" / "Bengal_50.jpg", seed=99)
    # Abyssinian_50.jpg is listed but not on disk.
    write_jpeg(root / "images" / "Persian_999.jpg", seed=5)  # on disk, not listed
    (root / "images" / "Abyssinian_101.mat").write_bytes(b"MATLAB 5.0 MAT-file")
    ann = root / "annotations"
    ann.mkdir(parents=True)
    (ann / "list.txt").write_text("\n".join(listing) + "\n")
    (ann / "trainval.txt").write_text("\n".join(trainval) + "\n")
    (ann / "test.txt").write_text("\n".join(test) + "\n")
    return root


DOMAINNET_CATEGORIES = {
    "bicycle": 13,
    "car": 58,
    "cat": 61,
    "dog": 91,
    "police_car": 222,
    "zebra": 344,
}


@pytest.fixture
def domainnet_root(tmp_path: Path) -> Path:
    """<root>/<domain>/<category>/*.jpg + <root>/<domain>_{train,test}.txt for 4 domains.

    Per domain and category: files 0-2 train, 3 test (DomainNet file naming). In clipart/cat
    additionally: a file in no list, a corrupt listed file, and a listed file that is missing.
    """
    root = tmp_path / "domainnet"
    for d, dom in enumerate(("clipart", "painting", "real", "sketch")):
        lines = {"train": [], "test": []}
        for cat, label in DOMAINNET_CATEGORIES.items():
            for i in range(4):
                rel = f"{dom}/{cat}/{dom}_{label:03d}_{i:06d}.jpg"
                write_jpeg(root / rel, seed=d * 100 + label + i)
                lines["train" if i < 3 else "test"].append(f"{rel} {label}")
        if dom == "clipart":
            write_jpeg(root / "clipart/cat/clipart_061_009999.jpg", seed=1)  # unlisted
            write_truncated_jpeg(root / "clipart/cat/clipart_061_000100.jpg")
            lines["train"].append("clipart/cat/clipart_061_000100.jpg 61")
            lines["test"].append("clipart/cat/clipart_061_000200.jpg 61")  # missing on disk
        for split, ls in lines.items():
            (root / f"{dom}_{split}.txt").write_text("\n".join(ls) + "\n")
    return root


@pytest.fixture
def folder_root(tmp_path: Path) -> Path:
    """<root>/{cat,dog}/: 40 images each (JPEG, .jpeg, PNG, upper-case .JPG, a sub-folder),
    plus a text file, an empty .jpg and an unrelated top-level folder."""
    root = tmp_path / "folder"
    for c, cls in enumerate(("cat", "dog")):
        for i in range(36):
            write_jpeg(root / cls / f"{cls}_{i:03d}.jpg", seed=c * 50 + i)
        write_jpeg(root / cls / "upper.JPG", seed=1)
        write_jpeg(root / cls / "other.jpeg", seed=2)
        write_png(root / cls / "alpha.png", seed=3)
        write_jpeg(root / cls / "nested" / "deep.jpg", seed=4)
    (root / "cat" / "notes.txt").write_text("not an image")
    write_empty(root / "dog" / "empty.jpg")
    write_jpeg(root / "zebra" / "z.jpg")
    return root
