"""Beyond the paper (figures 9-12): the datasets and heads the config's `beyond` section asks for.

Pure functions of the config, so the study's plan (domrand.plan, used by rules/common.smk)
and the tests derive the same names:

- figure 9, breed scaling: for each n in `beyond.breed_counts`, the synthetic training set of
  `figures.synthetic` with `subject.breeds: n`. A count whose generator equals an existing
  variant's (``all`` is the control itself; ``1`` is `no_breeds` in the default config) reuses
  that variant's dataset; any other becomes a derived variant ``breeds<n>`` rendered like the
  others, training images only (it is only tested on the real test set).
- figures 10 and 11, heads on cached features (`train_feature_head`): the control's features
  plus k real training images per class, k real images alone, and nested subsets of the
  control's features. No image is rendered or embedded again.
"""

from __future__ import annotations

from domrand.config import ConfigError, deep_merge, variant_generator


def _count_name(n) -> str:
    return str(n)


def base_variant(config: dict) -> str:
    """The variant of the synthetic-trained model of the figures (figures.synthetic)."""
    return config["figures"]["synthetic"].removeprefix("synth_")


def breed_generator(config: dict, n) -> dict:
    """The generator of breed count `n`: figures.synthetic's generator with subject.breeds: n."""
    return deep_merge(variant_generator(config, base_variant(config)), {"subject": {"breeds": n}})


def breed_scaling(config: dict) -> list[dict]:
    """One entry per `beyond.breed_counts` value, in config order: count, dataset (an existing
    variant's synthetic set where the generator is identical, else synth_breeds<n>) and
    variant (the derived variant's name, or None when an existing one is reused)."""
    check_beyond(config)
    base = base_variant(config)
    existing = {v: variant_generator(config, v) for v in config["variants"]}
    out = []
    for n in config["beyond"]["breed_counts"]:
        gen = breed_generator(config, n)
        # The figures' own variant first, then the others in config order.
        same = [v for v in [base, *existing] if existing[v] == gen]
        if same:
            out.append({"count": n, "dataset": f"synth_{same[0]}", "variant": None})
            continue
        name = f"breeds{_count_name(n)}"
        if name in existing:
            raise ConfigError(
                f"config key beyond.breed_counts: breed count {n} needs the derived variant "
                f"{name!r}, but variants.{name} exists with another generator; rename that variant"
            )
        out.append({"count": n, "dataset": f"synth_{name}", "variant": name})
    return out


def breed_variants(config: dict) -> dict[str, dict]:
    """{derived variant name: its generator} for the breed counts no existing variant renders."""
    return {e["variant"]: breed_generator(config, e["count"]) for e in breed_scaling(config) if e["variant"]}


def feature_heads(config: dict) -> dict[str, dict]:
    """Every head trained on cached features for figures 10 and 11, by name:
    {"train": {"synthetic": n | "all", "real": k | "all"} (only the sets it trains on),
    "test": [test sets], "keys": {set: config key of its count}}.

    Figure 10: mix_k<k> (the synthetic set + k real images per class) and real_k<k> (k real
    images alone; k = 0 has no training data and no head). Figure 11: size_n<n> (n synthetic
    images per class), tested on the real and the synthetic test sets."""
    check_beyond(config)
    b = config["beyond"]
    heads = {}
    for k in b["real_counts"]:
        keys = {"synthetic": "figures.synthetic", "real": "beyond.real_counts"}
        heads[f"mix_k{k}"] = {"train": {"synthetic": "all", "real": k}, "test": ["real"], "keys": keys}
        if k != 0:
            heads[f"real_k{k}"] = {"train": {"real": k}, "test": ["real"], "keys": keys}
    for n in b["synthetic_counts"]:
        heads[f"size_n{n}"] = {
            "train": {"synthetic": n},
            "test": ["real", "synthetic"],
            "keys": {"synthetic": "beyond.synthetic_counts"},
        }
    return heads


def _check_list(values: list, key: str, low: int, high: int | None, what: str) -> None:
    ints = [v for v in values if v != "all"]
    if len(set(map(str, values))) != len(values):
        raise ConfigError(f"config key {key}: {values} lists a value twice; give each {what} once")
    bad = [v for v in ints if v < low or (high is not None and v > high)]
    if bad:
        rng = f"{low}..{high}" if high is not None else f">= {low}"
        raise ConfigError(f"config key {key}: {bad} outside {rng} {what}; use counts in that range or `all`")


def check_beyond(config: dict) -> None:
    """Cross-checks the schema cannot make: counts within what the config renders."""
    b = config["beyond"]
    synth_train = int(config["synth"]["train_per_class"])
    real_train = int(config["domains"]["real"]["train_per_class"])
    # Imported subjects (world.subjects) change the breed count per class; the render job
    # checks those against the world it loads.
    max_breeds = None if config["world"].get("subjects") else int(config["world"]["breeds"])
    _check_list(b["breed_counts"], "beyond.breed_counts", 1, max_breeds, "breeds per class (world.breeds)")
    _check_list(
        b["real_counts"],
        "beyond.real_counts",
        0,
        real_train,
        "real training images per class (domains.real.train_per_class)",
    )
    _check_list(
        b["synthetic_counts"],
        "beyond.synthetic_counts",
        1,
        synth_train,
        "synthetic training images per class (synth.train_per_class)",
    )
