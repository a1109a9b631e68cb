"""Config helpers: loading, validation before any job, variant patches over the control
generator, and config slices per rule."""

from __future__ import annotations

import copy
import fnmatch
import sys
from pathlib import Path


def deep_merge(base: dict, patch: dict) -> dict:
    """A copy of `base` with `patch` merged in recursively (patch wins on leaves)."""
    out = copy.deepcopy(base)
    for k, v in (patch or {}).items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def variant_generator(config: dict, variant: str) -> dict:
    """The generator config of a synthetic variant: the control patched by the variant."""
    if variant not in config["variants"]:
        raise KeyError(f"variant {variant!r} is not in config key 'variants' ({sorted(config['variants'])})")
    return deep_merge(config["generator"], config["variants"][variant])


def domain_generator(config: dict, domain: str) -> dict:
    """The generator config of a proxy target domain (photo-like 'real', 'toon')."""
    return deep_merge(config["generator"], config["domains"][domain]["generator"])


class ConfigError(ValueError):
    pass


SYNTHETIC_POOL = "synthetic"
# Classes with procedural breeds and held-out subjects (domrand.world); any other class takes its
# subjects from world.subjects.<class>.
BUILTIN_CLASSES = ("cat", "dog", "bicycle", "car")


def pool_classes(config: dict, pool: str) -> list[str]:
    """The world classes that have subjects in ``pool``: every class in the synthetic pool; in a
    held-out pool the built-in classes and each class that holds meshes out for it
    (world.subjects.<class>.heldout)."""
    subjects = config["world"].get("subjects") or {}
    return [
        c
        for c in config["world"]["classes"]
        if pool == SYNTHETIC_POOL or c in BUILTIN_CLASSES or pool in (subjects.get(c, {}).get("heldout") or {})
    ]


def subject_pools(config: dict) -> list[str]:
    """The subject pools of the subject realism measure: the synthetic breeds, then each
    held-out pool of world.heldout_breeds that some world class has subjects in."""
    return [SYNTHETIC_POOL, *(p for p in config["world"]["heldout_breeds"] if pool_classes(config, p))]


def subject_generator(config: dict, pool: str) -> dict:
    """The one photo-like generator of the subject realism measure (realism.subjects.generator:
    a proxy domain's generator, or a patch over the control), drawing every breed of `pool`."""
    spec = config["realism"]["subjects"]["generator"]
    if isinstance(spec, str):
        if "generator" not in config["domains"].get(spec, {}):
            raise ConfigError(
                f"config key realism.subjects.generator: {spec!r} is not a domain rendered from a "
                f"generator (domains with one: {[d for d, v in config['domains'].items() if 'generator' in v]}); "
                "name one, or give a generator patch (see configs/paper.yaml)"
            )
        base = domain_generator(config, spec)
    else:
        base = deep_merge(config["generator"], spec)
    return deep_merge(base, {"subject": {"heldout": False if pool == SYNTHETIC_POOL else pool, "breeds": "all"}})


