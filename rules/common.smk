# Helpers: wildcard constraints from config names, input functions, and config slices.
# Each rule's params carry exactly the slice it depends on, so reruns are exact.
import math
from types import SimpleNamespace

from domrand.assets.lock import config_downloads, lock_path, read_lock, resolve_download
from domrand.config import (
    deep_merge,
    domain_generator,
    subject_generator,
    subject_pools,
    variant_generator,
    world_imports,
)
from domrand.data.sources import adapter_params, class_sources
from domrand.train.weights import PACKAGED_WEIGHTS
from domrand.experiments import breed_scaling, breed_variants, feature_heads
from domrand.digest import code_digest
from domrand.figures.best import read_best_variant

VARIANTS = list(config["variants"])
BREED_VARIANTS = breed_variants(
    config
)  # figure 9's derived variants (rules/beyond.smk)
DOMAINS = list(config["domains"])
DATASETS = [f"synth_{v}" for v in [*VARIANTS, *BREED_VARIANTS]] + DOMAINS
ARCHS = list(config["architectures"])
FROZEN = [a for a in ARCHS if config["architectures"][a]["frozen"]]
UNFROZEN = [a for a in ARCHS if not config["architectures"][a]["frozen"]]
TASKS = list(config["tasks"])
SYNTHETIC = config["figures"]["synthetic"]
# The synthetic-trained model of each figure (figures.models, default figures.synthetic):
# a dataset name, or "best" (chosen by checkpoint choose_best_variant, rules/figures.smk).
FIGURE_MODELS = {
    f: (config["figures"].get("models") or {}).get(f, SYNTHETIC)
    for f in ("fig2", "fig3", "fig5", "fig7", "fig8")
}
BEST_TABLE = "results/tables/best_variant.csv"
TESTSETS = {"real": "real", "synthetic": SYNTHETIC, "toon": "toon"}
SUBJECT_POOLS = subject_pools(config)
ALL_CLASSES = sorted(
    {c for t in config["tasks"].values() for c in t} | set(config["synth"]["classes"])
)


def library_code(script):
    """Digest of the library modules the rule's script runs (its domrand imports, followed
    transitively): in a rule's params, an edit to one of them reruns the rule's jobs."""
    return code_digest(f"{workflow.basedir}/workflow/scripts/{script}.py")


def _alternatives(names):
    return "|".join(sorted(map(str, names), key=len, reverse=True))


wildcard_constraints:
    variant=_alternatives([*VARIANTS, *BREED_VARIANTS]),
    domain=_alternatives(DOMAINS),
    dataset=_alternatives(DATASETS),
    cls=_alternatives(config["world"]["classes"]),
    arch=_alternatives(ARCHS),
    task=_alternatives(TASKS),
    seed=r"\d+",
    shard=r"\d+",
    testset=_alternatives(TESTSETS),
    pool=_alternatives(SUBJECT_POOLS),


def dataset_classes(dataset):
    """Classes rendered for a dataset: the study's pair, plus every task class for the
    datasets the category experiment (figure 8) trains and tests on."""
    if dataset in (SYNTHETIC, FIGURE_MODELS["fig8"], "real"):
        return ALL_CLASSES
    return list(config["synth"]["classes"])


def data_seeds(dataset):
    """How many disjoint training sets a dataset renders: one per seed when seeds vary the data
    (`seeds_over: data`, synthetic sets), else one shared by every seed."""
    if config["seeds_over"] == "data" and dataset.startswith("synth_"):
        return len(config["seeds"])
    return 1


def set_sizes(dataset):
    """(train, test) images per class of a dataset (all seeds' training sets together)."""
    n_train = config["synth"]["train_per_class"] * data_seeds(dataset)
    if dataset.removeprefix("synth_") in BREED_VARIANTS:
        return n_train, 0  # tested on the real test set only
    if dataset.startswith("synth_"):
        return n_train, config["synth"]["test_per_class"]
    d = config["domains"][dataset]
    return d["train_per_class"], d["test_per_class"]


def n_shards(dataset):
    return math.ceil(sum(set_sizes(dataset)) / config["render"]["shard_size"])


def shard_dirs(wildcards):
    d = wildcards.dataset
    root = f"results/synth/{d[6:]}" if d.startswith("synth_") else f"results/proxy/{d}"
    return [f"{root}/{wildcards.cls}/{s}" for s in range(n_shards(d))]


def render_slice(dataset):
    """What a render job of a dataset depends on besides its generator."""
    r = config["render"]
    return {**r, "seed": config["seed"], "images_per_class": sum(set_sizes(dataset))}


def generator_of_variant(wildcards):
    if wildcards.variant in BREED_VARIANTS:
        return BREED_VARIANTS[wildcards.variant]
    return variant_generator(config, wildcards.variant)


def generator_of_domain(wildcards):
    return domain_generator(config, wildcards.domain)


def render_of_variant(wildcards):
    return render_slice(f"synth_{wildcards.variant}")


def render_of_domain(wildcards):
    return render_slice(wildcards.domain)


