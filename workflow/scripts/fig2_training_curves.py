from domrand.figures.results import fig2_training_curves
from domrand.runtime import run

with run(snakemake) as log:
    fig2_training_curves(
        snakemake.input.real,
        snakemake.input.synthetic,
        snakemake.input.predictions,
        snakemake.output.png,
        snakemake.output.table,
        snakemake.params.proxy,
        snakemake.params.model,
    )
