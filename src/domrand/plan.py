"""The study's plan: which datasets, classes, images, shards and models a config asks for.

Pure functions of the config dict (no Snakemake), built once as ``Plan(config)``. Every
planning decision of the workflow lives here: the rules take their inputs and params (each
the slice of the config a job depends on) from its methods, rules/common.smk only passing a
job's wildcards, with paths from domrand.paths; and the wall-time projection
(domrand.tools.projection) sizes each job's work from it, so both see the same study.

Datasets: ``synth_<variant>`` for every variant and every derived breed variant of figure 9
(domrand.experiments), then the domains. A domain with ``sources`` is *sourced* (indexed
from downloaded images), every other dataset is *rendered* in shards of
``render.shard_size`` images per class, under :meth:`Plan.shard_root`.
"""

from __future__ import annotations

import math

from domrand.config import (
    BUILTIN_CLASSES,
    SYNTHETIC_POOL,
    domain_generator,
    pool_classes,
    subject_generator,
    subject_pools,
    variant_generator,
    world_imports,
)
from domrand.experiments import breed_scaling, breed_variants, feature_heads
from domrand.paths import BEST_TABLE, OCCLUSION_TABLE, path
from domrand.search import (
    TARGET,
    VALIDATION,
    anchors,
    candidates,
    entry_patch,
    round_count,
    round_dataset,
    search_generators,
    small_size,
    small_variant,
)

