# Evaluation: every model on every test set it is asked about.


rule evaluate:
    input:
        model="results/models/{dataset}/{task}/{arch}/seed{seed}/model.pt",
        backbone=backbone_file,
        test=test_indexes,
    output:
        "results/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.json",
    params:
        evaluate=eval_params,
    log:
        "logs/eval/{dataset}/{task}/{arch}/seed{seed}/{testset}.log",
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../workflow/scripts/evaluate.py"
