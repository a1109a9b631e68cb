# Assets: the embedded procedural world (breeds, materials, skies, coats, scenery).


rule build_world:
    output:
        directory("resources/world"),
    params:
        world=config["world"],
    log:
        "logs/assets/build_world.log",
    benchmark:
        "benchmarks/assets/build_world.tsv"
    script:
        "../workflow/scripts/build_world.py"
