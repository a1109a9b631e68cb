from domrand.runtime import run
from domrand.train.device import torch_device

with run(snakemake) as log:
    from domrand.explain.run import explain_model

    explain_model(
        snakemake.input.model,
        snakemake.input.backbone,
        list(snakemake.input.test),
        snakemake.output[0],
        snakemake.params.explain,
        snakemake.wildcards.testset,
        device=torch_device(snakemake.rule, snakemake.threads),
        log=log,
    )
