from domrand.runtime import run
from domrand.train.device import torch_device

with run(snakemake) as log:
    from domrand.realism.imagenet import measure_subject_realism

    measure_subject_realism(
        list(snakemake.input.shards),
        snakemake.input.weights,
        snakemake.params.sha256,
        snakemake.output[0],
        snakemake.params.realism,
        device=torch_device(snakemake.rule, snakemake.threads),
        log=log,
    )
