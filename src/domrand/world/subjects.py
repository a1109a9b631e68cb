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

from domrand.seeds import seed_for
from domrand.world import shapes
from domrand.world.rig import Joint, Part, Rig

CLASSES = ("cat", "dog", "bicycle", "car")
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
    return Breed(cls, index, _round(shape), _round(coat))


def _round(d: dict) -> dict:
    return {k: (round(float(v), 5) if isinstance(v, (float, np.floating)) else
                [round(float(x), 5) for x in v] if isinstance(v, (list, tuple, np.ndarray)) else v)
            for k, v in d.items()}


def _u(rng, lo, hi) -> float:
    return float(rng.uniform(lo, hi))


def _cat(rng):
    shape = dict(
        body_length=_u(rng, 0.85, 1.05), body_height=_u(rng, 0.26, 0.34), body_width=_u(rng, 0.22, 0.30),
        leg_length=_u(rng, 0.30, 0.42), leg_radius=_u(rng, 0.040, 0.055),
        neck_length=_u(rng, 0.06, 0.12), neck_radius=_u(rng, 0.065, 0.085),
        head_radius=_u(rng, 0.13, 0.16), head_elongation=_u(rng, 0.95, 1.1),
        snout_length=_u(rng, 0.02, 0.06), snout_radius=_u(rng, 0.40, 0.50),
        ear_kind="upright", ear_size=_u(rng, 0.08, 0.13), ear_flare=_u(rng, 0.9, 1.3),
        tail_length=_u(rng, 0.65, 0.95), tail_radius=_u(rng, 0.022, 0.034), tail_curl=_u(rng, 0.05, 0.25),
        tail_rest=_u(rng, -0.6, 0.1),
    )
    palette = [(0.45, 0.45, 0.45), (0.85, 0.5, 0.2), (0.08, 0.08, 0.08), (0.92, 0.9, 0.85),
               (0.55, 0.4, 0.28), (0.7, 0.65, 0.6)]
    coat = _coat(rng, palette, patterns=("tabby", "tabby", "solid", "bicolor", "spots"))
    return shape, coat


def _dog(rng):
    ear = str(rng.choice(["floppy", "floppy", "upright", "rose"]))
    shape = dict(
        body_length=_u(rng, 0.8, 1.3), body_height=_u(rng, 0.28, 0.48), body_width=_u(rng, 0.24, 0.40),
        leg_length=_u(rng, 0.30, 0.80), leg_radius=_u(rng, 0.05, 0.10),
        neck_length=_u(rng, 0.10, 0.26), neck_radius=_u(rng, 0.08, 0.13),
        head_radius=_u(rng, 0.13, 0.22), head_elongation=_u(rng, 1.05, 1.35),
        snout_length=_u(rng, 0.10, 0.38), snout_radius=_u(rng, 0.38, 0.60),
        ear_kind=ear, ear_size=_u(rng, 0.10, 0.22), ear_flare=_u(rng, 0.8, 1.2),
        tail_length=_u(rng, 0.12, 0.50), tail_radius=_u(rng, 0.03, 0.07), tail_curl=_u(rng, 0.0, 0.9),
        tail_rest=_u(rng, -0.9, 0.5),
    )
    palette = [(0.55, 0.35, 0.18), (0.08, 0.07, 0.06), (0.9, 0.88, 0.82), (0.85, 0.65, 0.35),
               (0.4, 0.3, 0.25), (0.75, 0.55, 0.3)]
    coat = _coat(rng, palette, patterns=("solid", "solid", "bicolor", "spots", "saddle"))
    return shape, coat


def _coat(rng, palette, patterns) -> dict:
    i, j = rng.choice(len(palette), size=2, replace=False)
    jitter = rng.uniform(-0.06, 0.06, size=3)
    return dict(
        base=np.clip(np.asarray(palette[i]) + jitter, 0, 1).tolist(),
        second=np.clip(np.asarray(palette[j]) + rng.uniform(-0.06, 0.06, size=3), 0, 1).tolist(),
        pattern=str(rng.choice(patterns)),
        frequency=_u(rng, 3.0, 9.0),
        fur=_u(rng, 0.05, 0.2),
    )


def _bicycle(rng):
    shape = dict(
        wheel_radius=_u(rng, 0.30, 0.37), tyre_width=_u(rng, 0.025, 0.07), wheelbase=_u(rng, 0.95, 1.15),
        frame=str(rng.choice(["diamond", "step_through", "mountain"])), tube_radius=_u(rng, 0.015, 0.035),
        seat_height=_u(rng, 0.85, 1.05), bar=str(rng.choice(["flat", "drop", "riser"])),
        bar_height=_u(rng, 0.9, 1.1), fork_rake=_u(rng, 0.02, 0.1),
    )
    palette = [(0.8, 0.1, 0.1), (0.1, 0.2, 0.7), (0.1, 0.1, 0.1), (0.9, 0.9, 0.9), (0.1, 0.5, 0.2), (0.9, 0.7, 0.1)]
    return shape, _paint(rng, palette)


def _car(rng):
    kind = str(rng.choice(["sedan", "hatchback", "suv", "van", "pickup", "coupe"]))
    tall = {"suv": 0.2, "van": 0.35}.get(kind, 0.0)
    shape = dict(
        kind=kind, length=_u(rng, 3.6, 5.0), width=_u(rng, 1.65, 1.95),
        body_height=_u(rng, 0.55, 0.75) + tall * 0.5, cabin_height=_u(rng, 0.42, 0.6) + tall * 0.5,
        cabin_length=_u(rng, 0.4, 0.55) if kind not in ("van", "hatchback", "suv") else _u(rng, 0.6, 0.8),
        cabin_offset=_u(rng, -0.12, 0.05), wheel_radius=_u(rng, 0.30, 0.42), clearance=_u(rng, 0.12, 0.25) + tall * 0.3,
    )
    palette = [(0.7, 0.05, 0.05), (0.05, 0.1, 0.5), (0.05, 0.05, 0.05), (0.92, 0.92, 0.92), (0.5, 0.5, 0.52), (0.1, 0.35, 0.15)]
    return shape, _paint(rng, palette)


