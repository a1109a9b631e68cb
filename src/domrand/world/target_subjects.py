"""Held-out subjects of the proxy target domains: a second, independent construction.

The synthetic breeds (`domrand.world.subjects`) are ellipsoids and capsules hung on a
skeleton, coated by a spherically projected texture. The target subjects here are built
differently, so a target domain is not "more draws of the training families":

- every body part is a *loft*: elliptic or rounded-box cross-sections swept along a curved
  path with a radius profile (chest deeper than the waist, a skull that narrows into a
  muzzle, thighs that taper into paws, a car body whose section follows hood, cabin and
  trunk), with its own texture coordinates (u along the part, v around it);
- the coat is a texture *atlas*: each part owns a column band of it, so a coat can have a
  pale belly, dark points (ears, muzzle, paws, tail), leg rings, a tail tip or a saddle,
  with fur strokes running along the body;
- eyes have coloured irises and pupils, noses and ear insides their own colours, cars have
  glass, lights and chrome (`Part.color`);
- parameters have their own names and ranges, in their own tables
  (`domrand.world.target_tables`; `shape["construction"] == CONSTRUCTION`),
  and dogs come as archetypes (retriever, shepherd, hound, husky, terrier, molosser), cats
  as coat types (mackerel and blotched tabby, colourpoint, solid, tuxedo or tabby and white,
  spotted), each with palettes of their own.

The skeleton keeps the joint names of the synthetic rigs (root, neck, head, ear_l/r,
tail0-3, <leg>_hip/_knee), so `domrand.world.subjects.sample_pose` poses both kinds.
Subject `index` of a class is a pure function of (world seed, class, index).
"""

from __future__ import annotations

import numpy as np
import trimesh

from domrand.seeds import seed_for
from domrand.world import target_tables as T
from domrand.world.draws import jitter, pick, rounded
from domrand.world.rig import Joint, Part, Rig
from domrand.world.subjects import Breed
from domrand.world.textures import fbm, upsample_periodic

CONSTRUCTION = "lofted"
LEGS = ("front_l", "front_r", "back_l", "back_r")

# Column bands of the coat atlas (u from, u to) that each animal part maps into.
ATLAS = {
    "body": (0.0, 0.42),
    "neck": (0.42, 0.52),
    "head": (0.52, 0.72),
    "ear": (0.72, 0.76),
    "leg": (0.76, 0.9),
    "tail": (0.9, 1.0),
}


def is_target_subject(breed: Breed) -> bool:
    """Whether `breed` is a held-out subject of this module (lofted), not a synthetic breed."""
    return breed.shape.get("construction") == CONSTRUCTION


def sample_target_subject(cls: str, pool: str, index: int, world_seed: int) -> Breed:
    """Subject `index` of `cls` in the held-out pool `pool` (a target domain's name), drawn
    from this module's construction. Its name is <cls>_<pool><index>, e.g. cat_real03."""
    if cls not in _SAMPLERS:
        raise ValueError(f"unknown class {cls!r}: known classes are {', '.join(_SAMPLERS)}")
    rng = np.random.default_rng(seed_for("target_subject", world_seed, cls, pool, index))
    shape, coat = _SAMPLERS[cls](rng)
    return Breed(cls, index, {"construction": CONSTRUCTION, "pool": pool, **rounded(shape)}, rounded(coat))


def _colour(rng, colour) -> list:
    """A palette colour, a little lighter or darker, hue nearly kept (natural coats are not tinted)."""
    return jitter(rng, colour, T.COLOUR_JITTER.range("colours", "shade"), T.COLOUR_JITTER.range("colours", "tint"))


# ---------------------------------------------------------------------------------------
# Parameter draws


def _cat(rng):
    """A held-out cat (`target_tables.CAT`): fluff swells it, a colourpoint's head is a wedge."""
    pattern = pick(rng, T.CAT_PATTERNS)
    base, second = pick(rng, T.CAT_COATS[pattern])
    fluff = T.CAT_COAT.draw(rng, "fluff", "fluff" if pattern != "self" else "fluff_self")
    shape = {}
    for part in ("body", "legs", "head", "ears", "eyes", "tail"):
        shape.update(T.CAT.draw_part(rng, part))
    for name, k in T.CAT_FLUFF_SWELL.items():
        shape[name] *= 1 + k * fluff
    if pattern == "colourpoint":
        for name, factor in T.CAT_WEDGE.items():
            shape[name] *= factor
    shape.update(
        ear_style="prick",
        nose=T.NOSE_PINK if pattern != "self" else T.NOSE_DARK,
        iris=pick(rng, T.CAT_EYES) if pattern != "colourpoint" else T.COLOURPOINT_EYES,
        pupil="slit",
    )
    coat = dict(
        kit="cat",
        pattern=pattern,
        base=_colour(rng, base),
        second=_colour(rng, second),
        **T.CAT_COAT.draw_part(rng, "pattern"),
        fluff=fluff,
        **T.CAT_COAT.draw_part(rng, "fur"),
    )
    return shape, coat


def _by_archetype(rng, part: str, kind: str) -> float:
    """Draw every range of a per-archetype part of `target_tables.DOG`, keep `kind`'s (or "other")."""
    drawn = T.DOG.draw_part(rng, part)
    return drawn.get(kind, drawn["other"])


def _dog(rng):
    """A held-out dog: an archetype (`DOG_ARCHETYPES`) sets its size, build, ears and coat."""
    kind = pick(rng, T.DOG_ARCHETYPES)
    base, second = pick(rng, T.DOG_COATS[kind])
    size = _by_archetype(rng, "size", kind)
    styles = {k: v[0] if len(v) == 1 else pick(rng, v) for k, v in T.DOG_EAR_STYLES.items()}
    ears = styles[kind]
    muzzle = _by_archetype(rng, "muzzle", kind)
    fluff = _by_archetype(rng, "fluff", kind)
    build = T.DOG_BUILD.get(kind, {})

    def scaled(part, name):  # a measure per unit of size, times the archetype's build
        return T.DOG.draw(rng, part, name) * size * build.get(name, 1.0)

    shape = dict(
        archetype=kind,
        torso=T.DOG_TORSO * size,
        chest=T.DOG.draw(rng, "body", "chest") * size,
        waist=T.DOG.draw(rng, "body", "waist"),
        hip=T.DOG.draw(rng, "body", "hip"),
        girth=T.DOG.draw(rng, "body", "girth"),
        shin=scaled("legs", "shin"),
        limb=scaled("legs", "limb"),
        neck=T.DOG.draw(rng, "head", "neck") * size,
        skull=scaled("head", "skull"),
        muzzle=muzzle * size,
        cheeks=T.DOG.draw(rng, "head", "cheeks" if kind != "molosser" else "cheeks_molosser"),
        ear_height=T.DOG.draw(rng, "ears", "ear_height" if ears != "fold" else "ear_height_fold") * size,
        ear_width=T.DOG.draw(rng, "ears", "ear_width"),
        ear_spread=T.DOG.draw(rng, "ears", "ear_spread"),
        eye=T.DOG.draw(rng, "eyes", "eye"),
        tail=T.DOG.draw(rng, "tail", "tail") * size,
        tail_girth=T.DOG.draw(rng, "tail", "tail_girth") * size * (1 + fluff),
        tail_lift=T.DOG.draw(rng, "tail", "tail_lift" if kind != "husky" else "tail_lift_husky"),
        tail_bend=T.DOG.draw(rng, "tail", "tail_bend"),
        ear_style=ears,
        nose=T.NOSE_DARK,
        iris=T.IRIS_DOG,
        pupil="round",
    )
    coat = dict(
        kit="dog",
        pattern=T.DOG_PATTERN[kind],
        base=_colour(rng, base),
        second=_colour(rng, second),
        stripe_count=0.0,
        fluff=fluff,
        strand=T.DOG_COAT.draw(rng, "fur", "strand") + T.DOG_STRAND_PER_FLUFF * fluff,
        belly=T.DOG_COAT.draw(rng, "fur", "belly"),
    )
    return shape, coat


