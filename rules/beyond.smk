# Beyond the paper: figures 9-12 (config `beyond`). Figure 9 trains on rendered datasets
# (derived variants render through render_shard); figures 10 and 11 train heads on cached
# features, so nothing is rendered or embedded again; figure 12 reads per-image predictions.


rule train_feature_head:
    input:
        unpack(head_features),
    output:
        "results/beyond/heads/{head}/seed{seed}.json",
    log:
        "logs/beyond/heads/{head}/seed{seed}.log",
    wildcard_constraints:
        head=_alternatives(PLAN.feature_heads),
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        code=library_code("train_feature_head"),
        head=head_params,
    script:
        "../workflow/scripts/train_feature_head.py"


rule fig9_breed_scaling:
    input:
        attribution="results/ATTRIBUTION.md",
        evals=PLAN.evals(PLAN.breed_datasets(), [FIGURE_TASK], [FIGURE_ARCH], ["real"]),
        reference=PLAN.evals(["real"], [FIGURE_TASK], [FIGURE_ARCH], ["real"]),
        indexes=[p for ps in PLAN.breed_indexes().values() for p in ps],
    output:
        png=report(
            "results/fig9_breed_scaling.png",
            caption="../workflow/report/fig9.rst",
            category="Figures",
        ),
        table="results/tables/fig9_breed_scaling.csv",
    log:
        "logs/figures/fig9.log",
    conda:
        "../envs/figures.yaml"
    params:
        code=library_code("fig9_breed_scaling"),
        proxy=config["proxy"],
        entries=PLAN.breed_scaling,
        indexes=PLAN.breed_indexes(),
    script:
        "../workflow/scripts/fig9_breed_scaling.py"


rule fig10_real_mixing:
    input:
        attribution="results/ATTRIBUTION.md",
        heads=PLAN.heads_of("mix_") + PLAN.heads_of("real_"),
    output:
        png=report(
            "results/fig10_real_mixing.png",
            caption="../workflow/report/fig10.rst",
            category="Figures",
        ),
        table="results/tables/fig10_real_mixing.csv",
    log:
        "logs/figures/fig10.log",
    conda:
        "../envs/figures.yaml"
    params:
        code=library_code("fig10_real_mixing"),
        proxy=config["proxy"],
        real_counts=config["beyond"]["real_counts"],
    script:
        "../workflow/scripts/fig10_real_mixing.py"


rule fig11_data_size:
    input:
        attribution="results/ATTRIBUTION.md",
        heads=PLAN.heads_of("size_"),
    output:
        png=report(
            "results/fig11_data_size.png",
            caption="../workflow/report/fig11.rst",
            category="Figures",
        ),
        table="results/tables/fig11_data_size.csv",
    log:
        "logs/figures/fig11.log",
    conda:
        "../envs/figures.yaml"
    params:
        code=library_code("fig11_data_size"),
        proxy=config["proxy"],
        synthetic_counts=config["beyond"]["synthetic_counts"],
    script:
        "../workflow/scripts/fig11_data_size.py"


rule fig12_parameter_errors:
    input:
        attribution="results/ATTRIBUTION.md",
        world="resources/world",
        predictions=[p for ps in PLAN.parameter_predictions().values() for p in ps],
        indexes=[p for ps in PLAN.parameter_indexes().values() for p in ps],
    output:
        png=report(
            "results/fig12_parameter_errors.png",
            caption="../workflow/report/fig12.rst",
            category="Figures",
        ),
        table="results/tables/fig12_parameter_errors.csv",
    log:
        "logs/figures/fig12.log",
    conda:
        "../envs/figures.yaml"
    params:
        code=library_code("fig12_parameter_errors"),
        proxy=config["proxy"],
        predictions=PLAN.parameter_predictions(),
        indexes=PLAN.parameter_indexes(),
        generators=PLAN.parameter_generators(),
        bins=config["beyond"]["parameter_bins"],
    script:
        "../workflow/scripts/fig12_parameter_errors.py"
