"""Procedural subjects: parametric "breeds" (models) of cats, dogs, bicycles and cars.

A breed is a draw from a class-specific family of shape parameters, written as tables in
`domrand.world.breed_tables` (change a class there); this module draws from them and builds
the rigs (ellipsoids and capsules hung on a skeleton). The families carry
the cues a classifier can learn (cats: short snout, upright triangular ears, long thin
tail; dogs: varied snouts, floppy or upright ears, shorter thicker or curled tails, a wide
range of sizes; bicycles: two thin wheels and a tube frame; cars: a box body, cabin and four
wheels). Breed i of a class is a pure function of (world seed, class, i), so the same
breed index means the same shape in every job.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from domrand.config import BUILTIN_CLASSES
from domrand.seeds import seed_for
from domrand.world import breed_tables as T
from domrand.world import shapes
from domrand.world.draws import Table, jitter, pick, rounded
from domrand.world.rig import Joint, Part, Rig, rotation

CLASSES = BUILTIN_CLASSES
ANIMALS = ("cat", "dog")
QUADRUPED_POSES = ("stand", "walk", "sit", "lie")


@dataclass(frozen=True)
class Breed:
    """One model of a class: its shape parameters and its natural coat (or paint)."""

    cls: str
    index: int
    shape: dict
    coat: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        """<cls><index>, e.g. cat03; a held-out subject's <cls>_<pool><index>, e.g. cat_real03."""
        pool = self.shape.get("pool")  # held-out target subjects: <cls>_<pool><index>
        return f"{self.cls}_{pool}{self.index:02d}" if pool else f"{self.cls}{self.index:02d}"

    def to_dict(self) -> dict:
        """The breed as plain data (class, index, shape, coat) for the world manifest."""
        return asdict(self)


def sample_breed(cls: str, index: int, world_seed: int) -> Breed:
    """Draw breed `index` of `cls` from its family."""
    rng = np.random.default_rng(seed_for("breed", world_seed, cls, index))
    if cls not in _FAMILIES:
        raise ValueError(f"unknown class {cls!r}: known classes are {', '.join(CLASSES)}")
    shape, coat = _FAMILIES[cls](rng)
    return Breed(cls, index, rounded(shape), rounded(coat))


def _quadruped_shape(rng, table: Table, ear_kind: str) -> dict:
    """A cat's or dog's proportions, drawn from its table part by part."""
    return {
        **table.draw_part(rng, "body"),
        **table.draw_part(rng, "legs"),
        **table.draw_part(rng, "neck"),
        **table.draw_part(rng, "head"),
        **table.draw_part(rng, "snout"),
        "ear_kind": ear_kind,
        **table.draw_part(rng, "ears"),
        **table.draw_part(rng, "tail"),
    }


def _cat(rng):
    """A cat (`breed_tables.CAT`) in a cat coat (`CAT_COAT`, `CAT_PALETTE`)."""
    pattern = str(pick(rng, T.CAT_PATTERNS))
    base, second = pick(rng, T.CAT_PALETTE[pattern])
    shape = _quadruped_shape(rng, T.CAT, "upright")
    shade = T.CAT_COAT.range("colours", "shade")
    base_tint, second_tint = T.CAT_COAT.range("colours", "base_tint"), T.CAT_COAT.range("colours", "second_tint")
    shape["eye_colour"] = pick(rng, T.CAT_EYE_COLOURS) if pattern != "pointed" else T.POINTED_EYES
    shape["nose_colour"] = T.PINK_NOSE if pattern != "smoke" else T.SMOKE_NOSE
    shape["point_colour"] = jitter(rng, second, shade, second_tint) if pattern == "pointed" else None
    shape["muzzle_colour"] = (
        (0.45 * np.asarray(base) + 0.55 * np.array(T.MUZZLE_WHITE)).tolist()
        if pattern in T.PALE_MUZZLE_PATTERNS
        else None
    )
    coat = dict(
        base=jitter(rng, base, shade, base_tint),
        second=jitter(rng, second, shade, second_tint),
        pattern=pattern,
        **T.CAT_COAT.draw_part(rng, "pattern"),
    )
    return shape, coat


def _dog(rng):
    """A dog (`breed_tables.DOG`, within `DOG_LIMITS`) in a dog coat (`DOG_COAT`)."""
    shape = _quadruped_shape(rng, T.DOG, str(rng.choice(T.DOG_EARS)))
    limits = T.DOG_LIMITS
    shape["neck_length"] = min(shape["neck_length"], limits["neck_to_head_radius"] * shape["head_radius"])
    shape["body_height"] = max(shape["body_height"], shape["body_length"] / limits["length_to_body_height"])
    shape["leg_length"] = min(shape["leg_length"], limits["leg_length_to_body_height"] * shape["body_height"])
    coat = _dog_coat(rng)
    if coat["pattern"] != "solid":
        light = float(np.mean(coat["base"])) > T.DOG_PATCHES["light"]
        coat["second"] = T.DOG_PATCHES["on_light"] if light else T.DOG_PATCHES["on_dark"]
    return shape, coat