def read_config_file(path) -> dict:
    """One YAML config file as a dict; ConfigError naming the file, line and column of a
    syntax error, or saying that the top level is not a mapping."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"config file {path}{where}: not valid YAML: {exc.problem or exc.context}; "
            "fix the file (indent with spaces, close every bracket and quote)"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path}: not valid YAML: {exc}") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(
            f"config file {path}: the top level must be a mapping of config keys, not a {type(data).__name__}"
        )
    return data or {}


def load_config(*paths, base="config.yaml") -> dict:
    """A config as the workflow sees it: `base` (the workflow's config.yaml; skipped if it does
    not exist) with each of `paths` merged over it in order, as `--configfile` does, and
    entries set to null removed (:func:`drop_nulls`)."""
    missing = [str(p) for p in paths if not Path(p).is_file()]
    if missing:
        raise ConfigError(
            f"config file(s) {missing} not found: give the path of a YAML config such as configs/paper.yaml"
        )
    config: dict = {}
    for f in [Path(base), *map(Path, paths)]:
        if f.is_file():
            config = deep_merge(config, read_config_file(f))
    drop_nulls(config)
    return config


def drop_nulls(config: dict, _prefix: str = "") -> list[str]:
    """Remove, in place, every mapping entry whose value is null (at any depth): how an
    override file removes an entry of the default (``tasks: {plus_car: null}``).
    Returns the removed keys as dotted paths. No config key takes null as a value."""
    removed = []
    for key in list(config):
        value = config[key]
        if value is None:
            del config[key]
            removed.append(f"{_prefix}{key}")
        elif isinstance(value, dict):
            removed += drop_nulls(value, f"{_prefix}{key}.")
    return removed


# Entries the schema requires that a figure is made of: named when an override removes one.
NEEDED_BY = {
    "variants.control": "the control variant of figures 1 and 4",
    "domains.real": "every figure's real test set",
    "domains.toon": "the toon test set of figures 6 and 7",
    "architectures.dropout": "the paper's model (figures 2, 3, 4, 5, 7, 8)",
    "architectures.no_dropout": "figure 3",
    "architectures.unfrozen": "figure 3",
    "tasks.cat_dog": "the cat-vs-dog task of figures 2 to 8",
}


def _schema_validator(schema: dict):
    """Draft 2020-12 plus one keyword, ``ordered: true``: a [low, high] range with low <= high."""
    import jsonschema

    def ordered(validator, value, instance, schema):
        if (
            value
            and isinstance(instance, list)
            and len(instance) == 2
            and all(isinstance(x, (int, float)) for x in instance)
            and instance[0] > instance[1]
        ):
            yield jsonschema.ValidationError(
                f"{instance} is a range [low, high] with low > high; write it as [{instance[1]}, {instance[0]}]"
            )

    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"ordered": ordered})
    return cls(schema)


def validate_config(config: dict, schema_path, removed=()) -> None:
    """Validate against the JSON schema, then the cross-references and local paths; raise
    ConfigError naming the key path of the worst error. ``removed``: keys an override set
    to null (:func:`drop_nulls`), named with what needs them when the schema requires them."""
    import jsonschema
    import yaml

    with open(schema_path) as fh:
        schema = yaml.safe_load(fh)
    errors = list(_schema_validator(schema).iter_errors(config))
    if not errors:
        _check_search_values(config, schema, schema_path)
        _check_cross_references(config)
        _check_paths(config)
        return
    err = jsonschema.exceptions.best_match(errors)
    while err.context:  # oneOf/allOf: descend to the most specific cause
        err = jsonschema.exceptions.best_match(err.context)
    path = ".".join(str(p) for p in err.absolute_path) or "(top level)"
    if err.validator == "required":
        missing = next(
            (f"{path}.{k}" if err.absolute_path else k) for k in err.validator_value if k not in err.instance
        )
        if missing in removed:
            raise ConfigError(
                f"config key {missing}: an override set it to null (removing it), but "
                f"{NEEDED_BY.get(missing, 'the workflow')} needs it; give it a value "
                "instead of null"
            )
    raise ConfigError(
        f"config key {path}: {err.message} (schema: {schema_path}); "
        f"fix it in config.yaml or the file given with --configfile"
    )


def _check_search_values(config: dict, schema: dict, schema_path) -> None:
    """Each candidate value of search.space must be one a variant's patch may set."""
    patch_schema = {**schema["$defs"]["generator_patch"], "$defs": schema["$defs"]}
    validator = _schema_validator(patch_schema)
    for key, spec in (config.get("search") or {}).get("space", {}).items():
        section, leaf = key.split(".", 1)
        for value in [spec["uniform"][0], spec["uniform"][1]] if isinstance(spec, dict) else spec:
            err = next(iter(validator.iter_errors({section: {leaf: value}})), None)
            if err is not None:
                raise ConfigError(
                    f"config key search.space.{key}: candidate value {value!r}: {err.message} "
                    f"(schema: {schema_path}, generator section {section!r})"
                )


