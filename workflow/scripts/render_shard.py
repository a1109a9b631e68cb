from domrand.runtime import run

with run(snakemake) as log:
    from domrand.render.shard import render_shard

    w = snakemake.wildcards
    render_shard(
        snakemake.input.world,
        snakemake.params.generator,
        snakemake.params.source,
        w.cls,
        int(w.shard),
        snakemake.output[0],
        snakemake.params.render,
        log=log,
    )
