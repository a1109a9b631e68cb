"""Archives with the exact layout of each real-image source, made at test time.

For tests that serve them from tests/httpserver.py (the workflow's download -> index path):
``petimages_zip`` (kagglecatsanddogs_5340.zip: PetImages/{Cat,Dog}/*.jpg with Thumbs.db,
empty and truncated JPEGs), ``domainnet_zip`` (<domain>.zip: <domain>/<category>/*.jpg) and
``domainnet_list`` (<domain>_{train,test}.txt).
"""

from __future__ import annotations

import io
import zipfile

from PIL import Image

THUMBS_DB = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504  # an OLE header, like Windows'
# Label ids of the fixture categories (the adapter ignores them): the paper's classes, and
# configs/examples/farm_animals.yaml's (cow, horse, sheep)
DOMAINNET_LABELS = {
    "bicycle": 13,
    "car": 58,
    "cat": 61,
    "dog": 91,
    "police_car": 222,
    "cow": 81,
    "horse": 147,
    "sheep": 258,
}


def jpeg(seed: int = 0, size=(12, 10)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)).save(buf, "JPEG")
    return buf.getvalue()


def truncated_jpeg() -> bytes:
    full = jpeg(7, (64, 64))
    return full[: len(full) // 2]


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def petimages_zip(per_class: int = 10) -> bytes:
    """``per_class`` valid JPEGs per class, plus the bad files the real archive ships."""
    members = {}
    for folder in ("Cat", "Dog"):
        for i in range(per_class):
            members[f"PetImages/{folder}/{i}.jpg"] = jpeg(i + (50 if folder == "Dog" else 0))
        members[f"PetImages/{folder}/Thumbs.db"] = THUMBS_DB
    members["PetImages/Cat/666.jpg"] = b""  # zero bytes, as in the real archive
    members["PetImages/Dog/11702.jpg"] = b""
    members["PetImages/Cat/999.jpg"] = truncated_jpeg()
    members["CDLA-Permissive-2.0.pdf"] = b"%PDF-1.4 licence"
    members["readme[1].txt"] = b"Kaggle cats and dogs"
    return zip_bytes(members)


def domainnet_files(domain: str, categories, per_category: int = 4):
    """(zip bytes, train list text, test list text): files 0..n-2 train, the last one test."""
    members, lists = {}, {"train": [], "test": []}
    for cat in categories:
        label = DOMAINNET_LABELS[cat]
        for i in range(per_category):
            rel = f"{domain}/{cat}/{domain}_{label:03d}_{i:06d}.jpg"
            members[rel] = jpeg(label + i)
            lists["train" if i < per_category - 1 else "test"].append(f"{rel} {label}")
    bad = f"{domain}/{categories[0]}/{domain}_000_999999.jpg"
    members[bad] = truncated_jpeg()
    lists["train"].append(f"{bad} {DOMAINNET_LABELS[categories[0]]}")
    return (zip_bytes(members), "\n".join(lists["train"]) + "\n", "\n".join(lists["test"]) + "\n")
