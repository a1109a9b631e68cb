# Datasets: the index of every dataset, one parquet per class.


rule gather_dataset:
    input:
        shard_dirs,
    output:
        "results/datasets/{dataset}/{cls}.parquet",
    log:
        "logs/datasets/{dataset}/{cls}.log",
    wildcard_constraints:
        dataset=_alternatives([*PLAN.rendered, *PLAN.search_rendered]),
    conda:
        "../envs/world.yaml"
    params:
        gather=gather_params,
        code=library_code("gather_dataset"),
    script:
        "../workflow/scripts/gather_dataset.py"
