"""A tiny study of two classes that are not built in ("lynx" and "hound"), made at test time:
meshes exported from the procedural world under those names (cat and dog breeds), a `folder`
of photos-to-be (coloured noise per class) and the config override that studies them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml
from PIL import Image

CLASSES = {"lynx": "cat", "hound": "dog"}  # our class -> the procedural family its meshes come from
MESHES_PER_CLASS = 3  # 2 breeds and 1 held out for the proxy toon domain
PHOTOS_PER_CLASS = 12
ABLATED = ("no_obstructors", "no_lighting", "no_skies", "no_poses", "no_breeds", "texture_subject")


def write_meshes(root: Path) -> dict[str, Path]:
    """OBJ files of procedural breeds, one folder per class of :data:`CLASSES`."""
    from domrand.world.subjects import build_rig, sample_breed

    out = {}
    for cls, family in CLASSES.items():
        out[cls] = root / cls
        out[cls].mkdir(parents=True)
        for i in range(MESHES_PER_CLASS):
            build_rig(sample_breed(family, i, 7)).posed_mesh({}).export(out[cls] / f"{cls}_{i}.obj")
    return out


def write_photos(root: Path) -> Path:
    """<root>/<class>/*.jpg: noise around a colour of each class (lynx tawny, hound grey)."""
    rng = np.random.default_rng(0)
    for cls, mean in (("lynx", (170, 120, 60)), ("hound", (110, 110, 115))):
        (root / cls).mkdir(parents=True)
        for i in range(PHOTOS_PER_CLASS):
            img = np.clip(rng.normal(mean, 40, (48, 48, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(root / cls / f"{i:02d}.jpg")
    return root


def own_study_override(root: Path) -> Path:
    """The override (over configs/ci.yaml) of the tiny study, with its meshes and photos under
    ``root``: real photos from a folder, a proxy toon domain from held-out meshes, two variants
    and one seed; lynx has an ImageNet family, hound none."""
    meshes, photos = write_meshes(root / "meshes"), write_photos(root / "photos")
    config = {
        "world": {
            "classes": list(CLASSES),
            "subjects": {c: {"meshes": [{"path": str(meshes[c])}], "heldout": {"toon": 1}} for c in CLASSES},
        },
        "synth": {"classes": list(CLASSES), "train_per_class": 16, "test_per_class": 6},
        "tasks": {"cat_dog": list(CLASSES), "plus_bicycle": None, "plus_car": None},
        "variants": dict.fromkeys(ABLATED),
        "explain": {"target": "lynx"},
        "realism": {"families": {"lynx": [287]}, "images_per_class": 4, "subjects": {"images_per_breed": 2}},
        "domains": {
            "real": {
                "train_per_class": 6,
                "test_per_class": 6,
                "sources": {
                    "photos": {
                        "adapter": "folder",
                        "path": str(photos),
                        "classes": list(CLASSES),
                        "params": {"test_fraction": 0.5},
                    }
                },
            },
            "toon": {"test_per_class": 6},
        },
        "render": {"shard_size": 25},  # one shard per class and set
        "seeds": [0],
        "figures": {"models": {"fig7": None}},
        # figure 13's search over 2 anchors and 2 candidates; its validation photos come out of
        # the real train pool
        "search": {"keep": 2, "val_per_class": 2},
    }
    path = root / "own_study.yaml"
    path.write_text(yaml.safe_dump(config))
    return path
