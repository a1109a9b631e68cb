import logging

from domrand.data.sources import balance_task
from domrand.runtime import run

with run(snakemake) as log:
    df = balance_task(
        list(snakemake.input),
        snakemake.wildcards.task,
        **snakemake.params.balance,
        out_index=snakemake.output.index,
        out_table=snakemake.output.table,
        log=logging.getLogger("balance_task"),
    )
    log(f"{len(df)} images: {df.groupby(['split', 'label']).size().to_dict()}")
