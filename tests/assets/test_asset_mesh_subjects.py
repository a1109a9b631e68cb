"""Imported meshes as subjects: world build, own textures, per-frame skinning, the rig
interface, a rendered shard and its metadata."""

from __future__ import annotations

import copy
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import trimesh
import yaml

from domrand.world.build import World, build_world
from domrand.world.mesh_subjects import MeshRig, clip_time, subject_record, subject_rig
from domrand.world.subjects import sample_pose
from helpers.textured_models import build_textured_rig, write_textured_obj

ROOT = Path(__file__).resolve().parents[2]
PARAMS = {
    "seed": 0,
    "classes": ["cat", "dog"],
    "breeds": 2,
    "heldout_breeds": {"real": 1, "toon": 1},
    "target_skies": 2,
    "target_grounds": 2,
    "target_texture_size": 32,
    "materials": 3,
    "skies": 2,
    "texture_size": 32,
    "sky_width": 64,
}
MAGENTA, GREEN, KD = (220, 40, 200), (40, 200, 60), (0.9, 0.6, 0.05)


def _build(tmp_path, subjects, classes=("cat", "dog")) -> tuple[World, list[str]]:
    cwd = os.getcwd()
    os.chdir(tmp_path)  # downloads are found under resources/assets relative to the job's folder
    try:
        (tmp_path / "resources").mkdir(exist_ok=True)
        if not (tmp_path / "resources" / "assets").exists():
            (tmp_path / "resources" / "assets").symlink_to(tmp_path / "assets")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            params = {**PARAMS, "classes": list(classes), "subjects": subjects}
            world = build_world(params, tmp_path / "world", log=lambda *_: None)
    finally:
        os.chdir(cwd)
    return World.load(world), [str(w.message) for w in caught]


@pytest.fixture
def mesh_world(tmp_path, kit):
    meshes = tmp_path / "meshes"
    meshes.mkdir()
    kit.build_rig(meshes / "rig.glb")
    kit.build_rig(meshes / "still.glb", animated=False)
    box = trimesh.creation.box(extents=(0.4, 2.0, 0.8))  # tall along Y, as authored
    (tmp_path / "assets" / "boxes").mkdir(parents=True)
    box.export(tmp_path / "assets" / "boxes" / "box.obj")
    return _build(
        tmp_path,
        {
            "cat": {
                "mode": "add",
                "time_step": 0.25,
                "meshes": [{"path": str(meshes / "rig.glb")}, {"download": "boxes", "file": "*.obj"}],
            },
            "dog": {"mode": "replace", "meshes": [{"path": str(meshes / "still.glb")}]},
        },
    )


@pytest.fixture
def textured_world(tmp_path):
    """Cats: a textured rigged glTF (magenta), the same rig with no material (coat), an OBJ
    with a map_Kd texture (green) and one with only Kd (orange)."""
    m = tmp_path / "models"
    m.mkdir()
    build_textured_rig(m / "a_textured.glb", texture_rgb=MAGENTA)
    build_textured_rig(m / "b_bare.glb", textured=False)
    write_textured_obj(m / "c_obj", texture_rgb=GREEN)
    write_textured_obj(m / "d_kd", kd=KD)
    (tmp_path / "assets").mkdir()
    return _build(
        tmp_path,
        {
            "cat": {
                "mode": "replace",
                "meshes": [
                    {"path": str(m / "a_textured.glb")},
                    {"path": str(m / "b_bare.glb")},
                    {"path": str(m / "c_obj" / "model.obj")},
                    {"path": str(m / "d_kd" / "model.obj")},
                ],
            }
        },
    )


def test_world_adds_and_replaces_breeds(mesh_world):
    world, warned = mesh_world
    cats = world.breeds("cat", heldout=False)
    assert [("mesh" in b.shape) for b in cats] == [False, False, True, True]
    dogs = world.breeds("dog", heldout=False)
    assert len(dogs) == 1 and "mesh" in dogs[0].shape
    assert len(world.breeds("dog", heldout=True)) == 2  # held-out target subjects stay (one per pool)
    # A glTF without animation and an OBJ fall back to the bind pose, with a warning each.
    assert any("still.glb" in w and "bind pose" in w for w in warned)
    assert any("box.obj" in w for w in warned)
    rig_breed = cats[2]
    assert [c["name"] for c in rig_breed.shape["clips"]] == ["bend", "slide", "snap", "ease"]
    assert not rig_breed.shape["fallback"] and dogs[0].shape["fallback"]
    assert world.coat_file(rig_breed).is_file()
    json.loads((world.root / "world.json").read_text())  # still plain JSON


