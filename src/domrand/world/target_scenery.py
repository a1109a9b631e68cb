"""Skies and grounds of the proxy target domains, disjoint from the synthetic ones.

The synthetic skies (`textures.SKY_KINDS`) are two-colour gradients with thresholded fbm
cloud masks; the synthetic materials (`textures.MATERIAL_FAMILIES`) are the paper's random
textures. The target skies here are built another way: a daylight sky model (a zenith to
horizon gradient whose colour comes from the sun's elevation, a sun glow, horizon haze)
with lit, shaded cumulus (a density field lit from the sun's side), cirrus streaks or
high haze; the target grounds are natural surfaces with their own structure (grass
blades, leaves, gravel stones, pavers, asphalt grain, sand ripples, floorboards, rugs).
No kind and no image is shared with the synthetic sets; `build_world` stores them as
separate manifest entries (`target_skies`, `target_grounds`).

Pure functions: (kind, size, numpy Generator) -> float32 RGB in [0, 1].
"""

from __future__ import annotations

import numpy as np

from domrand.world.textures import fbm, mix, upsample_periodic

TARGET_SKY_KINDS = ("clear", "cumulus", "cirrus", "hazy", "golden_hour", "broken_cloud")
TARGET_GROUND_KINDS = (
    "lawn",
    "meadow",
    "gravel",
    "asphalt",
    "paving",
    "forest_floor",
    "sand",
    "dry_soil",
    "floorboards",
    "rug",
)


