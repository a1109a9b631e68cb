from domrand.figures.examples import example_grid
from domrand.runtime import run

with run(snakemake) as log:
    p = snakemake.params
    k = len(p.classes)
    groups = {v: list(snakemake.input.shards)[i * k : (i + 1) * k] for i, v in enumerate(p.variants)}
    example_grid(
        groups,
        p.n,
        snakemake.output.png,
        snakemake.output.table,
        "Fig. 1: domain-randomized examples per variant",
        p.proxy,
    )
