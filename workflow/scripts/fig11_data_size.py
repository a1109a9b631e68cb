from domrand.runtime import run

with run(snakemake) as log:
    from domrand.figures.beyond import fig11_data_size

    fig11_data_size(
        snakemake.input.heads,
        snakemake.params.synthetic_counts,
        snakemake.output.png,
        snakemake.output.table,
        snakemake.params.proxy,
    )