def _dog_coat(rng) -> dict:
    """Two palette colours, each a little lighter or darker (one tint for all channels: dog
    coats are not tinted), a pattern, its frequency and the fur's strength."""
    palette, tint = T.DOG_PALETTE, T.DOG_COAT.range("colours", "tint")
    i, j = rng.choice(len(palette), size=2, replace=False)
    shift = float(np.mean(rng.uniform(*tint, size=3)))
    return dict(
        base=np.clip(np.asarray(palette[i]) + shift, 0, 1).tolist(),
        second=np.clip(np.asarray(palette[j]) + float(np.mean(rng.uniform(*tint, size=3))), 0, 1).tolist(),
        pattern=str(rng.choice(T.DOG_PATTERNS)),
        **T.DOG_COAT.draw_part(rng, "pattern"),
    )


def _bicycle(rng):
    """A bicycle (`breed_tables.BICYCLE`) in a paint of `BICYCLE_PALETTE`."""
    shape = dict(
        **T.BICYCLE.draw_part(rng, "wheels"),
        frame=str(rng.choice(T.BICYCLE_FRAMES)),
        **T.BICYCLE.draw_part(rng, "frame"),
        bar=str(rng.choice(T.BICYCLE_BARS)),
        **T.BICYCLE.draw_part(rng, "steering"),
    )
    return shape, _paint(rng, T.BICYCLE_PALETTE, T.BICYCLE_PAINT.range("paint", "tint"))


def _car(rng):
    """A car (`breed_tables.CAR`): a long low body with a sloping hood, a glazed cabin
    (greenhouse), wheels in arches; taller kinds raised by `CAR_RAISE`; a glossy paint."""
    t, share = T.CAR, T.CAR_RAISE_SHARE
    kind = str(rng.choice(T.CAR_KINDS))
    tall = T.CAR_RAISE.get(kind, 0.0)
    length = t.draw(rng, "size", "length" if kind != "hatchback" else "length_hatchback")
    shape = dict(
        kind=kind,
        length=length,
        width=t.draw(rng, "size", "width"),
        body_height=t.draw(rng, "body", "body_height") + tall * share["body_height"],
        cabin_height=t.draw(rng, "cabin", "cabin_height" if kind != "coupe" else "cabin_height_coupe")
        + tall * share["cabin_height"],
        cabin_length=t.draw(rng, "cabin_length", kind),
        cabin_offset=t.draw(rng, "cabin_offset", kind),
        wheel_radius=t.draw(rng, "wheels", "wheel_radius") + tall * share["wheel_radius"],
        clearance=t.draw(rng, "body", "clearance") + tall * share["clearance"],
        hood_drop=t.draw(rng, "body", "hood_drop"),
        windscreen_slope=t.draw(rng, "cabin", "windscreen_slope" if kind != "van" else "windscreen_slope_van"),
        rear_slope=t.draw(rng, "cabin", "rear_slope_notchback" if kind in ("sedan", "coupe") else "rear_slope"),
    )
    coat = _paint(rng, T.CAR_PALETTE, T.CAR_PAINT.range("paint", "tint"))
    coat["roughness"] = T.CAR_PAINT.draw(rng, "paint", "roughness")  # glossy car paint
    return shape, coat


def _paint(rng, palette, tint) -> dict:
    """A vehicle's paint: one palette colour with a small U(tint) offset per channel."""
    base = pick(rng, palette)
    return dict(
        base=np.clip(np.asarray(base) + rng.uniform(*tint, 3), 0, 1).tolist(),
        second=T.PAINT_SECOND,
        pattern="paint",
        frequency=1.0,
        fur=0.0,
    )


_FAMILIES = {"cat": _cat, "dog": _dog, "bicycle": _bicycle, "car": _car}


# ---------------------------------------------------------------------------------------
# Rigs


def build_rig(breed: Breed) -> Rig:
    """The articulated rig (joints and part meshes) of a breed."""
    if breed.cls not in _RIGS:
        raise ValueError(f"no procedural rig for class {breed.cls!r}: known classes are {', '.join(CLASSES)}")
    return _RIGS[breed.cls](breed)


