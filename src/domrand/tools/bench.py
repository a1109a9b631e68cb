"""`make bench`: measured job start-up, render and training throughput, written as JSON under
results/bench/.

Start-up: a job script that imports torch, pandas and the training library and does nothing
else, timed as a fresh interpreter and through a warm worker (domrand.warm), the start-up
that most small torch jobs of the study are made of (startup.json).

Render: the control variant of the default config, `processes` independent renderer
processes (spawned, each its own GL context, as shard jobs are), each rendering `images`
frames; throughput = all frames / wall time. Memory: one renderer process over `frames`
frames, its resident memory sampled as it goes (render.json `memory`). Train: the frozen-backbone training step of
the configured backbone (forward through the backbone, forward and backward through the
head) at the configured input size. Frozen run: the workflow's own frozen-backbone path
(`extract_features` then `train_head`) on generated JPEGs, timed stage by stage, so
"images x epochs / wall time" is what a real training run costs on this machine.
`--train-config configs/paper.yaml` measures the paper's VGG-16 at 224 px (random weights:
speed does not depend on them). Projection: when the working directory holds a finished
run's benchmark TSVs (benchmarks/), the whole study's wall time on 1, 4 and 16 nodes
(domrand.tools.projection), written as projection.json and projection.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

from domrand.config import load_config, variant_generator
from domrand.io import write_json


def _render_worker(args):
    world_dir, gen, render, shard, out = args
    os.environ["LP_NUM_THREADS"] = "1"  # one llvmpipe thread per process: the processes fill the cores
    cpu0, t0 = time.process_time(), time.perf_counter()
    from domrand.render.shard import render_shard

    render_shard(world_dir, gen, "bench", "cat", shard, out, render, log=lambda m: None)
    import pandas as pd

    meta = pd.read_parquet(Path(out) / "metadata.parquet")
    return meta, time.process_time() - cpu0, time.perf_counter() - t0


def _describe_worker(backend):
    os.environ["LP_NUM_THREADS"] = "1"
    from domrand.render.backend import describe

    return describe(backend)


def bench_render(config: dict, images: int, processes: int, variant: str = "control") -> dict:
    """Throughput of `processes` shard jobs of `images` frames each, at the config's image size.

    images_per_second counts each job's whole life (imports, GL context, scene upload, shader
    compile); steady_images_per_second only its frames; images_per_cpu_second is frames per
    CPU second of the jobs (all their threads), which on a shared machine says what the
    same jobs do on idle cores.
    """
    from domrand.world.build import build_world

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world"
        build_world({**config["world"], "classes": ["cat", "dog"]}, world, log=lambda m: None)
        gen = variant_generator(config, variant)
        render = {**config["render"], "seed": 0, "shard_size": images, "images_per_class": images * processes}
        jobs = [(world, gen, render, i, Path(tmp) / f"shard{i}") for i in range(processes)]
        ctx = mp.get_context("spawn")
        with ctx.Pool(1) as pool:
            gl = pool.apply(_describe_worker, (config["render"]["backend"],))
        t0 = time.perf_counter()
        with ctx.Pool(processes) as pool:
            results = pool.map(_render_worker, jobs)
        wall = time.perf_counter() - t0
    import pandas as pd

    meta = pd.concat([m for m, _, _ in results])
    cpu = sum(c for _, c, _ in results)
    split = {k: float(meta[f"t_{k}"].sum()) for k in ("sample", "update", "occlusion", "render", "readback", "encode")}
    total = sum(split.values())
    steady = sum(len(m) / float(m["render_time"].sum()) for m, _, _ in results)
    return {
        "images_per_second": images * processes / wall,
        "processes": processes,
        "image_size": int(config["render"]["image_size"]),
        "variant": variant,
        "images": images * processes,
        "antialiasing": "4x MSAA",
        "shadows": bool(gen["lighting"]["shadows"]),
        "engine": config["render"].get("engine", "fast"),
        "wall_seconds": wall,
        "backend": config["render"]["backend"],
        "gl_renderer": gl.get("GL_RENDERER"),
        "gl": gl,
        "steady_images_per_second": steady,
        "images_per_cpu_second": images * processes / cpu,
        "cpu_seconds": cpu,
        "cpus": os.cpu_count(),
        "load_average_before": load,
        "time_split": {k: v / total for k, v in split.items()},
        "per_image_ms": {k: 1000 * v / len(meta) for k, v in split.items()},
        "mean_occlusion_tries": float(meta["occlusion_tries"].mean()),
        "note": "images_per_second includes each process's start-up (GL context, scene upload, shader "
        "compile); load_average_before > 0.5 means other work shared the CPUs",
    }


def _rss_mb() -> float:
    """Resident set size of this process, MiB (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _memory_worker(args):
    world_dir, gen, render, frames, every = args
    os.environ["LP_NUM_THREADS"] = "1"
    from domrand.render.scene import SceneRenderer
    from domrand.render.shard import render_image, select_breeds
    from domrand.world.build import World

    world = World.load(world_dir)
    breeds = select_breeds(world, "cat", gen["subject"])
    samples = []
    t0 = time.perf_counter()
    with SceneRenderer(
        world, "cat", breeds, gen, int(render["image_size"]), render["backend"], engine=render.get("engine", "fast")
    ) as sr:
        for i in range(frames):
            render_image(sr, gen, render, "memory", "cat", i, breeds)  # encoded, then dropped
            if (i + 1) % every == 0 or i + 1 == frames:
                samples.append((i + 1, round(_rss_mb(), 1)))
    return samples, time.perf_counter() - t0


def bench_memory(config: dict, frames: int, variant: str = "control") -> dict:
    """Resident memory of one renderer process over `frames` frames (sample, occlusion, render, encode).

    The first sample, after frames/20 frames, is the baseline: start-up allocations (textures,
    meshes, shader caches, the JIT) are done by then.
    """
    from domrand.world.build import build_world

    every = max(1, frames // 20)
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world"
        build_world({**config["world"], "classes": ["cat", "dog"]}, world, log=lambda m: None)
        gen = variant_generator(config, variant)
        render = {**config["render"], "seed": 1}
        with mp.get_context("spawn").Pool(1) as pool:
            samples, wall = pool.apply(_memory_worker, ((world, gen, render, frames, every),))
    start, end = samples[0][1], samples[-1][1]
    return {
        "frames": frames,
        "variant": variant,
        "rss_mb_start": start,
        "rss_mb_end": end,
        "rss_growth_mb": round(end - start, 1),
        "rss_mb_max": max(r for _, r in samples),
        "rss_mb_by_frame": samples,
        "seconds": wall,
        "note": f"start = after {samples[0][0]} frames (start-up allocations done)",
    }


def bench_train(config: dict, images: int = 2048, batch: int = 256) -> dict:
    import torch

    from domrand.train.backbones import Head, make_backbone

    device = "cuda" if torch.cuda.is_available() else "cpu"
    name, size = config["model"]["backbone"], int(config["model"]["input_size"])
    net = make_backbone(name).to(device).eval()
    head = Head(net.out_features, 2, 0.3).to(device)
    opt = torch.optim.Adam(head.parameters(), lr=1e-3)
    if device == "cuda":
        net = net.to(memory_format=torch.channels_last)
    x = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8, device=device)
    y = torch.randint(0, 2, (batch,), device=device)
    amp = dict(device_type="cuda", dtype=torch.bfloat16, enabled=device == "cuda")

    def step():
        with torch.inference_mode(), torch.autocast(**amp):
            f = net(x.float().div(255)).float()
        loss = torch.nn.functional.cross_entropy(head(f.clone()), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()
    if device == "cuda":
        torch.cuda.synchronize()
    n = max(1, images // batch)
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    return {
        "images_per_second": n * batch / wall,
        "device": device,
        "backbone": name,
        "image_size": size,
        "batch": batch,
        "threads": torch.get_num_threads(),
        "mode": "frozen backbone + head step",
    }


def _synthetic_jpeg(args):
    """A smooth random colour field with a few discs: decodes like a photo, not like noise."""
    import numpy as np
    from PIL import Image, ImageDraw

    path, size, seed = args
    rng = np.random.default_rng(seed)
    small = Image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)).resize((size, size), Image.BICUBIC)
    draw = ImageDraw.Draw(small)
    for _ in range(4):
        x, y, r = rng.integers(0, size, 2).tolist() + [int(rng.integers(size // 16, size // 4))]
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.integers(0, 256, 3).tolist()))
    small.save(path, quality=90)


def bench_frozen_run(config: dict, images: int, device: str | None = None, batch: int = 256) -> dict:
    """The workflow's frozen-backbone training on `images` generated JPEGs (9:1 train:test, two
    classes) at the config's render size: decode once, `views` augmented forward passes per
    training image, the head trained for `epochs` on the stored features."""
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    tr, name = config["training"], config["model"]["backbone"]
    size = int(config["render"]["image_size"])
    stages = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "img").mkdir()
        t0 = time.perf_counter()
        paths = _bench_jpegs(tmp / "img", images, size)
        stages["make_jpegs"] = time.perf_counter() - t0
        n_test = max(2, images // 10)
        _bench_inputs(tmp, paths, n_test, name)
        params = {
            "input_size": int(config["model"]["input_size"]),
            "views": int(tr["views"]),
            "augment": tr["augment"],
            "seed": 0,
        }
        msgs = []
        stages.update(_frozen_stages(tmp, name, tr, params, device, batch, msgs.append))
        feature_bytes = (tmp / "features.pt").stat().st_size
    n_train = images - n_test
    wall = stages["extract_features"] + stages["train_head"]
    epochs = int(tr["epochs"])
    return {
        "images_per_second": n_train * epochs / wall,
        "device": device,
        "backbone": name,
        "image_size": params["input_size"],
        "train_images": n_train,
        "test_images": n_test,
        "epochs": epochs,
        "views": params["views"],
        "batch": batch,
        "seconds": stages,
        "feature_file_mb": feature_bytes / 2**20,
        "forward_passes_per_second": (n_train * params["views"] + n_test) / stages["extract_features"],
        "paper_run_seconds_estimate": 20000 * wall / n_train,
        "log": msgs,
        "note": "images_per_second = training images x epochs / (extract_features + train_head wall time); "
        "extract_features includes decoding every JPEG once; make_jpegs is setup, not counted",
    }


def _bench_jpegs(folder: Path, images: int, size: int) -> list[str]:
    """Write `images` synthetic JPEGs of `size` px into `folder` (one process per core); their paths."""
    paths = [str(folder / f"{i:06d}.jpg") for i in range(images)]
    with mp.get_context("spawn").Pool(os.cpu_count() or 1) as pool:
        pool.map(_synthetic_jpeg, [(p, size, i) for i, p in enumerate(paths)], chunksize=64)
    return paths


def _bench_inputs(tmp: Path, paths: list[str], n_test: int, backbone: str) -> None:
    """The dataset index of `paths` (first `n_test` test, classes alternating) and a randomly
    initialised `backbone` checkpoint, written under `tmp`."""
    import pandas as pd
    import torch

    from domrand.data.index import write_index
    from domrand.train.backbones import make_backbone

    images = len(paths)
    df = pd.DataFrame(
        {
            "path": paths,
            "label": ["cat", "dog"] * (images // 2) + ["cat"] * (images % 2),
            "split": ["test"] * n_test + ["train"] * (images - n_test),
            "source": "bench",
            "domain": "synthetic",
        }
    )
    write_index(df, tmp / "index.parquet")
    torch.save({"state": make_backbone(backbone).state_dict()}, tmp / "backbone.pt")


def _frozen_stages(tmp: Path, name: str, tr: dict, params: dict, device: str, batch: int, log) -> dict:
    """Seconds of `extract_features` and then `train_head` on the inputs under `tmp`."""
    from domrand.train.features import extract_features
    from domrand.train.fit import train_head

    stages = {}
    t0 = time.perf_counter()
    extract_features(
        tmp / "index.parquet",
        name,
        tmp / "backbone.pt",
        tmp / "features.pt",
        params,
        device=device,
        batch=batch,
        log=log,
    )
    stages["extract_features"] = time.perf_counter() - t0
    head_params = {
        "seed": 0,
        "classes": ["cat", "dog"],
        "dropout": 0.3,
        "lr": float(tr["lr"]),
        "epochs": int(tr["epochs"]),
        "batch_size": int(tr["batch_size"]),
        "backbone": name,
    }
    t0 = time.perf_counter()
    train_head(
        [tmp / "features.pt"],
        [tmp / "features.pt"],
        tmp / "model",
        tmp / "ck.pt",
        head_params,
        device=device,
        log=log,
    )
    stages["train_head"] = time.perf_counter() - t0
    return stages


def bench_projection(run_dir, configfiles, out: Path, **kwargs) -> dict | None:
    """The wall-time projection (domrand.tools.projection) of the run in `run_dir`, written to
    out/projection.json and out/projection.md; None when the run left no benchmark TSVs."""
    from domrand.io import atomic_path
    from domrand.tools.projection import project, to_markdown

    if not any((Path(run_dir) / "benchmarks").rglob("*.tsv")):
        return None
    p = project(run_dir, configfiles, **kwargs)
    write_json(p, Path(out) / "projection.json")
    with atomic_path(Path(out) / "projection.md") as tmp:
        tmp.write_text(to_markdown(p))
    return p


_STARTUP_JOB = """
import sys
from domrand.warm import delegate
delegate(1)
import pandas, torch
from domrand.train.evaluate import metrics
torch.set_num_threads(1)
torch.ones(8).sum()
"""


def bench_startup(jobs: int = 10) -> dict:
    """Wall time to start and end a job script that imports torch, pandas and the training
    library and does nothing else, as a fresh interpreter and through a warm worker
    (domrand.warm), ``jobs`` times each, one after another."""
    import statistics
    import subprocess

    from domrand import warm
    from domrand.tools.machine import describe

    src = str(Path(warm.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    env.pop(warm.ENV, None)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "job.py"
        script.write_text(_STARTUP_JOB)

        def times(extra: dict) -> list[float]:
            out = []
            for _ in range(jobs):
                t0 = time.perf_counter()
                subprocess.run([sys.executable, str(script)], check=True, env={**env, **extra})
                out.append(time.perf_counter() - t0)
            return out

        fresh = times({warm.OFF: "1"})
        proc = warm.start_worker(str(Path(tmp) / "worker.log"))
        try:
            address = os.environ[warm.ENV]
            t0 = time.perf_counter()
            while not warm.serving(address):
                time.sleep(0.05)
            preload = time.perf_counter() - t0
            served = times({warm.ENV: address})
        finally:
            warm.stop_worker(proc)
    return {
        "jobs": jobs,
        "fresh_s": fresh,
        "warm_s": served,
        "fresh_median_s": statistics.median(fresh),
        "warm_median_s": statistics.median(served),
        "speedup": statistics.median(fresh) / statistics.median(served),
        "worker_preload_s": preload,
        "machine": describe(),
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="config.yaml")
    ap.add_argument("--images", type=int, default=300, help="frames per render process")
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--frames", type=int, default=10000, help="frames for the memory check (one process; 0 skips it)")
    ap.add_argument(
        "--train-config",
        default=None,
        help="config for the training benchmarks (default: --config), merged over config.yaml",
    )
    ap.add_argument(
        "--run-images", type=int, default=4000, help="generated images for the frozen training run (0 skips it)"
    )
    ap.add_argument("--only", choices=("render", "train", "startup", "projection"), default=None)
    ap.add_argument("--startup-jobs", type=int, default=10, help="job starts timed each way (0 skips it)")
    ap.add_argument("--run-dir", default=".", help="a finished run whose benchmarks/ TSVs the projection reads")
    ap.add_argument(
        "--run-config",
        nargs="*",
        default=None,
        help="config files of that run (default: --config); the projection's target too",
    )
    ap.add_argument("--out", default="results/bench")
    a = ap.parse_args(argv)
    config = load_config(a.config)
    out = Path(a.out)
    if a.only in (None, "startup") and a.startup_jobs > 0:
        st = bench_startup(a.startup_jobs)
        write_json(st, out / "startup.json")
        print(json.dumps({k: v for k, v in st.items() if not k.endswith("_s") or "median" in k}, indent=1))
    if a.only not in ("train", "startup", "projection"):
        r = bench_render(config, a.images, a.processes)
        if a.frames > 0:
            r["memory"] = bench_memory(config, a.frames)
        write_json(r, out / "render.json")
        print(json.dumps(r, indent=1))
    if a.only not in ("render", "startup", "projection"):
        tconfig = load_config(a.train_config or a.config)
        t = bench_train(tconfig)
        if a.run_images > 0:
            t["frozen_run"] = bench_frozen_run(tconfig, a.run_images)
        write_json(t, out / "train.json")
        print(json.dumps(t, indent=1))
    if a.only in (None, "projection"):
        from domrand.tools.projection import ProjectionError, to_markdown

        configs = (
            a.run_config
            if a.run_config is not None
            else ([] if Path(a.config).resolve() == Path("config.yaml").resolve() else [a.config])
        )
        try:
            p = bench_projection(a.run_dir, configs, out)
        except ProjectionError as e:
            if a.only == "projection":
                raise SystemExit(f"projection: {e}") from e
            print(f"projection skipped: {e}", file=sys.stderr)
        else:
            print(to_markdown(p) if p else f"projection: no benchmark TSVs under {Path(a.run_dir) / 'benchmarks'}")


if __name__ == "__main__":
    main()
