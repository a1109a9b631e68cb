"""`make bench`: measured render and training throughput, written as JSON under results/bench/.

Render: the control variant of the default config, `processes` independent renderer
processes (spawned, each its own GL context, as shard jobs are), each rendering `images`
frames; throughput = all frames / wall time. Train: the frozen-backbone training step of
the configured backbone (forward through the backbone, forward and backward through the
head) at the configured input size.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import tempfile
import time
from pathlib import Path

import yaml

from domrand.config import variant_generator
from domrand.io import write_json


def _render_worker(args):
    world_dir, gen, render, shard, out = args
    os.environ["LP_NUM_THREADS"] = "1"
    from domrand.render.shard import render_shard

    render_shard(world_dir, gen, "bench", "cat", shard, out, render, log=lambda m: None)
    import pandas as pd

    return pd.read_parquet(Path(out) / "metadata.parquet")


def bench_render(config: dict, images: int, processes: int, variant: str = "control") -> dict:
    from domrand.world.build import build_world

    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world"
        build_world({**config["world"], "classes": ["cat", "dog"]}, world, log=lambda m: None)
        gen = variant_generator(config, variant)
        render = {**config["render"], "seed": 0, "shard_size": images, "images_per_class": images * processes}
        jobs = [(world, gen, render, i, Path(tmp) / f"shard{i}") for i in range(processes)]
        ctx = mp.get_context("spawn")
        t0 = time.perf_counter()
        with ctx.Pool(processes) as pool:
            metas = pool.map(_render_worker, jobs)
        wall = time.perf_counter() - t0
    import pandas as pd

    meta = pd.concat(metas)
    split = {k: float(meta[f"t_{k}"].sum()) for k in ("sample_update", "occlusion", "render", "encode")}
    total = sum(split.values())
    return {"images_per_second": images * processes / wall, "processes": processes,
            "image_size": int(config["render"]["image_size"]), "variant": variant, "images": images * processes,
            "wall_seconds": wall, "backend": config["render"]["backend"],
            "time_split": {k: v / total for k, v in split.items()},
            "per_image_ms": {k: 1000 * v / len(meta) for k, v in split.items()},
            "note": "includes each process's start-up (GL context, scene upload, shader compile)"}


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
    return {"images_per_second": n * batch / wall, "device": device, "backbone": name, "image_size": size,
            "batch": batch, "threads": torch.get_num_threads(), "mode": "frozen backbone + head step"}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="config.yaml")
    ap.add_argument("--images", type=int, default=300, help="frames per render process")
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default="results/bench")
    a = ap.parse_args(argv)
    config = yaml.safe_load(Path(a.config).read_text())
    out = Path(a.out)
    r = bench_render(config, a.images, a.processes)
    write_json(r, out / "render.json")
    print(json.dumps(r, indent=1))
    t = bench_train(config)
    write_json(t, out / "train.json")
    print(json.dumps(t, indent=1))


if __name__ == "__main__":
    main()