def _bicycle(rng):
    """A held-out bicycle (`target_tables.BICYCLE`) in a paint of `BIKE_PAINTS`."""
    shape = dict(
        **T.BICYCLE.draw_part(rng, "wheels"),
        geometry=pick(rng, T.BICYCLE_GEOMETRIES),
        **T.BICYCLE.draw_part(rng, "frame"),
        spokes=int(rng.choice(T.BICYCLE_SPOKES)),
        fenders=bool(rng.random() < T.BICYCLE_FENDER_SHARE),
        **T.BICYCLE.draw_part(rng, "drive"),
    )
    return shape, dict(kit="bicycle", pattern="gloss", base=_colour(rng, pick(rng, T.BIKE_PAINTS)))


def _car(rng):
    """A held-out car (`target_tables.CAR`): tall bodies raised by `CAR_RAISE`."""
    t, share = T.CAR, T.CAR_RAISE_SHARE
    body = pick(rng, T.CAR_BODIES)
    tall = T.CAR_RAISE.get(body, 0.0)
    shape = dict(
        body=body,
        length=t.draw(rng, "size", "length" if body != "hatch" else "length_hatch"),
        breadth=t.draw(rng, "size", "breadth"),
        sill=t.draw(rng, "heights", "sill") + share["sill"] * tall,
        beltline=t.draw(rng, "heights", "beltline") + share["beltline"] * tall,
        roof=t.draw(rng, "heights", "roof") + share["roof"] * tall
        if body != "roadster"
        else t.draw(rng, "heights", "roof_roadster"),
        wheel=t.draw(rng, "wheels", "wheel") + share["wheel"] * tall,
        **t.draw_part(rng, "shape"),
    )
    return shape, dict(kit="car", pattern="gloss", base=_colour(rng, pick(rng, T.CAR_PAINTS)))


_SAMPLERS = {"cat": _cat, "dog": _dog, "bicycle": _bicycle, "car": _car}


# ---------------------------------------------------------------------------------------
# The loft primitive


def loft(
    path, half_heights, half_widths, band=(0.0, 1.0), sections: int = 16, up=(0.0, 1.0, 0.0), squareness: float = 2.0
) -> trimesh.Trimesh:
    """A closed tube swept along `path` (K, 3) with elliptic sections of semi-axes
    `half_heights` (along `up`) and `half_widths` (K,); `squareness` > 2 rounds the sections
    towards boxes (a superellipse exponent). Texture coordinates: u runs along the path
    inside the atlas `band`, v around the section (0 on the `up` side, 0.5 opposite).
    The ends are closed by a fan around the end centres.
    """
    path = np.asarray(path, float)
    hy, hz = np.asarray(half_heights, float), np.asarray(half_widths, float)
    k = len(path)
    tangent = np.gradient(path, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    up = np.asarray(up, float)
    normal = up - (tangent @ up)[:, None] * tangent
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
    binormal = np.cross(tangent, normal)
    theta = np.linspace(0, 2 * np.pi, sections + 1)
    c, s = np.cos(theta), np.sin(theta)
    e = 2.0 / squareness
    c, s = np.sign(c) * np.abs(c) ** e, np.sign(s) * np.abs(s) ** e
    ring = (
        path[:, None, :]
        + normal[:, None, :] * (hy[:, None] * c)[..., None]
        + binormal[:, None, :] * (hz[:, None] * s)[..., None]
    )  # (K, S+1, 3), last column = first
    # Normals from the seamless surface, so the texture seam does not show in the shading.
    seamless = ring[:, :-1].reshape(-1, 3)
    grid = np.arange(k * sections).reshape(k, sections)
    a, b = grid[:-1], np.roll(grid, -1, axis=1)[:-1]
    faces = np.concatenate(
        [
            np.stack([a, b, a + sections], -1).reshape(-1, 3),
            np.stack([b, b + sections, a + sections], -1).reshape(-1, 3),
        ]
    )
    ends = np.stack([path[0], path[-1]])
    caps = np.concatenate(
        [
            np.stack([np.full(sections, k * sections), grid[0, 1:].tolist() + [grid[0, 0]], grid[0]], -1),
            np.stack([np.full(sections, k * sections + 1), grid[-1], np.roll(grid[-1], -1)], -1),
        ]
    )
    closed = trimesh.Trimesh(np.concatenate([seamless, ends]), np.concatenate([faces, caps]), process=False)
    vn = closed.vertex_normals
    # Seamed layout for texture coordinates: K rows of S+1 vertices, then the two end centres.
    verts = np.concatenate([ring.reshape(-1, 3), ends])
    normals = np.concatenate([vn[:-2].reshape(k, sections, 3)[:, list(range(sections)) + [0]].reshape(-1, 3), vn[-2:]])
    u0, u1 = band
    along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    along = u0 + (u1 - u0) * (0.02 + 0.96 * along / max(along[-1], 1e-9))
    uv = np.stack(np.broadcast_arrays(along[:, None], (theta / (2 * np.pi))[None, :]), -1).reshape(-1, 2)
    uv = np.concatenate([uv, [[along[0], 0.5], [along[-1], 0.5]]])
    w = sections + 1
    g = np.arange(k * w).reshape(k, w)
    a, b = g[:-1, :-1], g[:-1, 1:]
    faces = np.concatenate([np.stack([a, b, a + w], -1).reshape(-1, 3), np.stack([b, b + w, a + w], -1).reshape(-1, 3)])
    cap0 = np.stack([np.full(sections, k * w), g[0, 1:], g[0, :-1]], -1)
    cap1 = np.stack([np.full(sections, k * w + 1), g[-1, :-1], g[-1, 1:]], -1)
    mesh = trimesh.Trimesh(verts, np.concatenate([faces, cap0, cap1]), vertex_normals=normals, process=False)
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv)
    return mesh


