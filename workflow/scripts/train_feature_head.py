from domrand.runtime import run
from domrand.train.device import torch_device

with run(snakemake) as log:
    from domrand.train.subsets import train_feature_head

    spec = snakemake.params.head["spec"]
    train_feature_head(
        {n: list(snakemake.input[f"train_{n}"]) for n in spec["train"]},
        {n: list(snakemake.input[f"test_{n}"]) for n in spec["test"]},
        snakemake.output[0],
        spec,
        snakemake.params.head["train"],
        device=torch_device(snakemake.rule, snakemake.threads),
        log=log,
    )
