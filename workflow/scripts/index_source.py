import logging

from domrand.data.sources import index_source
from domrand.runtime import run

with run(snakemake) as log:
    p = snakemake.params.source
    roots = list(snakemake.input) or [p["path"]]
    index_source(
        p["adapter"],
        roots,
        p["params"],
        snakemake.output.index,
        snakemake.output.skipped,
        log=logging.getLogger("index_source"),
        workers=snakemake.threads,
    )