def _quadruped(b: Breed) -> Rig:
    """A cat's or dog's skeleton (root, neck, head, ears, tail0-3, four legs) and its parts."""
    s = b.shape
    L, H, W = s["body_length"], s["body_height"], s["body_width"]
    legl = s["leg_length"]
    upper, lower = 0.5 * legl, 0.5 * legl
    joints = [
        Joint("root", None, (0.0, legl + 0.3 * H, 0.0)),
        Joint("neck", "root", (0.40 * L, 0.25 * H, 0.0), rest=(0.0, 0.0, 0.7)),
        Joint("head", "neck", (s["neck_length"] + 0.5 * s["neck_radius"], 0.0, 0.0), rest=(0.0, 0.0, -0.7)),
        Joint("ear_l", "head", _ear_offset(s, +1), rest=(0.3 if s["ear_kind"] != "floppy" else 0.15, 0.0, -0.1)),
        Joint("ear_r", "head", _ear_offset(s, -1), rest=(-0.3 if s["ear_kind"] != "floppy" else -0.15, 0.0, -0.1)),
        Joint("tail0", "root", (-0.47 * L, 0.2 * H, 0.0), rest=(0.0, 0.0, s["tail_rest"])),
    ]
    seg = s["tail_length"] / 4
    for k in range(1, 4):
        joints.append(Joint(f"tail{k}", f"tail{k - 1}", (-seg, 0.0, 0.0), rest=(0.0, 0.0, -s["tail_curl"])))
    legs = {"front_l": (0.32 * L, +1), "front_r": (0.32 * L, -1), "back_l": (-0.32 * L, +1), "back_r": (-0.32 * L, -1)}
    for name, (x, side) in legs.items():
        joints.append(Joint(f"{name}_hip", "root", (x, -0.2 * H, side * 0.3 * W)))
        joints.append(Joint(f"{name}_knee", f"{name}_hip", (0.0, -upper, 0.0)))

    if b.cls == "cat":
        parts = _cat_parts(s, legs, upper, lower, seg)
    else:
        parts = _dog_parts(s, legs, upper, lower, seg)
    return Rig(b.cls, b.name, joints, parts)


def _dog_parts(s: dict, legs: dict, upper: float, lower: float, seg: float) -> list[Part]:
    """A dog's parts: body, a long head with a snout of its own, dark nose and eyes, ears of its
    kind, a tapering tail, plain legs with broad paws."""
    L, H, W = s["body_length"], s["body_height"], s["body_width"]
    legr, hr, he = s["leg_radius"], s["head_radius"], s["head_elongation"]

    head_c = (0.55 * hr, 0.15 * hr, 0.0)
    snout_len = s["snout_length"]
    snout_r = s["snout_radius"] * hr
    snout_c = (head_c[0] + 0.75 * hr * he + 0.5 * snout_len, head_c[1] - 0.3 * hr, 0.0)
    nose_c = (snout_c[0] + 0.5 * snout_len + 0.8 * snout_r, snout_c[1] + 0.35 * snout_r, 0.0)
    eye_r = 0.17 * hr
    parts = [
        _part("body", "root", shapes.ellipsoid((0.5 * L, 0.5 * H, 0.5 * W))),
        _part("neck", "neck", shapes.segment((0, 0, 0), (s["neck_length"], 0, 0), s["neck_radius"])),
        _part("head", "head", shapes.ellipsoid((hr * he, hr * 0.9, hr * 0.95), center=head_c)),
        _part(
            "snout", "head", shapes.ellipsoid((0.5 * snout_len + 0.8 * snout_r, snout_r, 1.1 * snout_r), center=snout_c)
        ),
        _part(
            "nose", "head", shapes.ellipsoid((0.3 * snout_r, 0.25 * snout_r, 0.35 * snout_r), center=nose_c), dark=True
        ),
        _part("ear_l", "ear_l", shapes.ear(s["ear_kind"], s["ear_size"], s["ear_flare"])),
        _part("ear_r", "ear_r", shapes.ear(s["ear_kind"], s["ear_size"], s["ear_flare"])),
    ]
    for side, z in (("l", 1), ("r", -1)):
        c = (head_c[0] + 0.8 * hr * he * 0.85, head_c[1] + 0.3 * hr, z * 0.42 * hr)
        parts.append(_part(f"eye_{side}", "head", shapes.ellipsoid((eye_r * 0.6, eye_r, eye_r)), dark=True))
        parts[-1].mesh.apply_translation(c)
    parts += _tail_parts(s, seg, taper=0.12)
    for name in legs:
        parts.append(
            _part(f"{name}_upper", f"{name}_hip", shapes.segment((0, 0, 0), (0, -upper, 0), legr * 1.25, legr))
        )
        parts.append(
            _part(f"{name}_lower", f"{name}_knee", shapes.segment((0, 0, 0), (0, -lower, 0), legr, legr * 0.85))
        )
        parts.append(
            _part(
                f"{name}_paw",
                f"{name}_knee",
                shapes.ellipsoid((legr * 1.6, legr * 0.8, legr * 1.1), center=(legr * 0.6, -lower, 0)),
            )
        )
    return parts


