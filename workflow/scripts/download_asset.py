from pathlib import Path

from domrand.assets.fetch import fetch_download
from domrand.runtime import run

with run(snakemake) as log:
    out = Path(snakemake.output[0])
    fetch_download(snakemake.params.asset, out, out.parent / ".archives", log=log)