def _profile(stations, values, n):
    """Smoothly interpolate (station, value) pairs onto n points of [0, 1]."""
    t = np.linspace(0, 1, n)
    return np.interp(t, stations, values)


def _blob(radii, center, band, up=(0.0, 1.0, 0.0), n=9, sections=14):
    """An ellipsoid as a loft along X (so it carries atlas texture coordinates)."""
    rx, ry, rz = radii
    t = np.linspace(-1, 1, n)
    r = np.sqrt(np.clip(1 - t**2, 0.02, 1))
    path = np.stack([np.asarray(center)[0] + rx * t, np.full(n, center[1]), np.full(n, center[2])], -1)
    return loft(path, ry * r, rz * r, band, sections, up)


# ---------------------------------------------------------------------------------------
# Rigs


def build_target_rig(breed: Breed) -> Rig:
    """The articulated rig of a target subject (same joint names as the synthetic rigs)."""
    builder = {"cat": _animal_rig, "dog": _animal_rig, "bicycle": _bicycle_rig, "car": _car_rig}.get(breed.cls)
    if builder is None:
        raise ValueError(f"no held-out rig for class {breed.cls!r}: known classes are {', '.join(_SAMPLERS)}")
    return builder(breed)


def _animal_rig(b: Breed) -> Rig:
    """A cat's or dog's rig: lofted torso and neck, head, ears, a four-segment tail, four legs."""
    s = b.shape
    joints = _animal_joints(s)
    parts = _torso_parts(s)
    parts += _head_parts(s)
    for side in ("l", "r"):
        parts += _ear_parts(s, side)
    parts += _lofted_tail(s, keeps_thickness=b.cls == "cat")
    for name in LEGS:
        parts += _leg_parts(s, name)
    return Rig(b.cls, b.name, joints, parts)


def _animal_joints(s: dict) -> list[Joint]:
    """The skeleton: root above the hips, neck and head, ears, tail0-3, <leg>_hip and _knee."""
    L, R = s["torso"], s["chest"]
    legl = s["shin"]  # hip to ground
    top = legl + 0.9 * R
    joints = [
        Joint("root", None, (0.0, top, 0.0)),
        Joint("neck", "root", (0.42 * L, 0.25 * R, 0.0), rest=(0.0, 0.0, 0.9)),
        Joint("head", "neck", (s["neck"] + 0.3 * s["skull"], 0.0, 0.0), rest=(0.0, 0.0, -0.95)),
        Joint("tail0", "root", (-0.5 * L, 0.15 * R, 0.0), rest=(0.0, 0.0, -0.9 + s["tail_lift"])),
    ]
    sk = s["skull"]
    for side, z in (("l", 1), ("r", -1)):
        tilt = 0.25 if s["ear_style"] == "prick" else 0.1
        joints.append(
            Joint(
                f"ear_{side}",
                "head",
                (-0.1 * sk, 0.75 * sk, z * s["ear_spread"] * sk * 1.1),
                rest=(z * tilt, 0.0, -0.15),
            )
        )
    seg = s["tail"] / 4
    for k in range(1, 4):
        joints.append(Joint(f"tail{k}", f"tail{k - 1}", (-seg, 0.0, 0.0), rest=(0.0, 0.0, -s["tail_bend"])))
    upper = 0.5 * legl
    for name in LEGS:
        x = 0.36 * L if name.startswith("front") else -0.36 * L
        side = 1 if name.endswith("_l") else -1
        joints.append(Joint(f"{name}_hip", "root", (x, -0.35 * R, side * 0.5 * R * s["girth"])))
        joints.append(Joint(f"{name}_knee", f"{name}_hip", (0.0, -upper, 0.0)))
    return joints


def _torso_parts(s: dict) -> list[Part]:
    """Torso from hips (x < 0) to chest (x > 0), deepest at the chest, tucked at the waist; a neck
    from inside the chest up to the head, thick where it meets the shoulders."""
    L, R, sk = s["torso"], s["chest"], s["skull"]
    n = 13
    x = np.linspace(-0.56 * L, 0.56 * L, n)
    st = [0.0, 0.08, 0.25, 0.5, 0.72, 0.9, 1.0]
    depth = R * _profile(st, [0.35, 0.8, s["hip"], s["waist"] * 0.95, 1.0, 0.85, 0.4], n)
    width = R * s["girth"] * _profile(st, [0.35, 0.85, s["hip"], s["waist"], 0.95, 0.85, 0.4], n)
    keel = -R * _profile(st, [0.0, 0.0, 0.05, 0.1, 0.25, 0.2, 0.1], n)
    arch = R * 0.12 * np.sin(np.linspace(0, np.pi, n))
    body = loft(np.stack([x, keel + arch, np.zeros(n)], -1), depth, width, ATLAS["body"], 20)
    nk = s["neck"]
    path = np.stack([np.linspace(-0.35 * R, nk + 0.2 * sk, 7), np.zeros(7), np.zeros(7)], -1)
    nr = _profile([0, 0.5, 1], [0.85 * R, 0.7 * R, 0.85 * sk], 7)
    return [Part("body", "root", body), Part("neck", "neck", loft(path, nr, nr * 0.85, ATLAS["neck"], 16))]


def _lofted_tail(s: dict, keeps_thickness: bool) -> list[Part]:
    """Four tail segments, each in its own slice of the atlas' tail band; a dog's tail tapers,
    a cat's keeps its thickness to a rounded tip."""
    tr, seg = s["tail_girth"], s["tail"] / 4
    parts = []
    for k in range(4):
        r0, r1 = tr * (1 - 0.15 * k), tr * (1 - 0.15 * (k + 1))
        if keeps_thickness:
            r0, r1 = tr * (1 - 0.05 * k), tr * (1 - 0.05 * (k + 1)) * (0.7 if k == 3 else 1)
        path = np.stack([np.linspace(0.2 * tr, -seg - 0.3 * tr, 5), np.zeros(5), np.zeros(5)], -1)
        rr = np.linspace(r0, r1, 5)
        band = (ATLAS["tail"][0] + 0.025 * k, ATLAS["tail"][0] + 0.025 * (k + 1))
        parts.append(Part(f"tail{k}", f"tail{k}", loft(path, rr, rr, band, 12)))
    return parts


