"""Imported meshes as subjects: world build, pose variants, the rig interface, a rendered shard."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import trimesh
import yaml

from domrand.world.build import World, build_world
from domrand.world.mesh_subjects import MeshRig, mesh_pose_index, subject_record, subject_rig
from domrand.world.subjects import sample_pose

ROOT = Path(__file__).resolve().parents[2]
PARAMS = {"seed": 0, "classes": ["cat", "dog"], "breeds": 2, "heldout_breeds": 1, "materials": 3,
          "skies": 2, "texture_size": 32, "sky_width": 64}


@pytest.fixture
def mesh_world(tmp_path, kit):
    meshes = tmp_path / "meshes"
    meshes.mkdir()
    kit.build_rig(meshes / "rig.glb")
    kit.build_rig(meshes / "still.glb", animated=False)
    box = trimesh.creation.box(extents=(0.4, 2.0, 0.8))  # tall along Y, as authored
    (tmp_path / "assets" / "boxes").mkdir(parents=True)
    box.export(tmp_path / "assets" / "boxes" / "box.obj")
    params = {**PARAMS, "subjects": {
        "cat": {"mode": "add", "poses": 3, "meshes": [{"path": str(meshes / "rig.glb")},
                                                        {"download": "boxes", "file": "*.obj"}]},
        "dog": {"mode": "replace", "meshes": [{"path": str(meshes / "still.glb")}]},
    }}
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)  # downloads are found under resources/assets relative to the job's folder
    try:
        (tmp_path / "resources").mkdir()
        (tmp_path / "resources" / "assets").symlink_to(tmp_path / "assets")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            world = build_world(params, tmp_path / "world", log=lambda *_: None)
    finally:
        os.chdir(cwd)
    return World.load(world), [str(w.message) for w in caught]


def test_world_adds_and_replaces_breeds(mesh_world):
    world, warned = mesh_world
    cats = world.breeds("cat", heldout=False)
    assert [("mesh" in b.shape) for b in cats] == [False, False, True, True]
    dogs = world.breeds("dog", heldout=False)
    assert len(dogs) == 1 and "mesh" in dogs[0].shape
    assert len(world.breeds("dog", heldout=True)) == 1  # held-out procedural breeds stay
    # A glTF without animation and an OBJ fall back to the bind pose, with a warning each.
    assert any("still.glb" in w and "bind pose" in w for w in warned)
    assert any("box.obj" in w for w in warned)
    rig_breed = cats[2]
    assert len(rig_breed.shape["poses"]) == 4 and not rig_breed.shape["poses"][0]["fallback"]
    assert world.coat_file(rig_breed).is_file()
    json.loads((world.root / "world.json").read_text())  # still plain JSON


def test_mesh_rig_poses_and_grounds(mesh_world):
    world, _ = mesh_world
    breed = world.breeds("cat", heldout=False)[2]
    rig = subject_rig(world, breed)
    assert isinstance(rig, MeshRig) and len(rig.parts) == 4
    data = np.load(world.root / breed.shape["mesh"])
    assert not np.allclose(data["vertices"][0], data["vertices"][1])  # an animated frame moved it
    mats, bounds = rig.pose_frame({})
    assert np.allclose(mats["pose00"][:3, :3], np.eye(3)) and bounds[0, 1] == pytest.approx(0.0)
    assert np.linalg.norm(bounds[1] - bounds[0]) == pytest.approx(1.0, rel=1e-3)
    pose, _ = sample_pose("cat", np.random.default_rng(3))
    k = mesh_pose_index(pose, 4)
    assert 1 <= k <= 3
    mats, bounds = rig.pose_frame(pose)
    assert bounds[0, 1] == pytest.approx(0.0, abs=1e-6)
    hidden = [n for n in mats if n != f"pose{k:02d}"]
    assert all(abs(np.linalg.det(mats[n][:3, :3])) < 1e-20 for n in hidden)
    # The OBJ keeps its (Y-up) orientation: its long axis stays vertical.
    box = world.breeds("cat", heldout=False)[3]
    lo, hi = subject_rig(world, box).pose_frame({})[1]
    assert np.argmax(hi - lo) == 1


def test_subject_record_flags_the_fallback(mesh_world):
    world, _ = mesh_world
    pose, _ = sample_pose("dog", np.random.default_rng(0))
    still = world.breeds("dog", heldout=False)[0]
    assert subject_record(still, pose)["pose_fallback"] is True
    assert subject_record(still, {})["pose_fallback"] is False
    animated = subject_record(world.breeds("cat", heldout=False)[2], pose)
    assert animated["subject_kind"] == "mesh" and animated["mesh_clip"] is not None
    assert subject_record(world.breeds("cat", heldout=False)[0], pose)["subject_kind"] == "procedural"


def test_shard_of_mesh_subjects_renders(mesh_world, tmp_path):
    from domrand.render.shard import render_shard

    world, _ = mesh_world
    gen = yaml.safe_load((ROOT / "config.yaml").read_text())["generator"]
    render = {"seed": 0, "image_size": 32, "shard_size": 4, "images_per_class": 4, "backend": "egl",
              "jpeg_quality": 90}
    out = render_shard(world.root, gen, "control", "dog", 0, tmp_path / "shard", render, log=lambda *_: None)
    meta = pd.read_parquet(out / "metadata.parquet")
    assert len(meta) == 4 and (meta["subject_kind"] == "mesh").all()
    assert meta["pose_fallback"].all()  # random poses asked, the model has no animation
    assert (meta["visible_fraction"] > 0).all()