def target_sky(kind: str, width: int, rng: np.random.Generator) -> np.ndarray:
    """An equirectangular daylight panorama (width x width/2, row 0 the zenith)."""
    if kind not in TARGET_SKY_KINDS:
        raise ValueError(f"unknown target sky {kind!r}: use one of {TARGET_SKY_KINDS}")
    h = width // 2
    el = np.linspace(np.pi / 2, -np.pi / 2, h, dtype=np.float32)[:, None] * np.ones((1, width), np.float32)
    az = np.linspace(0, 2 * np.pi, width, endpoint=False, dtype=np.float32)[None, :] * np.ones((h, 1), np.float32)
    sun_el = np.radians(rng.uniform(8, 20) if kind == "golden_hour" else rng.uniform(30, 65))
    sun_az = rng.uniform(0, 2 * np.pi)
    cos_sun = np.sin(el) * np.sin(sun_el) + np.cos(el) * np.cos(sun_el) * np.cos(az - sun_az)
    up = np.clip(np.sin(el), 0, 1)
    haze = {"hazy": 0.75, "golden_hour": 0.45}.get(kind, rng.uniform(0.15, 0.35))
    zenith = np.array([0.22, 0.42, 0.78]) * rng.uniform(0.9, 1.1)
    horizon = np.array([0.72, 0.8, 0.9])
    if kind == "golden_hour":
        zenith, horizon = np.array([0.3, 0.42, 0.66]), np.array([0.98, 0.78, 0.55])
    zenith = zenith * (1 - haze) + horizon * haze
    img = mix(horizon, zenith, np.power(up, 0.45))
    glow = np.clip(cos_sun, 0, 1) ** 16 * 0.35 + np.clip(cos_sun, 0, 1) ** 400 * 0.8
    sun_colour = np.array([1.0, 0.85, 0.6]) if kind == "golden_hour" else np.array([1.0, 0.97, 0.9])
    img = img + glow[..., None] * sun_colour
    if kind in ("cumulus", "broken_cloud", "golden_hour"):
        cover = {"cumulus": rng.uniform(0.3, 0.45), "broken_cloud": rng.uniform(0.5, 0.65)}.get(kind, 0.25)
        # Clouds flatten towards the horizon: sample the density in a sky-plane projection.
        density = fbm(width, rng, octaves=6, base=6)[:h]
        squash = np.clip(up * 3, 0.15, 1)
        d = np.clip((density - (1 - cover)) / 0.2, 0, 1) * (el > 0.02) * squash
        shade = fbm(width, rng, octaves=4, base=12)[:h]
        lit = 0.78 + 0.22 * np.clip(cos_sun, 0, 1) + 0.12 * (shade - 0.5)
        base = np.array([0.97, 0.96, 0.95]) if kind != "golden_hour" else np.array([1.0, 0.86, 0.7])
        underside = base * np.array([0.7, 0.72, 0.78])
        cloud = mix(underside, base, np.clip(lit * d**0.5, 0, 1))
        img = mix(img, cloud, np.clip(d * 1.4, 0, 1))
    elif kind == "cirrus":
        streak = upsample_periodic(rng.random((width // 16, width // 16)).astype(np.float32), width)
        streak = np.roll(streak, int(rng.integers(width)), 1)[:h]
        fine = rng.random((h, max(width // 64, 1))).astype(np.float32).repeat(64, 1)[:, :width]
        c = np.clip((streak * 0.7 + fine * 0.3 - 0.55) * 3, 0, 1) * (el > 0.05) * np.clip(up * 4, 0, 1)
        img = mix(img, np.array([0.95, 0.96, 0.98]), c * 0.8)
    # Below the horizon: a hazy distant land band (trees, fields) fading into the ground colour.
    below = np.clip(-el * 6, 0, 1)
    land = mix(np.array([0.32, 0.36, 0.26]), np.array([0.42, 0.4, 0.34]), fbm(width, rng, base=16)[:h])
    land = mix(land, horizon, np.full((h, width), haze * 0.6, np.float32))
    treeline = (el > -0.01) & (el < 0.04 * fbm(width, rng, base=24)[:h] + 0.005)
    img = np.where(treeline[..., None], land * 0.7, img)
    img = mix(img, land, below)
    return np.clip(img, 0, 1).astype(np.float32)


def target_ground(kind: str, size: int, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """A tileable natural ground texture and its pbr dict (metallic, roughness)."""
    if kind not in TARGET_GROUND_KINDS:
        raise ValueError(f"unknown target ground {kind!r}: use one of {TARGET_GROUND_KINDS}")
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    n = fbm(size, rng, octaves=6, base=4)
    grain = rng.random((size, size)).astype(np.float32)
    pbr = {"metallic": 0.0, "roughness": 0.95}
    if kind in ("lawn", "meadow"):
        img = _blades(size, rng, n, dry=0.0 if kind == "lawn" else 0.35)
    elif kind == "gravel":
        img = _stones(size, rng, int(size * size / 90), (0.45, 0.43, 0.4), 0.06, 0.022)
    elif kind == "asphalt":
        base = mix([0.2, 0.2, 0.21], [0.32, 0.31, 0.3], n * 0.6 + grain * 0.4)
        img = base * (0.85 + 0.3 * (grain > 0.97))[..., None]
        pbr = {"metallic": 0.0, "roughness": 0.85}
    elif kind == "paving":
        k = int(rng.integers(3, 6))
        shift = (np.floor(yy * k) % 2) * 0.5
        u, v = (xx * k + shift) % 1, (yy * k) % 1
        joint = (np.minimum(u, 1 - u) < 0.03) | (np.minimum(v, 1 - v) < 0.03)
        stone = mix([0.55, 0.52, 0.48], [0.7, 0.67, 0.62], n * 0.5 + grain * 0.2 + 0.3 * fbm(size, rng, base=k * 2))
        img = mix(stone, np.array([0.25, 0.24, 0.22]), joint.astype(np.float32))
    elif kind == "forest_floor":
        img = mix([0.2, 0.14, 0.08], [0.33, 0.24, 0.14], n)
        for _ in range(int(size * size / 60)):
            x0, y0 = rng.integers(0, size, 2)
            r = rng.uniform(2, 5) * size / 128
            col = np.array(rng.choice([[0.55, 0.32, 0.12], [0.62, 0.45, 0.2], [0.4, 0.22, 0.1], [0.5, 0.5, 0.2]]))
            col = col * rng.uniform(0.7, 1.1)
            img = _splat(img, x0, y0, r, r * 0.55, rng.uniform(0, np.pi), col)
    elif kind == "sand":
        ripples = np.sin((yy * rng.uniform(14, 24) + 0.6 * n) * 2 * np.pi) * 0.5 + 0.5
        img = mix([0.72, 0.63, 0.48], [0.84, 0.76, 0.6], ripples * 0.5 + grain * 0.3 + n * 0.2)
    elif kind == "dry_soil":
        cracks = np.abs(fbm(size, rng, octaves=5, base=8) - 0.5) < 0.02
        img = mix([0.42, 0.32, 0.22], [0.58, 0.46, 0.33], n * 0.7 + grain * 0.3)
        img = img * (1 - 0.4 * cracks)[..., None]
    elif kind == "floorboards":
        boards = int(rng.integers(4, 7))
        row = np.floor(yy * boards)
        offset = rng.random(boards)[row.astype(int)]
        seam = ((yy * boards) % 1 < 0.03) | (((xx + offset) % 1) < 0.008)
        tone = rng.uniform(0.8, 1.15, boards)[row.astype(int)]
        lines = upsample_periodic(rng.random((size // 2, size // 2)).astype(np.float32), size).mean(1, keepdims=True)
        grain_l = 0.6 * (lines - lines.min()) / max(float(np.ptp(lines)), 1e-6) + 0.4 * fbm(size, rng, base=8)
        wood = mix([0.5, 0.33, 0.18], [0.66, 0.46, 0.27], np.clip(grain_l * 0.7 + n * 0.3, 0, 1)) * tone[..., None]
        img = mix(wood, np.array([0.18, 0.11, 0.06]), seam.astype(np.float32))
        pbr = {"metallic": 0.0, "roughness": 0.55}
    else:  # rug
        c = np.array(rng.choice([[0.55, 0.18, 0.15], [0.2, 0.3, 0.45], [0.6, 0.55, 0.45], [0.3, 0.4, 0.3]]))
        border = np.minimum(np.minimum(xx, 1 - xx), np.minimum(yy, 1 - yy)) < 0.08
        img = mix(c * 0.75, c, grain * 0.6 + n * 0.4)
        img = np.where(border[..., None], img * 0.6 + 0.2, img)
    return np.clip(img, 0, 1).astype(np.float32), pbr


def _blades(size, rng, n, dry):
    """Grass: many short, thin, slanted blades in greens (and straw for a meadow)."""
    img = mix([0.12, 0.2, 0.06], [0.2, 0.3, 0.09], n)
    count = int(size * size / 6)
    x0 = rng.integers(0, size, count)
    y0 = rng.integers(0, size, count)
    length = rng.uniform(3, 8, count) * size / 128
    ang = rng.normal(np.pi / 2, 0.35, count)
    hue = rng.random(count)
    green = np.stack([0.18 + 0.2 * hue, 0.32 + 0.25 * hue, 0.08 + 0.06 * hue], -1)
    straw = np.array([0.62, 0.56, 0.33])
    is_dry = (rng.random(count) < dry)[:, None]
    cols = np.where(is_dry, straw * rng.uniform(0.8, 1.1, (count, 1)), green) * rng.uniform(0.7, 1.2, (count, 1))
    for t in np.linspace(0, 1, 6):
        x = (x0 + t * length * np.cos(ang)).astype(int) % size
        y = (y0 - t * length * np.sin(ang)).astype(int) % size
        img[y, x] = cols * (0.75 + 0.35 * t)
    return img


def _stones(size, rng, count, tone, r_lo, r_hi):
    img = mix(np.array(tone) * 0.55, np.array(tone) * 0.75, fbm(size, rng, base=16))
    for _ in range(count):
        x0, y0 = rng.integers(0, size, 2)
        r = rng.uniform(r_lo * 0.2, r_hi) * size
        col = np.array(tone) * rng.uniform(0.7, 1.4) * rng.uniform(0.92, 1.08, 3)
        img = _splat(img, x0, y0, r, r * rng.uniform(0.6, 1.0), rng.uniform(0, np.pi), col, shaded=True)
    return img


def _splat(img, x0, y0, rx, ry, ang, col, shaded=False):
    """Paint a (wrapped) filled ellipse; `shaded` lights it from the top left."""
    size = img.shape[0]
    r = int(np.ceil(max(rx, ry))) + 1
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float32)
    c, s = np.cos(ang), np.sin(ang)
    u, v = (dx * c + dy * s) / max(rx, 0.5), (-dx * s + dy * c) / max(ry, 0.5)
    inside = u**2 + v**2 <= 1
    ys, xs = (dy[inside].astype(int) + y0) % size, (dx[inside].astype(int) + x0) % size
    shade = 1.0
    if shaded:
        shade = (1.0 - 0.25 * (dx[inside] + dy[inside]) / (2 * r))[:, None]
    img[ys, xs] = np.clip(col * shade, 0, 1)
    return img
