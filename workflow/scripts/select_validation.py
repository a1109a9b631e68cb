from domrand.data.sources import select_validation
from domrand.runtime import run

with run(snakemake) as log:
    cls, select = snakemake.wildcards.cls, snakemake.params.select
    out = select_validation(snakemake.input[0], cls, select["n_val"], select["seed"], snakemake.output[0])
    log(f"{len(out)} validation images of {cls}")
