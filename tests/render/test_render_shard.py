"""render_shard on a tiny world (EGL offscreen): files, metadata, determinism, errors."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from domrand.config import deep_merge, domain_generator, variant_generator
from domrand.render.sampling import sample_frame
from domrand.render.shard import (
    RenderError,
    breed_draw,
    image_draw,
    render_breeds,
    render_shard,
    select_breeds,
    shard_indices,
)
from domrand.seeds import seed_for
from domrand.world.build import World


def QUIET(*_):
    return None


SAMPLED_COLUMNS = {
    "file",
    "index",
    "seed",
    "class",
    "source",
    "breed",
    "pose_mode",
    "pose",
    "camera_azimuth",
    "camera_elevation",
    "camera_distance",
    "camera_target",
    "light_azimuth",
    "light_elevation",
    "light_intensity",
    "light_color",
    "sky",
    "ground_material",
    "subject_material",
    "obstructors",
    "n_obstructors",
    "visible_fraction",
    "occlusion_tries",
    "n_between",
    "post_blur",
    "post_noise",
    "render_time",
}
TIMING_COLUMNS = ["t_sample", "t_update", "t_occlusion", "t_render", "t_readback", "t_encode", "render_time"]


def _render(world, gen, out, render, source="control", cls="cat", shard=0):
    return render_shard(world, gen, source, cls, shard, out, render, log=QUIET)


def _jpegs(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.jpg"))}


@pytest.fixture(scope="module")
def control_gen(repo_config):
    return variant_generator(repo_config, "control")


@pytest.fixture(scope="module")
def shard0(tiny_world, control_gen, tmp_path_factory):
    """Shard 0 of control/cat: 4 images of 32 px."""
    render = {"seed": 0, "image_size": 32, "shard_size": 4, "images_per_class": 8, "backend": "egl", "jpeg_quality": 90}
    gen_before, render_before = copy.deepcopy(control_gen), dict(render)
    out = _render(tiny_world, control_gen, tmp_path_factory.mktemp("shard0") / "s0", render)
    assert control_gen == gen_before and render == render_before  # the job's inputs stay untouched
    return out


def test_shard_writes_jpegs_and_metadata(shard0, control_gen):
    assert sorted(p.name for p in shard0.iterdir()) == [f"{i:06d}.jpg" for i in range(4)] + ["metadata.parquet"]
    for p in shard0.glob("*.jpg"):
        with Image.open(p) as im:
            assert im.format == "JPEG" and im.size == (32, 32) and im.mode == "RGB"
            assert np.asarray(im).std() > 0  # not a blank frame
    meta = pd.read_parquet(shard0 / "metadata.parquet")
    assert SAMPLED_COLUMNS <= set(meta.columns)
    assert meta["file"].tolist() == [f"{i:06d}.jpg" for i in range(4)]
    assert meta["index"].tolist() == [0, 1, 2, 3]
    assert meta["seed"].tolist() == [seed_for("image", 0, "control", "cat", i) for i in range(4)]
    assert set(meta["class"]) == {"cat"} and set(meta["source"]) == {"control"}
    occ = control_gen["obstructors"]
    assert (meta["visible_fraction"] >= 1.0 - occ["max_occlusion"]).all()
    assert (meta["visible_fraction"] <= 1.0).all()
    assert meta["occlusion_tries"].between(1, occ["max_tries"]).all()
    assert meta["n_obstructors"].between(*occ["count"]).all()
    between = [sum(o["between"] is not None for o in json.loads(j)) for j in meta["obstructors"]]
    assert (meta["n_between"] == between).all()
    assert (meta["n_between"] <= meta["n_obstructors"]).all()
    lo, hi = control_gen["camera"]["elevation"]
    assert meta["camera_elevation"].between(lo, hi).all()
    assert all(isinstance(json.loads(p), dict) for p in meta["pose"])
    assert np.isfinite(meta[TIMING_COLUMNS].to_numpy()).all() and (meta[TIMING_COLUMNS] >= 0).all().all()


def test_metadata_replays_without_a_renderer(shard0, tiny_world, control_gen):
    """The per-image seed alone reproduces every sampled frame parameter."""
    meta = pd.read_parquet(shard0 / "metadata.parquet")
    world = World.load(tiny_world)
    n_breeds = len(world.breeds("cat", heldout=False))
    n_mat, n_sky = len(world.manifest["materials"]), len(world.manifest["skies"])
    for row in meta.itertuples():
        p = sample_frame(control_gen, "cat", n_breeds, n_mat, n_sky, np.random.default_rng(row.seed))
        rec = p.record()
        assert row.pose_mode == rec["pose_mode"] and row.pose == rec["pose"]
        for k in ("camera_azimuth", "camera_elevation", "camera_distance", "light_intensity"):
            assert getattr(row, k) == pytest.approx(rec[k])
        assert (row.sky, row.ground_material, row.subject_material) == (rec["sky"], rec["ground_material"], -1)


def test_metadata_breed_is_the_breed_name(shard0, tiny_world):
    meta = pd.read_parquet(shard0 / "metadata.parquet")
    names = {b.name for b in World.load(tiny_world).breeds("cat", heldout=False)}
    assert set(meta["breed"]) <= names


def test_rerendering_gives_identical_bytes(shard0, tiny_world, control_gen, render_params, tmp_path):
    again = _render(tiny_world, control_gen, tmp_path / "again", render_params)
    assert _jpegs(again) == _jpegs(shard0)
    a = pd.read_parquet(shard0 / "metadata.parquet").drop(columns=TIMING_COLUMNS)
    b = pd.read_parquet(again / "metadata.parquet").drop(columns=TIMING_COLUMNS)
    pd.testing.assert_frame_equal(a, b)


def test_a_shard_rendered_alone_matches_the_same_images_in_a_bigger_shard(
    shard0, tiny_world, control_gen, render_params, tmp_path
):
    # Images 2 and 3: the second half of shard0 (rendered after images 0 and 1), or a shard of their own.
    alone = _render(tiny_world, control_gen, tmp_path / "s1", {**render_params, "shard_size": 2}, shard=1)
    assert sorted(_jpegs(alone)) == ["000002.jpg", "000003.jpg"]
    bigger = _jpegs(shard0)
    for name, data in _jpegs(alone).items():
        assert bigger[name] == data, name
    a = pd.read_parquet(alone / "metadata.parquet").drop(columns=TIMING_COLUMNS)
    b = pd.read_parquet(shard0 / "metadata.parquet").drop(columns=TIMING_COLUMNS).iloc[2:].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_other_class_and_source_give_other_images(shard0, tiny_world, control_gen, render_params, tmp_path):
    one = {**render_params, "shard_size": 1}
    dog = _render(tiny_world, control_gen, tmp_path / "dog", one, cls="dog")
    other = _render(tiny_world, control_gen, tmp_path / "other", one, source="no_textures")
    assert _jpegs(dog)["000000.jpg"] != _jpegs(shard0)["000000.jpg"]
    assert _jpegs(other)["000000.jpg"] != _jpegs(shard0)["000000.jpg"]
    assert pd.read_parquet(dog / "metadata.parquet")["class"].tolist() == ["dog"]


def test_no_obstructors_records_full_visibility(tiny_world, repo_config, render_params, tmp_path):
    gen = variant_generator(repo_config, "no_obstructors")
    meta = pd.read_parquet(
        _render(tiny_world, gen, tmp_path / "s", {**render_params, "shard_size": 2}) / "metadata.parquet"
    )
    assert len(meta) == 2 and (meta["visible_fraction"] == 1.0).all()
    assert (meta["n_obstructors"] == 0).all() and (meta["occlusion_tries"] == 0).all()
    assert (meta["obstructors"] == "[]").all()


def test_impossible_occlusion_constraint_raises_and_leaves_nothing(tiny_world, control_gen, render_params, tmp_path):
    # Obstructors centred on the subject and larger than it, with the camera outside them
    # (an obstructor that encloses the camera is back-face culled, hence invisible).
    gen = deep_merge(
        control_gen,
        {
            "obstructors": {
                "max_occlusion": 0.0,
                "scale": [2.5, 2.5],
                "distance": [0, 0],
                "height": [0.3, 0.3],
                "count": [3, 3],
                "max_tries": 3,
                "between": 0.0,
            },
            "camera": {"distance": [4, 4]},
        },
    )
    out = tmp_path / "shards" / "s0"
    with pytest.raises(RenderError, match="max_occlusion") as err:
        _render(tiny_world, gen, out, render_params)
    assert "3 tries" in str(err.value) and "control/cat" in str(err.value)
    assert not out.exists()
    assert list((tmp_path / "shards").iterdir()) == []  # no temp folder either


@pytest.mark.parametrize("domain", ["real", "toon"])
def test_target_domains_render_heldout_breeds(domain, tiny_world, repo_config, render_params, tmp_path):
    gen = domain_generator(repo_config, domain)
    meta = pd.read_parquet(
        _render(tiny_world, gen, tmp_path / domain, {**render_params, "shard_size": 2}, source=domain)
        / "metadata.parquet"
    )
    assert len(meta) == 2
    assert set(meta["pose_mode"]) <= {"stand", "sit", "lie"}
    assert meta["camera_elevation"].between(*gen["camera"]["elevation"]).all()
    assert meta["post_blur"].between(*gen["style"]["blur"]).all()
    assert meta["post_noise"].between(*gen["style"]["noise"]).all()
    assert meta["breed"].str.startswith(f"cat_{domain}").all()  # the domain's own held-out pool
    assert (meta["subject_kind"] == "lofted").all()
    if domain == "toon":
        assert (meta["sky"] == -1).all() and (meta["ground_material"] == -1).all()


# -- errors before any rendering ----------------------------------------------------------


def test_shard_indices():
    assert shard_indices(0, 4, 10) == range(0, 4)
    assert shard_indices(2, 4, 10) == range(8, 10)  # the last shard is short
    with pytest.raises(ValueError, match="shard 3 is past the 10 images"):
        shard_indices(3, 4, 10)


def test_select_breeds(tiny_world):
    world = World.load(tiny_world)
    assert [b.name for b in select_breeds(world, "cat", {"breeds": "all", "heldout": False})] == ["cat00", "cat01"]
    assert [b.name for b in select_breeds(world, "cat", {"breeds": 1, "heldout": False})] == ["cat00", "cat01"]
    assert [b.name for b in select_breeds(world, "dog", {"breeds": "all", "heldout": "real"})] == ["dog_real00"]
    assert [b.name for b in select_breeds(world, "dog", {"breeds": "all", "heldout": "toon"})] == ["dog_toon00"]
    with pytest.raises(ValueError, match="world.breeds"):
        select_breeds(world, "cat", {"breeds": 3, "heldout": False})
    with pytest.raises(ValueError, match=r"world.heldout_breeds.real"):
        select_breeds(world, "cat", {"breeds": 2, "heldout": "real"})
    with pytest.raises(ValueError, match="add it to world.heldout_breeds"):
        select_breeds(world, "cat", {"breeds": "all", "heldout": "sketch"})


def test_breed_draws_are_seeded_nested_and_differ_between_draws():
    draws = [breed_draw(12, 4, 0, "cat", d) for d in range(6)]
    assert all(len(d) == 4 == len(set(d)) and all(0 <= i < 12 for i in d) for d in draws)
    assert len({tuple(d) for d in draws}) > 1  # draws are draws, not the first n
    assert breed_draw(12, 4, 0, "cat", 2) == draws[2]  # a pure function of (seed, class, draw)
    assert breed_draw(12, 4, 0, "dog", 2) != draws[2] or breed_draw(12, 4, 0, "dog", 3) != draws[3]
    for d in range(6):  # nested: draw d of 1 breed is inside draw d of 2, of 4
        assert set(breed_draw(12, 1, 0, "cat", d)) <= set(breed_draw(12, 2, 0, "cat", d)) <= set(draws[d])
    assert breed_draw(12, "all", 0, "cat", 5) == list(range(12))


def test_image_draw_follows_the_per_seed_training_sets():
    render = {"draws": 3, "train_per_draw": 4}
    assert [image_draw(i, render) for i in range(12)] == [0] * 4 + [1] * 4 + [2] * 4
    assert [image_draw(i, render) for i in range(12, 17)] == [0, 1, 2, 0, 1]  # test images cycle
    assert image_draw(7, {}) == 0


def test_each_training_set_shows_only_its_draw(tiny_world, control_gen, tmp_path):
    gen = deep_merge(control_gen, {"subject": {"breeds": 1}})
    render = {
        "seed": 0,
        "image_size": 32,
        "shard_size": 8,
        "images_per_class": 8,
        "backend": "egl",
        "jpeg_quality": 90,
        "draws": 2,
        "train_per_draw": 4,
    }
    meta = pd.read_parquet(_render(tiny_world, gen, tmp_path / "s", render) / "metadata.parquet")
    pool = [b.name for b in World.load(tiny_world).breeds("cat", heldout=False)]
    for d, g in meta.groupby(meta["index"] // 4):
        want = [pool[i] for i in breed_draw(len(pool), 1, 0, "cat", d)]
        assert set(g["breed"]) == set(want) and set(g["draw_breeds"]) == {",".join(want)}
        assert set(g["breed_draw"]) == {d}


def test_render_breeds_shows_every_breed_of_the_pool_equally(tiny_world, repo_config, tmp_path):
    gen = deep_merge(domain_generator(repo_config, "real"), {"subject": {"heldout": False}})
    render = {"seed": 0, "image_size": 32, "images_per_breed": 3, "backend": "egl", "jpeg_quality": 90}
    out = render_breeds(tiny_world, gen, "subjects_synthetic", "cat", tmp_path / "b", render, log=QUIET)
    meta = pd.read_parquet(out / "metadata.parquet")
    pool = [b.name for b in World.load(tiny_world).breeds("cat", heldout=False)]
    assert meta["breed"].tolist() == [b for b in pool for _ in range(3)]
    assert len(list(out.glob("*.jpg"))) == 3 * len(pool)


def test_shard_past_the_end_raises_before_writing(tiny_world, control_gen, render_params, tmp_path):
    with pytest.raises(ValueError, match="past"):
        _render(tiny_world, control_gen, tmp_path / "s9", render_params, shard=9)
    assert not (tmp_path / "s9").exists()
