from domrand.runtime import run

with run(snakemake) as log:
    from domrand.figures.beyond import fig10_real_mixing

    fig10_real_mixing(
        snakemake.input.heads,
        snakemake.params.real_counts,
        snakemake.output.png,
        snakemake.output.table,
        snakemake.params.proxy,
    )
