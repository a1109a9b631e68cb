# Figures: each the paper's figure N as a PNG, with the numbers behind it in results/tables/.


rule fig1_examples:
    input:
        attribution="results/ATTRIBUTION.md",
        shards=PLAN.first_shards(PLAN.variant_datasets, config["synth"]["classes"]),
    output:
        png=report(
            "results/fig1_examples.png",
            caption="../workflow/report/fig1.rst",
            category="Figures",
        ),
        table="results/tables/fig1_examples.csv",
    log:
        "logs/figures/fig1.log",
    conda:
        "../envs/figures.yaml"
    params:
        variants=PLAN.variants,
        classes=config["synth"]["classes"],
        n=config["figures"]["examples_per_variant"],
        proxy=config["proxy"],
        code=library_code("fig1_examples"),
    script:
        "../workflow/scripts/fig1_examples.py"


rule fig2_training_curves:
    input:
        attribution="results/ATTRIBUTION.md",
        real=PLAN.histories(["real"]),
        synthetic=lambda w: PLAN.histories([figure_model("fig2")]),
        predictions=PLAN.predictions(["real"], [FIGURE_TASK], [FIGURE_ARCH], ["real"]),
    output:
        png=report(
            "results/fig2_training_curves.png",
            caption="../workflow/report/fig2.rst",
            category="Figures",
        ),
        table="results/tables/fig2_training_curves.csv",
    log:
        "logs/figures/fig2.log",
    conda:
        "../envs/figures.yaml"
    params:
        proxy=config["proxy"],
        model=lambda w: figure_model_note("fig2"),
        code=library_code("fig2_training_curves"),
    script:
        "../workflow/scripts/fig2_training_curves.py"


rule fig3_architectures:
    input:
        attribution="results/ATTRIBUTION.md",
        predictions=lambda w: PLAN.predictions(
            ["real", figure_model("fig3")], [FIGURE_TASK], PLAN.archs, ["real"]
        ),
    output:
        png=report(
            "results/fig3_architectures.png",
            caption="../workflow/report/fig3.rst",
            category="Figures",
        ),
        table="results/tables/fig3_architectures.csv",
    log:
        "logs/figures/fig3.log",
    conda:
        "../envs/figures.yaml"
    params:
        proxy=config["proxy"],
        synthetic=lambda w: figure_model("fig3"),
        model=lambda w: figure_model_note("fig3"),
        code=library_code("fig3_architectures"),
    script:
        "../workflow/scripts/fig3_architectures.py"


rule fig4_ablation:
    input:
        attribution="results/ATTRIBUTION.md",
        predictions=PLAN.predictions(
            PLAN.variant_datasets, [FIGURE_TASK], [FIGURE_ARCH], ["real"]
        ),
    output:
        png=report(
            "results/fig4_ablation.png",
            caption="../workflow/report/fig4.rst",
            category="Figures",
        ),
        table="results/tables/fig4_ablation.csv",
    log:
        "logs/figures/fig4.log",
    conda:
        "../envs/figures.yaml"
    params:
        proxy=config["proxy"],
        variants=PLAN.variants,
        code=library_code("fig4_ablation"),
    script:
        "../workflow/scripts/fig4_ablation.py"


# The synthetic model of the figures set to `best` (figures.models): chosen from figure 4's
# numbers (domrand.figures.best states the rule), so the input functions calling
# figure_model() wait for it and then read the choice.
checkpoint choose_best_variant:
    input:
        fig4="results/tables/fig4_ablation.csv",
    output:
        table=BEST_TABLE,
    log:
        "logs/figures/best_variant.log",
    conda:
        "../envs/figures.yaml"
    params:
        code=library_code("choose_best_variant"),
    script:
        "../workflow/scripts/choose_best_variant.py"


rule fig5_heatmaps:
    input:
        attribution="results/ATTRIBUTION.md",
        real=PLAN.heatmap_files("real"),
        synthetic=lambda w: PLAN.heatmap_files(figure_model("fig5")),
    output:
        png=report(
            "results/fig5_heatmaps.png",
            caption="../workflow/report/fig5.rst",
            category="Figures",
        ),
        table="results/tables/fig5_heatmaps.csv",
        faithfulness="results/tables/fig5_faithfulness.csv",
    log:
        "logs/figures/fig5.log",
    conda:
        "../envs/figures.yaml"
    params:
        proxy=config["proxy"],
        model=lambda w: figure_model_note("fig5"),
        code=library_code("fig5_heatmaps"),
    script:
        "../workflow/scripts/fig5_heatmaps.py"


