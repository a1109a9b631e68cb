# domrand: the domain-randomization study (Valtchev & Wu 2021) as a workflow.
# Reading order: config + schema, then one rule file per stage, then `all` = every figure.
from domrand.config import validate_config


configfile: f"{workflow.basedir}/config.yaml"


validate_config(config, f"{workflow.basedir}/schemas/config.schema.yaml")


include: "rules/common.smk"
include: "rules/assets.smk"
include: "rules/synth.smk"
include: "rules/datasets.smk"
include: "rules/realdata.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"
include: "rules/explain.smk"
include: "rules/figures.smk"
include: "rules/beyond.smk"


report: "workflow/report/workflow.rst"


rule all:
    default_target: True
    input:
        all_figures(),
        all_tables(),