def check_domains_disjoint(config: dict) -> None:
    """Synthetic variants draw only synthetic subjects, skies and materials; every proxy target
    domain (one rendered from a generator) only its own held-out pool and the target sets, and
    no two domains share a pool. Raises ConfigError naming the key."""
    for v in config["variants"]:
        gen = variant_generator(config, v)
        for key, value, want in (
            ("subject.heldout", gen["subject"]["heldout"], False),
            ("sky.set", gen["sky"]["set"], "synthetic"),
            ("materials.library", gen["materials"]["library"], "synthetic"),
        ):
            if value != want:
                raise ConfigError(
                    f"config key variants.{v}.{key}: {value!r}, but a synthetic variant must use "
                    f"{want!r} (target-domain subjects, skies and grounds stay out of training data)"
                )
    pools = config["world"]["heldout_breeds"]
    owner: dict = {}
    for d, spec in config["domains"].items():
        if "sources" in spec:
            continue
        gen = domain_generator(config, d)
        pool = gen["subject"]["heldout"]
        where = f"config key domains.{d}.generator"
        if pool is False or pool not in pools:
            raise ConfigError(
                f"{where}.subject.heldout: {pool!r}; a proxy target domain draws its own held-out "
                f"pool, one of world.heldout_breeds {sorted(pools)}"
            )
        if pool in owner:
            raise ConfigError(
                f"{where}.subject.heldout: pool {pool!r} is already the pool of domain "
                f"{owner[pool]!r}; give each domain its own pool in world.heldout_breeds"
            )
        owner[pool] = d
        if gen["sky"]["mode"] == "random" and gen["sky"]["set"] != "target":
            raise ConfigError(f"{where}.sky.set: a target domain draws target skies; set it to 'target'")
        uses_materials = (
            gen["materials"]["random"] or gen["obstructors"]["enabled"] or gen["subject"]["texture"] == "random"
        )
        if uses_materials and gen["materials"]["library"] != "target":
            raise ConfigError(f"{where}.materials.library: a target domain draws target grounds; set it to 'target'")


def _check_paths(config: dict) -> None:
    """Every local `path` (a real-image source, a subject mesh) exists, relative paths from the
    working directory, as the jobs will read them."""
    places = [
        (f"domains.{d}.sources.{s}.path", src.get("path"))
        for d, spec in config["domains"].items()
        for s, src in (spec.get("sources") or {}).items()
    ]
    places += [
        (f"world.subjects.{c}.meshes.{i}.path", m.get("path"))
        for c, spec in (config["world"].get("subjects") or {}).items()
        for i, m in enumerate(spec["meshes"])
    ]
    for key, path in places:
        if path is not None and not Path(path).exists():
            raise ConfigError(
                f"config key {key}: {path!r} does not exist (relative paths start at the "
                f"working directory, {Path.cwd()}); fix the path"
            )


def _check_cross_references(config: dict) -> None:
    if config["model"]["backbone"] == "vgg16" and "weights" not in config["model"]:
        raise ConfigError(
            "config key model.weights: the vgg16 backbone needs pinned weights (name, url, sha256, "
            "licence, attribution); see configs/paper.yaml"
        )
    if config["model"]["backbone"] == "efficientnet_lite0":
        if "sha256" not in config["model"]:
            raise ConfigError(
                "config key model.sha256: the efficientnet_lite0 backbone needs the sha256 of its "
                "packaged weights file (see config.yaml)"
            )
        sizes = [("model.input_size", config["model"]["input_size"])] + [
            (f"architectures.{a}.input_size", spec["input_size"])
            for a, spec in config["architectures"].items()
            if "input_size" in spec
        ]
        for key, size in sizes:
            if size % 32:
                raise ConfigError(
                    f"config key {key}: {size} is not a multiple of 32, which the "
                    "efficientnet_lite0 backbone's fixed 'same' padding needs"
                )
    synth = config["figures"]["synthetic"]
    if synth.removeprefix("synth_") not in config["variants"]:
        raise ConfigError(f"config key figures.synthetic: {synth!r} names no variant in 'variants'")
    for fig, model in (config["figures"].get("models") or {}).items():
        if model != "best" and model.removeprefix("synth_") not in config["variants"]:
            raise ConfigError(
                f"config key figures.models.{fig}: {model!r} names no variant in 'variants'; "
                "use synth_<variant> or `best`"
            )
    _check_classes(config)
    if config["explain"]["target"] not in config["tasks"]["cat_dog"]:
        raise ConfigError("config key explain.target: must be one of tasks.cat_dog")
    _check_sources(config)
    check_domains_disjoint(config)
    _check_proxy_pools(config)
    if SYNTHETIC_POOL in config["world"]["heldout_breeds"]:
        raise ConfigError(
            f"config key world.heldout_breeds.{SYNTHETIC_POOL}: the name is taken by the synthetic "
            "breeds' pool; rename that held-out pool"
        )
    subject_generator(config, SYNTHETIC_POOL)
    world_imports(config)  # globs match, counts fit
    for cls, spec in (config["world"].get("subjects") or {}).items():
        for i, entry in enumerate(spec["meshes"]):
            if "download" in entry and entry["download"] not in (config.get("downloads") or {}):
                raise ConfigError(
                    f"config key world.subjects.{cls}.meshes.{i}.download: "
                    f"{entry['download']!r} is not an entry of `downloads`"
                )


