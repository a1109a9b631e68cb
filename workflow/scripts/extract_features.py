from domrand.runtime import run
from domrand.train.device import torch_device

with run(snakemake) as log:
    from domrand.train.features import extract_features

    p = snakemake.params.features
    extract_features(
        snakemake.input.index,
        p["backbone"],
        snakemake.input.backbone,
        snakemake.output[0],
        p,
        device=torch_device(snakemake.rule, snakemake.threads),
        batch=snakemake.resources.get("batch", 256),
        log=log,
    )