def _leg_parts(s: dict, name: str) -> list[Part]:
    """One leg: a thigh tapering from the body (heavier at the back), a shin, a paw; the atlas'
    leg band runs down it."""
    R, lr, upper = s["chest"], s["limb"], 0.5 * s["shin"]
    back = name.startswith("back")
    thigh = (1.8 if back else 1.5) * lr
    path = np.stack([np.zeros(6), np.linspace(0.4 * R, -upper, 6), np.zeros(6)], -1)
    r = _profile([0, 0.5, 1], [thigh, 1.15 * lr, lr], 6)
    leg_band = (ATLAS["leg"][0], ATLAS["leg"][0] + 0.07)
    parts = [Part(f"{name}_upper", f"{name}_hip", loft(path, r * 1.1, r, leg_band, 12, up=(1.0, 0.0, 0.0)))]
    path = np.stack([np.zeros(6), np.linspace(0.0, -upper + 0.5 * lr, 6), np.zeros(6)], -1)
    r = _profile([0, 1], [lr, 0.8 * lr], 6)
    lower_band = (ATLAS["leg"][0] + 0.07, ATLAS["leg"][1] - 0.03)
    parts.append(Part(f"{name}_lower", f"{name}_knee", loft(path, r, r, lower_band, 12, up=(1.0, 0.0, 0.0))))
    paw_band = (ATLAS["leg"][1] - 0.03, ATLAS["leg"][1])
    paw = _blob((1.5 * lr, 0.75 * lr, 1.05 * lr), (0.55 * lr, -upper + 0.6 * lr, 0.0), paw_band)
    parts.append(Part(f"{name}_paw", f"{name}_knee", paw))
    return parts


def _head_parts(s: dict) -> list[Part]:
    """Skull narrowing into a muzzle, nose, eyes with iris and pupil."""
    sk, mz = s["skull"], s["muzzle"]
    cat = s["pupil"] == "slit"
    n = 12
    x = np.linspace(-0.95 * sk, 0.85 * sk + mz, n)
    t = (x - x[0]) / (x[-1] - x[0])
    skull_end = 1.75 * sk / (x[-1] - x[0])
    st = [0.0, 0.15, 0.45 * skull_end, skull_end, min(skull_end + 0.12, 0.97), 1.0]
    height = sk * _profile(st, [0.3, 0.85, 1.0, 0.75, 0.5 if cat else 0.55, 0.28 if cat else 0.4], n)
    width = sk * _profile(
        st, [0.3, 0.85, 1.0 * s["cheeks"], 0.85 * s["cheeks"], 0.5 if cat else 0.5, 0.25 if cat else 0.35], n
    )
    drop = -sk * _profile(st, [0.0, 0.0, 0.0, 0.15, 0.35 if cat else 0.3, 0.35 if cat else 0.3], n)
    parts = [Part("head", "head", loft(np.stack([x, drop, np.zeros(n)], -1), height, width, ATLAS["head"], 20))]
    tip = np.array([x[-1], drop[-1] + 0.12 * sk, 0.0])
    nose_r = (0.1 if cat else 0.16) * sk
    parts.append(
        Part(
            "nose", "head", _blob((0.7 * nose_r, 0.7 * nose_r, 1.1 * nose_r), tip, (0.0, 0.01)), color=tuple(s["nose"])
        )
    )
    er = s["eye"] * sk
    # Eyes sit where the skull meets the muzzle, looking forward and a little outward.
    ex = x[int(np.searchsorted(t, skull_end * 0.92))]
    for side, z in (("l", 1), ("r", -1)):
        c = np.array([ex - 0.05 * sk, 0.3 * sk, z * 0.52 * sk * s["cheeks"]])
        parts.append(Part(f"eye_{side}", "head", _blob((0.8 * er, er, er), c, (0.0, 0.01)), color=tuple(s["iris"])))
        out = np.array([0.75, 0.0, z * 0.66])
        out /= np.linalg.norm(out)
        pc = c + out * er * 0.78
        pupil = (0.25 * er, 0.85 * er, 0.22 * er) if cat else (0.3 * er, 0.55 * er, 0.5 * er)
        parts.append(Part(f"pupil_{side}", "head", _blob(pupil, pc, (0.0, 0.01)), dark=True))
    return parts


def _ear_parts(s: dict, side: str) -> list[Part]:
    """Prick ears (upright, pointed), drop ears (long lobes down the cheeks) or folded tips."""
    h, w = s["ear_height"], s["ear_width"] * s["ear_height"]
    z = 1 if side == "l" else -1
    if s["ear_style"] == "prick":
        n = 7
        path = np.stack([np.zeros(n), np.linspace(-0.2 * h, h, n), np.zeros(n)], -1)
        width = w * _profile([0, 0.3, 1], [0.55, 0.5, 0.02], n)
        thick = 0.2 * w * _profile([0, 1], [1.0, 0.2], n)
        shell = loft(path, thick, width, ATLAS["ear"], 10, up=(1.0, 0.0, 0.0))
        inner = loft(
            path[:-1] + [0.12 * w, 0, 0], thick[:-1] * 0.5, width[:-1] * 0.7, (0.0, 0.01), 10, up=(1.0, 0.0, 0.0)
        )
        return [
            Part(f"ear_{side}", f"ear_{side}", shell),
            Part(f"ear_{side}_inside", f"ear_{side}", inner, color=T.EAR_INSIDE),
        ]
    if s["ear_style"] == "fold":
        n = 7
        path = np.stack(
            [
                np.linspace(0, 0.45 * h, n),
                np.concatenate([np.linspace(0, 0.5 * h, 4), np.linspace(0.4 * h, 0.05 * h, 3)]),
                np.full(n, z * 0.1 * h),
            ],
            -1,
        )
        width = w * _profile([0, 0.5, 1], [0.5, 0.55, 0.2], n)
        return [
            Part(
                f"ear_{side}",
                f"ear_{side}",
                loft(path, width, 0.12 * w * np.ones(n), ATLAS["ear"], 10, up=(1.0, 0.0, 0.0)),
            )
        ]
    n = 8  # drop
    path = np.stack(
        [
            np.linspace(0.0, 0.25 * h, n),
            np.linspace(0.05 * h, -1.1 * h, n),
            z * (0.12 * h + 0.15 * h * np.sin(np.linspace(0, np.pi / 2, n))),
        ],
        -1,
    )
    width = w * _profile([0, 0.2, 0.7, 1], [0.35, 0.6, 0.6, 0.1], n)
    return [
        Part(
            f"ear_{side}", f"ear_{side}", loft(path, width, 0.08 * w * np.ones(n), ATLAS["ear"], 10, up=(1.0, 0.0, 0.0))
        )
    ]


def _tube(a, b, r, band=(0.0, 0.01), sections=10):
    a, b = np.asarray(a, float), np.asarray(b, float)
    path = a + np.linspace(0, 1, 4)[:, None] * (b - a)
    d = (b - a) / max(np.linalg.norm(b - a), 1e-9)
    up = (0.0, 0.0, 1.0) if abs(d[2]) < 0.9 else (1.0, 0.0, 0.0)
    return loft(path, np.full(4, r), np.full(4, r), band, sections, up)


