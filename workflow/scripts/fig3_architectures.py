from domrand.figures.results import fig3_architectures
from domrand.runtime import run

with run(snakemake) as log:
    f = snakemake.params
    fig3_architectures(
        snakemake.input.predictions, snakemake.output.png, snakemake.output.table, f.proxy, f.synthetic, f.model
    )
