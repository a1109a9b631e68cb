from domrand.data.gather import gather_shards
from domrand.runtime import run

with run(snakemake) as log:
    df = gather_shards(snakemake.input, snakemake.output[0], **snakemake.params.gather)
    log(f"{len(df)} images: {df['split'].value_counts().to_dict()}")
