# Assets: the world (breeds, materials, skies, coats, scenery), procedural or imported.


rule build_world:
    input:
        PLAN.world_downloads(),
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
        downloads=PLAN.world_import_entries(),
        code=library_code("build_world"),
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
        code=library_code("download_weights"),
    script:
        "../workflow/scripts/download_weights.py"


# Downloads: datasets, textures, skies, meshes, each pinned by sha256 (config or lock file).
# Local rules, so on a cluster they run on the submit host: compute nodes need no internet.
localrules:
    download_asset,
    download_objaverse,
    fetch,
    attribution,


rule download_asset:
    output:
        directory("resources/assets/{asset}"),
    log:
        "logs/assets/download_{asset}.log",
    wildcard_constraints:
        asset=_alternatives(ASSETS) if ASSETS else "^$",
    conda:
        "../envs/world.yaml"
    params:
        asset=download_spec,
        code=library_code("download_asset"),
    script:
        "../workflow/scripts/download_asset.py"


rule download_objaverse:
    output:
        directory("resources/assets/objaverse_{cls}"),
    log:
        "logs/assets/download_objaverse_{cls}.log",
    conda:
        "../envs/world.yaml"
    params:
        objects=objaverse_objects,
        lock=config.get("lock"),
        code=library_code("download_objaverse"),
    script:
        "../workflow/scripts/download_objaverse.py"


rule fetch:
    """Every download of the config; run it on a machine with internet before a cluster run."""
    input:
        PLAN.all_downloads(ASSETS),


rule attribution:
    output:
        "results/ATTRIBUTION.md",
    log:
        "logs/assets/attribution.log",
    conda:
        "../envs/world.yaml"
    params:
        attribution=PLAN.attribution_params(DOWNLOADS, LOCK),
        code=library_code("attribution"),
    script:
        "../workflow/scripts/attribution.py"
