from pathlib import Path

from domrand.assets.objaverse import fetch_objects
from domrand.runtime import run

with run(snakemake) as log:
    out = Path(snakemake.output[0])
    fetch_objects(
        snakemake.params.objects, snakemake.wildcards.cls, out, out.parent / ".archives", snakemake.params.lock, log=log
    )
