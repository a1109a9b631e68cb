from domrand.figures.results import fig7_domain_transfer
from domrand.runtime import run

with run(snakemake) as log:
    f = snakemake.params
    fig7_domain_transfer(
        snakemake.input.predictions,
        snakemake.output.png,
        snakemake.output.table,
        f.proxy,
        f.synthetic,
        f.model,
        f.chosen_best,
    )