def _cat_parts(s: dict, legs: dict, upper: float, lower: float, seg: float) -> list[Part]:
    """A cat's parts: body, thighs, a round head with whisker pads, chin, pink (or dark) nose,
    coloured eyes with slit pupils, forward-facing ears with pink insides, a long even tail.
    A pointed coat darkens ears, face, lower legs and tail (`point_colour`)."""
    L, H, W = s["body_length"], s["body_height"], s["body_width"]
    hr, he, hw = s["head_radius"], s["head_elongation"], s["head_width"]
    point = tuple(s["point_colour"]) if s.get("point_colour") else None
    hc = np.array([0.55 * hr, 0.15 * hr, 0.0])
    head = (hr * he, 0.88 * hr, hr * hw)  # semi-axes
    parts = [
        _part("body", "root", shapes.ellipsoid((0.5 * L, 0.5 * H, 0.5 * W))),
        _part("neck", "neck", shapes.segment((0, 0, 0), (s["neck_length"], 0, 0), s["neck_radius"])),
        _part("head", "head", shapes.ellipsoid(head, center=hc)),
    ]
    parts += _cat_face(s, hc, head, point)
    parts += _cat_ears(s, point)
    parts += _tail_parts(s, seg, taper=0.05, point=point)
    parts += _cat_legs(s, legs, upper, lower, point)
    return parts


def _cat_face(s: dict, hc: np.ndarray, head: tuple, point: tuple | None) -> list[Part]:
    """Whisker pads and chin (pale on tabbies), the nose, large eyes with slit pupils on the
    head's surface; `hc` is the head's centre, `head` its semi-axes."""
    hr = s["head_radius"]
    ha, hb, hcz = head
    muzzle = tuple(s["muzzle_colour"]) if s.get("muzzle_colour") else point
    pad = s["snout_radius"] * hr
    pad_x = hc[0] + 0.8 * ha + s["snout_length"]
    parts = []
    for side, z in (("l", 1), ("r", -1)):  # whisker pads
        centre = (pad_x, hc[1] - 0.3 * hr, z * 0.75 * pad)
        parts.append(_part(f"snout_{side}", "head", shapes.ellipsoid((pad, 0.8 * pad, pad), center=centre), muzzle))
    chin = shapes.ellipsoid((0.7 * pad, 0.55 * pad, 0.8 * pad), center=(pad_x - 0.3 * pad, hc[1] - 0.52 * hr, 0))
    parts.append(_part("chin", "head", chin, muzzle))
    nose = shapes.ellipsoid((0.35 * pad, 0.3 * pad, 0.42 * pad), center=(pad_x + 0.75 * pad, hc[1] - 0.12 * hr, 0))
    parts.append(_part("nose", "head", nose, tuple(s["nose_colour"])))
    e = T.CAT_FACE["eye"] * hr
    for side, z in (("l", 1), ("r", -1)):  # eyes on the head's surface, looking forward
        ey, ez = 0.14 * hr, 0.38 * hcz
        ex = hc[0] + ha * np.sqrt(max(1 - (ey / hb) ** 2 - (ez / hcz) ** 2, 0.05))
        eye = shapes.ellipsoid((0.4 * e, e, 0.9 * e), center=(ex - 0.2 * e, hc[1] + ey, z * ez))
        parts.append(_part(f"eye_{side}", "head", eye, tuple(s["eye_colour"])))
        pupil = shapes.ellipsoid((0.3 * e, 0.8 * e, 0.25 * e), center=(ex + 0.02 * e, hc[1] + ey, z * ez))
        parts.append(_part(f"pupil_{side}", "head", pupil, dark=True))
    return parts


def _cat_ears(s: dict, point: tuple | None) -> list[Part]:
    """Upright ears turned to face forward and cupped, each with a pink (or pointed) inside."""
    size, flare = s["ear_size"], s["ear_flare"]
    parts = []
    for side in ("l", "r"):
        ear = shapes.ear("upright", size, flare)
        ear.apply_transform(_yaw(np.pi / 2))  # the flat face looks forward, a cupped ear
        ear.vertices[:, 0] *= 1.6
        inner = shapes.ear("upright", 0.72 * size, 0.8 * flare)
        inner.apply_transform(_yaw(np.pi / 2))
        inner.apply_translation((0.07 * size * flare, 0.04 * size, 0))
        parts.append(_part(f"ear_{side}", f"ear_{side}", ear, point))
        parts.append(_part(f"ear_inner_{side}", f"ear_{side}", inner, T.EAR_PINK if point is None else point))
    return parts