def _ring(radius, r, center=(0, 0, 0), z=0.0, n=40, sections=8):
    """A torus around the Z axis (rim or tyre) as a loft along a circle."""
    a = np.linspace(0, 2 * np.pi, n)
    path = np.stack([center[0] + radius * np.cos(a), center[1] + radius * np.sin(a), np.full(n, z)], -1)
    return loft(path, np.full(n, r), np.full(n, r), (0.0, 1.0), sections, up=(0.0, 0.0, 1.0))


def _bicycle_rig(b: Breed) -> Rig:
    """A bicycle: lofted tubes of a road, city or trekking frame, saddle, chainring and cranks,
    fork, stem and bar (drops or grips), spoked wheels with chrome rims, maybe fenders."""
    s = b.shape
    R, wb = s["rim"] + s["tyre"], s["base"]
    rear, front = np.array([-wb / 2, 0, 0.0]), np.array([wb / 2, 0, 0.0])
    bb = np.array([-0.05 * wb, -0.08, 0.0])
    seat = np.array([-0.22 * wb, s["saddle_height"] - R, 0.0])
    head_top = np.array([0.33 * wb, s["saddle_height"] - R - (0.02 if s["geometry"] == "road" else -0.06), 0.0])
    head_bot = head_top + np.array([0.05, -0.17, 0.0])
    joints = [
        Joint("root", None, (0.0, R, 0.0)),
        Joint("steer", "root", tuple(head_bot)),
        Joint("front_wheel", "steer", tuple(front - head_bot)),
        Joint("rear_wheel", "root", tuple(rear)),
    ]
    parts = _bicycle_frame(s, bb, seat, head_top, head_bot, rear)
    parts += _bicycle_drive(s, bb)
    parts += _bicycle_steering(s, front, head_top, head_bot)
    for w in ("front_wheel", "rear_wheel"):
        parts += _bicycle_wheel(s, w, R)
    return Rig(b.cls, b.name, joints, parts)


def _bicycle_frame(s: dict, bb, seat, head_top, head_bot, rear) -> list[Part]:
    """The frame's tubes between bottom bracket `bb`, `seat`, the head tube and the `rear` axle
    (a city frame's low top tube), the seatpost and the saddle."""
    tr = s["tube"]
    top_join = seat * 0.93 if s["geometry"] != "city" else bb + (head_bot - bb) * 0.35 + [0, 0.05, 0]
    tubes = [
        (bb, seat),
        (top_join, head_top - [0, 0.03, 0]),
        (bb, head_bot),
        (head_bot, head_top),
        (bb + [0, 0, 0.035], rear + [0, 0, 0.035]),
        (bb - [0, 0, 0.035], rear - [0, 0, 0.035]),
        (seat * 0.95 + [0, 0, 0.03], rear + [0, 0, 0.035]),
        (seat * 0.95 - [0, 0, 0.03], rear - [0, 0, 0.035]),
    ]
    parts = [Part(f"frame{i}", "root", _tube(a, c, tr * (0.6 if i >= 4 else 1.0))) for i, (a, c) in enumerate(tubes)]
    parts.append(Part("seatpost", "root", _tube(seat, seat + [-0.02, 0.08, 0], 0.6 * tr), color=T.CHROME))
    parts.append(
        Part(
            "saddle",
            "root",
            loft(
                np.stack([np.linspace(-0.1, 0.13, 6), np.zeros(6), np.zeros(6)], -1) + seat + [0, 0.1, 0],
                _profile([0, 1], [0.03, 0.018], 6),
                _profile([0, 0.3, 1], [0.08, 0.07, 0.02], 6),
                (0.0, 0.01),
                10,
            ),
            dark=True,
        )
    )
    return parts


def _bicycle_drive(s: dict, bb) -> list[Part]:
    """The chainring around the bottom bracket `bb`, two cranks and their pedals."""
    parts = []
    ring_r = s["chainring"]
    parts.append(Part("chainring", "root", _ring(ring_r, 0.008, bb, z=0.06), color=T.CHROME))
    for z, ang in ((0.075, 0.4), (-0.075, 0.4 + np.pi)):
        end = bb + np.array([0.17 * np.cos(ang), 0.17 * np.sin(ang), z])
        parts.append(Part(f"crank{z > 0:d}", "root", _tube(bb + [0, 0, z], end, 0.01), color=T.CHROME))
        parts.append(
            Part(
                f"pedal{z > 0:d}",
                "root",
                _blob((0.045, 0.012, 0.05), end + [0, 0, np.sign(z) * 0.05], (0.0, 0.01)),
                dark=True,
            )
        )
    return parts


def _bicycle_steering(s: dict, front, head_top, head_bot) -> list[Part]:
    """Fork, stem and bar on the steering joint; a road bar's drops, or grips."""
    tr = s["tube"]
    fork = front - head_bot
    stem_top = (head_top - head_bot) + [0.0, 0.06, 0]
    bar = stem_top + [0.09 if s["geometry"] == "road" else 0.05, 0.02, 0]
    parts = [
        Part("fork_l", "steer", _tube([0, 0, 0.035], fork + [0, 0, 0.045], 0.8 * tr)),
        Part("fork_r", "steer", _tube([0, 0, -0.035], fork - [0, 0, 0.045], 0.8 * tr)),
        Part("stem", "steer", _tube(head_top - head_bot, bar, 0.8 * tr), color=T.CHROME),
    ]
    half = 0.21 if s["geometry"] == "road" else 0.29
    parts.append(
        Part(
            "bar",
            "steer",
            _tube(bar - [0, 0, half], bar + [0, 0, half], 0.011),
            color=T.CHROME if s["geometry"] == "road" else T.RUBBER,
        )
    )
    if s["geometry"] == "road":
        for z in (-half, half):
            hook = np.stack(
                [
                    bar[0] + 0.07 * np.sin(np.linspace(0, np.pi, 7)),
                    bar[1] - np.linspace(0, 0.13, 7),
                    np.full(7, bar[2] + z),
                ],
                -1,
            )
            parts.append(
                Part(
                    f"drop{z > 0:d}",
                    "steer",
                    loft(hook, np.full(7, 0.012), np.full(7, 0.012), (0.0, 0.01), 8, up=(0, 0, 1.0)),
                    dark=True,
                )
            )
    else:
        for z in (-half, half):
            parts.append(
                Part(f"grip{z > 0:d}", "steer", _tube(bar + [0, 0, z * 0.75], bar + [0, 0, z * 1.05], 0.017), dark=True)
            )
    return parts


