from domrand.runtime import run

with run(snakemake) as log:
    from domrand.render.shard import render_breeds

    render_breeds(
        snakemake.input.world,
        snakemake.params.generator,
        snakemake.params.source,
        snakemake.wildcards.cls,
        snakemake.output[0],
        snakemake.params.render,
        log=log,
    )