def _cat_legs(s: dict, legs: dict, upper: float, lower: float, point: tuple | None) -> list[Part]:
    """Legs with thighs (heavier at the back), slim shins and oval paws (pointed on a pointed coat)."""
    legr = s["leg_radius"]
    parts = []
    for name in legs:
        back = name.startswith("back")
        thigh = (
            (2.3 * legr, 0.5 * upper + legr, 1.25 * legr) if back else (1.6 * legr, 0.45 * upper + legr, 1.15 * legr)
        )
        thigh_mesh = shapes.ellipsoid(thigh, center=(0.2 * legr if back else 0.0, -0.3 * upper, 0))
        parts.append(_part(f"{name}_thigh", f"{name}_hip", thigh_mesh))
        parts.append(_part(f"{name}_upper", f"{name}_hip", shapes.segment((0, 0, 0), (0, -upper, 0), legr * 1.2, legr)))
        shin = shapes.segment((0, 0, 0), (0, -lower, 0), legr, legr * 0.9)
        parts.append(_part(f"{name}_lower", f"{name}_knee", shin, point))
        paw = shapes.ellipsoid((legr * 1.35, legr * 0.75, legr * 1.15), center=(legr * 0.45, -lower, 0))
        parts.append(_part(f"{name}_paw", f"{name}_knee", paw, point))
    return parts


def _tail_parts(s: dict, seg: float, taper: float, point: tuple | None = None) -> list[Part]:
    """Four tail segments of length `seg`, each `taper` (of the tail's radius) thinner; the last
    two in the `point` colour when there is one."""
    tr = s["tail_radius"]
    return [
        _part(
            f"tail{k}",
            f"tail{k}",
            shapes.segment((0, 0, 0), (-seg, 0, 0), tr * (1 - taper * k), tr * (1 - taper * (k + 1))),
            point if k >= 2 else None,
        )
        for k in range(4)
    ]


def _part(name: str, joint: str, mesh, color: tuple | None = None, dark: bool = False) -> Part:
    """A part hung on `joint`, in the coat (no `color`), a colour of its own, or dark."""
    return Part(name, joint, mesh, dark, color)


def _yaw(angle: float) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3] = rotation(0.0, angle, 0.0)
    return m


def _ear_offset(s: dict, side: int):
    """Where an ear's joint sits on the head (side: 1 left, -1 right)."""
    hr = s["head_radius"]
    if s["ear_kind"] == "floppy":
        return (0.45 * hr, 0.55 * hr, side * 0.85 * hr)
    if "head_width" in s:  # a cat: ears set high on a wide head
        face = T.CAT_FACE
        return (face["ear_forward"] * hr, face["ear_up"] * hr, side * face["ear_apart"] * hr * s["head_width"])
    return (0.4 * hr, 0.72 * hr, side * 0.5 * hr)


def _bicycle_rig(b: Breed) -> Rig:
    s = b.shape
    R, wb, tr = s["wheel_radius"], s["wheelbase"], s["tube_radius"]
    rear = np.array([-wb / 2, 0.0, 0.0])
    front = np.array([wb / 2, 0.0, 0.0])
    bb = np.array([-wb * 0.05, -0.05, 0.0])  # bottom bracket, relative to the axle line
    seat = np.array([-wb * 0.2, s["seat_height"] - R, 0.0])
    head_top = np.array([wb * 0.36, s["bar_height"] - R - 0.05, 0.0])
    head_bot = np.array([wb * 0.40, 0.35 * (s["bar_height"] - R), 0.0])
    joints = [
        Joint("root", None, (0.0, R, 0.0)),
        Joint("steer", "root", tuple(head_bot)),
        Joint("front_wheel", "steer", tuple(front - head_bot + np.array([s["fork_rake"], 0, 0]))),
        Joint("rear_wheel", "root", tuple(rear)),
    ]
    tubes = [(rear, seat * 0.92), (rear, bb), (bb, seat), (head_top, head_bot)]
    if s["frame"] == "diamond":
        tubes.append((seat * 0.95, head_top))
    elif s["frame"] == "step_through":
        tubes.append((bb + np.array([0.05, 0.02, 0]), head_bot))
    else:
        tubes += [(seat * 0.9, head_top), (bb, head_bot)]
    tubes.append((bb, head_bot * 0.6 + head_top * 0.4))
    parts = [Part(f"tube{i}", "root", shapes.segment(a, c, tr)) for i, (a, c) in enumerate(tubes)]
    parts.append(Part("saddle", "root", shapes.ellipsoid((0.13, 0.03, 0.06), center=seat + [0, 0.04, 0]), dark=True))
    parts.append(Part("seatpost", "root", shapes.segment(seat * 0.9, seat + [0, 0.03, 0], tr * 0.7)))
    stem = head_top - head_bot
    bar_c = stem + np.array([0.05, 0.04, 0.0])
    fork_end = front - head_bot + np.array([s["fork_rake"], 0, 0])
    parts += [
        Part("fork_l", "steer", shapes.segment((0, 0, 0.04), fork_end + [0, 0, 0.04], tr * 0.8)),
        Part("fork_r", "steer", shapes.segment((0, 0, -0.04), fork_end + [0, 0, -0.04], tr * 0.8)),
        Part("stem", "steer", shapes.segment((0, 0, 0), bar_c, tr)),
    ]
    half = 0.24 if s["bar"] != "drop" else 0.2
    rise = {"flat": 0.0, "riser": 0.06, "drop": -0.02}[s["bar"]]
    parts.append(Part("bar", "steer", shapes.segment(bar_c + [0, rise, -half], bar_c + [0, rise, half], tr * 0.7)))
    if s["bar"] == "drop":
        for z in (-half, half):
            parts.append(
                Part(f"drop{z > 0:d}", "steer", shapes.segment(bar_c + [0, 0, z], bar_c + [0.05, -0.12, z], tr * 0.7))
            )
    for w in ("front_wheel", "rear_wheel"):
        parts.append(Part(f"{w}_tyre", w, shapes.wheel(R, s["tyre_width"]), dark=True))
        parts.append(Part(f"{w}_hub", w, shapes.segment((0, 0, -0.05), (0, 0, 0.05), 0.03)))
        for k in range(6):  # spokes
            a = np.pi * k / 6
            d = np.array([np.cos(a), np.sin(a), 0.0]) * (R - s["tyre_width"])
            parts.append(Part(f"{w}_spoke{k}", w, shapes.segment(-d, d, 0.004, sections=4), dark=True))
    return Rig(b.cls, b.name, joints, parts)