def _paint(rng, palette) -> dict:
    i = int(rng.integers(len(palette)))
    return dict(base=np.clip(np.asarray(palette[i]) + rng.uniform(-0.05, 0.05, 3), 0, 1).tolist(),
                second=[0.15, 0.15, 0.15], pattern="paint", frequency=1.0, fur=0.0)


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
    legl, legr = s["leg_length"], s["leg_radius"]
    upper, lower = 0.5 * legl, 0.5 * legl
    hr, he = s["head_radius"], s["head_elongation"]
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
        parts.append(P(f"tail{k}", f"tail{k}", shapes.segment((0, 0, 0), (-seg, 0, 0), tr * (1 - 0.12 * k), tr * (1 - 0.12 * (k + 1)))))
    for name in legs:
        parts.append(P(f"{name}_upper", f"{name}_hip", shapes.segment((0, 0, 0), (0, -upper, 0), legr * 1.25, legr)))
        parts.append(P(f"{name}_lower", f"{name}_knee", shapes.segment((0, 0, 0), (0, -lower, 0), legr, legr * 0.85)))
        parts.append(P(f"{name}_paw", f"{name}_knee", shapes.ellipsoid((legr * 1.6, legr * 0.8, legr * 1.1), center=(legr * 0.6, -lower, 0))))
    return Rig(b.cls, b.name, joints, parts)


def _ear_offset(s: dict, side: int):
    hr = s["head_radius"]
    if s["ear_kind"] == "floppy":
        return (0.45 * hr, 0.55 * hr, side * 0.85 * hr)
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
            parts.append(Part(f"drop{z > 0:d}", "steer", shapes.segment(bar_c + [0, 0, z], bar_c + [0.05, -0.12, z], tr * 0.7)))
    for w in ("front_wheel", "rear_wheel"):
        parts.append(Part(f"{w}_tyre", w, shapes.wheel(R, s["tyre_width"]), dark=True))
        parts.append(Part(f"{w}_hub", w, shapes.segment((0, 0, -0.05), (0, 0, 0.05), 0.03)))
        for k in range(6):  # spokes
            a = np.pi * k / 6
            d = np.array([np.cos(a), np.sin(a), 0.0]) * (R - s["tyre_width"])
            parts.append(Part(f"{w}_spoke{k}", w, shapes.segment(-d, d, 0.004, sections=4), dark=True))
    return Rig(b.cls, b.name, joints, parts)


def _car_rig(b: Breed) -> Rig:
    s = b.shape
    L, W, bh, ch, R = s["length"], s["width"], s["body_height"], s["cabin_height"], s["wheel_radius"]
    y0 = s["clearance"]
    joints = [Joint("root", None, (0.0, 0.0, 0.0))]
    axle = 0.36 * L
    for name, x, z in (("fl", axle, 1), ("fr", axle, -1), ("rl", -axle, 1), ("rr", -axle, -1)):
        joints.append(Joint(f"wheel_{name}", "root", (x, R, z * (W / 2 - 0.12))))
    cab_len = s["cabin_length"] * L
    cab_x = s["cabin_offset"] * L
    if s["kind"] == "pickup":
        cab_len, cab_x = 0.3 * L, 0.05 * L
    parts = [
        Part("body", "root", shapes.box((L, bh, W), center=(0, y0 + bh / 2, 0))),
        Part("hood", "root", shapes.ellipsoid((0.5 * L, 0.18 * bh, 0.48 * W), center=(0, y0 + bh, 0))),
        Part("cabin", "root", shapes.box((cab_len, ch, W * 0.86), center=(cab_x, y0 + bh + ch / 2, 0))),
        Part("windows", "root", shapes.box((cab_len * 1.02, ch * 0.6, W * 0.88), center=(cab_x, y0 + bh + ch * 0.55, 0)), dark=True),
        Part("windscreen", "root", shapes.box((0.05, ch * 0.7, W * 0.8), center=(cab_x + cab_len / 2 + 0.01, y0 + bh + ch * 0.45, 0)), dark=True),
        Part("bumper_f", "root", shapes.box((0.12, 0.18, W * 1.01), center=(L / 2, y0 + 0.12, 0)), dark=True),
        Part("bumper_r", "root", shapes.box((0.12, 0.18, W * 1.01), center=(-L / 2, y0 + 0.12, 0)), dark=True),
    ]
    for z in (1, -1):
        parts.append(Part(f"light_{'l' if z > 0 else 'r'}", "root",
                          shapes.ellipsoid((0.04, 0.07, 0.14), center=(L / 2, y0 + bh * 0.7, z * W * 0.35))))
    for name in ("fl", "fr", "rl", "rr"):
        parts.append(Part(f"tyre_{name}", f"wheel_{name}", shapes.wheel(R, 0.22), dark=True))
        parts.append(Part(f"rim_{name}", f"wheel_{name}", shapes.wheel(R * 0.6, 0.24, sections=12)))
    return Rig(b.cls, b.name, joints, parts)


# ---------------------------------------------------------------------------------------
# Poses


def default_pose(cls: str) -> dict:
    """The default pose: a quadruped standing square, a vehicle with straight wheels."""
    return {}


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
