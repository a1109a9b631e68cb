# Heatmaps: GradCAM and occlusion sensitivity of the real- and synthetic-trained models.


rule explain:
    input:
        model=heatmap_model,
        backbone=PLAN.backbone_file(),
        test=heatmap_test_indexes,
    output:
        "results/heatmaps/{dataset}/{testset}.npz",
    log:
        "logs/explain/{dataset}/{testset}.log",
    benchmark:
        "benchmarks/explain/{dataset}/{testset}.tsv"
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    params:
        explain=PLAN.explain_params(),
        code=library_code("explain"),
    script:
        "../workflow/scripts/explain.py"