def gather_params(wildcards):
    d = wildcards.dataset
    return {
        "source": d,
        "domain": "synthetic" if d.startswith("synth_") else d,
        "n_train": set_sizes(d)[0],
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


def arch_input_size(arch):
    return config["architectures"][arch].get(
        "input_size", config["model"]["input_size"]
    )


def data_slice(dataset, seed):
    """Which of a dataset's per-seed training sets a model of `seed` trains on (None: shared)."""
    parts = data_seeds(dataset)
    if parts == 1:
        return None
    return {"part": config["seeds"].index(int(seed)), "parts": parts}


def train_params(wildcards):
    arch = config["architectures"][wildcards.arch]
    t = {k: v for k, v in config["training"].items() if k != "views"}
    t.update({k: arch[k] for k in ("lr", "epochs", "batch_size") if k in arch})
    part = data_slice(getattr(wildcards, "dataset", ""), wildcards.seed)
    return {
        **({"data_slice": part} if part else {}),
        **t,
        "dropout": arch["dropout"],
        "frozen": arch["frozen"],
        "seed": int(wildcards.seed),
        "classes": config["tasks"][wildcards.task],
        "backbone": config["model"]["backbone"],
        "sha256": backbone_sha256(),
        "input_size": arch_input_size(wildcards.arch),
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
    """The task's classes that the test set has (toon covers only the study's pair)."""
    have = dataset_classes(TESTSETS[wildcards.testset])
    return [c for c in config["tasks"][wildcards.task] if c in have]


def test_indexes(wildcards):
    d = TESTSETS[wildcards.testset]
    # domains.<d>.balance_tasks: one index of the task's classes, capped at its smallest
    if d in BALANCED:
        return [f"results/datasets/{d}/tasks/{wildcards.task}.parquet"]
    return [f"results/datasets/{d}/{c}.parquet" for c in test_classes(wildcards)]


def balance_inputs(wildcards):
    have = dataset_classes(wildcards.dataset)
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
    d = TESTSETS[wildcards.testset]
    return [f"results/features/{d}/{c}.pt" for c in test_classes(wildcards)]


def eval_params(wildcards):
    return {
        "classes": test_classes(wildcards),
        "input_size": arch_input_size(wildcards.arch),
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
        f"{model_dir(d, 'cat_dog', 'dropout', s)}/history.csv"
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
        )
    ]


def all_tables():
    """Tables without a figure of their own."""
    best = [BEST_TABLE] if "best" in FIGURE_MODELS.values() else []
    return ["results/tables/occlusion.csv", *best]


def figure_model(fig):
    """The synthetic-trained dataset of figure `fig`: figures.models.<fig>, or for `best` the
    variant checkpoint choose_best_variant chose from figure 4 (read once it has run).
    """
    model = FIGURE_MODELS[fig]
    if model != "best":
        return model
    return read_best_variant(checkpoints.choose_best_variant.get().output.table)


def figure_model_note(fig):
    """How a figure's title names its synthetic model."""
    model = figure_model(fig)
    if FIGURE_MODELS[fig] == "best":
        return f"synthetic-trained: {model}, the best variant of fig. 4"
    return f"synthetic-trained: {model}"


def occlusion_shards(wildcards=None):
    """Every render shard of every rendered variant and proxy domain, all its classes."""
    out = []
    for d in RENDERED:
        root = (
            f"results/synth/{d[6:]}" if d.startswith("synth_") else f"results/proxy/{d}"
        )
        out += [
            f"{root}/{c}/{s}" for c in dataset_classes(d) for s in range(n_shards(d))
        ]
    return out


def occlusion_kinds(wildcards=None):
    return {
        **{v: "variant" for v in VARIANTS},
        **{v: "figure 9 breed count" for v in BREED_VARIANTS},
        **{d: "proxy domain" for d in DOMAINS if d not in SOURCED},
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
        if d in SOURCED:
            out += [f"results/datasets/{d}/{c}.parquet" for c in classes]
            continue
        root = (
            f"results/synth/{d[6:]}" if d.startswith("synth_") else f"results/proxy/{d}"
        )
        out += [f"{root}/{c}/0" for c in classes]
    return out


def heatmap_model(wildcards):
    return f"{model_dir(wildcards.dataset, 'cat_dog', 'dropout', config['seeds'][0])}/model.pt"


def heatmap_test_indexes(wildcards):
    d = TESTSETS[wildcards.testset]
    return [f"results/datasets/{d}/{c}.parquet" for c in config["tasks"]["cat_dog"]]


def explain_params(wildcards=None):
    return {
        **config["explain"],
        "classes": config["tasks"]["cat_dog"],
        "input_size": config["model"]["input_size"],
        "seed": config["seed"],
    }


def heatmaps():
    return [
        f"results/heatmaps/{d}/{ts}.npz"
        for d in ("real", SYNTHETIC)
        for ts in ("real", "synthetic")
    ]


def realism_params():
    return {k: config["realism"][k] for k in ("images_per_class", "input_size")}


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
        f"results/subjects/{wildcards.pool}/{c}" for c in config["world"]["classes"]
    ]


def realism_indexes(wildcards):
    d = wildcards.dataset
    return [f"results/datasets/{d}/{c}.parquet" for c in dataset_classes(d)]


# Every dataset with test images (figure 9's breed-count sets have none).
REALISM_SETS = [d for d in DATASETS if d.removeprefix("synth_") not in BREED_VARIANTS]


def realism_kinds():
    """What each dataset of the realism figure is, in words."""
    kinds = {}
    for d in REALISM_SETS:
        if d.startswith("synth_"):
            kinds[d] = "synthetic"
        elif d in SOURCED:
            kinds[d] = f"{d}: downloaded images"
        else:
            kinds[d] = f"proxy {d}"
    return kinds


# Downloads and real-image domains (rules/assets.smk, rules/realdata.smk).
LOCK = read_lock(lock_path(config, workflow.basedir))
DOWNLOADS = config_downloads(config)
SOURCED = [d for d in DOMAINS if "sources" in config["domains"][d]]
BALANCED = [d for d in SOURCED if config["domains"][d].get("balance_tasks")]
RENDERED = [d for d in DATASETS if d not in SOURCED]
SOURCES = sorted({s for d in SOURCED for s in config["domains"][d]["sources"]})
ASSETS = [n for n, (key, _) in DOWNLOADS.items() if key.startswith("downloads.")]
OBJAVERSE = [
    c
    for c, spec in config["world"].get("subjects", {}).items()
    if any(m.get("objaverse") for m in spec["meshes"])
]


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
            set_sizes(wildcards.domain),
            config["seed"],
        ),
    }


