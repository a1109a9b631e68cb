# Evaluation: every model on every test set it is asked about; the metrics, and one row per
# test image (the figures' intervals and paired tests are computed from these).


rule evaluate:
    input:
        model="results/models/{dataset}/{task}/{arch}/seed{seed}/model.pt",
        backbone=backbone_file,
        test=test_indexes,
    output:
        json="results/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.json",
        predictions="results/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.predictions.parquet",
    log:
        "logs/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.log",
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        evaluate=eval_params,
    script:
        "../workflow/scripts/evaluate.py"