def _car_rig(b: Breed) -> Rig:
    """Body and cabin are convex hulls of their profiles (hood lower than the beltline, raked
    windscreen and rear window), glass is a dark band around the cabin, wheels sit in dark
    arches with light hubs; headlights, tail lights, grille, bumpers and number plates."""
    s = b.shape
    L, W, R = s["length"], s["width"], s["wheel_radius"]
    y0, y1 = s["clearance"], s["clearance"] + s["body_height"]  # sill and beltline
    joints = [Joint("root", None, (0.0, 0.0, 0.0))]
    axle = 0.5 * L - max(0.75, 2.4 * R)
    zw = W / 2 - 0.09  # the tyres' outer faces stand just proud of the body side
    for name, x, z in (("fl", axle, 1), ("fr", axle, -1), ("rl", -axle, 1), ("rr", -axle, -1)):
        joints.append(Joint(f"wheel_{name}", "root", (x, R, z * zw)))
    hw = W / 2
    nose = y1 - s["hood_drop"]
    cabin_at, front, rear = _cabin_profile(s, y1, hw)
    parts = [_part("body", "root", shapes.hull(_car_body_points(L, hw, y0, y1, nose), rounding=0.12))]
    parts += _car_greenhouse(s, cabin_at, y1)
    parts += _car_trim(s, y0, y1, nose, rear)
    for z in (1, -1):
        parts += _car_side(s, z, y1, nose, front, axle)
    for name in ("fl", "fr", "rl", "rr"):
        parts += _car_wheel(name, R)
    return Rig(b.cls, b.name, joints, parts)


def _car_body_points(L: float, hw: float, y0: float, y1: float, nose: float) -> list[tuple]:
    """The lower body's hull points from sill `y0` to beltline `y1`: the sides bulge at mid height
    (tumblehome above, tuck under below); a long hood sloping down to `nose`."""
    pts = []
    ym = 0.5 * (y0 + y1)
    for z in (hw, -hw):
        pts += [
            (L / 2, y0 + 0.08, z * 0.86),
            (L / 2 - 0.04, nose, z * 0.82),
            (L / 2 - 0.25, y0, z * 0.93),
            (L / 2 - 0.3, ym, z),
            (L / 2 - 0.65, y1 - 0.02, z * 0.9),
            (-L / 2, y0 + 0.1, z * 0.88),
            (-L / 2, y1 - 0.08, z * 0.85),
            (-L / 2 + 0.3, y0, z * 0.93),
            (-L / 2 + 0.3, ym, z),
            (-L / 2 + 0.3, y1, z * 0.9),
        ]
    return pts


def _cabin_profile(s: dict, y1: float, hw: float):
    """(at, front, rear): `at(y)` gives the cabin's front x, rear x and half width at height y
    (the screens bend into the roof); front and rear are its ends at the beltline `y1`."""
    L, ch = s["length"], s["cabin_height"]
    cab_len, cab_x = s["cabin_length"] * L, s["cabin_offset"] * L
    front, rear = cab_x + cab_len / 2, cab_x - cab_len / 2
    if s["kind"] in ("hatchback", "suv", "van"):
        rear = min(rear, -L / 2 + 0.08)
    run_f, run_r = ch * s["windscreen_slope"] * 1.6, ch * s["rear_slope"] * 1.6

    def at(y):
        t = np.clip((y - y1) / ch, 0.0, 1.0)
        bend = 0.55 * t + 0.45 * t**3
        return front + 0.15 - bend * run_f, rear + bend * run_r, hw * (0.96 - 0.16 * t * t)

    return at, front, rear