def class_source_index(wildcards):
    d = wildcards.dataset
    return f"results/sources/{d}/{class_sources(config['domains'][d])[wildcards.cls]}.parquet"


def select_params(wildcards):
    n_train, n_test = set_sizes(wildcards.dataset)
    return {"n_train": n_train, "n_test": n_test, "seed": config["seed"]}


WORLD_IMPORTS = world_imports(config)


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
                if d in SOURCED
                else "proxy"
            )
            for d in DOMAINS
        },
        "subjects": config["world"].get("subjects", {}),
        "objects": {c: LOCK["objects"].get(f"objaverse/{c}") for c in OBJAVERSE},
        "textures": WORLD_IMPORTS,
    }


# Beyond the paper: figures 9-12 (rules/beyond.smk, domrand.experiments).
BREED_SCALING = breed_scaling(config)
FEATURE_HEADS = feature_heads(config)
# Figure 12 needs render metadata: the synthetic test set, and the real one where it is rendered.
PARAMETER_TESTSETS = ["synthetic"] + (["real"] if "real" not in SOURCED else [])


def breed_datasets():
    return list(dict.fromkeys(e["dataset"] for e in BREED_SCALING))


def breed_indexes():
    return {
        d: [f"results/datasets/{d}/{c}.parquet" for c in config["tasks"]["cat_dog"]]
        for d in breed_datasets()
    }


def heads_of(prefix):
    return [
        f"results/beyond/heads/{h}/seed{s}.json"
        for h in FEATURE_HEADS
        if h.startswith(prefix)
        for s in config["seeds"]
    ]


def _features_of(testset):
    d = {"synthetic": SYNTHETIC, "real": "real"}[testset]
    return [f"results/features/{d}/{c}.pt" for c in config["tasks"]["cat_dog"]]


def head_features(wildcards):
    """Per-class feature files a head trains on (train_<set>) and is tested on (test_<set>)."""
    spec = FEATURE_HEADS[wildcards.head]
    out = {f"train_{n}": _features_of(n) for n in spec["train"]}
    out.update({f"test_{n}": _features_of(n) for n in spec["test"]})
    return out


def head_params(wildcards):
    """The head's subset spec and training config (figures' task and architecture)."""
    w = SimpleNamespace(
        task="cat_dog", arch="dropout", seed=wildcards.seed, dataset=SYNTHETIC
    )
    return {
        "spec": FEATURE_HEADS[wildcards.head],
        "train": {**train_params(w), "report": config["evaluation"]["report"]},
    }


def parameter_predictions():
    model = f"results/eval/{SYNTHETIC}/cat_dog/dropout"
    return {
        ts: [f"{model}/seed{s}/{ts}.predictions.parquet" for s in config["seeds"]]
        for ts in PARAMETER_TESTSETS
    }


def parameter_indexes():
    return {
        ts: [
            f"results/datasets/{TESTSETS[ts]}/{c}.parquet"
            for c in config["tasks"]["cat_dog"]
        ]
        for ts in PARAMETER_TESTSETS
    }


def parameter_generators(wildcards=None):
    """Each test set's sky and materials config: what its sky and ground indices name."""
    gens = {"synthetic": variant_generator(config, SYNTHETIC.removeprefix("synth_"))}
    if "real" in PARAMETER_TESTSETS:
        gens["real"] = domain_generator(config, "real")
    return {
        ts: {"sky": g["sky"], "materials": g["materials"]}
        for ts, g in gens.items()
        if ts in PARAMETER_TESTSETS
    }
