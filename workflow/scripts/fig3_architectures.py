from domrand.figures.results import fig3_architectures
from domrand.runtime import run

with run(snakemake) as log:
    p = snakemake.params
    fig3_architectures(snakemake.input.evals, snakemake.output.png, snakemake.output.table, p.proxy, p.synthetic)
