from domrand.runtime import run
from domrand.train.device import torch_device

with run(snakemake) as log:
    from domrand.train.fit import train_head

    train_head(
        list(snakemake.input.train),
        list(snakemake.input.monitor),
        snakemake.output.model.rsplit("/", 1)[0],
        snakemake.params.checkpoint,
        snakemake.params.train,
        device=torch_device(snakemake.rule, snakemake.threads),
        log=log,
    )
