"""Where the workflow's files live: each path that an input function, a rule's params or the
projection names, formatted in one place (domrand.plan uses them; the rules' `output:`
patterns in rules/*.smk are the same paths with wildcards). Pure string formatting."""

from __future__ import annotations

# The checkpoint choose_best_variant's table, and the occlusion table without a figure.
BEST_TABLE = "results/tables/best_variant.csv"
OCCLUSION_TABLE = "results/tables/occlusion.csv"


def figure(name: str) -> str:
    """A figure's PNG: results/<name>.png."""
    return f"results/{name}.png"


def synth_root(variant: str) -> str:
    """Folder of a synthetic variant's render shards."""
    return f"results/synth/{variant}"


def proxy_root(domain: str) -> str:
    """Folder of a proxy target domain's render shards."""
    return f"results/proxy/{domain}"


def dataset_index(dataset: str, cls: str) -> str:
    """One class's index of a dataset (rendered, sourced or the validation split)."""
    return f"results/datasets/{dataset}/{cls}.parquet"


def task_index(dataset: str, task: str) -> str:
    """A balanced domain's index of one task's classes (domains.<d>.balance_tasks)."""
    return f"results/datasets/{dataset}/tasks/{task}.parquet"


def source_index(domain: str, source: str) -> str:
    """The index of one real-image source of a domain."""
    return f"results/sources/{domain}/{source}.parquet"


def features(dataset: str, cls: str) -> str:
    """One class's frozen-backbone features of a dataset."""
    return f"results/features/{dataset}/{cls}.pt"


def model_dir(dataset: str, task: str, arch: str, seed) -> str:
    """Folder of one model (model.pt, history.csv)."""
    return f"results/models/{dataset}/{task}/{arch}/seed{seed}"


def checkpoint(dataset: str, task: str, arch: str, seed) -> str:
    """A model's training checkpoint: outside its folder, so Snakemake's cleanup of a failed
    job keeps it for resuming."""
    return f"results/checkpoints/{dataset}/{task}/{arch}/seed{seed}.pt"


def evaluation(dataset: str, task: str, arch: str, seed, testset: str) -> str:
    """A model's metrics on one test set (JSON)."""
    return f"results/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.json"


def predictions(dataset: str, task: str, arch: str, seed, testset: str) -> str:
    """A model's per-image predictions on one test set, beside its metrics."""
    return evaluation(dataset, task, arch, seed, testset).removesuffix(".json") + ".predictions.parquet"


def heatmaps(dataset: str, testset: str) -> str:
    """Figure 5's heatmaps of one dataset's model on one test set."""
    return f"results/heatmaps/{dataset}/{testset}.npz"


def subject_shard(pool: str, cls: str) -> str:
    """One class's per-breed renders of a subject pool (subject realism)."""
    return f"results/subjects/{pool}/{cls}"


def realism_table(dataset: str) -> str:
    """The ImageNet classifier's top-5 on a dataset's test images."""
    return f"results/realism/{dataset}.parquet"


def subject_realism_table(pool: str) -> str:
    """The ImageNet classifier's top-5 on a subject pool's renders."""
    return f"results/realism/subjects/{pool}.parquet"


def feature_head(head: str, seed) -> str:
    """A head of figures 10-11 trained on cached features (its scores, JSON)."""
    return f"results/beyond/heads/{head}/seed{seed}.json"


def search_head(rnd: int, entry: str) -> str:
    """A search entry's head in round 1 or 2 (its validation score, JSON)."""
    return f"results/search/round{rnd}/{entry}.json"


def asset(name: str) -> str:
    """A download's folder."""
    return f"resources/assets/{name}"


def objaverse_asset(cls: str) -> str:
    """A class's pinned Objaverse objects."""
    return f"resources/assets/objaverse_{cls}"


def weights_download(name: str) -> str:
    """Downloaded backbone weights (model.weights)."""
    return f"resources/downloads/weights/{name}"


def backbone(name: str, suffix: str) -> str:
    """Backbone weights made here: installed from a package (.pth) or pretrained (.pt)."""
    return f"results/backbones/{name}{suffix}"
