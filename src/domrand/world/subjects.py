"""Procedural subjects: parametric "breeds" (models) of cats, dogs, bicycles and cars.

A breed is a draw from a class-specific family of shape parameters; the families carry
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
from domrand.world import shapes
from domrand.world.draws import rounded
from domrand.world.draws import uniform as _u  # short: the families below call it on every line
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
        pool = self.shape.get("pool")  # held-out target subjects: <cls>_<pool><index>
        return f"{self.cls}_{pool}{self.index:02d}" if pool else f"{self.cls}{self.index:02d}"

    def to_dict(self) -> dict:
        return asdict(self)


def sample_breed(cls: str, index: int, world_seed: int) -> Breed:
    """Draw breed `index` of `cls` from its family."""
    rng = np.random.default_rng(seed_for("breed", world_seed, cls, index))
    if cls not in _FAMILIES:
        raise ValueError(f"unknown class {cls!r}: known classes are {', '.join(CLASSES)}")
    shape, coat = _FAMILIES[cls](rng)
    return Breed(cls, index, rounded(shape), rounded(coat))


# Cat coats of the synthetic world: pattern -> [(base, second)] (sRGB), the cats' own palette.
# tabby: a mackerel tabby (dark stripes of `second` on `base`); classic: a classic tabby (broad
# swirled bands); smoke: blue-grey with faint tabby ghost stripes; pointed: a pale body with dark ears, face, legs and
# tail (`point_colour` parts). No tortoiseshells, white bicolours or solid gingers: ImageNet reads
# those as black-and-tan, piebald or red dogs (miniature pinscher, hounds, vizsla).
CAT_PALETTE = {
    "tabby": [
        ((0.56, 0.47, 0.36), (0.2, 0.15, 0.11)),
        ((0.63, 0.62, 0.6), (0.17, 0.17, 0.17)),
        ((0.88, 0.57, 0.27), (0.55, 0.27, 0.09)),
        ((0.6, 0.51, 0.4), (0.16, 0.13, 0.1)),
        ((0.76, 0.75, 0.72), (0.25, 0.25, 0.26)),
    ],
    "classic": [
        ((0.61, 0.5, 0.37), (0.18, 0.13, 0.09)),
        ((0.68, 0.67, 0.65), (0.21, 0.21, 0.22)),
        ((0.9, 0.62, 0.33), (0.6, 0.31, 0.11)),
    ],
    "smoke": [((0.36, 0.38, 0.43), (0.22, 0.23, 0.26)), ((0.41, 0.42, 0.46), (0.25, 0.26, 0.29))],
    "pointed": [((0.86, 0.77, 0.62), (0.27, 0.19, 0.14)), ((0.84, 0.8, 0.74), (0.2, 0.15, 0.12))],
}
CAT_PATTERNS = ("tabby",) * 7 + ("classic", "classic", "smoke", "pointed")
CAT_EYE_COLOURS = [(0.72, 0.66, 0.16), (0.44, 0.62, 0.2), (0.85, 0.6, 0.12), (0.3, 0.55, 0.8)]
PINK_NOSE = (0.82, 0.52, 0.52)
EAR_PINK = (0.86, 0.64, 0.6)


def _cat(rng):
    """A cat: a compact body on short legs, a round wide head on a short thick neck, a short
    muzzle with whisker pads, large upright ears set high, a long tail; cat coats."""
    pattern = str(CAT_PATTERNS[int(rng.integers(len(CAT_PATTERNS)))])
    palette = CAT_PALETTE[pattern]
    base, second = palette[int(rng.integers(len(palette)))]
    shape = dict(
        body_length=_u(rng, 0.75, 0.92),
        body_height=_u(rng, 0.3, 0.35),
        body_width=_u(rng, 0.25, 0.31),
        leg_length=_u(rng, 0.28, 0.35),
        leg_radius=_u(rng, 0.048, 0.06),
        neck_length=_u(rng, 0.04, 0.08),
        neck_radius=_u(rng, 0.075, 0.095),
        head_radius=_u(rng, 0.14, 0.165),
        head_elongation=_u(rng, 0.88, 0.98),
        head_width=_u(rng, 1.02, 1.15),
        snout_length=_u(rng, 0.0, 0.025),
        snout_radius=_u(rng, 0.24, 0.3),
        ear_kind="upright",
        ear_size=_u(rng, 0.11, 0.15),
        ear_flare=_u(rng, 0.95, 1.25),
        tail_length=_u(rng, 0.6, 0.85),
        tail_radius=_u(rng, 0.03, 0.04),
        tail_curl=_u(rng, 0.05, 0.3),
        tail_rest=_u(rng, -0.9, 0.2),
        eye_colour=CAT_EYE_COLOURS[int(rng.integers(len(CAT_EYE_COLOURS)))]
        if pattern != "pointed"
        else (0.32, 0.55, 0.85),
        nose_colour=PINK_NOSE if pattern != "smoke" else (0.15, 0.12, 0.12),
        point_colour=_jitter(rng, second, 0.03) if pattern == "pointed" else None,
    )
    # tabbies have a pale muzzle and chin (whisker pads lighter than the coat)
    shape["muzzle_colour"] = (
        (0.45 * np.asarray(base) + 0.55 * np.array([0.95, 0.93, 0.88])).tolist()
        if pattern in ("tabby", "classic", "smoke")
        else None
    )
    coat = dict(
        base=_jitter(rng, base, 0.04),
        second=_jitter(rng, second, 0.03),
        pattern=pattern,
        frequency=_u(rng, 9.0, 14.0),
        fur=_u(rng, 0.2, 0.35),
    )
    return shape, coat


def _jitter(rng, colour, amount):
    """A palette colour, a little lighter or darker, its hue nearly kept."""
    return np.clip(np.asarray(colour) * rng.uniform(0.9, 1.08) + rng.uniform(-amount, amount, 3), 0, 1).tolist()


def _dog(rng):
    ear = str(rng.choice(["floppy", "floppy", "upright", "rose"]))
    shape = dict(
        body_length=_u(rng, 0.8, 1.3),
        body_height=_u(rng, 0.28, 0.48),
        body_width=_u(rng, 0.24, 0.40),
        leg_length=_u(rng, 0.30, 0.80),
        leg_radius=_u(rng, 0.05, 0.10),
        neck_length=_u(rng, 0.10, 0.26),
        neck_radius=_u(rng, 0.08, 0.13),
        head_radius=_u(rng, 0.15, 0.22),
        head_elongation=_u(rng, 1.05, 1.35),
        snout_length=_u(rng, 0.10, 0.38),
        snout_radius=_u(rng, 0.38, 0.60),
        ear_kind=ear,
        ear_size=_u(rng, 0.10, 0.22),
        ear_flare=_u(rng, 0.8, 1.2),
        tail_length=_u(rng, 0.12, 0.50),
        tail_radius=_u(rng, 0.03, 0.07),
        tail_curl=_u(rng, 0.0, 0.9),
        tail_rest=_u(rng, -0.9, 0.5),
    )
    palette = [
        (0.55, 0.35, 0.18),
        (0.08, 0.07, 0.06),
        (0.9, 0.88, 0.82),
        (0.85, 0.65, 0.35),
        (0.4, 0.3, 0.25),
        (0.75, 0.55, 0.3),
    ]
    shape["neck_length"] = min(shape["neck_length"], 1.2 * shape["head_radius"])  # no small head on a long neck
    # no plank on stilts (ImageNet: balance beam): a body at least 1/3.4 of its length deep, legs at most twice that
    shape["body_height"] = max(shape["body_height"], shape["body_length"] / 3.4)
    shape["leg_length"] = min(shape["leg_length"], 2.0 * shape["body_height"])
    coat = _coat(rng, palette, patterns=("solid", "solid", "bicolor", "spots", "solid"))
    if coat["pattern"] != "solid":  # patches are white on a coloured dog, or dark on a white one
        light = float(np.mean(coat["base"])) > 0.7
        coat["second"] = [0.12, 0.1, 0.09] if light else [0.92, 0.9, 0.86]
    return shape, coat


def _coat(rng, palette, patterns) -> dict:
    """Two palette colours, each a little lighter or darker (one jitter for all channels: dog
    coats are not tinted), a pattern, its frequency and the fur's strength."""
    i, j = rng.choice(len(palette), size=2, replace=False)
    jitter = float(np.mean(rng.uniform(-0.06, 0.06, size=3)))
    return dict(
        base=np.clip(np.asarray(palette[i]) + jitter, 0, 1).tolist(),
        second=np.clip(np.asarray(palette[j]) + float(np.mean(rng.uniform(-0.06, 0.06, size=3))), 0, 1).tolist(),
        pattern=str(rng.choice(patterns)),
        frequency=_u(rng, 3.0, 9.0),
        fur=_u(rng, 0.05, 0.2),
    )


