"""What makes each held-out subject of the target domains (`domrand.world.target_subjects`) a
cat, a dog, a bicycle or a car: its proportion table, its coat (or paint) table, its palettes.
These are the target world's own names and ranges, kept apart from `breed_tables` (the
synthetic breeds) so a target domain is never "more draws of the training families".
Lengths are metres, angles radians, colours sRGB floats in [0, 1].

Order matters: each part's names are drawn in the order written, so append a new entry at the
end of its part (anywhere else shifts every later draw, and every subject of the class changes).
"""

from __future__ import annotations

from domrand.world.draws import Table

# Every natural coat's colours: a palette colour scaled by U(shade), plus U(tint) per channel.
COLOUR_JITTER = Table(
    "Coat and paint colours: one shade for all channels (hue kept) and a small tint per channel.",
    {"colours": {"shade": (0.88, 1.1), "tint": (-0.015, 0.015)}},
)

# -- cats ------------------------------------------------------------------------------

CAT = Table(
    "Held-out cat: a lofted torso deepest at the chest, a round skull with a short muzzle, prick ears.",
    {
        # torso: length; chest: half depth at the chest; waist, hip: depth there / chest; girth: width / depth
        "body": {
            "torso": (0.5, 0.6),
            "chest": (0.115, 0.135),
            "waist": (0.75, 0.88),
            "hip": (0.85, 0.98),
            "girth": (0.82, 0.95),
        },
        "legs": {"shin": (0.22, 0.27), "limb": (0.03, 0.036)},  # hip to ground; leg radius
        # skull: radius; muzzle: length beyond the skull; cheeks: width / skull
        "head": {"neck": (0.06, 0.09), "skull": (0.085, 0.1), "muzzle": (0.025, 0.04), "cheeks": (1.05, 1.2)},
        # ear_width and ear_spread as multiples of ear_height and skull
        "ears": {"ear_height": (0.07, 0.09), "ear_width": (0.75, 0.95), "ear_spread": (0.35, 0.55)},
        "eyes": {"eye": (0.24, 0.28)},  # eye radius / skull
        # tail: length; tail_lift: pitch above the horizontal at rest; tail_bend: per joint
        "tail": {"tail": (0.42, 0.55), "tail_girth": (0.022, 0.03), "tail_lift": (0.2, 1.5), "tail_bend": (0.1, 0.35)},
    },
)
# A fluffy coat (fluff in [0, 1]) swells a part by the factor 1 + k * fluff.
CAT_FLUFF_SWELL = {"chest": 0.25, "skull": 0.15, "ear_height": -0.3, "tail_girth": 1.0}
# A colourpoint cat has an oriental, wedge-shaped head: narrower cheeks, larger ears.
CAT_WEDGE = {"cheeks": 0.85, "ear_height": 1.3}
CAT_COAT = Table(
    "Held-out cat coat: fluff (more for solid coats), stripes around the body, fur strands, a pale belly.",
    {
        "fluff": {"fluff": (0.0, 0.3), "fluff_self": (0.0, 0.8)},
        "pattern": {"stripe_count": (9, 16)},
        "fur": {"strand": (0.2, 0.35), "belly": (0.2, 0.5)},
    },
)
CAT_PATTERNS = ("mackerel", "mackerel", "mackerel", "blotched", "blotched", "spotted", "colourpoint", "self", "tuxedo")
# pattern -> [(base, second)], chosen apart from the synthetic cats' palette.
CAT_COATS = {
    "mackerel": [
        ((0.52, 0.44, 0.34), (0.16, 0.12, 0.09)),
        ((0.62, 0.6, 0.56), (0.2, 0.19, 0.18)),
        ((0.87, 0.56, 0.28), (0.6, 0.3, 0.12)),
    ],
    "blotched": [((0.58, 0.47, 0.35), (0.14, 0.1, 0.07)), ((0.66, 0.64, 0.62), (0.24, 0.23, 0.23))],
    "spotted": [((0.66, 0.63, 0.58), (0.18, 0.17, 0.16)), ((0.72, 0.6, 0.44), (0.22, 0.16, 0.1))],
    "colourpoint": [
        ((0.93, 0.88, 0.78), (0.24, 0.16, 0.12)),
        ((0.92, 0.86, 0.76), (0.3, 0.2, 0.15)),
        ((0.9, 0.88, 0.84), (0.22, 0.22, 0.27)),
    ],
    "self": [
        ((0.42, 0.44, 0.48), (0.33, 0.35, 0.38)),
        ((0.05, 0.05, 0.06), (0.1, 0.09, 0.09)),
        ((0.96, 0.95, 0.92), (0.86, 0.84, 0.8)),
    ],
    # tuxedo: black and white, or a tabby and white (striped where the base is not black)
    "tuxedo": [
        ((0.06, 0.06, 0.07), (0.95, 0.95, 0.93)),
        ((0.5, 0.41, 0.31), (0.94, 0.92, 0.88)),
        ((0.57, 0.56, 0.54), (0.95, 0.94, 0.92)),
    ],
}
CAT_EYES = [(0.78, 0.7, 0.2), (0.5, 0.66, 0.25), (0.82, 0.55, 0.15), (0.35, 0.6, 0.85)]
COLOURPOINT_EYES = (0.35, 0.6, 0.9)

