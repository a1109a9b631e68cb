"""The search over randomization settings (figure 13): its entries, their datasets and sizes.

Pure functions of the config's `search` section, so the study's plan (domrand.plan), the
rules and the tests derive the same names. Successive halving in two rounds:

- round 1: every *entry* trains a head on `search.small_per_class` training images per class
  (one seed, `search.seed`) and is scored on the validation split of the real domain. The
  entries are the *anchors*, the control and every variant of figure 4 (their full training
  sets exist already: the head takes a seeded subset of their stored features), and
  `search.candidates` *candidates* drawn from `search.space` with `search.seed`, each
  rendered at the small size (dataset ``synth_<candidate>_small``);
- round 2: the `search.keep` best entries of round 1 train on their full training set
  (``synth_<entry>``, a candidate's rendered like any variant's, training images only),
  scored on validation again; the best is the search's pick;
- the pick's models at the study's seeds are the study's own ``train_head``/``evaluate`` jobs
  on ``synth_<pick>``, tested once on the real test set (figure 13).

A space maps a generator key (dotted, e.g. ``obstructors.count``) to its candidate values
(a list: each value is one the key may take, a pair for a range key) or to ``{uniform: [lo,
hi]}`` (a number drawn uniformly, rounded to 2 decimals). A candidate draws one value per key.
"""

from __future__ import annotations

import copy

import numpy as np

from domrand.config import ConfigError, deep_merge, variant_generator
from domrand.seeds import seed_for

CANDIDATE_PREFIX = "search"
SMALL_SUFFIX = "_small"
# The validation split of the real domain (rendered by its generator, or taken from its
# downloaded training pool): a dataset of its own, every image in the index's test split.
VALIDATION = "real_val"
TARGET = "real"
# How many draws per candidate before giving up on finding one not already drawn.
MAX_DRAWS = 200


def candidate_name(i: int) -> str:
    return f"{CANDIDATE_PREFIX}{i}"


def small_variant(candidate: str) -> str:
    """The variant name of a candidate's round-1 training set (rendered at the small size)."""
    return f"{candidate}{SMALL_SUFFIX}"


def _set(patch: dict, dotted: str, value) -> None:
    *path, leaf = dotted.split(".")
    node = patch
    for k in path:
        node = node.setdefault(k, {})
    node[leaf] = copy.deepcopy(value)


def _get(tree: dict, dotted: str):
    node = tree
    for k in dotted.split("."):
        if not isinstance(node, dict) or k not in node:
            raise KeyError(dotted)
        node = node[k]
    return node


def _draw_value(spec, rng: np.random.Generator):
    if isinstance(spec, dict):  # {uniform: [lo, hi]}
        lo, hi = spec["uniform"]
        return round(float(rng.uniform(lo, hi)), 2)
    return copy.deepcopy(spec[int(rng.integers(len(spec)))])


def check_space(config: dict) -> None:
    """Cross-checks of `search` the schema cannot make: each space key names a setting of the
    control generator, `keep` fits round 1, no name is taken twice."""
    s = config["search"]
    for key, spec in s["space"].items():
        try:
            current = _get(config["generator"], key)
        except KeyError:
            raise ConfigError(
                f"config key search.space.{key}: no such setting in the control generator "
                "(config key `generator`); name one as section.key, e.g. obstructors.count"
            ) from None
        values = [spec["uniform"][0]] if isinstance(spec, dict) else spec
        for v in values:
            if isinstance(current, list) != isinstance(v, list) or isinstance(current, bool) != isinstance(v, bool):
                raise ConfigError(
                    f"config key search.space.{key}: value {v!r} is not of the kind of the control's "
                    f"{current!r}; give values like it"
                )
    taken = [v for v in config["variants"] if v.startswith(CANDIDATE_PREFIX)]
    if taken:
        raise ConfigError(
            f"config key variants: {taken} start with {CANDIDATE_PREFIX!r}, which names the search's "
            "candidates; rename those variants"
        )
    if s["keep"] > len(anchors(config)) + s["candidates"]:
        raise ConfigError(
            f"config key search.keep: {s['keep']} exceeds the entries of round 1 "
            f"({len(anchors(config))} anchors + search.candidates {s['candidates']})"
        )


def anchors(config: dict) -> list[str]:
    """Round 1's anchors: the control, then figure 4's variants in config order."""
    return ["control", *(v for v in config["variants"] if v != "control")]


def candidates(config: dict) -> dict[str, dict]:
    """{candidate name: its patch over the control generator} drawn from `search.space` with
    `search.seed`: candidate i draws from its own seed, one value per key in config order; a
    draw whose generator equals an anchor's or an earlier candidate's is drawn again."""
    check_space(config)
    s = config["search"]
    seen = [variant_generator(config, v) for v in anchors(config)]
    out = {}
    for i in range(1, int(s["candidates"]) + 1):
        rng = np.random.default_rng(seed_for("search candidate", s["seed"], i))
        for _ in range(MAX_DRAWS):
            patch: dict = {}
            for key, spec in s["space"].items():
                _set(patch, key, _draw_value(spec, rng))
            gen = deep_merge(config["generator"], patch)
            if gen not in seen:
                break
        else:
            raise ConfigError(
                f"config key search.space: no new candidate {i} in {MAX_DRAWS} draws (every draw "
                "repeats an anchor or an earlier candidate); widen the space or lower search.candidates"
            )
        seen.append(gen)
        out[candidate_name(i)] = patch
    return out


def entry_patch(config: dict, entry: str, drawn: dict[str, dict] | None = None) -> dict:
    """An entry's patch over the control generator: a variant's own, or a candidate's draw."""
    drawn = candidates(config) if drawn is None else drawn
    if entry in drawn:
        return drawn[entry]
    return config["variants"][entry]


def search_generators(config: dict, drawn: dict[str, dict] | None = None) -> dict[str, dict]:
    """{variant name: generator} of every dataset the search renders: each candidate at full
    size (rendered only if it reaches round 2) and at the small size of round 1."""
    out = {}
    for name, patch in (candidates(config) if drawn is None else drawn).items():
        gen = deep_merge(config["generator"], patch)
        out[name] = gen
        out[small_variant(name)] = gen
    return out


def round_dataset(config: dict, entry: str, rnd: int) -> str:
    """The dataset an entry's head trains on in round `rnd` (1 or 2)."""
    if rnd == 1 and entry not in config["variants"]:
        return f"synth_{small_variant(entry)}"
    return f"synth_{entry}"


def small_size(config: dict) -> int:
    """Round 1's training images per class: search.small_per_class, at most synth.train_per_class."""
    return min(int(config["search"]["small_per_class"]), int(config["synth"]["train_per_class"]))


def round_count(config: dict, rnd: int):
    """Training images per class of a round-`rnd` head: the small size, or `all`."""
    return small_size(config) if rnd == 1 else "all"
