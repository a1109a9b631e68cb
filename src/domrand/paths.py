"""Where the workflow's files live: each path that an input function, a rule's params or the
projection names, from one table (domrand.plan fills them in). Names in braces are the rules'
wildcard names, so a pattern here is the `output:` pattern of the rule that makes it
(tests/test_plan.py checks that). Pure string formatting."""

from __future__ import annotations

# The checkpoint choose_best_variant's table, and the occlusion table without a figure.
BEST_TABLE = "results/tables/best_variant.csv"
OCCLUSION_TABLE = "results/tables/occlusion.csv"

# {kind: pattern}
PATTERNS = {
    "figure": "results/{name}.png",
    # render shards: a synthetic variant's and a proxy target domain's
    "synth_root": "results/synth/{variant}",
    "proxy_root": "results/proxy/{domain}",
    # indexes: one class of a dataset; a balanced domain's one task; one real-image source
    "dataset_index": "results/datasets/{dataset}/{cls}.parquet",
    "task_index": "results/datasets/{dataset}/tasks/{task}.parquet",
    "source_index": "results/sources/{domain}/{source}.parquet",
    "features": "results/features/{dataset}/{cls}.pt",
    "model_dir": "results/models/{dataset}/{task}/{arch}/seed{seed}",
    # outside the model folder, so Snakemake's cleanup of a failed job keeps it for resuming
    "checkpoint": "results/checkpoints/{dataset}/{task}/{arch}/seed{seed}.pt",
    "evaluation": "results/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.json",
    "predictions": "results/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.predictions.parquet",
    "heatmaps": "results/heatmaps/{dataset}/{testset}.npz",
    "subject_shard": "results/subjects/{pool}/{cls}",
    "feature_head": "results/beyond/heads/{head}/seed{seed}.json",
    "search_head": "results/search/round{round}/{entry}.json",
    "asset": "resources/assets/{asset}",
    "objaverse_asset": "resources/assets/objaverse_{cls}",
    "weights_download": "resources/downloads/weights/{name}",
    "backbone": "results/backbones/{backbone}{suffix}",
}


def path(kind: str, **names) -> str:
    """The path of `kind` (a key of PATTERNS) with its `names` filled in."""
    return PATTERNS[kind].format(**names)