def _class_references(config: dict) -> list[tuple[str, list[str]]]:
    """(config key, class names) of every place outside world.classes that names classes."""
    refs = [("synth.classes", config["synth"]["classes"])]
    refs += [(f"tasks.{t}", c) for t, c in config["tasks"].items()]
    refs += [
        (f"domains.{d}.sources.{s}.classes", src["classes"])
        for d, spec in config["domains"].items()
        for s, src in (spec.get("sources") or {}).items()
    ]
    refs += [(f"world.subjects.{c}", [c]) for c in config["world"].get("subjects") or {}]
    refs += [(f"realism.families.{c}", [c]) for c in config["realism"].get("families") or {}]
    objaverse = config.get("objaverse") or {}
    refs += [(f"objaverse.categories.{c}", [c]) for c in objaverse.get("categories") or {}]
    if isinstance(objaverse.get("per_class"), dict):
        refs += [(f"objaverse.per_class.{c}", [c]) for c in objaverse["per_class"]]
    return refs


def _check_classes(config: dict) -> None:
    """Every class a key names is in world.classes; a class that is not built in has subjects
    (world.subjects.<class>), Objaverse categories when it takes Objaverse objects, and held-out
    meshes for each proxy domain that renders it."""
    world = config["world"]["classes"]
    for key, classes in _class_references(config):
        missing = [c for c in classes if c not in world]
        if missing:
            raise ConfigError(
                f"config key {key}: classes {missing} are not in world.classes {world}; fix the "
                "name, or add the class to world.classes"
            )
    subjects = config["world"].get("subjects") or {}
    categories = (config.get("objaverse") or {}).get("categories") or {}
    for cls in world:
        if cls in BUILTIN_CLASSES:
            continue
        if cls not in subjects:
            raise ConfigError(
                f"config key world.subjects.{cls}: class {cls!r} is not built in ({', '.join(BUILTIN_CLASSES)}) "
                f"and has no subjects; add world.subjects.{cls}.meshes (mesh files under `path`, a "
                "`download`, or `objaverse: true`), see docs/own_study.md"
            )
        if any(m.get("objaverse") for m in subjects[cls]["meshes"]) and cls not in categories:
            raise ConfigError(
                f"config key objaverse.categories.{cls}: world.subjects.{cls} takes Objaverse objects, "
                f"but only the built-in classes have default LVIS categories; list {cls}'s LVIS "
                "categories there"
            )
    pools = config["world"]["heldout_breeds"]
    for cls, spec in subjects.items():
        unknown = sorted(set(spec.get("heldout") or {}) - set(pools))
        if unknown:
            raise ConfigError(
                f"config key world.subjects.{cls}.heldout: pools {unknown} are not pools of "
                f"world.heldout_breeds {sorted(pools)}; name a proxy domain's pool"
            )


def _check_proxy_pools(config: dict) -> None:
    """Each class a proxy domain renders has subjects in that domain's held-out pool, and the
    figures of a study with a proxy domain say so (``proxy: true``)."""
    for d, spec in config["domains"].items():
        if "sources" in spec:
            continue
        if not config["proxy"]:
            raise ConfigError(
                f"config key proxy: false, but domains.{d} is rendered (a proxy domain, no "
                "sources); set proxy: true so every figure says PROXY, or give it sources (photos)"
            )
        pool = domain_generator(config, d)["subject"]["heldout"]
        for cls in domain_classes(config, d):
            if cls not in pool_classes(config, pool):
                raise ConfigError(
                    f"config key world.subjects.{cls}.heldout.{pool}: the proxy domain {d!r} renders "
                    f"{cls} from held-out pool {pool!r}, which only the built-in classes have on "
                    f"their own; hold out some of {cls}'s meshes for it (world.subjects.{cls}.heldout: "
                    f"{{{pool}: n}}), or give domains.{d} sources (photos)"
                )


