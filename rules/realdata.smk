# Real images: a domain with `sources` is indexed from downloaded (or local) datasets
# instead of rendered; its per-class index has the same columns as a rendered one.


rule index_source:
    input:
        source_downloads,
    output:
        index="results/sources/{domain}/{source}.parquet",
        skipped="results/sources/{domain}/{source}_skipped.csv",
    log:
        "logs/sources/{domain}/{source}.log",
    benchmark:
        "benchmarks/sources/{domain}/{source}.tsv"
    wildcard_constraints:
        domain=_alternatives(PLAN.sourced) if PLAN.sourced else "^$",
        source=_alternatives(PLAN.sources) if PLAN.sources else "^$",
    conda:
        "../envs/world.yaml"
    threads: 4
    params:
        source=source_params,
        code=library_code("index_source"),
    script:
        "../workflow/scripts/index_source.py"


rule select_class:
    input:
        class_source_index,
    output:
        "results/datasets/{dataset}/{cls}.parquet",
    log:
        "logs/datasets/{dataset}/{cls}.log",
    wildcard_constraints:
        dataset=_alternatives(PLAN.sourced) if PLAN.sourced else "^$",
    conda:
        "../envs/world.yaml"
    params:
        select=select_params,
        code=library_code("select_class"),
    script:
        "../workflow/scripts/select_class.py"


rule balance_task:
    input:
        balance_inputs,
    output:
        index="results/datasets/{dataset}/tasks/{task}.parquet",
        table="results/datasets/{dataset}/tasks/{task}_cap.csv",
    log:
        "logs/datasets/{dataset}/tasks/{task}.log",
    wildcard_constraints:
        dataset=_alternatives(PLAN.balanced) if PLAN.balanced else "^$",
    conda:
        "../envs/world.yaml"
    params:
        code=library_code("balance_task"),
        balance={"seed": config["seed"]},
    script:
        "../workflow/scripts/balance_task.py"
