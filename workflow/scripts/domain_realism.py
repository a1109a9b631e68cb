from domrand.runtime import run

with run(snakemake) as log:
    from domrand.figures.realism import domain_realism

    p = snakemake.params
    domain_realism(
        dict(zip(p.datasets, snakemake.input.sets)), p.kinds, snakemake.output.png, snakemake.output.table, p.proxy
    )
