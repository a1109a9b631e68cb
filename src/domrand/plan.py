"""The study's plan: which datasets, classes, images, shards and models a config asks for.

Pure functions of the config dict (no Snakemake), built once as ``Plan(config)``. The
workflow's rule files (rules/common.smk) format their paths and params from it, and the
wall-time projection (domrand.tools.projection) sizes each job's work from it, so both see the
same study.

Datasets: ``synth_<variant>`` for every variant and every derived breed variant of figure 9
(domrand.experiments), then the domains. A domain with ``sources`` is *sourced* (indexed
from downloaded images), every other dataset is *rendered* in shards of
``render.shard_size`` images per class, under :meth:`Plan.shard_root`.
"""

from __future__ import annotations

import math

from domrand.config import variant_generator
from domrand.experiments import breed_scaling, breed_variants, feature_heads
from domrand.search import TARGET, VALIDATION, anchors, candidates, search_generators, small_size, small_variant

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
            return f"results/synth/{dataset_variant(dataset)}"
        return f"results/proxy/{dataset}"

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
