"""What makes each synthetic breed (`domrand.world.subjects`) a cat, a dog, a bicycle or a car:
its proportion table, its coat (or paint) table and its palettes. Change a class here, not in
the construction code. Lengths are metres, angles radians, colours sRGB floats in [0, 1].

Order matters: each part's names are drawn in the order written, so append a new entry at the
end of its part (anywhere else shifts every later draw, and every breed of the class changes).
"""

from __future__ import annotations

from domrand.world.draws import Table

# -- cats ------------------------------------------------------------------------------

CAT = Table(
    "Cat: a compact body on short legs, a round wide head, a short muzzle, large upright ears, a long tail.",
    {
        "body": {"body_length": (0.75, 0.92), "body_height": (0.3, 0.35), "body_width": (0.25, 0.31)},
        "legs": {"leg_length": (0.28, 0.35), "leg_radius": (0.048, 0.06)},
        "neck": {"neck_length": (0.04, 0.08), "neck_radius": (0.075, 0.095)},
        # head_radius in metres; elongation (x) and width (z) as multiples of it
        "head": {"head_radius": (0.14, 0.165), "head_elongation": (0.88, 0.98), "head_width": (1.02, 1.15)},
        # snout_radius: the whisker pads' radius as a fraction of head_radius
        "snout": {"snout_length": (0.0, 0.025), "snout_radius": (0.24, 0.3)},
        "ears": {"ear_size": (0.11, 0.15), "ear_flare": (0.95, 1.25)},
        # tail_curl: bend per tail joint; tail_rest: the tail's pitch at rest
        "tail": {
            "tail_length": (0.6, 0.85),
            "tail_radius": (0.03, 0.04),
            "tail_curl": (0.05, 0.3),
            "tail_rest": (-0.9, 0.2),
        },
    },
)
CAT_COAT = Table(
    "Cat coat: palette colours shaded and tinted a little, stripes per texture, strength of the fur.",
    {
        "colours": {"shade": (0.9, 1.08), "base_tint": (-0.04, 0.04), "second_tint": (-0.03, 0.03)},
        "pattern": {"frequency": (9.0, 14.0), "fur": (0.2, 0.35)},
    },
)
# pattern -> [(base, second)]. tabby: a mackerel tabby (dark stripes of `second` on `base`);
# classic: a classic tabby (broad swirled bands); smoke: blue-grey with faint tabby ghost stripes;
# pointed: a pale body with dark ears, face, legs and tail (`point_colour` parts). No
# tortoiseshells, white bicolours or solid gingers: ImageNet reads those as black-and-tan,
# piebald or red dogs (miniature pinscher, hounds, vizsla).
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
CAT_PATTERNS = ("tabby",) * 7 + ("classic", "classic", "smoke", "pointed")  # equally likely entries
CAT_EYE_COLOURS = [(0.72, 0.66, 0.16), (0.44, 0.62, 0.2), (0.85, 0.6, 0.12), (0.3, 0.55, 0.8)]
POINTED_EYES = (0.32, 0.55, 0.85)  # pointed cats have blue eyes
PINK_NOSE = (0.82, 0.52, 0.52)
SMOKE_NOSE = (0.15, 0.12, 0.12)
EAR_PINK = (0.86, 0.64, 0.6)
# A cat's face, per head radius: large eyes (the face is what ImageNet reads as a cat), ears
# set high, forward and apart on a wide head (ear_apart also scales with head_width).
CAT_FACE = {"eye": 0.23, "ear_forward": 0.5, "ear_up": 0.8, "ear_apart": 0.5}
MUZZLE_WHITE = (0.95, 0.93, 0.88)  # tabbies' muzzles are 55% this, 45% the coat
PALE_MUZZLE_PATTERNS = ("tabby", "classic", "smoke")

# -- dogs ------------------------------------------------------------------------------