# -- dogs ------------------------------------------------------------------------------

DOG_ARCHETYPES = ("retriever", "shepherd", "hound", "husky", "terrier", "molosser")
# Per-archetype ranges ("other": every archetype not named). Every range of these parts is
# drawn and the subject's own kept, so the draws after them do not depend on the archetype.
DOG = Table(
    "Held-out dog: an archetype sets its size, muzzle, fluff and ears; a deep chest and a long muzzle.",
    {
        "size": {"terrier": (0.75, 0.9), "hound": (0.85, 0.95), "molosser": (1.05, 1.2), "other": (0.95, 1.1)},
        "muzzle": {"molosser": (0.08, 0.11), "terrier": (0.11, 0.14), "other": (0.15, 0.2)},
        "fluff": {"husky": (0.3, 0.5), "retriever": (0.2, 0.45), "other": (0.0, 0.15)},
        # chest, shin, limb, neck, skull, ear_height, tail and tail_girth are per unit of size
        "body": {"chest": (0.16, 0.19), "waist": (0.68, 0.8), "hip": (0.8, 0.9), "girth": (0.72, 0.85)},
        "legs": {"shin": (0.3, 0.38), "limb": (0.045, 0.055)},
        "head": {"neck": (0.12, 0.17), "skull": (0.1, 0.115), "cheeks": (0.8, 0.95), "cheeks_molosser": (1.0, 1.15)},
        "ears": {
            "ear_height": (0.12, 0.16),
            "ear_height_fold": (0.08, 0.1),
            "ear_width": (0.7, 0.9),
            "ear_spread": (0.5, 0.7),
        },
        "eyes": {"eye": (0.15, 0.18)},
        "tail": {
            "tail": (0.3, 0.45),
            "tail_girth": (0.03, 0.045),
            "tail_lift": (0.2, 0.9),
            "tail_lift_husky": (1.2, 1.6),
            "tail_bend": (0.05, 0.3),
        },
    },
)
DOG_TORSO = 0.7  # torso length per unit of size
# archetype -> {measure: factor} on top of size: short-legged terriers, heavy molossers.
DOG_BUILD = {"terrier": {"shin": 0.75}, "molosser": {"limb": 1.2, "skull": 1.15}}
# archetype -> its ear styles; an archetype with several draws one (each such archetype draws,
# in this order, whichever the subject is).
DOG_EAR_STYLES = {
    "retriever": ("drop",),
    "hound": ("drop",),
    "shepherd": ("prick",),
    "husky": ("prick",),
    "terrier": ("fold", "prick"),
    "molosser": ("drop", "fold"),
}
DOG_COAT = Table(
    "Held-out dog coat: fur strands (longer on fluffy coats) and a pale belly.",
    {"fur": {"strand": (0.12, 0.25), "belly": (0.15, 0.4)}},
)
DOG_STRAND_PER_FLUFF = 0.3
DOG_COATS = {
    "retriever": [
        ((0.85, 0.64, 0.36), (0.93, 0.8, 0.58)),
        ((0.68, 0.42, 0.2), (0.8, 0.58, 0.35)),
        ((0.07, 0.06, 0.06), (0.12, 0.1, 0.09)),
    ],
    "shepherd": [((0.66, 0.45, 0.24), (0.09, 0.07, 0.06))],
    "hound": [((0.98, 0.97, 0.94), (0.62, 0.38, 0.18))],
    "husky": [((0.45, 0.46, 0.49), (0.96, 0.96, 0.95)), ((0.15, 0.14, 0.14), (0.96, 0.95, 0.94))],
    "terrier": [((0.8, 0.72, 0.58), (0.45, 0.33, 0.2)), ((0.97, 0.96, 0.93), (0.75, 0.67, 0.55))],
    "molosser": [((0.74, 0.6, 0.44), (0.12, 0.1, 0.09)), ((0.34, 0.25, 0.18), (0.2, 0.15, 0.1))],
}
DOG_PATTERN = {
    "retriever": "plain",
    "shepherd": "blanket",
    "hound": "tricolour",
    "husky": "mask",
    "terrier": "plain",
    "molosser": "plain",
}

