from domrand.runtime import run

with run(snakemake) as log:
    from domrand.figures.realism import subject_realism

    p = snakemake.params
    subject_realism(
        dict(zip(p.pools, snakemake.input.pools)), p.reference, snakemake.output.png, snakemake.output.table, p.proxy
    )