# The task and architecture of the figures' models (figures 2, 4-7 and 9-12; figure 3 varies
# the architecture, figure 8 the task).
FIGURE_TASK = "cat_dog"
FIGURE_ARCH = "dropout"
# Figures whose synthetic-trained model figures.models may set (default figures.synthetic).
MODEL_FIGURES = ("fig2", "fig3", "fig5", "fig7", "fig8")
# figures.models.<fig> value: the variant the checkpoint choose_best_variant picks from figure 4.
BEST = "best"
SYNTH_PREFIX = "synth_"
# Training settings an architecture may override (architectures.<arch>).
ARCH_TRAINING_KEYS = ("lr", "epochs", "batch_size")
# Every figure of the study (rule all), in the order a run lists them.
FIGURES = (
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


def is_synthetic(dataset: str) -> bool:
    return dataset.startswith(SYNTH_PREFIX)


def variant_dataset(variant: str) -> str:
    """The dataset a variant renders: synth_<variant>."""
    return f"{SYNTH_PREFIX}{variant}"


def dataset_variant(dataset: str) -> str:
    """The variant of a synthetic dataset (synth_<variant>)."""
    return dataset.removeprefix(SYNTH_PREFIX)


class Plan:
    """Names and sizes of everything a config's study makes (see the module docstring)."""

    def __init__(self, config: dict):
        self.config = config
        c = config
        self.variants = list(c["variants"])
        self.variant_datasets = [variant_dataset(v) for v in self.variants]  # figures 1 and 4
        # figure 9's derived variants {name: generator} (rules/beyond.smk)
        self.breed_variants = breed_variants(c)
        self.domains = list(c["domains"])
        self.datasets = [variant_dataset(v) for v in [*self.variants, *self.breed_variants]] + self.domains
        self.sourced = [d for d in self.domains if "sources" in c["domains"][d]]
        self.balanced = [d for d in self.sourced if c["domains"][d].get("balance_tasks")]
        self.rendered = [d for d in self.datasets if d not in self.sourced]
        self.sources = sorted({s for d in self.sourced for s in c["domains"][d]["sources"]})
        self.archs = list(c["architectures"])
        self.frozen = [a for a in self.archs if c["architectures"][a]["frozen"]]
        self.unfrozen = [a for a in self.archs if not c["architectures"][a]["frozen"]]
        self.tasks = list(c["tasks"])
        self.synthetic = c["figures"]["synthetic"]
        # The synthetic-trained model of each figure: a dataset name, or BEST.
        models = c["figures"].get("models") or {}
        self.figure_models = {f: models.get(f, self.synthetic) for f in MODEL_FIGURES}
        self.testsets = {"real": "real", "synthetic": self.synthetic, "toon": "toon"}
        self.all_classes = sorted({cl for t in c["tasks"].values() for cl in t} | set(c["synth"]["classes"]))
        # Every dataset with test images (figure 9's breed-count sets have none).
        self.realism_sets = [d for d in self.datasets if not self.is_breed_dataset(d)]
        self.breed_scaling = breed_scaling(c)
        self.feature_heads = feature_heads(c)
        # Figure 12 needs render metadata: the synthetic test set, and the real one where rendered.
        self.parameter_testsets = ["synthetic"] + (["real"] if "real" not in self.sourced else [])
        # Figure 13's search (domrand.search): its entries, the variants it renders
        # ({name: generator}) and their datasets, apart from the study's lists above.
        self.search_candidates = candidates(c)
        self.search_entries = [*anchors(c), *self.search_candidates]
        self.search_variants = search_generators(c, self.search_candidates)
        self.search_datasets = [variant_dataset(v) for v in self.search_variants]
        self.validation = VALIDATION  # the real domain's validation split, a dataset of its own
        self.search_rendered = self.search_datasets + ([VALIDATION] if TARGET not in self.sourced else [])
        # Subject realism: every subject pool under one photo-like generator (realism.subjects),
        # and the held-out pool of the domain whose generator that is (None: a patch).
        self.subject_pools = subject_pools(c)
        reference = c["realism"]["subjects"]["generator"]
        self.subject_reference = (
            domain_generator(c, reference)["subject"]["heldout"] if isinstance(reference, str) else None
        )
        # Downloads: Objaverse classes, and the downloads imported as materials and skies.
        self.objaverse = [
            cl for cl, spec in c["world"].get("subjects", {}).items() if any(m.get("objaverse") for m in spec["meshes"])
        ]
        self.world_imports = world_imports(c)

    # ------------------------------------------------------------ datasets and their classes

    def is_breed_dataset(self, dataset: str) -> bool:
        return is_synthetic(dataset) and dataset_variant(dataset) in self.breed_variants

    def is_search_dataset(self, dataset: str) -> bool:
        return is_synthetic(dataset) and dataset_variant(dataset) in self.search_variants

    def is_small_dataset(self, dataset: str) -> bool:
        """A search candidate's round-1 training set (search.small_per_class images per class)."""
        return dataset in [variant_dataset(small_variant(n)) for n in self.search_candidates]

    def index_domain(self, dataset: str) -> str:
        """The `domain` column of a non-synthetic dataset's index: the validation split's
        domain is the real domain it comes from."""
        return TARGET if dataset == VALIDATION else dataset

    def dataset_classes(self, dataset: str) -> list[str]:
        """Classes rendered for a dataset: the study's pair, plus every task class for the
        datasets the category experiment (figure 8) trains and tests on: figures.synthetic,
        figure 8's model and the real domain. Figure 8's model set to BEST is only known after
        the checkpoint choose_best_variant, so no dataset counts as it here (the chosen
        variant's other task classes are made through the task's inputs after the checkpoint)."""
        if dataset in (self.synthetic, self.figure_models["fig8"], "real"):
            return self.all_classes
        return list(self.config["synth"]["classes"])

    def test_classes(self, testset: str, task: str) -> list[str]:
        """The task's classes that a test set has (toon covers only the study's pair)."""
        have = self.dataset_classes(self.testsets[testset])
        return [cl for cl in self.config["tasks"][task] if cl in have]

    def generator(self, dataset: str) -> dict:
        """The generator config of a synthetic dataset (a variant's, or a derived breed variant's)."""
        v = dataset_variant(dataset)
        if v in self.search_variants:
            return self.search_variants[v]
        return self.breed_variants[v] if v in self.breed_variants else variant_generator(self.config, v)

    def draws_breeds(self, dataset: str) -> bool:
        """Whether a synthetic dataset keeps fewer than all breeds (`subject.breeds: n`): which
        breeds is then a random factor, drawn anew for each seed's training set."""
        return is_synthetic(dataset) and self.generator(dataset)["subject"]["breeds"] != "all"

    # ------------------------------------------------------------ images per class

    def data_seeds(self, dataset: str) -> int:
        """How many disjoint training sets a dataset renders: one per seed when seeds vary the
        data (`seeds_over: data`, synthetic sets) or the set draws its breeds (one draw per
        seed), else one shared by every seed."""
        if self.is_small_dataset(dataset):
            return 1  # round 1 trains one seed
        if is_synthetic(dataset) and (self.config["seeds_over"] == "data" or self.draws_breeds(dataset)):
            return len(self.config["seeds"])
        return 1

    def set_sizes(self, dataset: str) -> tuple[int, int]:
        """(train, test) images per class of a dataset (all seeds' training sets together)."""
        c = self.config
        if dataset == VALIDATION:
            return 0, c["search"]["val_per_class"]  # every image in the index's test split
        if self.is_small_dataset(dataset):
            return small_size(c), 0
        n_train = c["synth"]["train_per_class"] * self.data_seeds(dataset)
        if self.is_breed_dataset(dataset) or self.is_search_dataset(dataset):
            return n_train, 0  # tested on the real test set (figure 9) or validation (the search) only
        if is_synthetic(dataset):
            return n_train, c["synth"]["test_per_class"]
        d = c["domains"][dataset]
        return d["train_per_class"], d["test_per_class"]

    def data_slice(self, dataset: str, seed) -> dict | None:
        """Which of a dataset's per-seed training sets a model of `seed` trains on (None: shared)."""
        parts = self.data_seeds(dataset)
        if parts == 1:
            return None
        return {"part": self.config["seeds"].index(int(seed)), "parts": parts}

    # ------------------------------------------------------------ render shards

    def n_shards(self, dataset: str) -> int:
        return math.ceil(sum(self.set_sizes(dataset)) / self.config["render"]["shard_size"])

    def shard_root(self, dataset: str) -> str:
        """Folder of a rendered dataset's shards: results/synth/<variant> or results/proxy/<domain>."""
        if is_synthetic(dataset):
            return path("synth_root", variant=dataset_variant(dataset))
        return path("proxy_root", domain=dataset)

    def shard_dirs(self, dataset: str, cls: str) -> list[str]:
        """Every shard folder of one class of a rendered dataset."""
        root = self.shard_root(dataset)
        return [f"{root}/{cls}/{s}" for s in range(self.n_shards(dataset))]

    def render_slice(self, dataset: str) -> dict:
        """What a render job of a dataset depends on besides its generator."""
        c = self.config
        out = {**c["render"], "seed": c["seed"], "images_per_class": sum(self.set_sizes(dataset))}
        if self.draws_breeds(dataset) and self.data_seeds(dataset) > 1:
            # each seed's training set its own draw of breeds (domrand.render.shard.image_draw)
            out.update(draws=self.data_seeds(dataset), train_per_draw=c["synth"]["train_per_class"])
        return out

    # ------------------------------------------------------------ models

    def training(self, arch: str) -> dict:
        """The training settings of an architecture (training, less `views`, with the
        architecture's own lr, epochs and batch_size)."""
        a = self.config["architectures"][arch]
        t = {k: v for k, v in self.config["training"].items() if k != "views"}
        t.update({k: a[k] for k in ARCH_TRAINING_KEYS if k in a})
        return t

    def input_size(self, arch: str) -> int:
        return self.config["architectures"][arch].get("input_size", self.config["model"]["input_size"])

    def figure_model(self, fig: str) -> str:
        """figures.models.<fig> (default figures.synthetic): a dataset, or BEST."""
        return self.figure_models[fig]

    def uses_best(self) -> bool:
        """Whether a figure's model is chosen by the checkpoint choose_best_variant."""
        return BEST in self.figure_models.values()

    # ------------------------------------------------------------ work per job (the projection)

    def shard_images(self, dataset: str, shard) -> int:
        """Images one render job of a dataset's class renders (the last shard may be short)."""
        total, size = sum(self.set_sizes(dataset)), int(self.config["render"]["shard_size"])
        return max(0, min(size, total - int(shard) * size))

    def forward_passes(self, dataset: str) -> int:
        """Backbone passes of one class's features: `views` per training image, one per test image."""
        n_train, n_test = self.set_sizes(dataset)
        return n_train * int(self.config["training"]["views"]) + n_test

    def training_images(self, dataset: str, task: str) -> int:
        """Training images of one model (its seed's own set where seeds vary the data)."""
        return self.set_sizes(dataset)[0] // self.data_seeds(dataset) * len(self.config["tasks"][task])

    def test_images(self, testset: str, task: str) -> int:
        """Test images one evaluation scores: the test set's images of the task's classes it has
        (a balanced test set is capped at its smallest class when built: at most this)."""
        return self.set_sizes(self.testsets[testset])[1] * len(self.test_classes(testset, task))

    def subject_images(self, pool: str, cls: str) -> int:
        """Images one render_subjects job renders: realism.subjects.images_per_breed per subject."""
        return int(self.config["realism"]["subjects"]["images_per_breed"]) * self.pool_subjects(pool, cls)

    def pool_images(self, pool: str) -> int:
        """Images one subject_realism_scores job scores: every class's renders of the pool."""
        return sum(self.subject_images(pool, cl) for cl in pool_classes(self.config, pool))

    def explain_images(self, testset: str) -> int:
        """Images one explain job explains: per class of the figures' task, the images shown and
        the faithfulness sample (each the first so many of the class's test images)."""
        e, n_test = self.config["explain"], self.set_sizes(self.testsets[testset])[1]
        shown, sample = int(e["images_per_class"]), int(e["faithfulness"]["images_per_class"])
        return len(self.config["tasks"][FIGURE_TASK]) * (min(shown, n_test) + min(sample, n_test))

    # ------------------------------------------------------------ subject pools (subject realism)

    def pool_subjects(self, pool: str, cls: str) -> int:
        """Subjects of `cls` in a subject pool, as domrand.world.build makes them: a built-in
        class's procedural breeds (world.breeds, none where its meshes replace them) or held-out
        subjects (world.heldout_breeds.<pool>), plus its meshes (world.subjects.<cls>: an
        Objaverse entry objaverse.per_class.<cls> of them, another entry one, split between the
        pools by its `heldout` counts). A mesh entry whose glob matches several files has more."""
        w = self.config["world"]
        spec = (w.get("subjects") or {}).get(cls)
        held = pool != SYNTHETIC_POOL
        n = 0
        if cls in BUILTIN_CLASSES and (held or not spec or spec.get("mode", "add") != "replace"):
            n = int(w["heldout_breeds"][pool] if held else w["breeds"])
        if spec:
            per_class = (self.config.get("objaverse") or {}).get("per_class", {})
            meshes = sum(int(per_class[cls]) if m.get("objaverse") else 1 for m in spec["meshes"])
            out = {str(k): int(v) for k, v in (spec.get("heldout") or {}).items()}
            n += out.get(pool, 0) if held else meshes - sum(out.values())
        return n

    def pool_generator(self, pool: str) -> dict:
        """The photo-like generator that renders every subject of a pool."""
        return subject_generator(self.config, pool)

    def pool_render(self) -> dict:
        """What a render_subjects job depends on besides its generator."""
        r = self.config["render"]
        keys = ("image_size", "backend", "engine", "jpeg_quality")
        return {
            **{k: r[k] for k in keys},
            "seed": self.config["seed"],
            "images_per_breed": self.config["realism"]["subjects"]["images_per_breed"],
        }

    def subject_shards(self, pool: str) -> list[str]:
        """Every class's renders of a subject pool."""
        return [path("subject_shard", pool=pool, cls=cl) for cl in pool_classes(self.config, pool)]

    # ------------------------------------------------------------ rendering and datasets (the rules' slices)

    def domain_generator(self, domain: str) -> dict:
        """The generator config of a rendered domain (the validation split: its real domain's)."""
        return domain_generator(self.config, self.index_domain(domain))

    def gather_params(self, dataset: str) -> dict:
        """What gather_dataset records of a rendered dataset: its name, domain, training images."""
        return {
            "source": dataset,
            "domain": "synthetic" if is_synthetic(dataset) else self.index_domain(dataset),
            "n_train": self.set_sizes(dataset)[0],
        }

    def select_params(self, dataset: str) -> dict:
        """A sourced domain's per-class split (select_class)."""
        n_train, n_test = self.set_sizes(dataset)
        out = {"n_train": n_train, "n_test": n_test, "seed": self.config["seed"]}
        # the search's validation images (the end of the train pool's order) stay out of training
        if dataset == TARGET:
            out["reserve"] = self.config["search"]["val_per_class"]
        return out

    def validation_params(self) -> dict:
        """The search's validation split of a sourced real domain (select_validation)."""
        return {"n_val": self.config["search"]["val_per_class"], "seed": self.config["seed"]}

    def source_params(self, domain: str, source: str) -> dict:
        """One real-image source of a domain: its adapter, path and the adapter's params."""
        from domrand.data.sources import adapter_params

        src = self.config["domains"][domain]["sources"][source]
        return {
            "adapter": src["adapter"],
            "path": src.get("path"),
            "params": adapter_params(source, src, domain, self.set_sizes(domain), self.config["seed"]),
        }

    def source_downloads(self, domain: str, source: str) -> list[str]:
        """The downloads one real-image source reads."""
        return [path("asset", asset=n) for n in self.config["domains"][domain]["sources"][source].get("downloads", [])]

    def class_source_index(self, dataset: str, cls: str) -> str:
        """The source index a sourced domain's class is selected from."""
        from domrand.data.sources import class_sources

        return path("source_index", domain=dataset, source=class_sources(self.config["domains"][dataset])[cls])

    def dataset_indexes(self, dataset: str, classes) -> list[str]:
        """The per-class indexes of `classes` of a dataset."""
        return [path("dataset_index", dataset=dataset, cls=cl) for cl in classes]

    def task_files(self, kind: str, dataset: str, task: str) -> list[str]:
        """A task's per-class `kind` files ("features" or "indexes") of a dataset."""
        kind = "features" if kind == "features" else "dataset_index"
        return [path(kind, dataset=dataset, cls=cl) for cl in self.config["tasks"][task]]

    def balance_inputs(self, dataset: str, task: str) -> list[str]:
        """The task's class indexes a balanced domain has."""
        have = self.dataset_classes(dataset)
        return self.dataset_indexes(dataset, [cl for cl in self.config["tasks"][task] if cl in have])

    def first_shards(self, datasets, classes) -> list[str]:
        """Shard 0 of each (dataset, class): where example images come from (the dataset index
        for a domain of real images)."""
        out = []
        for d in datasets:
            if d in self.sourced:
                out += self.dataset_indexes(d, classes)
            else:
                out += [f"{self.shard_root(d)}/{cl}/0" for cl in classes]
        return out

    # ------------------------------------------------------------ backbone, training, evaluation

    def backbone_file(self) -> str:
        """The backbone's weights: a pinned download (model.weights), packaged with an installed
        package (efficientnet_lite0), or pretrained here (small_cnn)."""
        from domrand.train.weights import PACKAGED_WEIGHTS

        m = self.config["model"]
        if "weights" in m:
            return path("weights_download", name=m["weights"]["name"])
        return path("backbone", backbone=m["backbone"], suffix=".pth" if m["backbone"] in PACKAGED_WEIGHTS else ".pt")

    def backbone_sha256(self) -> str | None:
        """The packaged weights' pin, checked wherever they are loaded (None for other backbones)."""
        from domrand.train.weights import PACKAGED_WEIGHTS

        m = self.config["model"]
        return m["sha256"] if m["backbone"] in PACKAGED_WEIGHTS else None

    def feature_params(self) -> dict:
        """What extract_features depends on: the backbone and its views of each image."""
        c, t = self.config, self.config["training"]
        return {
            "backbone": c["model"]["backbone"],
            "sha256": self.backbone_sha256(),
            "input_size": c["model"]["input_size"],
            "views": t["views"],
            "augment": t["augment"],
            "seed": c["seed"],
        }

    def pretrain_params(self) -> dict:
        """What pretrain_backbone depends on."""
        c = self.config
        return {
            **c["pretrain"],
            "seed": c["seed"],
            "input_size": c["model"]["input_size"],
            "augment": c["training"]["augment"],
        }

    def train_params(self, dataset: str, task: str, arch: str, seed) -> dict:
        """One model's training: its data slice, the architecture's training settings, its seed,
        classes and backbone."""
        c, a = self.config, self.config["architectures"][arch]
        part = self.data_slice(dataset, seed)
        return {
            **({"data_slice": part} if part else {}),
            **self.training(arch),
            "dropout": a["dropout"],
            "frozen": a["frozen"],
            "seed": int(seed),
            "classes": c["tasks"][task],
            "backbone": c["model"]["backbone"],
            "sha256": self.backbone_sha256(),
            "input_size": self.input_size(arch),
        }

    def test_indexes(self, testset: str, task: str) -> list[str]:
        """The indexes an evaluation tests on: a balanced domain's one index of the task's
        classes (capped at its smallest), else one per class the test set has."""
        d = self.testsets[testset]
        if d in self.balanced:
            return [path("task_index", dataset=d, task=task)]
        return self.dataset_indexes(d, self.test_classes(testset, task))

    def test_features(self, testset: str, task: str, arch: str) -> list[str]:
        """A frozen model's evaluation scores every epoch's head on the test set's stored features."""
        if not self.config["architectures"][arch]["frozen"]:
            return []
        d = self.testsets[testset]
        return [path("features", dataset=d, cls=cl) for cl in self.test_classes(testset, task)]

    def eval_params(self, testset: str, task: str, arch: str) -> dict:
        """What an evaluation depends on: the classes, input size and what it reports."""
        return {
            "classes": self.test_classes(testset, task),
            "input_size": self.input_size(arch),
            "report": self.config["evaluation"]["report"],
        }

    def _model_tests(self, datasets, tasks, archs, testsets) -> list[dict]:
        """The path names of every model of `datasets` x `tasks` x `archs` x seeds on each of
        `testsets`."""
        seeds = self.config["seeds"]
        return [
            {"dataset": d, "task": t, "arch": a, "seed": s, "testset": ts}
            for d in datasets
            for t in tasks
            for a in archs
            for s in seeds
            for ts in testsets
        ]

    @staticmethod
    def _model(dataset: str, seed) -> dict:
        """The path names of the figures' model (task and architecture) of a dataset and seed."""
        return {"dataset": dataset, "task": FIGURE_TASK, "arch": FIGURE_ARCH, "seed": seed}

    def evals(self, datasets, tasks, archs, testsets) -> list[str]:
        """The evaluations of every model of `datasets` x `tasks` x `archs` x seeds on `testsets`."""
        return [path("evaluation", **m) for m in self._model_tests(datasets, tasks, archs, testsets)]

    def predictions(self, datasets, tasks, archs, testsets) -> list[str]:
        """Per-image predictions beside each evaluation: the figures' intervals and tests."""
        return [path("predictions", **m) for m in self._model_tests(datasets, tasks, archs, testsets)]

    def histories(self, datasets) -> list[str]:
        """The training histories of the figures' models of `datasets`, every seed."""
        return [f"{path('model_dir', **self._model(d, s))}/history.csv" for d in datasets for s in self.config["seeds"]]

    # ------------------------------------------------------------ heatmaps and realism

    def heatmap_model(self, dataset: str) -> str:
        """The model figure 5 explains: the figures' model of `dataset` at the first seed."""
        return f"{path('model_dir', **self._model(dataset, self.config['seeds'][0]))}/model.pt"

    def heatmap_test_indexes(self, testset: str) -> list[str]:
        """The test set's indexes of the figures' task."""
        return self.task_files("indexes", self.testsets[testset], FIGURE_TASK)

    def heatmap_files(self, dataset: str) -> list[str]:
        """Figure 5's heatmaps of a dataset's model on the real and synthetic test sets."""
        return [path("heatmaps", dataset=dataset, testset=ts) for ts in ("real", "synthetic")]

    def explain_params(self) -> dict:
        """What an explain job depends on."""
        c = self.config
        return {
            **c["explain"],
            "classes": c["tasks"][FIGURE_TASK],
            "input_size": c["model"]["input_size"],
            "seed": c["seed"],
        }

    def realism_params(self, keys=("images_per_class", "input_size")) -> dict:
        """realism's keys, and the ImageNet families of classes beyond the built-in ones."""
        r = self.config["realism"]
        return {**{k: r[k] for k in keys}, "families": r.get("families", {})}

    def realism_indexes(self, dataset: str) -> list[str]:
        """Every class's index of a dataset the realism measure scores."""
        return self.dataset_indexes(dataset, self.dataset_classes(dataset))

    def realism_kinds(self) -> dict:
        """What each dataset of the realism figure is, in words."""
        kinds = {}
        for d in self.realism_sets:
            if is_synthetic(d):
                kinds[d] = "synthetic"
            elif d in self.sourced:
                kinds[d] = f"{d}: downloaded images"
            else:
                kinds[d] = f"proxy {d}"
        return kinds

    # ------------------------------------------------------------ figures and tables

    def all_figures(self) -> list[str]:
        """Every figure's PNG (rule all)."""
        return [path("figure", name=name) for name in FIGURES]

    def all_tables(self) -> list[str]:
        """Tables without a figure of their own."""
        return [OCCLUSION_TABLE, *([BEST_TABLE] if self.uses_best() else [])]

    def figure_model_note(self, fig: str, model: str) -> str:
        """How a figure's title names its synthetic model `model`."""
        if self.figure_model(fig) == BEST:
            return f"synthetic-trained: {model}, the best variant of fig. 4"
        return f"synthetic-trained: {model}"

    def occlusion_shards(self) -> list[str]:
        """Every render shard of every rendered variant and proxy domain, all its classes."""
        return [path for d in self.rendered for cl in self.dataset_classes(d) for path in self.shard_dirs(d, cl)]

    def occlusion_kinds(self) -> dict:
        """What each rendered set of the occlusion table is, in words."""
        return {
            **{v: "variant" for v in self.variants},
            **{v: "figure 9 breed count" for v in self.breed_variants},
            **{d: "proxy domain" for d in self.domains if d not in self.sourced},
        }

    # ------------------------------------------------------------ figures 9-12 (domrand.experiments)

    def breed_datasets(self) -> list[str]:
        """Figure 9's training sets, one per breed count."""
        return list(dict.fromkeys(e["dataset"] for e in self.breed_scaling))

    def breed_indexes(self) -> dict:
        """Figure 9's training sets' class indexes."""
        return {d: self.task_files("indexes", d, FIGURE_TASK) for d in self.breed_datasets()}

    def heads_of(self, prefix: str) -> list[str]:
        """The feature heads of figures 10-11 whose names start with `prefix`, every seed."""
        return [
            path("feature_head", head=h, seed=s)
            for h in self.feature_heads
            if h.startswith(prefix)
            for s in self.config["seeds"]
        ]

    def head_features(self, head: str) -> dict:
        """Per-class feature files a head trains on (train_<set>) and is tested on (test_<set>)."""
        spec = self.feature_heads[head]
        of = {"synthetic": self.synthetic, "real": "real"}
        out = {f"train_{n}": self.task_files("features", of[n], FIGURE_TASK) for n in spec["train"]}
        out.update({f"test_{n}": self.task_files("features", of[n], FIGURE_TASK) for n in spec["test"]})
        return out

    def head_params(self, head: str, seed) -> dict:
        """The head's subset spec and training config (figures' task and architecture)."""
        train = self.train_params(self.synthetic, FIGURE_TASK, FIGURE_ARCH, seed)
        return {
            "spec": self.feature_heads[head],
            "train": {**train, "report": self.config["evaluation"]["report"]},
        }

    def parameter_predictions(self) -> dict:
        """Figure 12's per-image predictions of the figures' synthetic model, per test set."""
        return {
            ts: [path("predictions", **self._model(self.synthetic, s), testset=ts) for s in self.config["seeds"]]
            for ts in self.parameter_testsets
        }

    def parameter_indexes(self) -> dict:
        """Figure 12's test set indexes, per test set."""
        return {ts: self.task_files("indexes", self.testsets[ts], FIGURE_TASK) for ts in self.parameter_testsets}

    def parameter_generators(self) -> dict:
        """Each test set's sky and materials config: what its sky and ground indices name."""
        gens = {"synthetic": variant_generator(self.config, dataset_variant(self.synthetic))}
        if "real" in self.parameter_testsets:
            gens["real"] = domain_generator(self.config, "real")
        return {
            ts: {"sky": g["sky"], "materials": g["materials"]}
            for ts, g in gens.items()
            if ts in self.parameter_testsets
        }

    # ------------------------------------------------------------ figure 13's search (domrand.search)

    def search_head_features(self, entry: str, rnd: int) -> dict:
        """An entry's training features in its round, and the validation split's."""
        d = round_dataset(self.config, entry, rnd)
        return {
            "train_synthetic": self.task_files("features", d, FIGURE_TASK),
            "test_val": self.task_files("features", VALIDATION, FIGURE_TASK),
        }

    def search_head_params(self, entry: str, rnd: int) -> dict:
        """A round's head: the figures' training config on the entry's round dataset (the first
        seed's set where seeds vary the data), seeded by search.seed, scored on validation."""
        c = self.config
        d = round_dataset(c, entry, rnd)
        key = "search.small_per_class" if rnd == 1 else "synth.train_per_class"
        return {
            "spec": {"train": {"synthetic": round_count(c, rnd)}, "test": ["val"], "keys": {"synthetic": key}},
            "train": {
                **self.train_params(d, FIGURE_TASK, FIGURE_ARCH, c["seeds"][0]),
                "seed": c["search"]["seed"],
                "report": c["evaluation"]["report"],
            },
        }

    def search_round_params(self, rnd: int) -> dict:
        """What a round's table records: its entries' settings, how many go on, the seed."""
        c = self.config
        return {
            "round": rnd,
            "keep": c["search"]["keep"] if rnd == 1 else 1,
            "seed": c["search"]["seed"],
            "entries": {
                e: {
                    "kind": "anchor" if e in c["variants"] else "candidate",
                    "dataset": round_dataset(c, e, rnd),
                    "patch": entry_patch(c, e, self.search_candidates),
                }
                for e in self.search_entries
            },
        }

    def search_heads(self, rnd: int, entries) -> list[str]:
        """The heads of `entries` in round `rnd`."""
        return [path("search_head", round=rnd, entry=e) for e in entries]

    def fig13_predictions(self, pick_dataset: str) -> list[str]:
        """Real-test predictions of figure 4's variants (the control, the best on test) and the pick."""
        sets = list(dict.fromkeys([*self.variant_datasets, pick_dataset]))
        return self.predictions(sets, [FIGURE_TASK], [FIGURE_ARCH], ["real"])

    # ------------------------------------------------------------ downloads and attribution

    def world_downloads(self) -> list[str]:
        """The downloads the world imports: subject meshes (world.subjects), materials and
        skies (world.materials_from, world.skies_from)."""
        names = {
            m["download"]
            for spec in self.config["world"].get("subjects", {}).values()
            for m in spec["meshes"]
            if "download" in m
        }
        names |= set(self.world_imports["materials"]) | set(self.world_imports["skies"])
        return [path("asset", asset=n) for n in sorted(names)] + [
            path("objaverse_asset", cls=cl) for cl in self.objaverse
        ]

    def world_import_entries(self) -> dict:
        """Config entries of the downloads imported as materials and skies, in config order."""
        used = set(self.world_imports["materials"]) | set(self.world_imports["skies"])
        return {n: e for n, e in (self.config.get("downloads") or {}).items() if n in used}

    def all_downloads(self, assets) -> list[str]:
        """Everything the config downloads (`assets`: the downloads' names): what `snakemake
        fetch` gets on a connected machine."""
        out = [path("asset", asset=n) for n in assets] + [path("objaverse_asset", cls=cl) for cl in self.objaverse]
        return out + ([self.backbone_file()] if "weights" in self.config["model"] else [])

    def attribution_params(self, downloads: dict, lock: dict) -> dict:
        """What ATTRIBUTION.md credits: every download ({name: (key, entry)}), where each
        domain's images come from, the world's subjects, pinned objects (`lock`) and textures."""
        c = self.config
        return {
            "downloads": {n: entry for n, (_, entry) in downloads.items()},
            "domains": {
                d: (
                    {s: src["adapter"] for s, src in c["domains"][d]["sources"].items()}
                    if d in self.sourced
                    else "proxy"
                )
                for d in self.domains
            },
            "subjects": c["world"].get("subjects", {}),
            "objects": {cl: lock["objects"].get(f"objaverse/{cl}") for cl in self.objaverse},
            "textures": self.world_imports,
        }
