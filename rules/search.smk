# Figure 13: a search over the control generator's settings, scored on the real domain's
# validation split (domrand.search). Round 1 heads on small training sets, a checkpoint keeps
# the best; round 2 heads on full sets, a checkpoint picks one; the pick's models at the
# study's seeds are train_head/evaluate jobs on synth_<pick>, tested once on the real test set.


rule select_validation:
    input:
        validation_source_index,
    output:
        "results/datasets/{dataset}/{cls}.parquet",
    log:
        "logs/datasets/{dataset}/{cls}.log",
    wildcard_constraints:
        dataset=VALIDATION if TARGET in PLAN.sourced else "^$",
    conda:
        "../envs/world.yaml"
    params:
        select=PLAN.validation_params(),
        code=library_code("select_validation"),
    script:
        "../workflow/scripts/select_validation.py"


rule search_head:
    input:
        unpack(search_head_features),
    output:
        "results/search/round{round}/{entry}.json",
    log:
        "logs/search/round{round}/{entry}.log",
    benchmark:
        "benchmarks/search/round{round}/{entry}.tsv"
    wildcard_constraints:
        round="1|2",
        entry=_alternatives(PLAN.search_entries),
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        code=library_code("search_head"),
        head=search_head_params,
    script:
        "../workflow/scripts/search_head.py"


checkpoint search_round1:
    input:
        heads=PLAN.search_heads(1, PLAN.search_entries),
    output:
        table="results/search/round1.csv",
    log:
        "logs/search/round1.log",
    conda:
        "../envs/figures.yaml"
    params:
        search=PLAN.search_round_params(1),
        code=library_code("search_round"),
    script:
        "../workflow/scripts/search_round.py"


checkpoint search_round2:
    input:
        heads=search_round2_heads,
    output:
        table="results/search/round2.csv",
    log:
        "logs/search/round2.log",
    conda:
        "../envs/figures.yaml"
    params:
        search=PLAN.search_round_params(2),
        code=library_code("search_round"),
    script:
        "../workflow/scripts/search_round.py"


rule fig13_search:
    input:
        attribution="results/ATTRIBUTION.md",
        round1="results/search/round1.csv",
        round2="results/search/round2.csv",
        fig4="results/tables/fig4_ablation.csv",
        predictions=fig13_predictions,
    output:
        png=report(
            "results/fig13_search.png",
            caption="../workflow/report/fig13.rst",
            category="Figures",
        ),
        table="results/tables/fig13_search.csv",
        trajectory="results/tables/fig13_search_trajectory.csv",
        variant="results/tables/fig13_search_pick.yaml",
    log:
        "logs/figures/fig13.log",
    conda:
        "../envs/figures.yaml"
    params:
        proxy=config["proxy"],
        code=library_code("fig13_search"),
    script:
        "../workflow/scripts/fig13_search.py"
