# Evaluation: every model on every test set it is asked about.


rule evaluate:
    input:
        model="results/models/{dataset}/{task}/{arch}/seed{seed}/model.pt",
        backbone=backbone_file,
        test=test_indexes,
    output:
        "results/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.json",
    log:
        "logs/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.log",
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