def test_mesh_rig_skins_the_sampled_clip_and_time_and_grounds(mesh_world, kit):
    world, _ = mesh_world
    breed = world.breeds("cat", heldout=False)[2]
    rig = subject_rig(world, breed)
    assert isinstance(rig, MeshRig) and len(rig.parts) == 1
    mats, bounds = rig.pose_frame({})
    assert np.allclose(mats["group00"][:3, :3], np.eye(3)) and bounds[0, 1] == pytest.approx(0.0)
    assert np.linalg.norm(bounds[1] - bounds[0]) == pytest.approx(1.0, rel=1e-3)
    rest = rig.posed(None, None)[0]
    from domrand.meshes.gltf import load_skinned_gltf

    model = load_skinned_gltf(breed.shape["source"])
    tr = np.load(world.root / breed.shape["mesh"])["transform"]
    seen = set()
    for seed in range(40):
        pose, _ = sample_pose("cat", np.random.default_rng(seed))
        c, t = clip_time(breed, pose)
        seen.add(c)
        assert 0 <= c < 4 and t == pytest.approx(round(t / 0.25) * 0.25)  # quantised to time_step
        mats, bounds = rig.pose_frame(pose)
        assert bounds[0, 1] == pytest.approx(0.0, abs=1e-6)
        # The posed mesh is the skinned frame, mapped by the bind pose's normalising transform.
        v = model.pose(c, t)
        assert np.allclose(rig.posed(c, t)[0], v @ tr[:3, :3].T + tr[:3, 3], atol=1e-9)
    assert seen == {0, 1, 2, 3}
    assert not np.allclose(rig.posed(0, 1.0)[0], rest)  # "bend" at its end moved the mesh
    # The OBJ keeps its (Y-up) orientation: its long axis stays vertical.
    box = world.breeds("cat", heldout=False)[3]
    lo, hi = subject_rig(world, box).pose_frame({})[1]
    assert np.argmax(hi - lo) == 1


def test_subject_record_names_clip_time_fallback_and_texture(mesh_world):
    world, _ = mesh_world
    pose, _ = sample_pose("dog", np.random.default_rng(0))
    still = world.breeds("dog", heldout=False)[0]
    assert subject_record(still, pose)["pose_fallback"] is True
    assert subject_record(still, {})["pose_fallback"] is False
    rig = world.breeds("cat", heldout=False)[2]
    animated = subject_record(rig, pose)
    c, t = clip_time(rig, pose)
    assert animated["subject_kind"] == "mesh" and animated["clip"] == rig.shape["clips"][c]["name"]
    assert animated["clip_time"] == t and animated["pose_fallback"] is False
    assert subject_record(rig, {})["clip"] is None and subject_record(rig, {})["clip_time"] is None
    assert animated["subject_texture"] == "coat"  # the rig's glTF has no material: the coat
    assert subject_record(rig, pose, random_material=True)["subject_texture"] == "random_material"
    procedural = subject_record(world.breeds("cat", heldout=False)[0], pose)
    assert procedural["subject_kind"] == "procedural" and procedural["subject_texture"] == "coat"


def test_imported_models_keep_their_own_base_colours(textured_world):
    world, _ = textured_world
    cats = world.breeds("cat", heldout=False)
    assert [b.shape["texture"] for b in cats] == ["own", "coat", "own", "own"]
    tex, bare, obj, kd = cats
    assert tex.shape["groups"][0]["texture"] and (world.root / tex.shape["groups"][0]["texture"]).is_file()
    assert obj.shape["groups"][0]["texture"]
    assert kd.shape["groups"][0]["texture"] is None
    assert kd.shape["groups"][0]["factor"][:3] == pytest.approx(KD, abs=0.01)


