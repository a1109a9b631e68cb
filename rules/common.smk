# Snakemake glue over the study's plan (domrand.plan): wildcard constraints, input functions
# that format paths from the plan, checkpoints, and config slices. Each rule's params carry
# exactly the slice it depends on, so reruns are exact.
from types import SimpleNamespace

from domrand.assets.lock import config_downloads, lock_path, read_lock, resolve_download
from domrand.config import (
    domain_generator,
    pool_classes,
    subject_generator,
    subject_pools,
    variant_generator,
    world_imports,
)
from domrand.data.sources import adapter_params, check_source_classes, class_sources
from domrand.train.weights import PACKAGED_WEIGHTS
from domrand.digest import code_digest
from domrand.figures.best import read_best_variant
from domrand.figures.search import read_kept, read_pick
from domrand.plan import (
    BEST,
    FIGURE_ARCH,
    FIGURE_TASK,
    Plan,
    dataset_variant,
    is_synthetic,
    variant_dataset,
)
from domrand.search import TARGET, VALIDATION, entry_patch, round_count, round_dataset

check_source_classes(config)  # DomainNet class names, before any job
PLAN = Plan(config)
SUBJECT_POOLS = subject_pools(config)
BEST_TABLE = "results/tables/best_variant.csv"
# Downloads and real-image domains (rules/assets.smk, rules/realdata.smk).
LOCK = read_lock(lock_path(config, workflow.basedir))
DOWNLOADS = config_downloads(config)
ASSETS = [n for n, (key, _) in DOWNLOADS.items() if key.startswith("downloads.")]
OBJAVERSE = [
    c
    for c, spec in config["world"].get("subjects", {}).items()
    if any(m.get("objaverse") for m in spec["meshes"])
]
WORLD_IMPORTS = world_imports(config)


def library_code(script):
    """Digest of the library modules the rule's script runs (its domrand imports, followed
    transitively): in a rule's params, an edit to one of them reruns the rule's jobs."""
    return code_digest(f"{workflow.basedir}/workflow/scripts/{script}.py")


def _alternatives(names):
    return "|".join(sorted(map(str, names), key=len, reverse=True))


wildcard_constraints:
    variant=_alternatives([*PLAN.variants, *PLAN.breed_variants, *PLAN.search_variants]),
    domain=_alternatives(
        [*PLAN.domains, *(d for d in PLAN.search_rendered if d == VALIDATION)]
    ),
    dataset=_alternatives([*PLAN.datasets, *PLAN.search_datasets, VALIDATION]),
    cls=_alternatives(config["world"]["classes"]),
    arch=_alternatives(PLAN.archs),
    task=_alternatives(PLAN.tasks),
    seed=r"\d+",
    shard=r"\d+",
    testset=_alternatives(PLAN.testsets),
    pool=_alternatives(SUBJECT_POOLS),


def shard_dirs(wildcards):
    return PLAN.shard_dirs(wildcards.dataset, wildcards.cls)


def generator_of_variant(wildcards):
    if wildcards.variant in PLAN.breed_variants:
        return PLAN.breed_variants[wildcards.variant]
    if wildcards.variant in PLAN.search_variants:
        return PLAN.search_variants[wildcards.variant]
    return variant_generator(config, wildcards.variant)


def generator_of_domain(wildcards):
    return domain_generator(config, PLAN.index_domain(wildcards.domain))


def render_of_variant(wildcards):
    return PLAN.render_slice(variant_dataset(wildcards.variant))


def render_of_domain(wildcards):
    return PLAN.render_slice(wildcards.domain)


def gather_params(wildcards):
    d = wildcards.dataset
    return {
        "source": d,
        "domain": "synthetic" if is_synthetic(d) else PLAN.index_domain(d),
        "n_train": PLAN.set_sizes(d)[0],
    }


def feature_params(wildcards=None):
    t = config["training"]
    return {
        "backbone": config["model"]["backbone"],
        "sha256": backbone_sha256(),
        "input_size": config["model"]["input_size"],
        "views": t["views"],
        "augment": t["augment"],
        "seed": config["seed"],
    }


def pretrain_params(wildcards=None):
    return {
        **config["pretrain"],
        "seed": config["seed"],
        "input_size": config["model"]["input_size"],
        "augment": config["training"]["augment"],
    }