def _bicycle(rng):
    shape = dict(
        wheel_radius=_u(rng, 0.30, 0.37),
        tyre_width=_u(rng, 0.025, 0.07),
        wheelbase=_u(rng, 0.95, 1.15),
        frame=str(rng.choice(["diamond", "step_through", "mountain"])),
        tube_radius=_u(rng, 0.015, 0.035),
        seat_height=_u(rng, 0.85, 1.05),
        bar=str(rng.choice(["flat", "drop", "riser"])),
        bar_height=_u(rng, 0.9, 1.1),
        fork_rake=_u(rng, 0.02, 0.1),
    )
    palette = [(0.8, 0.1, 0.1), (0.1, 0.2, 0.7), (0.1, 0.1, 0.1), (0.9, 0.9, 0.9), (0.1, 0.5, 0.2), (0.9, 0.7, 0.1)]
    return shape, _paint(rng, palette)


# Car paints of the synthetic world (sRGB): silver, white, black, greys, dark blue, red, taxi yellow, orange
# (no dark green or beige: ImageNet reads such slabs under dark glass as pool tables or projectors).
CAR_PALETTE = [
    (0.7, 0.71, 0.73),
    (0.93, 0.93, 0.92),
    (0.04, 0.04, 0.05),
    (0.5, 0.52, 0.55),
    (0.08, 0.14, 0.4),
    (0.66, 0.06, 0.06),
    (0.86, 0.72, 0.12),
    (0.88, 0.42, 0.1),
    (0.25, 0.36, 0.6),
]
CAR_GLASS = (0.07, 0.09, 0.11)
CAR_TRIM = (0.1, 0.1, 0.1)
HEADLIGHT = (0.95, 0.95, 0.9)
TAILLIGHT = (0.72, 0.05, 0.04)
PLATE = (0.92, 0.92, 0.88)
HUB = (0.6, 0.61, 0.63)


