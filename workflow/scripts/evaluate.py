from domrand.runtime import run
from domrand.train.device import torch_device

with run(snakemake) as log:
    from domrand.train.evaluate import evaluate_model

    evaluate_model(
        snakemake.input.model,
        snakemake.input.backbone,
        list(snakemake.input.test),
        snakemake.output.json,
        snakemake.params.evaluate,
        device=torch_device(snakemake.rule, snakemake.threads),
        log=log,
        out_predictions=snakemake.output.predictions,
        test_features=list(snakemake.input.features),
    )