DOG = Table(
    "Dog: a wide range of sizes, longer snouts, floppy, upright or rose ears, shorter tails.",
    {
        "body": {"body_length": (0.8, 1.3), "body_height": (0.28, 0.48), "body_width": (0.24, 0.40)},
        "legs": {"leg_length": (0.30, 0.80), "leg_radius": (0.05, 0.10)},
        "neck": {"neck_length": (0.10, 0.26), "neck_radius": (0.08, 0.13)},
        "head": {"head_radius": (0.15, 0.22), "head_elongation": (1.05, 1.35)},
        "snout": {"snout_length": (0.10, 0.38), "snout_radius": (0.38, 0.60)},
        "ears": {"ear_size": (0.10, 0.22), "ear_flare": (0.8, 1.2)},
        "tail": {
            "tail_length": (0.12, 0.50),
            "tail_radius": (0.03, 0.07),
            "tail_curl": (0.0, 0.9),
            "tail_rest": (-0.9, 0.5),
        },
    },
)
DOG_EARS = ("floppy", "floppy", "upright", "rose")  # equally likely entries
# Limits between the drawn proportions: no small head on a long neck; no plank on stilts
# (ImageNet: balance beam), so a body at least 1/3.4 of its length deep and legs at most twice that.
DOG_LIMITS = {"neck_to_head_radius": 1.2, "length_to_body_height": 3.4, "leg_length_to_body_height": 2.0}
DOG_COAT = Table(
    "Dog coat: two palette colours, each lighter or darker by one tint, pattern frequency, fur strength.",
    {"colours": {"tint": (-0.06, 0.06)}, "pattern": {"frequency": (3.0, 9.0), "fur": (0.05, 0.2)}},
)
DOG_PALETTE = [
    (0.55, 0.35, 0.18),
    (0.08, 0.07, 0.06),
    (0.9, 0.88, 0.82),
    (0.85, 0.65, 0.35),
    (0.4, 0.3, 0.25),
    (0.75, 0.55, 0.3),
]
DOG_PATTERNS = ("solid", "solid", "bicolor", "spots", "solid")
# Patches are white on a coloured dog, dark on a white one (mean base above `light`).
DOG_PATCHES = {"light": 0.7, "on_light": (0.12, 0.1, 0.09), "on_dark": (0.92, 0.9, 0.86)}

# -- bicycles --------------------------------------------------------------------------

BICYCLE = Table(
    "Bicycle: two thin wheels, a tube frame of one of three kinds, a handlebar of one of three kinds.",
    {
        "wheels": {"wheel_radius": (0.30, 0.37), "tyre_width": (0.025, 0.07), "wheelbase": (0.95, 1.15)},
        "frame": {"tube_radius": (0.015, 0.035), "seat_height": (0.85, 1.05)},
        "steering": {"bar_height": (0.9, 1.1), "fork_rake": (0.02, 0.1)},
    },
)
BICYCLE_FRAMES = ("diamond", "step_through", "mountain")
BICYCLE_BARS = ("flat", "drop", "riser")
BICYCLE_PAINT = Table(
    "Bicycle paint: a palette colour with a small tint per channel.", {"paint": {"tint": (-0.05, 0.05)}}
)
BICYCLE_PALETTE = [(0.8, 0.1, 0.1), (0.1, 0.2, 0.7), (0.1, 0.1, 0.1), (0.9, 0.9, 0.9), (0.1, 0.5, 0.2), (0.9, 0.7, 0.1)]

# -- cars ------------------------------------------------------------------------------

CAR = Table(
    "Car: a long low body with a sloping hood, a glazed cabin whose size and place follow the car's kind.",
    {
        "size": {"length": (4.2, 4.9), "length_hatchback": (3.8, 4.2), "width": (1.72, 1.9)},
        "body": {"body_height": (0.5, 0.6), "clearance": (0.14, 0.2), "hood_drop": (0.1, 0.2)},
        "wheels": {"wheel_radius": (0.31, 0.35)},
        "cabin": {
            "cabin_height": (0.44, 0.52),
            "cabin_height_coupe": (0.36, 0.4),
            "windscreen_slope": (0.45, 0.7),
            "windscreen_slope_van": (0.25, 0.35),
            "rear_slope_notchback": (0.3, 0.6),  # sedans and coupes
            "rear_slope": (0.05, 0.15),
        },
        # as fractions of the car's length
        "cabin_length": {
            "sedan": (0.42, 0.5),
            "coupe": (0.36, 0.42),
            "hatchback": (0.5, 0.58),
            "suv": (0.56, 0.64),
            "van": (0.66, 0.74),
            "pickup": (0.26, 0.3),
        },
        "cabin_offset": {
            "sedan": (-0.08, 0.0),
            "coupe": (-0.08, -0.02),
            "hatchback": (-0.16, -0.12),
            "suv": (-0.12, -0.06),
            "van": (-0.1, -0.06),
            "pickup": (0.02, 0.08),
        },
    },
)
CAR_KINDS = ("sedan", "sedan", "hatchback", "suv", "van", "pickup", "coupe")
# Tall kinds: how much higher (m) than a sedan, and what share of that each measure takes.
CAR_RAISE = {"suv": 0.22, "van": 0.4, "pickup": 0.12}
CAR_RAISE_SHARE = {"body_height": 0.5, "cabin_height": 0.4, "wheel_radius": 0.15, "clearance": 0.2}
CAR_PAINT = Table(
    "Car paint: a palette colour with a small tint per channel, glossy (low roughness).",
    {"paint": {"tint": (-0.03, 0.03), "roughness": (0.2, 0.35)}},
)
# silver, white, black, greys, dark blue, red, taxi yellow, orange (no dark green or beige:
# ImageNet reads such slabs under dark glass as pool tables or projectors).
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

# Vehicles' paint is one colour; `second` shades trim.
PAINT_SECOND = [0.15, 0.15, 0.15]
