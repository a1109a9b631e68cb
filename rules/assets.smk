# Assets: the embedded procedural world (breeds, materials, skies, coats, scenery).


rule build_world:
    output:
        directory("resources/world"),
    log:
        "logs/assets/build_world.log",
    benchmark:
        "benchmarks/assets/build_world.tsv"
    conda:
        "../envs/world.yaml"
    params:
        world=config["world"],
    script:
        "../workflow/scripts/build_world.py"


localrules:
    download_weights,


rule download_weights:
    output:
        "resources/downloads/weights/{name}",
    log:
        "logs/assets/download_weights_{name}.log",
    conda:
        "../envs/world.yaml"
    params:
        asset=weights_asset,
    script:
        "../workflow/scripts/download_weights.py"