rule fig6_domains:
    input:
        attribution="results/ATTRIBUTION.md",
        real=PLAN.first_shards(["real"], config["tasks"][FIGURE_TASK]),
        synthetic=PLAN.first_shards([PLAN.synthetic], config["tasks"][FIGURE_TASK]),
        toon=PLAN.first_shards(["toon"], config["tasks"][FIGURE_TASK]),
    output:
        png=report(
            "results/fig6_domains.png",
            caption="../workflow/report/fig6.rst",
            category="Figures",
        ),
        table="results/tables/fig6_domains.csv",
    log:
        "logs/figures/fig6.log",
    conda:
        "../envs/figures.yaml"
    params:
        proxy=config["proxy"],
        n=config["figures"]["examples_per_variant"],
        code=library_code("fig6_domains"),
    script:
        "../workflow/scripts/fig6_domains.py"


rule fig7_domain_transfer:
    input:
        attribution="results/ATTRIBUTION.md",
        predictions=lambda w: PLAN.predictions(
            ["real", figure_model("fig7")],
            [FIGURE_TASK],
            [FIGURE_ARCH],
            list(PLAN.testsets),
        ),
    output:
        png=report(
            "results/fig7_domain_transfer.png",
            caption="../workflow/report/fig7.rst",
            category="Figures",
        ),
        table="results/tables/fig7_domain_transfer.csv",
    log:
        "logs/figures/fig7.log",
    conda:
        "../envs/figures.yaml"
    params:
        proxy=config["proxy"],
        synthetic=lambda w: figure_model("fig7"),
        model=lambda w: figure_model_note("fig7"),
        chosen_best=PLAN.figure_models["fig7"] == BEST,
        code=library_code("fig7_domain_transfer"),
    script:
        "../workflow/scripts/fig7_domain_transfer.py"


rule fig8_categories:
    input:
        attribution="results/ATTRIBUTION.md",
        predictions=lambda w: PLAN.predictions(
            [figure_model("fig8")], PLAN.tasks, [FIGURE_ARCH], ["real"]
        ),
    output:
        png=report(
            "results/fig8_categories.png",
            caption="../workflow/report/fig8.rst",
            category="Figures",
        ),
        table="results/tables/fig8_categories.csv",
    log:
        "logs/figures/fig8.log",
    conda:
        "../envs/figures.yaml"
    params:
        proxy=config["proxy"],
        tasks=config["tasks"],
        model=lambda w: figure_model_note("fig8"),
        chosen_best=PLAN.figure_models["fig8"] == BEST,
        code=library_code("fig8_categories"),
    script:
        "../workflow/scripts/fig8_categories.py"


rule domain_realism:
    input:
        attribution="results/ATTRIBUTION.md",
        sets=expand("results/realism/{dataset}.parquet", dataset=PLAN.realism_sets),
    output:
        png=report(
            "results/domain_realism.png",
            caption="../workflow/report/domain_realism.rst",
            category="Figures",
        ),
        table="results/tables/domain_realism.csv",
    log:
        "logs/figures/domain_realism.log",
    conda:
        "../envs/figures.yaml"
    params:
        code=library_code("domain_realism"),
        datasets=PLAN.realism_sets,
        kinds=PLAN.realism_kinds(),
        proxy=config["proxy"],
    script:
        "../workflow/scripts/domain_realism.py"


rule subject_realism:
    input:
        attribution="results/ATTRIBUTION.md",
        pools=expand("results/realism/subjects/{pool}.parquet", pool=PLAN.subject_pools),
    output:
        png=report(
            "results/subject_realism.png",
            caption="../workflow/report/subject_realism.rst",
            category="Figures",
        ),
        table="results/tables/subject_realism.csv",
    log:
        "logs/figures/subject_realism.log",
    conda:
        "../envs/figures.yaml"
    params:
        code=library_code("subject_realism"),
        pools=PLAN.subject_pools,
        reference=PLAN.subject_reference,
        proxy=config["proxy"],
    script:
        "../workflow/scripts/subject_realism.py"


rule occlusion_table:
    input:
        shards=PLAN.occlusion_shards(),
    output:
        table="results/tables/occlusion.csv",
    log:
        "logs/figures/occlusion.log",
    conda:
        "../envs/figures.yaml"
    params:
        code=library_code("occlusion_table"),
        kinds=PLAN.occlusion_kinds(),
    script:
        "../workflow/scripts/occlusion_table.py"