def _plain_gen(**subject):
    gen = copy.deepcopy(yaml.safe_load((ROOT / "config.yaml").read_text())["generator"])
    gen["sky"]["mode"], gen["sky"]["color"] = "plain", [0.0, 0.0, 0.0]
    gen["ground"]["mode"] = "none"
    gen["obstructors"]["enabled"] = False
    gen["lighting"]["random"] = False
    gen["camera"]["distance"] = [1.2, 1.2]
    gen["camera"]["elevation"] = [20, 20]
    gen["subject"].update(subject)
    return gen


def _subject_pixels(img: np.ndarray) -> np.ndarray:
    px = img.reshape(-1, 3).astype(float)
    return px[px.sum(1) > 30]  # not the black background


def test_rendered_subject_shows_the_models_own_texture_colours(textured_world):
    from domrand.render.sampling import sample_frame
    from domrand.render.scene import SceneRenderer

    world, _ = textured_world
    breeds = world.breeds("cat", heldout=False)
    gen = _plain_gen(pose="default")
    means = []
    with SceneRenderer(world, "cat", breeds, gen, 64, "egl") as sr:
        for b in range(len(breeds)):
            p = sample_frame(gen, "cat", len(breeds), len(sr.materials), len(sr.skies), np.random.default_rng(b))
            p.breed = b
            sr.set_frame(p)
            img, _ = sr.render(np.random.default_rng(0))
            px = _subject_pixels(img)
            assert len(px) > 100
            means.append(px.mean(0))
    chroma = [m / m.sum() for m in means]
    # Magenta texture: red and blue well above green; green OBJ texture: green on top;
    # Kd orange: red > green > blue. The bare rig wears its (natural, brownish) coat instead.
    assert chroma[0][0] > chroma[0][1] + 0.15 and chroma[0][2] > chroma[0][1] + 0.15
    assert chroma[2][1] > chroma[2][0] + 0.15 and chroma[2][1] > chroma[2][2] + 0.15
    assert chroma[3][0] > chroma[3][1] > chroma[3][2] + 0.1
    assert not (chroma[1][2] > chroma[1][1] + 0.15)


def test_two_frames_with_different_clip_or_time_differ_in_pose(textured_world, tmp_path):
    from domrand.render.shard import breed_draw, render_shard

    world, _ = textured_world
    gen = _plain_gen(pose="random")
    gen["subject"]["breeds"] = 1  # one breed per class, drawn by the seed: the textured rig (the pool's first)
    n_pool = len(world.breeds("cat", heldout=False))
    seed = next(s for s in range(200) if breed_draw(n_pool, 1, s, "cat", 0) == [0])
    render = {
        "seed": seed,
        "image_size": 48,
        "shard_size": 6,
        "images_per_class": 6,
        "backend": "egl",
        "jpeg_quality": 95,
    }
    out = render_shard(world.root, gen, "control", "cat", 0, tmp_path / "shard", render, log=lambda *_: None)
    meta = pd.read_parquet(out / "metadata.parquet")
    assert set(meta["clip"]) <= {"wave", "twist"} and meta["clip_time"].between(0, 2).all()
    assert (meta["subject_texture"] == "own").all() and not meta["pose_fallback"].any()
    keys = list(zip(meta["clip"], meta["clip_time"]))
    assert len(set(keys)) >= 3  # drawn per image
    # The pose columns record what the skinned mesh showed (its clip and time), not the joint
    # angles of the procedural quadruped that it never uses.
    assert (meta["pose_mode"] == "clip").all()
    assert [json.loads(x) for x in meta["pose"]] == [{"clip": c, "clip_time": t} for c, t in keys]
    # A pair of rows whose clip or time differ.
    i, j = next((i, j) for i in range(len(keys)) for j in range(i + 1, len(keys)) if keys[i] != keys[j])
    # The recorded clip and time are what the image shows: re-render two rows' frames with only
    # the pose swapped, the silhouette changes; the same pose gives the same image.
    from domrand.render.sampling import sample_frame
    from domrand.render.scene import SceneRenderer
    from domrand.seeds import seed_for

    breed = world.breeds("cat", heldout=False)[0]
    rig = subject_rig(world, breed)
    names = [c["name"] for c in breed.shape["clips"]]
    a, b = meta.iloc[i], meta.iloc[j]
    va = rig.posed(names.index(a["clip"]), a["clip_time"])[0]
    vb = rig.posed(names.index(b["clip"]), b["clip_time"])[0]
    assert np.abs(va - vb).max() > 0.02  # different clip/time, different pose
    with SceneRenderer(world, "cat", [breed], gen, 48, "egl") as sr:
        imgs = []
        for row, pose_row in ((a, a), (a, b), (a, a)):

            def frame(r):
                return sample_frame(
                    gen,
                    "cat",
                    1,
                    len(sr.materials),
                    len(sr.skies),
                    np.random.default_rng(seed_for("image", seed, "control", "cat", int(r["index"]))),
                )

            p = frame(row)
            p.pose = frame(pose_row).pose  # the pose drawn for pose_row's image seeds its clip and time
            assert subject_record(breed, p.pose)["clip_time"] == pose_row["clip_time"]
            sr.set_frame(p)
            imgs.append(sr.render(np.random.default_rng(0))[0].astype(int))
    assert np.abs(imgs[0] - imgs[1]).sum() > 0 and np.array_equal(imgs[0], imgs[2])