def backbone_file(wildcards=None):
    """A pinned download (model.weights), packaged with an installed package
    (efficientnet_lite0), or pretrained here (small_cnn)."""
    if "weights" in config["model"]:
        return f"resources/downloads/weights/{config['model']['weights']['name']}"
    if config["model"]["backbone"] in PACKAGED_WEIGHTS:
        return f"results/backbones/{config['model']['backbone']}.pth"
    return f"results/backbones/{config['model']['backbone']}.pt"


def backbone_sha256(wildcards=None):
    """The packaged weights' pin, checked wherever they are loaded (None for other backbones)."""
    if config["model"]["backbone"] in PACKAGED_WEIGHTS:
        return config["model"]["sha256"]
    return None


def weights_asset(wildcards=None):
    return config["model"]["weights"]


def train_params(wildcards):
    arch = config["architectures"][wildcards.arch]
    part = PLAN.data_slice(getattr(wildcards, "dataset", ""), wildcards.seed)
    return {
        **({"data_slice": part} if part else {}),
        **PLAN.training(wildcards.arch),
        "dropout": arch["dropout"],
        "frozen": arch["frozen"],
        "seed": int(wildcards.seed),
        "classes": config["tasks"][wildcards.task],
        "backbone": config["model"]["backbone"],
        "sha256": backbone_sha256(),
        "input_size": PLAN.input_size(wildcards.arch),
    }


def train_features(wildcards):
    return [
        f"results/features/{wildcards.dataset}/{c}.pt"
        for c in config["tasks"][wildcards.task]
    ]


def monitor_features(wildcards):
    return [f"results/features/real/{c}.pt" for c in config["tasks"][wildcards.task]]


def train_indexes(wildcards):
    return [
        f"results/datasets/{wildcards.dataset}/{c}.parquet"
        for c in config["tasks"][wildcards.task]
    ]


def monitor_indexes(wildcards):
    return [
        f"results/datasets/real/{c}.parquet" for c in config["tasks"][wildcards.task]
    ]


def test_classes(wildcards):
    return PLAN.test_classes(wildcards.testset, wildcards.task)


def test_indexes(wildcards):
    d = PLAN.testsets[wildcards.testset]
    # domains.<d>.balance_tasks: one index of the task's classes, capped at its smallest
    if d in PLAN.balanced:
        return [f"results/datasets/{d}/tasks/{wildcards.task}.parquet"]
    return [f"results/datasets/{d}/{c}.parquet" for c in test_classes(wildcards)]


def balance_inputs(wildcards):
    have = PLAN.dataset_classes(wildcards.dataset)
    return [
        f"results/datasets/{wildcards.dataset}/{c}.parquet"
        for c in config["tasks"][wildcards.task]
        if c in have
    ]


def balance_params(wildcards):
    return {"seed": config["seed"]}


def test_features(wildcards):
    """A frozen model's evaluation scores every epoch's head on the test set's stored features."""
    if not config["architectures"][wildcards.arch]["frozen"]:
        return []
    d = PLAN.testsets[wildcards.testset]
    return [f"results/features/{d}/{c}.pt" for c in test_classes(wildcards)]


def eval_params(wildcards):
    return {
        "classes": test_classes(wildcards),
        "input_size": PLAN.input_size(wildcards.arch),
        "report": config["evaluation"]["report"],
    }


def model_dir(dataset, task, arch, seed):
    return f"results/models/{dataset}/{task}/{arch}/seed{seed}"


def evals(datasets, tasks, archs, testsets):
    return [
        f"results/eval/{d}/{t}/{a}/seed{s}/{ts}.json"
        for d in datasets
        for t in tasks
        for a in archs
        for s in config["seeds"]
        for ts in testsets
    ]


def predictions(datasets, tasks, archs, testsets):
    """Per-image predictions beside each evaluation: the figures' intervals and tests."""
    return [
        p.removesuffix(".json") + ".predictions.parquet"
        for p in evals(datasets, tasks, archs, testsets)
    ]


def histories(datasets):
    return [
        f"{model_dir(d, FIGURE_TASK, FIGURE_ARCH, s)}/history.csv"
        for d in datasets
        for s in config["seeds"]
    ]


def all_figures():
    return [
        f"results/{name}.png"
        for name in (
            "fig1_examples",
            "fig2_training_curves",
            "fig3_architectures",
            "fig4_ablation",
            "fig5_heatmaps",
            "fig6_domains",
            "fig7_domain_transfer",
            "fig8_categories",
            "domain_realism",
            "subject_realism",
            "fig9_breed_scaling",
            "fig10_real_mixing",
            "fig11_data_size",
            "fig12_parameter_errors",
            "fig13_search",
        )
    ]


