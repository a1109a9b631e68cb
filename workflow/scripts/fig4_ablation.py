from domrand.figures.results import fig4_ablation
from domrand.runtime import run

with run(snakemake) as log:
    fig4_ablation(
        snakemake.input.predictions,
        snakemake.output.png,
        snakemake.output.table,
        snakemake.params.proxy,
        snakemake.params.variants,
    )
