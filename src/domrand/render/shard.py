"""Render one shard: a contiguous range of image indices of one (source, class).

Output folder (written atomically): NNNNNN.jpg per image and metadata.parquet with every
sampled parameter, the per-image seed, the visible fraction and the render time. The
per-image seed depends only on (global seed, source, class, index), so a shard re-rendered
alone gives the same bytes on the same backend.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from domrand.io import atomic_dir
from domrand.render.sampling import sample_frame, sample_obstructors
from domrand.seeds import seed_for
from domrand.world.build import World
from domrand.world.mesh_subjects import subject_record
from domrand.world.own_classes import is_builtin


class RenderError(RuntimeError):
    pass


def shard_indices(shard: int, shard_size: int, total: int) -> range:
    """Image indices of `shard` (the last shard may be short)."""
    start = shard * shard_size
    if start >= total:
        raise ValueError(f"shard {shard} is past the {total} images of this set (shard size {shard_size})")
    return range(start, min(start + shard_size, total))


def select_breeds(world: World, cls: str, subject: dict):
    """The pool a generator draws its breeds from: the synthetic breeds, or the held-out pool
    `subject.heldout` names (a target domain's own subjects). `subject.breeds: n` draws n of
    them per training set (:func:`breed_draw`); here it is only checked against the pool."""
    pool = subject["heldout"]
    if pool is not False and pool not in world.pools():
        raise ValueError(
            f"config key subject.heldout: pool {pool!r} is not in the world's held-out pools "
            f"{world.pools()}: add it to world.heldout_breeds"
        )
    breeds = world.breeds(cls, heldout=pool)
    n = subject["breeds"]
    if n != "all" and int(n) > len(breeds):
        if is_builtin(cls):
            key = f"world.heldout_breeds.{pool}" if pool else "world.breeds"
        else:  # only meshes: more of them held out, or more meshes
            key = f"world.subjects.{cls}.heldout.{pool}" if pool else f"world.subjects.{cls}.meshes"
        raise ValueError(
            f"subject.breeds={n} but the world has only {len(breeds)} "
            f"{f'held-out ({pool}) ' if pool else ''}{cls} breeds: raise {key}"
        )
    return breeds


def breed_draw(n_pool: int, n, seed: int, cls: str, draw: int) -> list[int]:
    """Pool indices of the breeds that draw `draw` of `n` breeds per class uses (sorted).

    Each (seed, class, draw) fixes one random order of the pool, and a count takes its first n,
    so draws are nested across counts: draw d of 1 breed is inside draw d of 2, and so on."""
    if n == "all":
        return list(range(n_pool))
    order = np.random.default_rng(seed_for("breed draw", seed, cls, draw)).permutation(n_pool)
    return sorted(int(i) for i in order[: int(n)])


def image_draw(i: int, render: dict) -> int:
    """Which breed draw image `i` belongs to: a dataset rendered as `draws` training sets of
    `train_per_draw` images each (one per seed, image numbers in order) gives training image i
    draw i // train_per_draw; its test images cycle through the draws."""
    draws = int(render.get("draws", 1))
    if draws == 1:
        return 0
    per = int(render["train_per_draw"])
    return i // per if i < draws * per else (i - draws * per) % draws


def render_shard(
    world_dir: Path, gen: dict, source: str, cls: str, shard: int, out_dir: Path, render: dict, log=print
) -> Path:
    """Render shard `shard` of (`source`, `cls`) with generator config `gen` into out_dir.

    render: seed, image_size, shard_size, images_per_class (total for this source), backend,
    jpeg_quality, engine (`fast`, the default, or `pyrender`); draws and train_per_draw when the
    dataset is rendered as several training sets, each with its own draw of `subject.breeds`
    (:func:`image_draw`).
    """
    from domrand.render.scene import SceneRenderer

    world = World.load(world_dir)
    breeds = select_breeds(world, cls, gen["subject"])
    n = gen["subject"]["breeds"]
    draws = {d: breed_draw(len(breeds), n, int(render["seed"]), cls, d) for d in range(int(render.get("draws", 1)))}
    indices = shard_indices(shard, int(render["shard_size"]), int(render["images_per_class"]))
    size = int(render["image_size"])
    rows = []
    t_start = time.perf_counter()
    with (
        atomic_dir(Path(out_dir)) as tmp,
        SceneRenderer(world, cls, breeds, gen, size, render["backend"], engine=render.get("engine", "fast")) as sr,
    ):
        for k, i in enumerate(indices):
            d = image_draw(i, render)
            jpeg, row = render_image(sr, gen, render, source, cls, i, breeds, allowed=draws[d], draw=d)
            (tmp / row["file"]).write_bytes(jpeg)
            rows.append(row)
            if (k + 1) % 100 == 0 or k + 1 == len(indices):
                rate = (k + 1) / (time.perf_counter() - t_start)
                log(
                    f"{source}/{cls}/shard{shard}: {k + 1}/{len(indices)} images, {rate:.1f} img/s, "
                    f"ETA {(len(indices) - k - 1) / rate:.0f} s"
                )
        pd.DataFrame(rows).to_parquet(tmp / "metadata.parquet", index=False)
    return Path(out_dir)


def render_breeds(world_dir: Path, gen: dict, source: str, cls: str, out_dir: Path, render: dict, log=print) -> Path:
    """Every breed of the generator's pool `render['images_per_breed']` times, breed by breed
    (image i shows breed i // images_per_breed): a per-breed sample for measures of the
    subjects themselves. Same output as :func:`render_shard`.

    render: seed, image_size, images_per_breed, backend, jpeg_quality, engine.
    """
    from domrand.render.scene import SceneRenderer

    world = World.load(world_dir)
    breeds = select_breeds(world, cls, gen["subject"])
    per = int(render["images_per_breed"])
    size, rows, t_start = int(render["image_size"]), [], time.perf_counter()
    with (
        atomic_dir(Path(out_dir)) as tmp,
        SceneRenderer(world, cls, breeds, gen, size, render["backend"], engine=render.get("engine", "fast")) as sr,
    ):
        for i in range(per * len(breeds)):
            jpeg, row = render_image(sr, gen, render, source, cls, i, breeds, allowed=[i // per])
            (tmp / row["file"]).write_bytes(jpeg)
            rows.append(row)
            if (i + 1) % per == 0:
                rate = (i + 1) / (time.perf_counter() - t_start)
                log(f"{source}/{cls}: {(i + 1) // per}/{len(breeds)} breeds, {rate:.1f} img/s")
        pd.DataFrame(rows).to_parquet(tmp / "metadata.parquet", index=False)
    return Path(out_dir)


def render_image(
    sr, gen: dict, render: dict, source: str, cls: str, i: int, breeds, allowed: list[int] | None = None, draw: int = 0
) -> tuple[bytes, dict]:
    """Image `i` of (`source`, `cls`) on the job's SceneRenderer: (JPEG bytes, metadata row).

    `allowed`: the indices into `breeds` this image may show (breed draw number `draw`; default
    all). The row records both: `breed_draw` (the number) and `draw_breeds` (the breeds' names).

    Timings in the row (seconds): t_sample (drawing the parameters), t_update (posing the
    scene, skinning a rigged mesh subject included), t_occlusion (obstructor layouts and their coverage pass), t_render (drawing,
    antialiasing resolve and post-processing), t_readback (copy to host), t_encode (JPEG).

    The visible fraction is counted at the renderer's coverage resolution (the image size
    by default), without antialiasing: subject pixels in front of every obstructor over
    subject pixels with no obstructor, both in frame.
    """
    occ = gen["obstructors"]
    min_visible = 1.0 - float(occ["max_occlusion"])
    n_mat, n_sky = len(sr.materials), len(sr.skies)
    t0 = time.perf_counter()
    seed = seed_for("image", render["seed"], source, cls, i)
    rng = np.random.default_rng(seed)
    allowed = list(range(len(breeds))) if allowed is None else allowed
    p = sample_frame(gen, cls, len(allowed), n_mat, n_sky, rng)
    p.breed = allowed[p.breed]
    t_sampled = time.perf_counter()
    sr.set_frame(p)
    t1 = time.perf_counter()
    visible, tries = 1.0, 0
    if occ["enabled"]:
        for tries in range(1, int(occ["max_tries"]) + 1):  # noqa: B007 -- the count is recorded after the loop
            p.obstructors = sample_obstructors(occ, n_mat, gen["materials"]["random"], rng)
            sr.set_obstructors(p.obstructors)
            full, seen = sr.coverage()
            visible = seen / full if full else 0.0
            if visible >= min_visible:
                break
        else:
            raise RenderError(
                f"{source}/{cls} image {i}: no obstructor layout left {min_visible:.0%} of the subject "
                f"visible in {occ['max_tries']} tries; raise obstructors.max_occlusion or lower "
                f"obstructors.scale / count / raise obstructors.distance in the config"
            )
    t2 = time.perf_counter()
    img, post = sr.render(rng)
    t3 = time.perf_counter()
    t_readback = post.pop("t_readback")
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=int(render["jpeg_quality"]))
    t4 = time.perf_counter()
    row = {
        "file": f"{i:06d}.jpg",
        "index": i,
        "seed": seed,
        "class": cls,
        "source": source,
        **p.record(),
        "breed": breeds[p.breed].name,
        "breed_index": p.breed,
        "breed_draw": draw,
        "draw_breeds": ",".join(breeds[b].name for b in allowed),
        # after p.record(): a mesh subject's pose columns say the clip and time it showed
        **subject_record(breeds[p.breed], p.pose, p.subject_material >= 0),
        "visible_fraction": visible,
        "occlusion_tries": tries,
        "n_between": sum(o.between is not None for o in p.obstructors),
        **post,
        "t_sample": t_sampled - t0,
        "t_update": t1 - t_sampled,
        "t_occlusion": t2 - t1,
        "t_render": t3 - t2 - t_readback,
        "t_readback": t_readback,
        "t_encode": t4 - t3,
        "render_time": t4 - t0,
    }
    return buf.getvalue(), row
