from domrand.runtime import run

with run(snakemake) as log:
    from domrand.figures.heatmaps import fig5

    fig5(
        snakemake.input.real,
        snakemake.input.synthetic,
        snakemake.output.png,
        snakemake.output.table,
        snakemake.output.faithfulness,
        snakemake.params.proxy,
        snakemake.params.model,
    )