def _car(rng):
    """A car: a long low body with a sloping hood, a glazed cabin (greenhouse), wheels in arches."""
    kind = str(rng.choice(["sedan", "sedan", "hatchback", "suv", "van", "pickup", "coupe"]))
    tall = {"suv": 0.22, "van": 0.4, "pickup": 0.12}.get(kind, 0.0)
    length = _u(rng, 4.2, 4.9) if kind != "hatchback" else _u(rng, 3.8, 4.2)
    cabin = {
        "sedan": (0.42, 0.5),
        "coupe": (0.36, 0.42),
        "hatchback": (0.5, 0.58),
        "suv": (0.56, 0.64),
        "van": (0.66, 0.74),
        "pickup": (0.26, 0.3),
    }[kind]
    offset = {
        "sedan": (-0.08, 0.0),
        "coupe": (-0.08, -0.02),
        "hatchback": (-0.16, -0.12),
        "suv": (-0.12, -0.06),
        "van": (-0.1, -0.06),
        "pickup": (0.02, 0.08),
    }[kind]
    shape = dict(
        kind=kind,
        length=length,
        width=_u(rng, 1.72, 1.9),
        body_height=_u(rng, 0.5, 0.6) + tall * 0.5,
        cabin_height=(_u(rng, 0.44, 0.52) if kind != "coupe" else _u(rng, 0.36, 0.4)) + tall * 0.4,
        cabin_length=_u(rng, *cabin),
        cabin_offset=_u(rng, *offset),
        wheel_radius=_u(rng, 0.31, 0.35) + tall * 0.15,
        clearance=_u(rng, 0.14, 0.2) + tall * 0.2,
        hood_drop=_u(rng, 0.1, 0.2),
        windscreen_slope=_u(rng, 0.45, 0.7) if kind != "van" else _u(rng, 0.25, 0.35),
        rear_slope=_u(rng, 0.3, 0.6) if kind in ("sedan", "coupe") else _u(rng, 0.05, 0.15),
    )
    base = CAR_PALETTE[int(rng.integers(len(CAR_PALETTE)))]
    return shape, dict(
        base=np.clip(np.asarray(base) + rng.uniform(-0.03, 0.03, 3), 0, 1).tolist(),
        second=[0.15, 0.15, 0.15],
        pattern="paint",
        frequency=1.0,
        fur=0.0,
        roughness=_u(rng, 0.2, 0.35),
    )  # glossy car paint


