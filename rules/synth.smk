# Synthesis: one job per (variant or proxy domain, class, shard) of rendered images.


rule render_shard:
    input:
        world="resources/world",
    output:
        directory("results/synth/{variant}/{cls}/{shard}"),
    log:
        "logs/synth/{variant}/{cls}/{shard}.log",
    benchmark:
        "benchmarks/synth/{variant}/{cls}/{shard}.tsv"
    conda:
        "../envs/render.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        generator=generator_of_variant,
        render=render_of_variant,
        source="{variant}",
        code=library_code("render_shard"),
    script:
        "../workflow/scripts/render_shard.py"


rule render_proxy:
    input:
        world="resources/world",
    output:
        directory("results/proxy/{domain}/{cls}/{shard}"),
    log:
        "logs/proxy/{domain}/{cls}/{shard}.log",
    benchmark:
        "benchmarks/proxy/{domain}/{cls}/{shard}.tsv"
    conda:
        "../envs/render.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        generator=generator_of_domain,
        render=render_of_domain,
        source="{domain}",
        code=library_code("render_shard"),
    script:
        "../workflow/scripts/render_shard.py"


rule render_subjects:
    input:
        world="resources/world",
    output:
        directory("results/subjects/{pool}/{cls}"),
    log:
        "logs/subjects/{pool}/{cls}.log",
    benchmark:
        "benchmarks/subjects/{pool}/{cls}.tsv"
    conda:
        "../envs/render.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        generator=generator_of_pool,
        render=PLAN.pool_render(),
        source="subjects_{pool}",
        code=library_code("render_subjects"),
    script:
        "../workflow/scripts/render_subjects.py"
