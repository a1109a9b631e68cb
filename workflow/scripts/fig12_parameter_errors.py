from domrand.runtime import run

with run(snakemake) as log:
    from domrand.figures.beyond import fig12_parameter_errors

    fig12_parameter_errors(
        snakemake.params.predictions,
        snakemake.params.indexes,
        snakemake.input.world,
        snakemake.params.generators,
        snakemake.params.bins,
        snakemake.output.png,
        snakemake.output.table,
        snakemake.params.proxy,
    )