def all_tables():
    """Tables without a figure of their own."""
    best = [BEST_TABLE] if PLAN.uses_best() else []
    return ["results/tables/occlusion.csv", *best]


def figure_model(fig):
    """The synthetic-trained dataset of figure `fig`: figures.models.<fig>, or for `best` the
    variant checkpoint choose_best_variant chose from figure 4 (read once it has run).
    """
    model = PLAN.figure_model(fig)
    if model != BEST:
        return model
    return read_best_variant(checkpoints.choose_best_variant.get().output.table)


def figure_model_note(fig):
    """How a figure's title names its synthetic model."""
    model = figure_model(fig)
    if PLAN.figure_model(fig) == BEST:
        return f"synthetic-trained: {model}, the best variant of fig. 4"
    return f"synthetic-trained: {model}"


def occlusion_shards(wildcards=None):
    """Every render shard of every rendered variant and proxy domain, all its classes."""
    return [
        path
        for d in PLAN.rendered
        for c in PLAN.dataset_classes(d)
        for path in PLAN.shard_dirs(d, c)
    ]


def occlusion_kinds(wildcards=None):
    return {
        **{v: "variant" for v in PLAN.variants},
        **{v: "figure 9 breed count" for v in PLAN.breed_variants},
        **{d: "proxy domain" for d in PLAN.domains if d not in PLAN.sourced},
    }


def checkpoint_path(wildcards):
    """Outside the model folder, so Snakemake's cleanup of a failed job keeps it for resuming."""
    w = wildcards
    return f"results/checkpoints/{w.dataset}/{w.task}/{w.arch}/seed{w.seed}.pt"


def first_shards(datasets, classes):
    """Shard 0 of each (dataset, class): where example images come from (the dataset index
    for a domain of real images)."""
    out = []
    for d in datasets:
        if d in PLAN.sourced:
            out += [f"results/datasets/{d}/{c}.parquet" for c in classes]
        else:
            out += [f"{PLAN.shard_root(d)}/{c}/0" for c in classes]
    return out


def heatmap_model(wildcards):
    seed = config["seeds"][0]
    return f"{model_dir(wildcards.dataset, FIGURE_TASK, FIGURE_ARCH, seed)}/model.pt"


def heatmap_test_indexes(wildcards):
    d = PLAN.testsets[wildcards.testset]
    return [f"results/datasets/{d}/{c}.parquet" for c in config["tasks"][FIGURE_TASK]]


def explain_params(wildcards=None):
    return {
        **config["explain"],
        "classes": config["tasks"][FIGURE_TASK],
        "input_size": config["model"]["input_size"],
        "seed": config["seed"],
    }


def heatmaps():
    return [
        f"results/heatmaps/{d}/{ts}.npz"
        for d in ("real", PLAN.synthetic)
        for ts in ("real", "synthetic")
    ]


def realism_params(keys=("images_per_class", "input_size")):
    """realism's keys, and the ImageNet families of classes beyond the built-in ones."""
    r = config["realism"]
    return {**{k: r[k] for k in keys}, "families": r.get("families", {})}


# Subject realism: every subject pool under one photo-like generator (realism.subjects).
_SUBJECTS = config["realism"]["subjects"]
SUBJECT_REFERENCE = (
    domain_generator(config, _SUBJECTS["generator"])["subject"]["heldout"]
    if isinstance(_SUBJECTS["generator"], str)
    else None
)


def generator_of_pool(wildcards):
    return subject_generator(config, wildcards.pool)


def render_of_pool(wildcards):
    r = config["render"]
    keys = ("image_size", "backend", "engine", "jpeg_quality")
    return {
        **{k: r[k] for k in keys},
        "seed": config["seed"],
        "images_per_breed": _SUBJECTS["images_per_breed"],
    }


def subject_shards(wildcards):
    return [
        f"results/subjects/{wildcards.pool}/{c}"
        for c in pool_classes(config, wildcards.pool)
    ]


def realism_indexes(wildcards):
    d = wildcards.dataset
    return [f"results/datasets/{d}/{c}.parquet" for c in PLAN.dataset_classes(d)]


def realism_kinds():
    """What each dataset of the realism figure is, in words."""
    kinds = {}
    for d in PLAN.realism_sets:
        if is_synthetic(d):
            kinds[d] = "synthetic"
        elif d in PLAN.sourced:
            kinds[d] = f"{d}: downloaded images"
        else:
            kinds[d] = f"proxy {d}"
    return kinds