def _car_greenhouse(s: dict, cabin_at, y1: float) -> list[Part]:
    """The cabin with a crowned roof, the glass band around it, and the pillar between the windows."""
    ch, W = s["cabin_height"], s["width"]
    top = y1 + ch
    cab_pts = []
    for y in (y1 - 0.02, y1 + 0.4 * ch, y1 + 0.75 * ch, top):
        xf, xr, zz = cabin_at(y)
        cab_pts += [(xf, y, zz), (xf, y, -zz), (xr, y, zz), (xr, y, -zz)]
    xf, xr, zz = cabin_at(top)  # a crowned roof: a shorter, narrower ridge above the roof's edges
    mid, half = 0.5 * (xf + xr), 0.5 * (xf - xr)
    cab_pts += [
        (mid + 0.75 * half, top + 0.05, 0.8 * zz),
        (mid + 0.75 * half, top + 0.05, -0.8 * zz),
        (mid - 0.75 * half, top + 0.05, 0.8 * zz),
        (mid - 0.75 * half, top + 0.05, -0.8 * zz),
    ]
    glass_pts = []
    for y in (y1 + 0.05, y1 + 0.4 * ch, y1 + 0.75 * ch, top - 0.05):
        xf, xr, zz = cabin_at(y)
        glass_pts += [
            (xf + 0.05, y, zz + 0.035),
            (xf + 0.05, y, -zz - 0.035),
            (xr - 0.05, y, zz + 0.035),
            (xr - 0.05, y, -zz - 0.035),
        ]
    xf_mid = cabin_at(y1 + 0.5 * ch)[0]
    pillar_x = 0.5 * (xf_mid + cabin_at(y1 + 0.5 * ch)[1]) + 0.1
    return [
        _part("cabin", "root", shapes.hull(cab_pts, rounding=0.07)),
        _part("glass", "root", shapes.hull(glass_pts, rounding=0.04), T.CAR_GLASS),
        _part("pillar", "root", shapes.box((0.08, ch * 0.9, W * 0.99), center=(pillar_x, y1 + 0.48 * ch, 0))),
    ]


def _car_trim(s: dict, y0: float, y1: float, nose: float, rear: float) -> list[Part]:
    """Grille, bumpers and number plates; a pickup's open bed behind the cab."""
    L, W = s["length"], s["width"]

    def trim(name, extents, center, color=T.CAR_TRIM):
        return _part(name, "root", shapes.box(extents, center=center), color)

    parts = [
        trim("grille", (0.04, 0.16, W * 0.42), (L / 2 + 0.005, 0.5 * (y0 + nose) + 0.02, 0)),
        trim("bumper_f", (0.14, 0.14, W * 0.96), (L / 2 - 0.02, y0 + 0.09, 0)),
        trim("bumper_r", (0.14, 0.14, W * 0.96), (-L / 2 + 0.02, y0 + 0.1, 0)),
        trim("plate_f", (0.03, 0.11, 0.5), (L / 2 + 0.055, y0 + 0.1, 0), T.PLATE),
        trim("plate_r", (0.03, 0.11, 0.5), (-L / 2 - 0.055, y0 + 0.26, 0), T.PLATE),
    ]
    if s["kind"] == "pickup":  # an open bed behind the cab: its floor shows as a dark box
        parts.append(trim("bed", (L / 2 + rear - 0.2, 0.05, W * 0.86), (0.5 * (rear - L / 2), y1 + 0.01, 0)))
    return parts


def _car_side(s: dict, z: int, y1: float, nose: float, front: float, axle: float) -> list[Part]:
    """One side's (z = 1 left, -1 right) headlight, tail light, mirror and two wheel arches."""
    L, hw, R = s["length"], s["width"] / 2, s["wheel_radius"]
    side = "l" if z > 0 else "r"
    parts = [
        _part(
            f"light_{side}",
            "root",
            shapes.ellipsoid((0.05, 0.07, 0.17), center=(L / 2 - 0.02, nose - 0.09, z * hw * 0.7)),
            T.HEADLIGHT,
        ),
        _part(
            f"taillight_{side}",
            "root",
            shapes.ellipsoid((0.04, 0.08, 0.13), center=(-L / 2 + 0.005, y1 - 0.14, z * hw * 0.78)),
            T.TAILLIGHT,
        ),
        _part(
            f"mirror_{side}",
            "root",
            shapes.ellipsoid((0.06, 0.06, 0.1), center=(front - 0.1, y1 + 0.06, z * (hw + 0.06))),
            T.CAR_TRIM,
        ),
    ]
    for x in (axle, -axle):  # wheel arches: dark shadows around the tyres
        arch = shapes.wheel(1.18 * R, 0.05, center=(x, R, z * (hw - 0.01)), sections=16)
        parts.append(_part(f"arch_{side}{'f' if x > 0 else 'r'}", "root", arch, T.CAR_TRIM))
    return parts