def _paint(rng, palette) -> dict:
    i = int(rng.integers(len(palette)))
    return dict(
        base=np.clip(np.asarray(palette[i]) + rng.uniform(-0.05, 0.05, 3), 0, 1).tolist(),
        second=[0.15, 0.15, 0.15],
        pattern="paint",
        frequency=1.0,
        fur=0.0,
    )


_FAMILIES = {"cat": _cat, "dog": _dog, "bicycle": _bicycle, "car": _car}


# ---------------------------------------------------------------------------------------
# Rigs


def build_rig(breed: Breed) -> Rig:
    """The articulated rig (joints and part meshes) of a breed."""
    if breed.cls in ANIMALS:
        return _quadruped(breed)
    if breed.cls == "bicycle":
        return _bicycle_rig(breed)
    return _car_rig(breed)


def _quadruped(b: Breed) -> Rig:
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
    L, H, W = s["body_length"], s["body_height"], s["body_width"]
    legr, hr, he = s["leg_radius"], s["head_radius"], s["head_elongation"]

    def P(name, joint, mesh, dark=False):
        return Part(name, joint, mesh, dark)

    head_c = (0.55 * hr, 0.15 * hr, 0.0)
    snout_len = s["snout_length"]
    snout_r = s["snout_radius"] * hr
    snout_c = (head_c[0] + 0.75 * hr * he + 0.5 * snout_len, head_c[1] - 0.3 * hr, 0.0)
    nose_c = (snout_c[0] + 0.5 * snout_len + 0.8 * snout_r, snout_c[1] + 0.35 * snout_r, 0.0)
    eye_r = 0.17 * hr
    parts = [
        P("body", "root", shapes.ellipsoid((0.5 * L, 0.5 * H, 0.5 * W))),
        P("neck", "neck", shapes.segment((0, 0, 0), (s["neck_length"], 0, 0), s["neck_radius"])),
        P("head", "head", shapes.ellipsoid((hr * he, hr * 0.9, hr * 0.95), center=head_c)),
        P("snout", "head", shapes.ellipsoid((0.5 * snout_len + 0.8 * snout_r, snout_r, 1.1 * snout_r), center=snout_c)),
        P("nose", "head", shapes.ellipsoid((0.3 * snout_r, 0.25 * snout_r, 0.35 * snout_r), center=nose_c), dark=True),
        P("ear_l", "ear_l", shapes.ear(s["ear_kind"], s["ear_size"], s["ear_flare"])),
        P("ear_r", "ear_r", shapes.ear(s["ear_kind"], s["ear_size"], s["ear_flare"])),
    ]
    for side, z in (("l", 1), ("r", -1)):
        c = (head_c[0] + 0.8 * hr * he * 0.85, head_c[1] + 0.3 * hr, z * 0.42 * hr)
        parts.append(P(f"eye_{side}", "head", shapes.ellipsoid((eye_r * 0.6, eye_r, eye_r)), dark=True))
        parts[-1].mesh.apply_translation(c)
    tr = s["tail_radius"]
    for k in range(4):
        parts.append(
            P(
                f"tail{k}",
                f"tail{k}",
                shapes.segment((0, 0, 0), (-seg, 0, 0), tr * (1 - 0.12 * k), tr * (1 - 0.12 * (k + 1))),
            )
        )
    for name in legs:
        parts.append(P(f"{name}_upper", f"{name}_hip", shapes.segment((0, 0, 0), (0, -upper, 0), legr * 1.25, legr)))
        parts.append(P(f"{name}_lower", f"{name}_knee", shapes.segment((0, 0, 0), (0, -lower, 0), legr, legr * 0.85)))
        parts.append(
            P(
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
    legr, hr, he, hw = s["leg_radius"], s["head_radius"], s["head_elongation"], s["head_width"]
    point = tuple(s["point_colour"]) if s.get("point_colour") else None
    muzzle = tuple(s["muzzle_colour"]) if s.get("muzzle_colour") else point

    def P(name, joint, mesh, color=None, dark=False):
        return Part(name, joint, mesh, dark, color)

    hc = np.array([0.55 * hr, 0.15 * hr, 0.0])
    ha, hb, hcz = hr * he, 0.88 * hr, hr * hw  # head semi-axes
    parts = [
        P("body", "root", shapes.ellipsoid((0.5 * L, 0.5 * H, 0.5 * W))),
        P("neck", "neck", shapes.segment((0, 0, 0), (s["neck_length"], 0, 0), s["neck_radius"])),
        P("head", "head", shapes.ellipsoid((ha, hb, hcz), center=hc)),
    ]
    pad = s["snout_radius"] * hr
    pad_x = hc[0] + 0.8 * ha + s["snout_length"]
    for side, z in (("l", 1), ("r", -1)):  # whisker pads
        parts.append(
            P(
                f"snout_{side}",
                "head",
                shapes.ellipsoid((pad, 0.8 * pad, pad), center=(pad_x, hc[1] - 0.3 * hr, z * 0.75 * pad)),
                color=muzzle,
            )
        )
    parts.append(
        P(
            "chin",
            "head",
            shapes.ellipsoid((0.7 * pad, 0.55 * pad, 0.8 * pad), center=(pad_x - 0.3 * pad, hc[1] - 0.52 * hr, 0)),
            color=muzzle,
        )
    )
    parts.append(
        P(
            "nose",
            "head",
            shapes.ellipsoid((0.35 * pad, 0.3 * pad, 0.42 * pad), center=(pad_x + 0.75 * pad, hc[1] - 0.12 * hr, 0)),
            color=tuple(s["nose_colour"]),
        )
    )
    e = 0.23 * hr  # large eyes: the face is what ImageNet reads as a cat
    for side, z in (("l", 1), ("r", -1)):  # eyes on the head's surface, looking forward
        ey, ez = 0.14 * hr, 0.38 * hcz
        ex = hc[0] + ha * np.sqrt(max(1 - (ey / hb) ** 2 - (ez / hcz) ** 2, 0.05))
        parts.append(
            P(
                f"eye_{side}",
                "head",
                shapes.ellipsoid((0.4 * e, e, 0.9 * e), center=(ex - 0.2 * e, hc[1] + ey, z * ez)),
                color=tuple(s["eye_colour"]),
            )
        )
        parts.append(
            P(
                f"pupil_{side}",
                "head",
                shapes.ellipsoid((0.3 * e, 0.8 * e, 0.25 * e), center=(ex + 0.02 * e, hc[1] + ey, z * ez)),
                dark=True,
            )
        )
    size, flare = s["ear_size"], s["ear_flare"]
    for side in ("l", "r"):
        ear = shapes.ear("upright", size, flare)
        ear.apply_transform(_yaw(np.pi / 2))  # the flat face looks forward, a cupped ear
        ear.vertices[:, 0] *= 1.6
        inner = shapes.ear("upright", 0.72 * size, 0.8 * flare)
        inner.apply_transform(_yaw(np.pi / 2))
        inner.apply_translation((0.07 * size * flare, 0.04 * size, 0))
        parts.append(P(f"ear_{side}", f"ear_{side}", ear, color=point))
        parts.append(P(f"ear_inner_{side}", f"ear_{side}", inner, color=EAR_PINK if point is None else point))
    tr = s["tail_radius"]
    for k in range(4):
        parts.append(
            P(
                f"tail{k}",
                f"tail{k}",
                shapes.segment((0, 0, 0), (-seg, 0, 0), tr * (1 - 0.05 * k), tr * (1 - 0.05 * (k + 1))),
                color=point if k >= 2 else None,
            )
        )
    for name in legs:
        back = name.startswith("back")
        thigh = (
            (2.3 * legr, 0.5 * upper + legr, 1.25 * legr) if back else (1.6 * legr, 0.45 * upper + legr, 1.15 * legr)
        )
        parts.append(
            P(
                f"{name}_thigh",
                f"{name}_hip",
                shapes.ellipsoid(thigh, center=(0.2 * legr if back else 0.0, -0.3 * upper, 0)),
            )
        )
        parts.append(P(f"{name}_upper", f"{name}_hip", shapes.segment((0, 0, 0), (0, -upper, 0), legr * 1.2, legr)))
        parts.append(
            P(f"{name}_lower", f"{name}_knee", shapes.segment((0, 0, 0), (0, -lower, 0), legr, legr * 0.9), color=point)
        )
        parts.append(
            P(
                f"{name}_paw",
                f"{name}_knee",
                shapes.ellipsoid((legr * 1.35, legr * 0.75, legr * 1.15), center=(legr * 0.45, -lower, 0)),
                color=point,
            )
        )
    return parts


def _yaw(angle: float) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3] = rotation(0.0, angle, 0.0)
    return m


def _ear_offset(s: dict, side: int):
    hr = s["head_radius"]
    if s["ear_kind"] == "floppy":
        return (0.45 * hr, 0.55 * hr, side * 0.85 * hr)
    if "head_width" in s:  # a cat: ears set high on a wide head
        return (0.5 * hr, 0.8 * hr, side * 0.5 * hr * s["head_width"])
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
    L, W, ch, R = s["length"], s["width"], s["cabin_height"], s["wheel_radius"]
    y0, y1 = s["clearance"], s["clearance"] + s["body_height"]  # sill and beltline
    joints = [Joint("root", None, (0.0, 0.0, 0.0))]
    axle = 0.5 * L - max(0.75, 2.4 * R)
    zw = W / 2 - 0.09  # the tyres' outer faces stand just proud of the body side
    for name, x, z in (("fl", axle, 1), ("fr", axle, -1), ("rl", -axle, 1), ("rr", -axle, -1)):
        joints.append(Joint(f"wheel_{name}", "root", (x, R, z * zw)))
    hw = W / 2
    nose = y1 - s["hood_drop"]
    body_pts = []
    ym = 0.5 * (y0 + y1)
    for z in (hw, -hw):  # sides bulge at mid height (tumblehome above, tuck under below); a long sloping hood
        body_pts += [
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
    cab_len, cab_x = s["cabin_length"] * L, s["cabin_offset"] * L
    front, rear = cab_x + cab_len / 2, cab_x - cab_len / 2
    if s["kind"] in ("hatchback", "suv", "van"):
        rear = min(rear, -L / 2 + 0.08)
    top = y1 + ch
    run_f, run_r = ch * s["windscreen_slope"] * 1.6, ch * s["rear_slope"] * 1.6

    def cabin_at(y):  # the cabin's x extent and half width at height y: screens bend into the roof
        t = np.clip((y - y1) / ch, 0.0, 1.0)
        bend = 0.55 * t + 0.45 * t**3
        return front + 0.15 - bend * run_f, rear + bend * run_r, hw * (0.96 - 0.16 * t * t)

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

    def P(name, mesh, color=None, joint="root"):
        return Part(name, joint, mesh, color=color)

    xf_mid = cabin_at(y1 + 0.5 * ch)[0]
    parts = [
        P("body", shapes.hull(body_pts, rounding=0.12)),
        P("cabin", shapes.hull(cab_pts, rounding=0.07)),
        P("glass", shapes.hull(glass_pts, rounding=0.04), CAR_GLASS),
        P(
            "pillar",
            shapes.box(
                (0.08, ch * 0.9, W * 0.99),
                center=(0.5 * (xf_mid + cabin_at(y1 + 0.5 * ch)[1]) + 0.1, y1 + 0.48 * ch, 0),
            ),
        ),
        P("grille", shapes.box((0.04, 0.16, W * 0.42), center=(L / 2 + 0.005, 0.5 * (y0 + nose) + 0.02, 0)), CAR_TRIM),
        P("bumper_f", shapes.box((0.14, 0.14, W * 0.96), center=(L / 2 - 0.02, y0 + 0.09, 0)), CAR_TRIM),
        P("bumper_r", shapes.box((0.14, 0.14, W * 0.96), center=(-L / 2 + 0.02, y0 + 0.1, 0)), CAR_TRIM),
        P("plate_f", shapes.box((0.03, 0.11, 0.5), center=(L / 2 + 0.055, y0 + 0.1, 0)), PLATE),
        P("plate_r", shapes.box((0.03, 0.11, 0.5), center=(-L / 2 - 0.055, y0 + 0.26, 0)), PLATE),
    ]
    if s["kind"] == "pickup":  # an open bed behind the cab: its floor shows as a dark box
        parts.append(
            P(
                "bed",
                shapes.box((L / 2 + rear - 0.2, 0.05, W * 0.86), center=(0.5 * (rear - L / 2), y1 + 0.01, 0)),
                CAR_TRIM,
            )
        )
    for z in (1, -1):
        side = "l" if z > 0 else "r"
        parts.append(
            P(
                f"light_{side}",
                shapes.ellipsoid((0.05, 0.07, 0.17), center=(L / 2 - 0.02, nose - 0.09, z * hw * 0.7)),
                HEADLIGHT,
            )
        )
        parts.append(
            P(
                f"taillight_{side}",
                shapes.ellipsoid((0.04, 0.08, 0.13), center=(-L / 2 + 0.005, y1 - 0.14, z * hw * 0.78)),
                TAILLIGHT,
            )
        )
        parts.append(
            P(
                f"mirror_{side}",
                shapes.ellipsoid((0.06, 0.06, 0.1), center=(front - 0.1, y1 + 0.06, z * (hw + 0.06))),
                CAR_TRIM,
            )
        )
        for x in (axle, -axle):  # wheel arches: dark shadows around the tyres
            parts.append(
                P(
                    f"arch_{side}{'f' if x > 0 else 'r'}",
                    shapes.wheel(1.18 * R, 0.05, center=(x, R, z * (hw - 0.01)), sections=16),
                    CAR_TRIM,
                )
            )
    for name in ("fl", "fr", "rl", "rr"):
        parts.append(P(f"tyre_{name}", shapes.wheel(R, 0.22), CAR_TRIM, f"wheel_{name}"))
        parts.append(P(f"rim_{name}", shapes.wheel(R * 0.62, 0.24, sections=12), HUB, f"wheel_{name}"))
        for k in range(5):  # an alloy wheel: five dark openings between the spokes
            a = 2 * np.pi * k / 5
            parts.append(
                P(
                    f"rim_{name}_gap{k}",
                    shapes.wheel(0.13 * R, 0.25, center=(0.36 * R * np.cos(a), 0.36 * R * np.sin(a), 0), sections=8),
                    CAR_TRIM,
                    f"wheel_{name}",
                )
            )
    return Rig(b.cls, b.name, joints, parts)


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
