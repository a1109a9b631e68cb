"""Every job of a `--forceall` DAG with the params Snakemake itself evaluates for it, as JSON.

    python tests/workflow/dag_jobs.py OUT.json [CONFIGFILE ...]

Built through the Snakemake API (the DAG a dry run prints, not re-derived here): one record per
job with its rule, wildcards, inputs (all, and by name), outputs and params (values that are not JSON become
their repr). A checkpoint's downstream jobs are not in it, as in a dry run."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, Quietness, ResourceSettings

REPO = Path(__file__).resolve().parents[2]


def _plain(value):
    try:
        return json.loads(json.dumps(value))
    except TypeError:
        if isinstance(value, dict):
            return {str(k): _plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [_plain(v) for v in value]
        return repr(value)


def dag_jobs(configfiles, workdir) -> list[dict]:
    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        wf_api = api.workflow(
            resource_settings=ResourceSettings(cores=1),
            config_settings=ConfigSettings(configfiles=[Path(c).resolve() for c in configfiles]),
            snakefile=REPO / "Snakefile",
            workdir=Path(workdir),
        )
        wf_api.dag(DAGSettings(forceall=True))
        wf = wf_api._workflow
        wf._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True, nolock=True)
        wf._build_dag()
        out = []
        for job in wf.dag.jobs:
            params = {k: _plain(v) for k, v in job.params.items()}
            named = {
                name: [str(f) for f in (files if isinstance(files, list) else [files])]
                for name, files in job.input.items()
            }
            out.append(
                {
                    "rule": job.rule.name,
                    "wildcards": dict(job.wildcards_dict),
                    "input": list(map(str, job.input)),
                    "input_named": named,
                    "output": list(map(str, job.output)),
                    "params": params,
                }
            )
        return out


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        jobs = dag_jobs(sys.argv[2:], tmp)
    Path(sys.argv[1]).write_text(json.dumps(jobs, indent=0, sort_keys=True))
    print(len(jobs), "jobs")
