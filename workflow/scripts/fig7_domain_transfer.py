from domrand.figures.results import fig7_domain_transfer
from domrand.runtime import run

with run(snakemake) as log:
    p = snakemake.params
    fig7_domain_transfer(snakemake.input.evals, snakemake.output.png, snakemake.output.table, p.proxy, p.synthetic)
