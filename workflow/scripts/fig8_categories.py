from domrand.figures.results import fig8_categories
from domrand.runtime import run

with run(snakemake) as log:
    fig8_categories(
        snakemake.input.predictions,
        snakemake.output.png,
        snakemake.output.table,
        snakemake.params.proxy,
        snakemake.params.tasks,
        snakemake.params.model,
        snakemake.params.chosen_best,
    )