# -- bicycles --------------------------------------------------------------------------

BICYCLE = Table(
    "Held-out bicycle: road, city or trekking geometry, spoked wheels, maybe fenders, a chainring.",
    {
        "wheels": {"rim": (0.31, 0.35), "tyre": (0.018, 0.05), "base": (0.98, 1.1)},  # base: wheelbase
        "frame": {"tube": (0.014, 0.022), "saddle_height": (0.88, 1.0), "reach": (0.5, 0.6)},
        "drive": {"chainring": (0.09, 0.12)},
    },
)
BICYCLE_GEOMETRIES = ("road", "city", "trekking")
BICYCLE_SPOKES = [16, 20, 24]
BICYCLE_FENDER_SHARE = 0.4  # the share of bicycles with fenders
BIKE_PAINTS = [
    (0.05, 0.45, 0.5),
    (0.95, 0.45, 0.08),
    (0.33, 0.38, 0.22),
    (0.75, 0.77, 0.8),
    (0.85, 0.5, 0.6),
    (0.1, 0.13, 0.3),
    (0.6, 0.08, 0.15),
]

# -- cars ------------------------------------------------------------------------------

CAR = Table(
    "Held-out car: a lofted lower body and greenhouse; the body style sets length, roof and tail.",
    {
        "size": {"length": (4.0, 4.9), "length_hatch": (3.7, 4.1), "breadth": (1.72, 1.9)},
        # sill: ground to body; beltline: body to windows; roof: windows to roof
        "heights": {"sill": (0.16, 0.22), "beltline": (0.5, 0.6), "roof": (0.38, 0.48), "roof_roadster": (0.3, 0.34)},
        "wheels": {"wheel": (0.31, 0.36)},
        # overhang: the front axle's distance from the nose, per length; tail_drop: saloons' trunk drop
        "shape": {"overhang": (0.16, 0.22), "screen_rake": (0.35, 0.55), "tail_drop": (0.1, 0.3)},
    },
)
CAR_BODIES = ("saloon", "estate", "hatch", "crossover", "roadster", "minivan")
# Tall bodies: how much higher (m) than a saloon, and what share of that each measure takes.
CAR_RAISE = {"crossover": 0.18, "minivan": 0.3}
CAR_RAISE_SHARE = {"sill": 0.5, "beltline": 0.4, "roof": 0.5, "wheel": 0.1}
# Body style -> the tail's height as a share of the beltline (others: 1 - tail_drop / 2), the
# windscreen's foot and the greenhouse's back end as shares of the length from the middle.
CAR_TAIL_HEIGHT = {"estate": 1.0, "minivan": 1.0, "hatch": 0.97}
CAR_SCREEN_FRONT = {"roadster": 0.05, "minivan": 0.33}  # others: 0.18
CAR_GREENHOUSE_BACK = {
    "estate": -0.46,
    "minivan": -0.47,
    "hatch": -0.42,
    "crossover": -0.4,
    "roadster": -0.15,
}  # others: -0.3
CAR_PAINTS = [
    (0.62, 0.64, 0.67),
    (0.8, 0.81, 0.82),
    (0.12, 0.2, 0.35),
    (0.45, 0.06, 0.08),
    (0.97, 0.97, 0.96),
    (0.18, 0.18, 0.19),
    (0.3, 0.42, 0.55),
    (0.75, 0.55, 0.2),
]

# -- fixed colours ---------------------------------------------------------------------

# Strength of the fur texture (strokes, grain, strands) per kit; `FUR_CONTRAST_OTHER` for the others.
FUR_CONTRAST = {"cat": 3.2}
FUR_CONTRAST_OTHER = 1.6
IRIS_DOG = (0.33, 0.2, 0.1)
NOSE_DARK = (0.06, 0.05, 0.05)
NOSE_PINK = (0.8, 0.5, 0.5)
EAR_INSIDE = (0.85, 0.62, 0.58)
GLASS = (0.09, 0.11, 0.14)
HEADLIGHT = (0.95, 0.95, 0.9)
TAILLIGHT = (0.7, 0.05, 0.05)
PLATE = (0.92, 0.92, 0.88)
CHROME = (0.78, 0.79, 0.8)
RUBBER = (0.04, 0.04, 0.04)