def _bicycle_wheel(s: dict, w: str, R: float) -> list[Part]:
    """Wheel `w`: tyre, chrome rim and hub, spokes alternating sides, a fender if the bicycle has them."""
    parts = []
    parts.append(Part(f"{w}_tyre", w, _ring(R - s["tyre"] / 2, s["tyre"] / 2, n=48, sections=10), dark=True))
    parts.append(Part(f"{w}_rim", w, _ring(s["rim"] - 0.012, 0.012, n=48), color=T.CHROME))
    parts.append(Part(f"{w}_hub", w, _tube((0, 0, -0.05), (0, 0, 0.05), 0.022), color=T.CHROME))
    for k in range(s["spokes"]):
        a = 2 * np.pi * k / s["spokes"]
        z = 0.03 if k % 2 else -0.03
        end = np.array([np.cos(a), np.sin(a), 0.0]) * (s["rim"] - 0.02)
        parts.append(Part(f"{w}_spoke{k}", w, _tube((0, 0, z), end, 0.0025, sections=4), color=T.CHROME))
    if s["fenders"]:
        a = (
            np.linspace(0.15 * np.pi, 0.95 * np.pi, 14)
            if w == "rear_wheel"
            else np.linspace(0.05 * np.pi, 0.85 * np.pi, 14)
        )
        path = np.stack([(R + 0.03) * np.cos(a), (R + 0.03) * np.sin(a), np.zeros(14)], -1)
        parts.append(
            Part(
                f"{w}_fender",
                w,
                loft(path, np.full(14, 0.006), np.full(14, 0.035), (0.0, 1.0), 8, up=(0.0, 0.0, 1.0)),
            )
        )
    return parts


def _car_rig(b: Breed) -> Rig:
    """A car: a lofted lower body whose nose and tail slope down, a glass greenhouse with a
    painted roof and pillars, lights, mirrors, grille, plate, and wheels with chrome discs."""
    s = b.shape
    L, W, R = s["length"], s["breadth"], s["wheel"]
    joints = [Joint("root", None, (0.0, 0.0, 0.0))]
    axle = 0.5 * L - s["overhang"] * L
    for name, x, z in (("fl", axle, 1), ("fr", axle, -1), ("rl", -axle + 0.05 * L, 1), ("rr", -axle + 0.05 * L, -1)):
        joints.append(Joint(f"wheel_{name}", "root", (x, R, z * (W / 2 - 0.04))))
    tail = T.CAR_TAIL_HEIGHT.get(s["body"], 1.0 - s["tail_drop"] * 0.5)
    front_x = T.CAR_SCREEN_FRONT.get(s["body"], 0.18) * L
    back_x = T.CAR_GREENHOUSE_BACK.get(s["body"], -0.3) * L
    parts = [Part("body", "root", _car_lower_body(s, tail))]
    parts += _car_greenhouse(s, front_x, back_x)
    parts += _car_lights(s, tail, front_x)
    for name in ("fl", "fr", "rl", "rr"):
        parts += _car_wheel(name, R)
    return Rig(b.cls, b.name, joints, parts)


def _car_lower_body(s: dict, tail: float) -> trimesh.Trimesh:
    """The lower body: rounded-box sections along X from sill to beltline; the nose and the tail
    (at `tail` of the beltline's height) slope down."""
    L, W, sill, belt = s["length"], s["breadth"], s["sill"], s["beltline"]
    n = 15
    x = np.linspace(-L / 2, L / 2, n)
    st = [0.0, 0.05, 0.2, 0.8, 0.95, 1.0]
    top = sill + belt * _profile(st, [0.7 * tail, 0.92 * tail, 1.0, 1.0, 0.85, 0.65], n)
    bottom = sill * _profile(st, [1.6, 1.1, 1.0, 1.0, 1.1, 1.7], n)
    hw = W / 2 * _profile(st, [0.9, 0.98, 1.0, 1.0, 0.97, 0.88], n)
    return loft(
        np.stack([x, (top + bottom) / 2, np.zeros(n)], -1), (top - bottom) / 2, hw, (0.0, 1.0), 20, squareness=5.0
    )


def _car_greenhouse(s: dict, front_x: float, back_x: float) -> list[Part]:
    """Glass all round from `back_x` to the windscreen's foot at `front_x`, and (but on a
    roadster) a painted roof panel with A and C pillars over it."""
    L, W, sill, belt, roof = s["length"], s["breadth"], s["sill"], s["beltline"], s["roof"]
    m = 9
    gx = np.linspace(back_x, front_x, m)
    rake = s["screen_rake"] * roof * 2.2
    gt = _profile([0, 0.12, 0.3, 0.7, 1.0], [0.35, 0.92, 1.0, 1.0, 0.0], m)
    glass_top = sill + belt + roof * gt
    shift = np.clip((gx - (front_x - rake)) / max(rake, 1e-6), 0, 1)
    glass_top = np.minimum(glass_top, sill + belt + roof * (1 - shift) + 0.02)
    bottom_g = np.full(m, sill + belt - 0.02)
    hh = np.maximum((glass_top - bottom_g) / 2, 0.02)
    gw = W / 2 * 0.84 - 0.1 * (glass_top - bottom_g)
    glass = loft(np.stack([gx, (glass_top + bottom_g) / 2, np.zeros(m)], -1), hh, gw, (0.0, 1.0), 16, squareness=4.0)
    parts = [Part("glass", "root", glass, color=T.GLASS)]
    if s["body"] == "roadster":
        return parts
    rx = np.linspace(back_x + 0.1 * L * 0.3, front_x - rake * 0.9, 6)
    rt = np.interp(rx, gx, glass_top) + 0.015
    panel = loft(
        np.stack([rx, rt, np.zeros(6)], -1),
        np.full(6, 0.03),
        np.interp(rx, gx, gw) * 1.01,
        (0.0, 1.0),
        16,
        squareness=6.0,
    )
    parts.append(Part("roof", "root", panel))
    for z in (1, -1):
        for px, name in ((front_x - 0.02, "a"), (back_x + 0.05, "c")):
            top_x = px - rake * 0.9 if name == "a" else px + 0.15
            foot = (px, sill + belt, z * (W / 2 * 0.8))
            head = (top_x, sill + belt + roof * 0.97, z * (W / 2 * 0.72))
            parts.append(Part(f"pillar_{name}{z > 0:d}", "root", _tube(foot, head, 0.035)))
    return parts


