from domrand.runtime import run
from domrand.train.device import torch_device

with run(snakemake) as log:
    from domrand.train.pretrain import pretrain_backbone

    device = torch_device(snakemake.rule, snakemake.threads)
    pretrain_backbone(
        snakemake.input.world, snakemake.output[0], snakemake.params.pretrain, device, snakemake.threads, log=log
    )
