import logging

from domrand.data.sources import select_validation
from domrand.runtime import run

with run(snakemake) as log:
    df = select_validation(
        snakemake.input[0],
        snakemake.wildcards.cls,
        **snakemake.params.select,
        out_index=snakemake.output[0],
        log=logging.getLogger("select_validation"),
    )
    log(f"{len(df)} validation images")