def _car_lights(s: dict, tail: float, front_x: float) -> list[Part]:
    """Headlights, tail lights and mirrors on both sides, then the grille and the front plate."""
    L, W, sill, belt = s["length"], s["breadth"], s["sill"], s["beltline"]
    parts = []
    for z in (1, -1):
        head = _blob((0.05, 0.06, 0.16), (L / 2 - 0.02, sill + 0.75 * belt * 0.9, z * W * 0.33), (0.0, 0.01))
        parts.append(Part(f"headlight{z > 0:d}", "root", head, color=T.HEADLIGHT))
        rear = _blob((0.04, 0.07, 0.15), (-L / 2 + 0.02, sill + 0.8 * belt * tail, z * W * 0.36), (0.0, 0.01))
        parts.append(Part(f"taillight{z > 0:d}", "root", rear, color=T.TAILLIGHT))
        mirror = _blob((0.07, 0.05, 0.08), (front_x - 0.05, sill + belt + 0.08, z * (W / 2 + 0.06)), (0.0, 0.01))
        parts.append(Part(f"mirror{z > 0:d}", "root", mirror))
    grille = _blob((0.04, 0.09, 0.3 * W), (L / 2 - 0.01, sill + 0.45 * belt * 0.9, 0.0), (0.0, 0.01))
    plate = _blob((0.02, 0.06, 0.22), (L / 2 + 0.01, sill + 0.12, 0.0), (0.0, 0.01))
    return parts + [Part("grille", "root", grille, dark=True), Part("plate", "root", plate, color=T.PLATE)]


def _car_wheel(name: str, R: float) -> list[Part]:
    """Wheel `name` (fl, fr, rl, rr): a lofted tyre with rounded shoulders and a chrome disc."""
    z = 1 if name[1] == "l" else -1
    tyre = loft(
        np.stack([np.zeros(5), np.zeros(5), z * np.linspace(-0.11, 0.11, 5)], -1),
        np.array([0.8, 1, 1, 1, 0.8]) * R,
        np.array([0.8, 1, 1, 1, 0.8]) * R,
        (0.0, 1.0),
        24,
        up=(0.0, 1.0, 0.0),
    )
    rim = _blob((0.63 * R, 0.63 * R, 0.02), (0.0, 0.0, z * 0.115), (0.0, 0.01))
    return [
        Part(f"tyre_{name}", f"wheel_{name}", tyre, dark=True),
        Part(f"rim_{name}", f"wheel_{name}", rim, color=T.CHROME),
    ]


# ---------------------------------------------------------------------------------------
# Coats


def target_coat_texture(coat: dict, size: int, rng: np.random.Generator) -> np.ndarray:
    """The coat atlas of a target subject, (size, size, 3) float in [0, 1].

    Columns follow `ATLAS` (u along each part); rows run around each part from its `up`
    side (v = 0: the back of the torso, the top of the head, the front of a leg) to the
    opposite side (v = 0.5: belly, chin). Rows are stored top-down for upload, where the
    renderer flips them, so row r holds v = 1 - (r + 0.5) / size.
    """
    base = np.asarray(coat["base"], np.float32)
    if coat["pattern"] == "gloss":
        img = np.broadcast_to(base, (size, size, 3)).astype(np.float32)
        return np.clip(img * (0.97 + 0.06 * fbm(size, rng, base=8))[..., None], 0, 1)
    second = np.asarray(coat["second"], np.float32)
    a = _CoatAtlas(base, size, rng)
    light = np.clip(base * 0.35 + 0.65 * np.array([0.93, 0.9, 0.85], np.float32), 0, 1)
    if coat["kit"] == "cat":
        _cat_pattern(a, coat, base, second, size, rng)
        if coat["pattern"] in ("mackerel", "blotched", "spotted"):
            _tabby_marks(a, second, light)
        if coat["pattern"] == "colourpoint":
            _colourpoint(a, second)
        a.paint(np.clip((a.belly - 0.6) * 3, 0, 1) * a.region["body"] * coat["belly"], light)
    else:
        _dog_marks(a, coat, second, light)
    return _fur(a, coat, size, rng)


class _CoatAtlas:
    """A coat atlas being painted: per pixel its u and v, its belly weight (0 on a part's up
    side, 1 opposite), the `ATLAS` regions, a warp noise, and the colour so far (`col`)."""

    def __init__(self, base: np.ndarray, size: int, rng: np.random.Generator):
        self.v = (1 - (np.arange(size) + 0.5) / size)[:, None] * np.ones((1, size), np.float32)
        self.u = ((np.arange(size) + 0.5) / size)[None, :] * np.ones((size, 1), np.float32)
        self.belly = (1 - np.cos(2 * np.pi * self.v)) / 2
        self.region = {k: (self.u >= a) & (self.u < b) for k, (a, b) in ATLAS.items()}
        self.warp = fbm(size, rng, base=4)
        self.col = np.broadcast_to(base, (size, size, 3)).astype(np.float32).copy()

    def local(self, name: str) -> np.ndarray:
        """u rescaled to 0..1 inside region `name`'s band."""
        a, b = ATLAS[name]
        return np.clip((self.u - a) / (b - a), 0, 1)

    def mackerel(self, k: float) -> np.ndarray:
        """Wavy stripes around the body, `k` of them per atlas width (in [-1, 1], 1 on a stripe)."""
        return np.sin(2 * np.pi * (self.u * k * 2.4 + 0.6 * self.warp + 0.3 * np.sin(4 * np.pi * self.v)))

    def dorsal_line(self) -> np.ndarray:
        """A narrow weight along each part's up side (the spine on the torso)."""
        return np.clip(1 - np.abs(np.sin(np.pi * self.v)) * 6, 0, 1)

    def paint(self, mask: np.ndarray, colour) -> None:
        """Blend `colour` over the coat by the weight map `mask` (0: keep, 1: colour)."""
        self.col = self.col * (1 - mask[..., None]) + np.asarray(colour, np.float32) * mask[..., None]


def _cat_pattern(a: _CoatAtlas, coat: dict, base, second, size: int, rng: np.random.Generator) -> None:
    """A cat coat's own marks: mackerel stripes, blotched bands, spots, or tuxedo white."""
    u, v, belly, region, warp, local, paint = a.u, a.v, a.belly, a.region, a.warp, a.local, a.paint
    pattern, k = coat["pattern"], coat["stripe_count"]
    if pattern == "mackerel":
        ring = a.mackerel(k)
        m = np.clip((ring - 0.1) * 3, 0, 1) * (1 - 0.6 * belly)
        paint(m * region["body"], second)
        paint(a.dorsal_line() * region["body"] * 0.8, second)  # dorsal line
    elif pattern == "blotched":
        # Classic tabby: broad, wavy bands across the flank that merge along the back.
        band = np.sin(2 * np.pi * (u * k * 1.2 + 1.2 * warp + 0.5 * np.sin(2 * np.pi * v)))
        paint(np.clip((band + 0.1) * 2.5, 0, 1) * (1 - 0.8 * belly) * region["body"], second)
        paint(np.clip((0.3 - belly) * 4, 0, 1) * region["body"], second)
    elif pattern == "spotted":
        spots = fbm(size, rng, octaves=3, base=16)
        paint((spots > 0.62).astype(np.float32) * (1 - 0.5 * belly) * region["body"], second)
    elif pattern == "tuxedo":
        if base.mean() > 0.2:  # tabby and white: mackerel stripes on the coloured part
            ring = a.mackerel(k)
            paint(np.clip((ring - 0.1) * 3, 0, 1) * (region["body"] + region["tail"] + region["leg"]), base * 0.3)
            paint(a.dorsal_line() * region["body"] * 0.8, base * 0.3)
        paint(np.clip((belly - 0.55) * 5, 0, 1) * (region["body"] + region["neck"] + region["head"]), second)
        # White muzzle and chin (an inverted V up the nose bridge), a white bib down the
        # throat, white socks.
        blaze = np.clip((local("head") - 0.62) * 5 + (belly - 0.3) * 3 + 0.3 * (warp - 0.5), 0, 1)
        paint(blaze * region["head"], second)
        paint(np.clip((belly - 0.4) * 5, 0, 1) * region["neck"], second)
        paint(np.clip((local("leg") - 0.6) * 6, 0, 1) * region["leg"], second)


