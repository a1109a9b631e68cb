from domrand.figures.best import write_best_variant
from domrand.runtime import run

with run(snakemake) as log:
    table = write_best_variant(snakemake.input.fig4, snakemake.output.table)
    chosen = table[table["chosen"]].iloc[0]
    log(f"best variant: {chosen['variant']} ({chosen['accuracy_mean']:.2f}% on the real test set) of {len(table)}")
