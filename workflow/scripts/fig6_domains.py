from domrand.figures.examples import example_grid
from domrand.runtime import run

with run(snakemake) as log:
    i = snakemake.input
    groups = {
        "real (proxy)" if snakemake.params.proxy else "real": list(i.real),
        "synthetic": list(i.synthetic),
        "toon": list(i.toon),
    }
    example_grid(
        groups,
        snakemake.params.n,
        snakemake.output.png,
        snakemake.output.table,
        "Fig. 6: the real, synthetic and toon domains",
        snakemake.params.proxy,
    )