def _tabby_marks(a: _CoatAtlas, second, light) -> None:
    """What every tabby shares: rings on legs, tail and neck, forehead stripes, cheek lines, a
    pale muzzle and a dark tail tip."""
    v, belly, region, warp, local, paint = a.v, a.belly, a.region, a.warp, a.local, a.paint
    for name, count in (("leg", 5), ("tail", 8), ("neck", 2)):
        ring = np.sin(2 * np.pi * (local(name) * count + 0.2 * warp))
        paint(np.clip((ring - 0.3) * 2.5, 0, 1) * region[name] * (1 - 0.5 * belly), second)
    forehead = region["head"] * np.clip((local("head") - 0.2) * 8, 0, 1) * np.clip((0.72 - local("head")) * 8, 0, 1)
    stripe = np.clip(np.sin(2 * np.pi * (v * 14 + 0.1 * warp)) * 2 - 0.5, 0, 1) * np.clip((0.35 - belly) * 6, 0, 1)
    paint(stripe * forehead, second)
    # Cheek lines: two thin stripes back from the outer corner of each eye.
    cheek = region["head"] * np.clip((local("head") - 0.25) * 8, 0, 1) * np.clip((0.62 - local("head")) * 8, 0, 1)
    lines = np.clip(np.sin(2 * np.pi * (v * 16 + 0.15 * warp)) * 2.5 - 1.3, 0, 1) * (belly > 0.35) * (belly < 0.7)
    paint(lines * cheek, second)
    paint(region["head"] * (local("head") > 0.78) * np.clip((belly - 0.2) * 3, 0, 1), light)  # pale muzzle
    paint(region["tail"] * (local("tail") > 0.85), second)


def _colourpoint(a: _CoatAtlas, second) -> None:
    """Siamese points: a mask over the whole face (from the eyes forward, the brow and cheeks
    included), dark ears, legs darkening down to the paws, a dark tail; the body shaded a
    little towards the point colour along the back."""
    belly, region, local, paint = a.belly, a.region, a.local, a.paint
    face = np.clip((local("head") - 0.3) * 3.5, 0, 1) * (0.75 + 0.25 * np.clip((belly - 0.1) * 3, 0, 1))
    point = (
        region["head"] * face
        + region["ear"]
        + region["neck"] * np.clip((local("neck") - 0.6) * 2, 0, 1) * 0.5
        + region["leg"] * np.clip((local("leg") - 0.15) * 2.5, 0, 1)
        + region["tail"] * np.clip(0.4 + local("tail") * 2, 0, 1)
    )
    paint(np.clip(point, 0, 1), second)
    paint(region["body"] * np.clip((0.45 - belly) * 1.2, 0, 1) * 0.35, second)


def _dog_marks(a: _CoatAtlas, coat: dict, second, light) -> None:
    """A dog coat's pattern (blanket, tricolour, mask or plain), a pale belly, a darker nose tip."""
    v, belly, region, warp, local, paint = a.v, a.belly, a.region, a.warp, a.local, a.paint
    pattern = coat["pattern"]
    if pattern == "blanket":
        paint(np.clip((0.45 - belly) * 4 + 0.4 * (warp - 0.5), 0, 1) * region["body"], second)
        paint(region["head"] * np.clip((local("head") - 0.7) * 4, 0, 1), second)  # dark muzzle
        paint(region["ear"], second)
        paint(region["tail"] * np.clip((0.6 - belly) * 3, 0, 1), second)
    elif pattern == "tricolour":
        paint(np.clip((0.5 - belly) * 4 + 0.5 * (warp - 0.5), 0, 1) * region["body"], (0.08, 0.07, 0.06))
        paint(region["head"] * np.clip((0.8 - local("head")) * 3, 0, 1) * (np.abs(v - 0.5) > 0.1), second)
        paint(region["ear"], second)
        paint(region["neck"] * np.clip((0.5 - belly) * 3, 0, 1), second)
        paint(region["tail"] * (local("tail") > 0.85), (0.97, 0.96, 0.94))
    elif pattern == "mask":
        paint(np.clip((belly - 0.45) * 4, 0, 1) * (region["body"] + region["neck"] + region["tail"]), second)
        paint(region["head"] * np.clip((belly - 0.25) * 3 + np.clip((local("head") - 0.6) * 4, 0, 1), 0, 1), second)
        paint(region["leg"] * np.clip(local("leg") * 2 - 0.3, 0, 1), second)
    paint(np.clip((belly - 0.6) * 3, 0, 1) * region["body"] * coat["belly"], light)
    paint(region["head"] * np.clip((local("head") - 0.9) * 10, 0, 1) * 0.6, a.col.mean() * 0.5 + np.zeros(3))


def _fur(a: _CoatAtlas, coat: dict, size: int, rng: np.random.Generator) -> np.ndarray:
    """The painted coat under fur strokes, shaded darker on the back."""
    # Fur: strokes along u (hair runs along the body), shading darker on the back. A cat's
    # coat shows its hairs at a stronger contrast (`target_tables.FUR_CONTRAST`): at 1.6 the ImageNet
    # classifier of the realism measure recognised far fewer proxy-real cats (smooth coats
    # read as toys or dogs).
    strands = upsample_periodic(rng.random((size // 2, size // 2)).astype(np.float32), size)
    fine = rng.random((size, size // 4)).astype(np.float32).repeat(4, 1)  # short hairs along u
    fine = 0.5 * fine + 0.5 * np.roll(fine, 2, 1)
    grain = rng.random((size, size)).astype(np.float32)
    fur = 1 + coat["strand"] * (
        0.5 * (fine - 0.5) + 0.25 * (grain - 0.5) + 0.25 * (strands - 0.5)
    ) * T.FUR_CONTRAST.get(coat["kit"], T.FUR_CONTRAST_OTHER)
    shade = 1 - 0.08 * (1 - a.belly) * a.region["body"]
    return np.clip(a.col * (fur * shade)[..., None], 0, 1).astype(np.float32)
