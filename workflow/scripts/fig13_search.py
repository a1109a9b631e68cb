from domrand.figures.search import fig13_search
from domrand.runtime import run

with run(snakemake) as log:
    out = snakemake.output
    t = fig13_search(
        [snakemake.input.round1, snakemake.input.round2],
        snakemake.input.fig4,
        snakemake.input.predictions,
        {"png": out.png, "table": out.table, "trajectory": out.trajectory, "variant": out.variant},
        snakemake.params.proxy,
    )
    log(t[["model", "entry", "accuracy_mean", "delta_vs_control"]].to_string())
