# Evaluation: every model on every test set it is asked about; the metrics, and one row per
# test image (the figures' intervals and paired tests are computed from these).


rule evaluate:
    input:
        model="results/models/{dataset}/{task}/{arch}/seed{seed}/model.pt",
        backbone=PLAN.backbone_file(),
        test=test_indexes,
        features=test_features,
    output:
        json="results/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.json",
        predictions="results/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.predictions.parquet",
    log:
        "logs/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.log",
    benchmark:
        "benchmarks/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.tsv"
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        evaluate=eval_params,
        code=library_code("evaluate"),
    script:
        "../workflow/scripts/evaluate.py"


rule realism:
    input:
        test=realism_indexes,
        weights="results/backbones/efficientnet_lite0.pth",
    output:
        "results/realism/{dataset}.parquet",
    log:
        "logs/realism/{dataset}.log",
    benchmark:
        "benchmarks/realism/{dataset}.tsv"
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=3000,
    params:
        code=library_code("realism"),
        realism=PLAN.realism_params(),
        sha256=config["model"]["sha256"],
    script:
        "../workflow/scripts/realism.py"


rule subject_realism_scores:
    input:
        shards=subject_shards,
        weights="results/backbones/efficientnet_lite0.pth",
    output:
        "results/realism/subjects/{pool}.parquet",
    log:
        "logs/realism/subjects/{pool}.log",
    benchmark:
        "benchmarks/realism/subjects/{pool}.tsv"
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=3000,
    params:
        code=library_code("subject_realism_scores"),
        realism=PLAN.realism_params(keys=("input_size",)),
        sha256=config["model"]["sha256"],
    script:
        "../workflow/scripts/subject_realism_scores.py"
