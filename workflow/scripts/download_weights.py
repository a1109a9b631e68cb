import shutil
from pathlib import Path

from domrand.assets.download import fetch_asset
from domrand.runtime import run

with run(snakemake) as log:
    spec = {**snakemake.params.asset, "extract": None}
    out = Path(snakemake.output[0])
    path = fetch_asset(spec, out.parent / ".cache", log=log)
    shutil.copyfile(path, out)
