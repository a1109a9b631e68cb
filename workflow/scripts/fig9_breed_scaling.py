from domrand.runtime import run

with run(snakemake) as log:
    from domrand.figures.beyond import fig9_breed_scaling

    fig9_breed_scaling(
        snakemake.params.entries,
        snakemake.input.evals,
        snakemake.input.reference,
        snakemake.params.indexes,
        snakemake.output.png,
        snakemake.output.table,
        snakemake.params.proxy,
    )