def objaverse_objects(wildcards):
    """The class's pinned Objaverse objects from the lock file (None: not pinned yet)."""
    return LOCK["objects"].get(f"objaverse/{wildcards.cls}")


def download_spec(wildcards):
    """The download's config entry, with its sha256 from the lock file when the entry has none."""
    key, entry = DOWNLOADS[wildcards.asset]
    return resolve_download(wildcards.asset, entry, LOCK, key, config.get("lock"))


def all_downloads(wildcards=None):
    """Everything the config downloads: what `snakemake fetch` gets on a connected machine."""
    out = [f"resources/assets/{n}" for n in ASSETS]
    out += [f"resources/assets/objaverse_{c}" for c in OBJAVERSE]
    return out + ([backbone_file()] if "weights" in config["model"] else [])


def source_entry(wildcards):
    return config["domains"][wildcards.domain]["sources"][wildcards.source]


def source_downloads(wildcards):
    return [
        f"resources/assets/{n}" for n in source_entry(wildcards).get("downloads", [])
    ]


def source_params(wildcards):
    src = source_entry(wildcards)
    return {
        "adapter": src["adapter"],
        "path": src.get("path"),
        "params": adapter_params(
            wildcards.source,
            src,
            wildcards.domain,
            PLAN.set_sizes(wildcards.domain),
            config["seed"],
        ),
    }


def class_source_index(wildcards):
    d = wildcards.dataset
    return f"results/sources/{d}/{class_sources(config['domains'][d])[wildcards.cls]}.parquet"


def select_params(wildcards):
    n_train, n_test = PLAN.set_sizes(wildcards.dataset)
    out = {"n_train": n_train, "n_test": n_test, "seed": config["seed"]}
    # the search's validation images (the end of the train pool's order) stay out of training
    if wildcards.dataset == TARGET:
        out["reserve"] = config["search"]["val_per_class"]
    return out


def validation_source_index(wildcards):
    return class_source_index(SimpleNamespace(dataset=TARGET, cls=wildcards.cls))


def validation_params(wildcards=None):
    return {"n_val": config["search"]["val_per_class"], "seed": config["seed"]}


def world_downloads(wildcards=None):
    """The downloads the world imports: subject meshes (world.subjects), materials and
    skies (world.materials_from, world.skies_from)."""
    names = {
        m["download"]
        for spec in config["world"].get("subjects", {}).values()
        for m in spec["meshes"]
        if "download" in m
    }
    names |= set(WORLD_IMPORTS["materials"]) | set(WORLD_IMPORTS["skies"])
    return [f"resources/assets/{n}" for n in sorted(names)] + [
        f"resources/assets/objaverse_{c}" for c in OBJAVERSE
    ]


def world_import_entries(wildcards=None):
    """Config entries of the downloads imported as materials and skies, in config order."""
    used = set(WORLD_IMPORTS["materials"]) | set(WORLD_IMPORTS["skies"])
    return {n: e for n, e in (config.get("downloads") or {}).items() if n in used}


def attribution_params(wildcards=None):
    """What ATTRIBUTION.md credits: every download, and where each domain's images come from."""
    return {
        "downloads": {n: entry for n, (_, entry) in DOWNLOADS.items()},
        "domains": {
            d: (
                {
                    s: src["adapter"]
                    for s, src in config["domains"][d]["sources"].items()
                }
                if d in PLAN.sourced
                else "proxy"
            )
            for d in PLAN.domains
        },
        "subjects": config["world"].get("subjects", {}),
        "objects": {c: LOCK["objects"].get(f"objaverse/{c}") for c in OBJAVERSE},
        "textures": WORLD_IMPORTS,
    }


# Beyond the paper: figures 9-12 (rules/beyond.smk, domrand.experiments).
def breed_datasets():
    return list(dict.fromkeys(e["dataset"] for e in PLAN.breed_scaling))


def breed_indexes():
    return {
        d: [f"results/datasets/{d}/{c}.parquet" for c in config["tasks"][FIGURE_TASK]]
        for d in breed_datasets()
    }


def heads_of(prefix):
    return [
        f"results/beyond/heads/{h}/seed{s}.json"
        for h in PLAN.feature_heads
        if h.startswith(prefix)
        for s in config["seeds"]
    ]


def _features_of(testset):
    d = {"synthetic": PLAN.synthetic, "real": "real"}[testset]
    return [f"results/features/{d}/{c}.pt" for c in config["tasks"][FIGURE_TASK]]


