from domrand.assets.attribution import write_study_attribution
from domrand.runtime import run

with run(snakemake) as log:
    write_study_attribution(snakemake.params.attribution, snakemake.output[0])
    log(f"wrote {snakemake.output[0]}")
