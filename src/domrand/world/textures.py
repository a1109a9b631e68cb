"""Procedural textures of the synthetic world: the material library, skies and animal coats
(the target domains' scenery is in domrand.world.target_scenery).

All functions are pure: (parameters, numpy Generator) -> float32 RGB image in [0, 1].
"""

from __future__ import annotations

import numpy as np

MATERIAL_FAMILIES = (
    "wood",
    "stone",
    "metal",
    "fabric",
    "noise",
    "stripes",
    "checker",
    "marble",
    "bricks",
    "dots",
    "sprinkles",
    "rainbow",
    "cells",
    "gradient",
)
CAT_COATS = ("tabby", "smoke", "classic", "tortoiseshell")  # synthetic coat patterns drawn with fur strands
SKY_KINDS = ("day", "clouds", "overcast", "sunset", "night", "dusk", "alien", "bands")


def fbm(size: int, rng: np.random.Generator, octaves: int = 5, base: int = 4, persistence: float = 0.5) -> np.ndarray:
    """Fractal value noise, (size, size) in [0, 1], tileable."""
    out = np.zeros((size, size), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        cells = base * 2**o
        if cells > size:
            break
        grid = rng.random((cells, cells)).astype(np.float32)
        out += amp * upsample_periodic(grid, size)
        total += amp
        amp *= persistence
    out /= total
    lo, hi = out.min(), out.max()
    return (out - lo) / max(hi - lo, 1e-6)


def upsample_periodic(grid: np.ndarray, size: int) -> np.ndarray:
    """Smooth (cosine-interpolated) periodic upsampling of a square grid."""
    n = grid.shape[0]
    t = np.arange(size) * n / size
    i0 = np.floor(t).astype(int) % n
    i1 = (i0 + 1) % n
    f = t - np.floor(t)
    f = (1 - np.cos(np.pi * f)) / 2
    rows = grid[i0] * (1 - f)[:, None] + grid[i1] * f[:, None]
    return rows[:, i0] * (1 - f)[None, :] + rows[:, i1] * f[None, :]


def mix(a, b, t):
    """Per-pixel blend of colours (or images) ``a`` and ``b`` by the weight map ``t`` (0: a, 1: b)."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return a * (1 - t[..., None]) + b * t[..., None]


def _colour(rng, lo=0.0, hi=1.0):
    return rng.uniform(lo, hi, 3).astype(np.float32)


def material_texture(family: str, size: int, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """A material of `family`: (RGB image, pbr dict with metallic and roughness)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    c1, c2 = _colour(rng), _colour(rng)
    pbr = {"metallic": 0.0, "roughness": float(rng.uniform(0.5, 1.0))}
    if family == "wood":
        c1, c2 = _colour(rng, 0.35, 0.7) * [1.0, 0.7, 0.45], _colour(rng, 0.1, 0.35) * [1.0, 0.75, 0.5]
        n = fbm(size, rng, base=2)
        rings = np.sin((yy * rng.uniform(8, 20) + n * 4) * 2 * np.pi) * 0.5 + 0.5
        img = mix(c1, c2, rings**2)
    elif family == "stone":
        g = _colour(rng, 0.3, 0.7).mean()
        tint = rng.uniform(0.85, 1.15, 3)
        img = np.clip(mix(np.full(3, g * 0.5), np.full(3, g) * tint, fbm(size, rng, octaves=6, base=8)), 0, 1)
    elif family == "metal":
        c = _colour(rng, 0.5, 0.95)
        streaks = upsample_periodic(rng.random((1, size)).repeat(size, 0)[: size // 4], size)
        img = mix(c * 0.75, c, np.clip(streaks * 0.6 + fbm(size, rng) * 0.4, 0, 1))
        pbr = {"metallic": float(rng.uniform(0.7, 1.0)), "roughness": float(rng.uniform(0.2, 0.5))}
    elif family == "fabric":
        k = rng.integers(12, 32)
        weave = (np.sin(xx * k * 2 * np.pi) * np.sin(yy * k * 2 * np.pi) > 0).astype(np.float32)
        img = mix(c1, c1 * 0.7, weave * 0.6 + fbm(size, rng, base=16) * 0.4)
    elif family == "noise":
        img = np.stack([fbm(size, rng, base=int(rng.integers(2, 8))) for _ in range(3)], -1)
    elif family == "stripes":
        k = rng.integers(3, 12)
        ang = rng.uniform(0, np.pi)
        t = (np.sin((xx * np.cos(ang) + yy * np.sin(ang)) * k * 2 * np.pi) > 0).astype(np.float32)
        img = mix(c1, c2, t)
    elif family == "checker":
        k = rng.integers(2, 10)
        t = ((np.floor(xx * k) + np.floor(yy * k)) % 2).astype(np.float32)
        img = mix(c1, c2, t)
    elif family == "marble":
        n = fbm(size, rng, octaves=6)
        t = np.sin((xx + yy + n * 3) * rng.uniform(4, 10)) * 0.5 + 0.5
        img = mix(_colour(rng, 0.7, 1.0), _colour(rng, 0.1, 0.5), t**3)
    elif family == "bricks":
        img = _bricks(xx, yy, size, c1, rng)
    elif family == "dots":
        k = rng.integers(4, 12)
        d = np.hypot((xx * k) % 1 - 0.5, (yy * k) % 1 - 0.5)
        img = mix(c1, c2, (d < rng.uniform(0.15, 0.4)).astype(np.float32))
    elif family == "sprinkles":
        img = _sprinkles(size, c1, rng)
    elif family == "rainbow":
        h = (xx * rng.uniform(0.5, 3) + yy * rng.uniform(0.5, 3) + fbm(size, rng) * 0.5) % 1.0
        img = _hsv_to_rgb(h, np.full_like(h, 0.9), np.full_like(h, 0.95))
    elif family == "cells":
        img = _cells(xx, yy, size, rng)
    elif family == "gradient":
        img = mix(c1, c2, np.clip(yy + 0.2 * fbm(size, rng, base=2), 0, 1))
    else:
        raise ValueError(f"unknown material family {family!r}: use one of {MATERIAL_FAMILIES}")
    return np.clip(img, 0, 1).astype(np.float32), pbr


def _bricks(xx: np.ndarray, yy: np.ndarray, size: int, c1: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Offset rows of bricks in colour ``c1`` with light mortar, mottled by noise."""
    rows = rng.integers(4, 10)
    r = np.floor(yy * rows)
    shift = (r % 2) * 0.5 / 2
    u = (xx + shift) * rows / 2
    mortar = (np.abs(yy * rows - np.round(yy * rows)) < 0.06) | (np.abs(u - np.round(u)) < 0.04)
    img = mix(c1 * [1.0, 0.55, 0.45], np.full(3, 0.8), mortar.astype(np.float32))
    return img * (0.85 + 0.15 * fbm(size, rng, base=16))[..., None]


def _sprinkles(size: int, c1: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Short randomly coloured strokes at random angles over a ``c1`` ground, wrapping at the edges."""
    img = np.broadcast_to(c1, (size, size, 3)).copy()
    for _ in range(int(rng.integers(60, 160))):
        x0, y0 = rng.integers(0, size, 2)
        ang = rng.uniform(0, np.pi)
        L = rng.uniform(3, 8) * size / 128
        col = _colour(rng)
        for t in np.linspace(-L, L, int(2 * L) + 2):
            x = int(x0 + t * np.cos(ang)) % size
            y = int(y0 + t * np.sin(ang)) % size
            img[max(y - 1, 0) : y + 1, max(x - 1, 0) : x + 1] = col
    return img


def _cells(xx: np.ndarray, yy: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Tileable Voronoi cells, one random colour each, darkening toward their seed points."""
    pts = rng.random((int(rng.integers(8, 30)), 2))
    d = np.full((size, size), np.inf, np.float32)
    idx = np.zeros((size, size), int)
    for i, (px, py) in enumerate(pts):
        # The eight neighbouring copies of each seed point make the cells wrap around.
        for ox in (-1, 0, 1):
            for oy in (-1, 0, 1):
                dd = np.hypot(xx - px - ox, yy - py - oy)
                better = dd < d
                d[better], idx[better] = dd[better], i
    cols = rng.random((len(pts), 3)).astype(np.float32)
    return cols[idx] * (0.7 + 0.3 * np.clip(d * 8, 0, 1))[..., None]


def sky_texture(kind: str, width: int, rng: np.random.Generator) -> np.ndarray:
    """An equirectangular sky panorama (width x width/2); row 0 is the zenith."""
    h = width // 2
    el = np.linspace(1.0, -1.0, h, dtype=np.float32)[:, None] * np.ones((1, width), np.float32)
    clouds = fbm(width, rng, base=4)[:h]
    up = np.clip(el, 0, 1)
    presets = {
        "day": ([0.55, 0.75, 0.95], [0.2, 0.45, 0.85], 0.15),
        "clouds": ([0.7, 0.8, 0.92], [0.3, 0.5, 0.85], 0.6),
        "overcast": ([0.75, 0.76, 0.78], [0.55, 0.57, 0.6], 0.4),
        "sunset": ([0.98, 0.55, 0.25], [0.25, 0.2, 0.45], 0.3),
        "night": ([0.08, 0.1, 0.2], [0.01, 0.01, 0.05], 0.1),
        "dusk": ([0.6, 0.45, 0.6], [0.15, 0.2, 0.4], 0.25),
        "alien": ([0.3, 0.9, 0.4], [0.6, 0.1, 0.6], 0.5),
        "bands": ([0.9, 0.9, 0.2], [0.2, 0.2, 0.9], 0.0),
    }
    if kind not in presets:
        raise ValueError(f"unknown sky kind {kind!r}: use one of {SKY_KINDS}")
    horizon, zenith, cover = presets[kind]
    jitter = rng.uniform(-0.05, 0.05, 3)
    img = mix(np.add(horizon, jitter), np.add(zenith, jitter), up**0.6)
    if kind == "bands":
        img = mix(horizon, zenith, (np.sin(el * 20) > 0).astype(np.float32))
    ground = np.clip(-el, 0, 1)
    img = mix(img, np.array([0.35, 0.33, 0.3]) + jitter, np.clip(ground * 4, 0, 1))
    if cover > 0:
        cl = np.clip((clouds - (1 - cover)) * 3, 0, 1) * (el > 0)
        img = mix(img, np.full(3, 0.95 if kind != "night" else 0.2), cl)
    if kind == "night":
        stars = (rng.random((h, width)) > 0.997) & (el > 0.1)
        img[stars] = 1.0
    return np.clip(img, 0, 1).astype(np.float32)


def coat_texture(coat: dict, size: int, rng: np.random.Generator) -> np.ndarray:
    """An animal's natural coat (or a vehicle's paint) from its breed's coat parameters."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    base, second = np.asarray(coat["base"], np.float32), np.asarray(coat["second"], np.float32)
    fur = fbm(size, rng, octaves=6, base=16)
    f = coat["frequency"]
    pattern = coat["pattern"]
    if pattern in ("tabby", "smoke"):  # mackerel stripes of `second`, broken and wavy, with a ticked ground
        # (smoke: a near-solid coat, its stripes only a ghost)
        warp = fbm(size, rng, base=4) * 1.2 + 0.15 * np.sin(yy * 6 * np.pi)
        wave = np.sin((xx * f + warp) * 2 * np.pi)
        t = np.clip((wave - 0.45) * 4, 0, 1) * (fbm(size, rng, base=8) > 0.3) * (0.35 if pattern == "smoke" else 1.0)
        tick = fbm(size, rng, octaves=3, base=32)
        img = mix(mix(base, second, 0.25 * tick), second, t.astype(np.float32))
    elif pattern == "classic":  # classic tabby: broad dark bands, strongly bent, on a ticked ground
        warp = fbm(size, rng, base=3) * 2.5 + 0.3 * np.sin(yy * 4 * np.pi)
        wave = np.sin((xx * 0.6 * f + warp) * 2 * np.pi)
        t = np.clip((wave - 0.1) * 3, 0, 1) * 0.85
        tick = fbm(size, rng, octaves=3, base=32)
        img = mix(mix(base, second, 0.25 * tick), second, t.astype(np.float32))
    elif pattern == "tortoiseshell":  # black and ginger patches, finely mottled
        t = np.clip((fbm(size, rng, base=6) - 0.45) * 6, 0, 1) * 0.8 + 0.2 * (fbm(size, rng, base=24) > 0.6)
        img = mix(base, second, t.astype(np.float32))
    elif pattern == "spots":
        t = (fbm(size, rng, base=int(max(2, f))) > 0.62).astype(np.float32)
        img = mix(base, second, t)
    elif pattern == "bicolor":
        img = mix(base, second, (fbm(size, rng, base=2) > 0.62).astype(np.float32))  # patches, not a white dog
    elif pattern == "saddle":
        img = mix(base, second * 0.5, np.clip((yy - 0.35) * 4, 0, 1) * (fbm(size, rng, base=2) > 0.4))
    else:  # solid, pointed (dark points are parts of their own), paint
        img = np.broadcast_to(base, (size, size, 3)).copy()
    if pattern in CAT_COATS:  # fur strands: short streaks along v
        strands = sum(np.roll(rng.random((size, size)).astype(np.float32), k, axis=0) for k in range(5)) / 5
        fur = 0.5 * fur + 0.5 * (strands - strands.min()) / max(float(np.ptp(strands)), 1e-6)
    img = img * (1 - coat["fur"] + coat["fur"] * 2 * fur)[..., None]
    return np.clip(img, 0, 1).astype(np.float32)


def _hsv_to_rgb(h, s, v):
    i = np.floor(h * 6).astype(int) % 6
    f = h * 6 - np.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r = np.choose(i, [v, q, p, p, t, v])
    g = np.choose(i, [t, v, v, q, p, p])
    b = np.choose(i, [p, p, t, v, v, q])
    return np.stack([r, g, b], -1)