def head_features(wildcards):
    """Per-class feature files a head trains on (train_<set>) and is tested on (test_<set>)."""
    spec = PLAN.feature_heads[wildcards.head]
    out = {f"train_{n}": _features_of(n) for n in spec["train"]}
    out.update({f"test_{n}": _features_of(n) for n in spec["test"]})
    return out


def head_params(wildcards):
    """The head's subset spec and training config (figures' task and architecture)."""
    w = SimpleNamespace(
        task=FIGURE_TASK, arch=FIGURE_ARCH, seed=wildcards.seed, dataset=PLAN.synthetic
    )
    return {
        "spec": PLAN.feature_heads[wildcards.head],
        "train": {**train_params(w), "report": config["evaluation"]["report"]},
    }


def parameter_predictions():
    model = f"results/eval/{PLAN.synthetic}/{FIGURE_TASK}/{FIGURE_ARCH}"
    return {
        ts: [f"{model}/seed{s}/{ts}.predictions.parquet" for s in config["seeds"]]
        for ts in PLAN.parameter_testsets
    }


def parameter_indexes():
    return {
        ts: [
            f"results/datasets/{PLAN.testsets[ts]}/{c}.parquet"
            for c in config["tasks"][FIGURE_TASK]
        ]
        for ts in PLAN.parameter_testsets
    }


def parameter_generators(wildcards=None):
    """Each test set's sky and materials config: what its sky and ground indices name."""
    gens = {"synthetic": variant_generator(config, dataset_variant(PLAN.synthetic))}
    if "real" in PLAN.parameter_testsets:
        gens["real"] = domain_generator(config, "real")
    return {
        ts: {"sky": g["sky"], "materials": g["materials"]}
        for ts, g in gens.items()
        if ts in PLAN.parameter_testsets
    }


# Figure 13: the search over randomization settings (rules/search.smk, domrand.search).
def search_head_features(wildcards):
    """An entry's training features in its round, and the validation split's."""
    d = round_dataset(config, wildcards.entry, int(wildcards.round))
    classes = config["tasks"][FIGURE_TASK]
    return {
        "train_synthetic": [f"results/features/{d}/{c}.pt" for c in classes],
        "test_val": [f"results/features/{VALIDATION}/{c}.pt" for c in classes],
    }


def search_head_params(wildcards):
    """A round's head: the figures' training config on the entry's round dataset (the first
    seed's set where seeds vary the data), seeded by search.seed, scored on validation.
    """
    rnd = int(wildcards.round)
    d = round_dataset(config, wildcards.entry, rnd)
    w = SimpleNamespace(
        task=FIGURE_TASK, arch=FIGURE_ARCH, seed=config["seeds"][0], dataset=d
    )
    key = "search.small_per_class" if rnd == 1 else "synth.train_per_class"
    return {
        "spec": {
            "train": {"synthetic": round_count(config, rnd)},
            "test": ["val"],
            "keys": {"synthetic": key},
        },
        "train": {
            **train_params(w),
            "seed": config["search"]["seed"],
            "report": config["evaluation"]["report"],
        },
    }


def search_round_params(rnd):
    """What a round's table records: its entries' settings, how many go on, the seed."""
    return {
        "round": rnd,
        "keep": config["search"]["keep"] if rnd == 1 else 1,
        "seed": config["search"]["seed"],
        "entries": {
            e: {
                "kind": "anchor" if e in config["variants"] else "candidate",
                "dataset": round_dataset(config, e, rnd),
                "patch": entry_patch(config, e, PLAN.search_candidates),
            }
            for e in PLAN.search_entries
        },
    }


def search_round2_heads(wildcards=None):
    """Round 2's heads: the entries round 1 kept (read once its checkpoint has run)."""
    kept = read_kept(checkpoints.search_round1.get().output.table)
    return [f"results/search/round2/{e}.json" for e in kept]


def search_pick_dataset():
    """The dataset of the search's pick (read once round 2's checkpoint has run)."""
    return f"synth_{read_pick(checkpoints.search_round2.get().output.table)}"


def fig13_predictions(wildcards=None):
    """Real-test predictions of figure 4's variants (the control, the best on test) and the pick."""
    sets = list(dict.fromkeys([*PLAN.variant_datasets, search_pick_dataset()]))
    return predictions(sets, [FIGURE_TASK], [FIGURE_ARCH], ["real"])