def expand_names(patterns: list[str], names: list[str], key: str) -> list[str]:
    """Download names matching ``patterns`` (exact names or globs like ``acg_*``), in the
    order of ``names`` (the config's downloads), each once.

    Raises ``ConfigError`` naming ``key`` when a pattern matches no download.
    """
    out: list[str] = []
    for pattern in patterns:
        hits = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        if not hits:
            raise ConfigError(
                f"config key {key}: {pattern!r} matches no entry of `downloads`; add the download or fix the name"
            )
        out += [n for n in hits if n not in out]
    return out


def world_imports(config: dict) -> dict[str, list[str]]:
    """The downloads world.materials_from / world.skies_from name (globs expanded, in
    `downloads` order): ``{"materials": [...], "skies": [...]}``."""
    names = list(config.get("downloads") or {})
    out = {}
    for kind in ("materials", "skies"):
        key = f"world.{kind}_from"
        out[kind] = expand_names(config["world"].get(f"{kind}_from") or [], names, key)
        if len(out[kind]) > config["world"][kind]:
            raise ConfigError(
                f"config key {key}: {len(out[kind])} downloads, more than world.{kind} "
                f"({config['world'][kind]}); raise world.{kind} to at least {len(out[kind])}"
            )
    return out


def domain_classes(config: dict, domain: str) -> list[str]:
    """Classes a target domain must provide: every task's for 'real' (figure 8 tests on it),
    the study's pair (synth.classes) for the others."""
    if domain == "real":
        return sorted({c for t in config["tasks"].values() for c in t} | set(config["synth"]["classes"]))
    return list(config["synth"]["classes"])


PET_ADAPTERS = {"petimages": ("cat", "dog"), "oxford_pet": ("cat", "dog")}  # adapters of pet photos only


def _check_sources(config: dict) -> None:
    """Real-image domains: known downloads, every needed class from exactly one source."""
    downloads = config.get("downloads") or {}
    for domain, d in config["domains"].items():
        if "sources" not in d:
            continue
        seen: dict[str, str] = {}
        for name, src in d["sources"].items():
            key = f"domains.{domain}.sources.{name}"
            if ("downloads" in src) == ("path" in src):
                raise ConfigError(
                    f"config key {key}: give either `downloads` (names of downloads "
                    "entries) or `path` (a local dataset folder)"
                )
            missing = [n for n in src.get("downloads", []) if n not in downloads]
            if missing:
                raise ConfigError(f"config key {key}.downloads: {missing} are not entries of `downloads`")
            if src["adapter"] == "domainnet" and "domains" not in src.get("params", {}):
                raise ConfigError(
                    f"config key {key}.params.domains: the domainnet adapter needs the "
                    "DomainNet domains to index, e.g. [clipart, painting]"
                )
            only = PET_ADAPTERS.get(src["adapter"])
            if only and set(src["classes"]) - set(only):
                raise ConfigError(
                    f"config key {key}.classes: the {src['adapter']} adapter has only {list(only)}, not "
                    f"{sorted(set(src['classes']) - set(only))}; take other classes from a domainnet or "
                    "folder source"
                )
            for cls in src["classes"]:
                if cls in seen:
                    raise ConfigError(
                        f"config key {key}.classes: {cls} also comes from source "
                        f"{seen[cls]!r}; each class from one source"
                    )
                seen[cls] = name
        missing = [c for c in domain_classes(config, domain) if c not in seen]
        if missing:
            raise ConfigError(
                f"config key domains.{domain}.sources: no source provides {missing}, "
                "which the study tests on; add them to a source's classes"
            )


def main(argv: list[str] | None = None) -> int:
    """``python -m domrand.config [snakemake args]``: read every ``--configfile`` the arguments
    name and report a YAML syntax error with its file, line and column. Snakemake reads these
    files itself before the Snakefile runs and names neither (`bash setup.sh run` checks
    first); the Snakefile checks everything else."""
    argv = list(sys.argv[1:] if argv is None else argv)
    files, take = [], False
    for arg in argv:
        if arg in ("--configfile", "--configfiles"):
            take = True
        elif arg.startswith(("--configfile=", "--configfiles=")):
            files.append(arg.split("=", 1)[1])
            take = False
        elif take and not arg.startswith("-"):
            files.append(arg)
        else:
            take = False
    try:
        for f in files:
            if Path(f).is_file():  # a missing file: Snakemake's own message names it
                read_config_file(f)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
