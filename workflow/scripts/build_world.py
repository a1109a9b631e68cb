from domrand.runtime import run
from domrand.world.build import build_world

with run(snakemake) as log:
    build_world(
        snakemake.params.world,
        snakemake.output[0],
        log=log,
        downloads=snakemake.params.downloads,
    )