def test_shard_of_mesh_subjects_renders(mesh_world, tmp_path):
    from domrand.render.shard import render_shard

    world, _ = mesh_world
    gen = yaml.safe_load((ROOT / "config.yaml").read_text())["generator"]
    render = {"seed": 0, "image_size": 32, "shard_size": 4, "images_per_class": 4, "backend": "egl", "jpeg_quality": 90}
    out = render_shard(world.root, gen, "control", "dog", 0, tmp_path / "shard", render, log=lambda *_: None)
    meta = pd.read_parquet(out / "metadata.parquet")
    assert len(meta) == 4 and (meta["subject_kind"] == "mesh").all()
    assert meta["pose_fallback"].all()  # random poses asked, the model has no animation
    assert meta["clip"].isna().all()
    assert (meta["pose_mode"] == "bind").all() and (meta["pose"] == "{}").all()  # no joint angles
    assert (meta["visible_fraction"] > 0).all()


def test_a_class_that_is_not_built_in_takes_its_meshes_as_breeds_and_held_out_pools(tmp_path):
    """Six boxes of class "crate": 2 held out for real, 1 for toon, 3 breeds; no procedural
    subject; a proxy-real shard draws only the real pool."""
    from domrand.render.shard import render_shard

    boxes = tmp_path / "crates"
    boxes.mkdir()
    for i in range(6):
        trimesh.creation.box(extents=(0.4 + 0.1 * i, 2.0, 0.8)).export(boxes / f"box{i}.obj")
    (tmp_path / "assets").mkdir()
    subjects = {"crate": {"meshes": [{"path": str(boxes)}], "heldout": {"real": 2, "toon": 1}}}
    with pytest.raises(ValueError, match=r"world\.subjects\.crate\.heldout: 6 meshes held out of 6"):
        _build(tmp_path, {"crate": {**subjects["crate"], "heldout": {"real": 5, "toon": 1}}}, classes=["crate", "cat"])
    world, _ = _build(tmp_path, subjects, classes=["cat", "crate"])
    pools = {p: world.breeds("crate", heldout=p) for p in (False, "real", "toon")}
    assert {p: len(b) for p, b in pools.items()} == {False: 3, "real": 2, "toon": 1}
    sources = [b.shape["source"] for bs in pools.values() for b in bs]
    assert sorted(Path(s).name for s in sources) == [f"box{i}.obj" for i in range(6)]  # each once
    assert all("mesh" in b.shape for bs in pools.values() for b in bs)
    assert pools["real"][0].name.startswith("crate_real") and world.coat_file(pools["real"][0]).is_file()
    assert len(world.breeds("cat", heldout=False)) == 2  # the built-in class beside it is as before
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    gen = {**config["generator"], "subject": {**config["generator"]["subject"], "heldout": "real"}}
    render = {"seed": 0, "image_size": 32, "shard_size": 4, "images_per_class": 4, "backend": "egl", "jpeg_quality": 90}
    out = render_shard(world.root, gen, "real", "crate", 0, tmp_path / "shard", render, log=lambda *_: None)
    meta = pd.read_parquet(out / "metadata.parquet")
    assert set(meta["breed"]) <= {b.name for b in pools["real"]} and (meta["visible_fraction"] > 0).all()
