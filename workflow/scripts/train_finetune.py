from domrand.runtime import run
from domrand.train.device import torch_device

with run(snakemake) as log:
    from domrand.train.fit import finetune

    finetune(
        list(snakemake.input.train),
        list(snakemake.input.monitor),
        snakemake.input.backbone,
        snakemake.output.model.rsplit("/", 1)[0],
        snakemake.params.checkpoint,
        snakemake.params.train,
        device=torch_device(snakemake.rule, snakemake.threads),
        log=log,
    )
