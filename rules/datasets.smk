# Datasets: the index of every dataset, one parquet per class.


rule gather_dataset:
    input:
        shard_dirs,
    output:
        "results/datasets/{dataset}/{cls}.parquet",
    params:
        gather=gather_params,
    log:
        "logs/datasets/{dataset}/{cls}.log",
    script:
        "../workflow/scripts/gather_dataset.py"