def _car_wheel(name: str, R: float) -> list[Part]:
    """A tyre and an alloy rim with five dark openings between its spokes, on joint wheel_<name>."""
    joint = f"wheel_{name}"
    parts = [
        _part(f"tyre_{name}", joint, shapes.wheel(R, 0.22), T.CAR_TRIM),
        _part(f"rim_{name}", joint, shapes.wheel(R * 0.62, 0.24, sections=12), T.HUB),
    ]
    for k in range(5):
        a = 2 * np.pi * k / 5
        gap = shapes.wheel(0.13 * R, 0.25, center=(0.36 * R * np.cos(a), 0.36 * R * np.sin(a), 0), sections=8)
        parts.append(_part(f"rim_{name}_gap{k}", joint, gap, T.CAR_TRIM))
    return parts


_RIGS = {"cat": _quadruped, "dog": _quadruped, "bicycle": _bicycle_rig, "car": _car_rig}


# ---------------------------------------------------------------------------------------
# Poses


def sample_pose(cls: str, rng: np.random.Generator, modes=QUADRUPED_POSES) -> tuple[dict, str]:
    """A random articulated pose and its mode name (stand, walk, sit, lie; or steer)."""

    def u(lo, hi):
        return float(rng.uniform(lo, hi))

    if cls == "bicycle":
        return {"steer": (0.0, u(-0.6, 0.6), 0.0), "root": (u(-0.08, 0.08), 0.0, 0.0)}, "steer"
    if cls == "car":
        steer = u(-0.5, 0.5)
        return {"wheel_fl": (0.0, steer, 0.0), "wheel_fr": (0.0, steer, 0.0)}, "steer"
    mode = str(modes[int(rng.integers(len(modes)))])
    pose = {
        "neck": (u(-0.2, 0.2), u(-0.5, 0.5), u(-0.35, 0.35)),
        "head": (u(-0.3, 0.3), u(-0.4, 0.4), u(-0.4, 0.3)),
        "tail0": (0.0, u(-0.6, 0.6), u(-0.5, 0.5)),
        "ear_l": (u(-0.15, 0.15), 0.0, u(-0.15, 0.15)),
        "ear_r": (u(-0.15, 0.15), 0.0, u(-0.15, 0.15)),
    }
    for k in range(1, 4):
        pose[f"tail{k}"] = (0.0, u(-0.3, 0.3), u(-0.35, 0.35))
    if mode == "stand":
        for leg in ("front_l", "front_r", "back_l", "back_r"):
            pose[f"{leg}_hip"] = (0.0, 0.0, u(-0.15, 0.15))
            pose[f"{leg}_knee"] = (0.0, 0.0, u(-0.1, 0.1))
    elif mode == "walk":
        phase = u(0, 2 * np.pi)
        amp = u(0.25, 0.55)
        for leg, off in (("front_l", 0.0), ("back_r", 0.0), ("front_r", np.pi), ("back_l", np.pi)):
            swing = amp * np.sin(phase + off)
            pose[f"{leg}_hip"] = (0.0, 0.0, swing)
            pose[f"{leg}_knee"] = (0.0, 0.0, -abs(swing) * 0.8 if leg.startswith("front") else abs(swing) * 0.6)
    elif mode == "sit":
        pitch = u(0.45, 0.75)
        pose["root"] = (0.0, 0.0, pitch)
        for leg in ("front_l", "front_r"):
            pose[f"{leg}_hip"] = (0.0, 0.0, -pitch + u(-0.1, 0.1))
            pose[f"{leg}_knee"] = (0.0, 0.0, u(-0.05, 0.05))
        for leg in ("back_l", "back_r"):
            pose[f"{leg}_hip"] = (0.0, 0.0, u(1.1, 1.4))
            pose[f"{leg}_knee"] = (0.0, 0.0, u(-2.4, -2.0))
        pose["neck"] = (pose["neck"][0], pose["neck"][1], pose["neck"][2] - pitch * 0.5)
    else:  # lie
        for leg in ("front_l", "front_r"):
            pose[f"{leg}_hip"] = (u(-0.1, 0.1), 0.0, u(1.2, 1.5))
            pose[f"{leg}_knee"] = (0.0, 0.0, u(-0.3, 0.1))
        for leg in ("back_l", "back_r"):
            pose[f"{leg}_hip"] = (u(-0.2, 0.2), 0.0, u(1.0, 1.4))
            pose[f"{leg}_knee"] = (0.0, 0.0, u(-2.5, -2.1))
        pose["root"] = (u(-0.15, 0.15), 0.0, u(-0.05, 0.05))
    return pose, mode
