from domrand.figures.search_rounds import write_round
from domrand.runtime import run

with run(snakemake) as log:
    t = write_round(snakemake.input.heads, snakemake.params.search, snakemake.output.table)
    for r in t.itertuples():
        log(f"round {r.round} #{r.rank} {r.entry}: {r.val_accuracy:.2f}% on validation{' (kept)' if r.kept else ''}")
