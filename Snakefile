# domrand: the domain-randomization study (Valtchev & Wu 2021) as a workflow.
# Reading order: config + schema, then one rule file per stage, then `all` = every figure.
import os
import sys

from snakemake.utils import min_version

min_version("9.27")

# The library of this checkout, for the rules here and for jobs in conda envs (which do not
# install it: Snakemake hands its own sys.path on to a job's script).
sys.path.insert(0, f"{workflow.basedir}/src")

from domrand.config import drop_nulls, validate_config
from domrand.scheduling import one_wakeup_timer
from domrand.warm import start_worker


configfile: f"{workflow.basedir}/config.yaml"


# An override that sets an entry to null removes it; then the schema and the cross-checks.
validate_config(
    config, f"{workflow.basedir}/schemas/config.schema.yaml", removed=drop_nulls(config)
)


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
include: "rules/search.smk"


report: "workflow/report/workflow.rst"


# A local run's jobs start in a warm worker that has imported torch once (domrand.warm);
# cluster jobs run on their nodes as fresh processes. DOMRAND_NO_WARM_WORKER=1 turns it off.
# And the scheduler keeps one wake-up timer, not one more per job (domrand.scheduling).
onstart:
    one_wakeup_timer(workflow)
    if workflow.local_exec:
        os.makedirs("logs", exist_ok=True)
        start_worker("logs/warm_worker.log")


rule all:
    default_target: True
    input:
        PLAN.all_figures(),
        PLAN.all_tables(),
