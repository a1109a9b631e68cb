from domrand.figures.occlusion import write_occlusion_table
from domrand.runtime import run

with run(snakemake) as log:
    table = write_occlusion_table(snakemake.input.shards, snakemake.params.kinds, snakemake.output.table)
    log(f"{len(table)} rows (source x class) from {len(snakemake.input.shards)} shards")
