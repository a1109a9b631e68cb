"""Pretraining the embedded backbone on a procedural task unrelated to the study's classes.

The task: which of eight 2D shapes (disc, ellipse, triangle, square, star, cross, ring,
crescent) is drawn, filled with a random material and laid over another, at random size,
place and rotation, with distractor strokes. It teaches edges, textures and shape, never
cats, dogs, bicycles or cars, so "frozen pretrained backbone" keeps its meaning offline.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter

from domrand.io import atomic_path
from domrand.seeds import seed_for
from domrand.train.backbones import SmallCNN, normalise
from domrand.train.images import augment
from domrand.world.build import World

SHAPES = ("disc", "ellipse", "triangle", "square", "star", "cross", "ring", "crescent")


def _polygon(kind: str, cx, cy, r, rot, rng) -> list[tuple[float, float]]:
    if kind == "triangle":
        ang = rot + np.arange(3) * 2 * np.pi / 3
        return list(zip(cx + r * np.cos(ang), cy + r * np.sin(ang)))
    if kind == "square":
        ang = rot + np.pi / 4 + np.arange(4) * np.pi / 2
        return list(zip(cx + r * np.cos(ang), cy + r * np.sin(ang)))
    if kind == "star":
        ang = rot + np.arange(10) * np.pi / 5
        rad = np.where(np.arange(10) % 2 == 0, r, r * 0.45)
        return list(zip(cx + rad * np.cos(ang), cy + rad * np.sin(ang)))
    if kind == "cross":
        w = 0.33
        base = np.array(
            [[-w, -1], [w, -1], [w, -w], [1, -w], [1, w], [w, w], [w, 1], [-w, 1], [-w, w], [-1, w], [-1, -w], [-w, -w]]
        )
        c, s = np.cos(rot), np.sin(rot)
        pts = base @ np.array([[c, s], [-s, c]]) * r
        return [(cx + x, cy + y) for x, y in pts]
    raise ValueError(kind)


def draw_shape(label: int, size: int, textures: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """One (size, size, 3) uint8 image of shape SHAPES[label]."""
    bg = textures[int(rng.integers(len(textures)))]
    fg = textures[int(rng.integers(len(textures)))]
    ox, oy = rng.integers(0, bg.shape[0] - size + 1, 2) if bg.shape[0] > size else (0, 0)
    canvas = Image.fromarray(bg[oy : oy + size, ox : ox + size]).resize((size, size))
    mask = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(mask)
    r = rng.uniform(0.22, 0.42) * size
    cx, cy = rng.uniform(r * 0.8, size - r * 0.8, 2)
    rot = rng.uniform(0, 2 * np.pi)
    kind = SHAPES[label]
    if kind == "disc":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    elif kind == "ellipse":
        e = Image.new("L", (size, size), 0)
        ImageDraw.Draw(e).ellipse([cx - r, cy - r * 0.5, cx + r, cy + r * 0.5], fill=255)
        mask = e.rotate(np.degrees(rot), center=(cx, cy))
    elif kind == "ring":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
        d.ellipse([cx - r * 0.55, cy - r * 0.55, cx + r * 0.55, cy + r * 0.55], fill=0)
    elif kind == "crescent":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
        off = r * 0.6
        d.ellipse(
            [
                cx - r + off * np.cos(rot),
                cy - r + off * np.sin(rot),
                cx + r + off * np.cos(rot),
                cy + r + off * np.sin(rot),
            ],
            fill=0,
        )
    else:
        d.polygon(_polygon(kind, cx, cy, r, rot, rng), fill=255)
    # Contrast between figure and ground: the background is faded towards grey and the
    # figure gets an outline, so the task is about shape (edges, corners, holes), not about
    # telling two random textures apart.
    canvas = Image.blend(canvas, Image.new("RGB", (size, size), (128, 128, 128)), float(rng.uniform(0.3, 0.6)))
    edge = mask.filter(ImageFilter.MaxFilter(3)).point(lambda v: 255 if v else 0)
    canvas.paste(tuple(int(c) for c in rng.integers(0, 60, 3)), (0, 0), edge)
    fill = Image.fromarray(fg).resize((size, size))
    canvas.paste(fill, (0, 0), mask)
    dd = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(0, 4))):  # distractor strokes
        x0, y0, x1, y1 = rng.uniform(0, size, 4)
        dd.line([x0, y0, x1, y1], fill=tuple(int(c) for c in rng.integers(0, 256, 3)), width=int(rng.integers(1, 4)))
    return np.asarray(canvas)


def make_shapes(n: int, size: int, textures, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n images (uint8 N,3,S,S) with balanced labels, deterministic in seed."""
    labels = np.arange(n) % len(SHAPES)
    imgs = np.stack(
        [
            draw_shape(int(lab), size, textures, np.random.default_rng(seed_for("shape", seed, i)))
            for i, lab in enumerate(labels)
        ]
    )
    return torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels).long()


def pretrain_backbone(world_dir, out_path, params: dict, device: str = "cpu", threads: int = 1, log=print) -> dict:
    """Pretrain SmallCNN on the shapes task; save {'state', 'meta'} to out_path. Returns metrics.

    params: seed, images, epochs, lr, batch_size, input_size, augment.
    """
    torch.manual_seed(int(params["seed"]))
    torch.set_num_threads(max(1, threads))
    world = World.load(world_dir)
    textures = [world.image(e["file"]) for e in world.manifest["materials"]]
    size = int(params["input_size"])
    n = int(params["images"])
    x, y = make_shapes(n, size, textures, int(params["seed"]))
    n_test = max(len(SHAPES), n // 10)
    xt, yt, x, y = x[:n_test], y[:n_test], x[n_test:], y[n_test:]
    net = SmallCNN()
    clf = torch.nn.Linear(net.out_features, len(SHAPES))
    model = torch.nn.Sequential(net, clf).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=float(params["lr"]))
    gen = torch.Generator().manual_seed(int(params["seed"]))
    bs = int(params["batch_size"])
    history = []
    for epoch in range(int(params["epochs"])):
        model.train()
        t0, seen, correct, total_loss = time.perf_counter(), 0, 0, 0.0
        for idx in torch.randperm(len(x), generator=gen).split(bs):
            xb = normalise(augment(x[idx].to(device), params["augment"], gen))
            out = model(xb)
            loss = torch.nn.functional.cross_entropy(out, y[idx].to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total_loss += loss.item() * len(idx)
            correct += int((out.argmax(1).cpu() == y[idx]).sum())
            seen += len(idx)
        model.eval()
        with torch.no_grad():
            acc = float((model(normalise(xt.float().div(255).to(device))).argmax(1).cpu() == yt).float().mean())
        history.append(
            {"epoch": epoch + 1, "train_loss": total_loss / seen, "train_acc": correct / seen, "test_acc": acc}
        )
        log(
            f"pretrain epoch {epoch + 1}: loss {total_loss / seen:.3f} train acc {correct / seen:.3f} "
            f"held-out acc {acc:.3f} ({seen / (time.perf_counter() - t0):.0f} img/s)"
        )
    with atomic_path(out_path) as tmp:
        torch.save(
            {
                "state": net.cpu().state_dict(),
                "meta": {"task": "procedural shapes", "shapes": SHAPES, "params": params, "history": history},
            },
            tmp,
        )
    return history[-1]
