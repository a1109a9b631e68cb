import logging

from domrand.data.sources import select_class
from domrand.runtime import run

with run(snakemake) as log:
    df = select_class(
        snakemake.input[0],
        snakemake.wildcards.cls,
        **snakemake.params.select,
        out_index=snakemake.output[0],
        log=logging.getLogger("select_class"),
    )
    log(f"{len(df)} images: {df['split'].value_counts().to_dict()}")
