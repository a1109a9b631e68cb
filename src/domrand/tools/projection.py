"""Projected wall time of a whole study on 1, 4, 16 ... cluster nodes, from a finished run.

    python -m domrand.tools.projection --run DIR --configfile configs/ci.yaml \\
        [--target-configfile configs/paper.yaml] [--nodes 1 4 16] [--cores-per-node 16] \\
        [--gpus-per-node 1] [--profile profiles/slurm] [--out results/projection]

writes OUT.json and OUT.md (a table: nodes -> wall time, and each stage's span on each).

The model, in four steps; everything it leaves out is listed after them.

1. Job times. Every job of a rule with a `benchmark:` directive left a TSV under
   DIR/benchmarks/ in the measured run; its `s` column (the mean over its rows) is the job's
   wall time. A rule's cost per work unit is the sum of its measured jobs' seconds over the
   sum of their work units, and a target job takes that cost times its own work units
   (`WORK`, sized by the workflow's own plan, domrand.plan): images for
   render_shard/render_proxy (the shard's images), extract_features (forward passes: train
   x views + test; every seed's training set where `seeds_over: data`) and evaluate (test
   images of the task's classes the test set has); training images x epochs for train_head
   and train_finetune (the model's own seed's set); pretraining images x epochs for
   pretrain_backbone; images for render_subjects (images_per_breed x the pool's subjects of
   the class) and subject_realism_scores (those of every class of the pool); images
   explained for explain (per class, the images shown and the faithfulness sample); one
   unit per job for every other rule. Only these counts are
   scaled: image size, backbone, device and threads must be those of the target, i.e.
   measure on the target's hardware at the target's sizes with fewer images.
2. The DAG. Jobs, their rule, wildcards, inputs and outputs come from `snakemake --dry-run
   --forceall` of the measured and the target config (one block per job, cross-checked
   against the dry run's own job counts); a job waits for every job that makes one of its
   inputs.
3. Nodes. N identical nodes of C cores and G GPUs. A job holds `threads` cores (the
   profile's set-threads, else the rule's, at most C) and `gpu` GPUs (the profile's
   set-resources) of one node from start to end; at most the profile's `jobs` jobs run at
   once; localrules run on the submit host and hold no node.
4. Schedule. Greedy list scheduling: whenever a job ends, the ready jobs start in order of
   their longest path to the end of the study (critical path first), each on the first node
   with room; a job that does not fit yet waits while smaller ones go ahead (backfill).
   A stage's span is its first job's start to its last job's end.

The search of figure 13 (domrand.search) has checkpoints: what follows them is only known once
they have run. The dry runs add, as targets of their own, what follows them at its dearest:
round 1 keeps the first `search.keep` candidates (each rendered and embedded at full size in
round 2) and round 2 picks the first (trained and tested at the study's seeds). Those jobs
wait for what makes their inputs, not for the checkpoints (the schedule is a little early for
them; their seconds are whole). The result's `search` entry sums the job seconds of every job
of the search against the whole study's.

Not modelled: queue waits and SLURM's scheduling cycle (`--job-overhead` adds a fixed number
of seconds to every cluster job), shared file-system contention, memory per node, and rules
without a `benchmark:` directive (gather_dataset, select_class, the figures, downloads): they
count 0 s and are listed as unmeasured. A rule the target runs that the measured run never
benchmarked is an error naming it; `--assume RULE=SECONDS` supplies its time per job.
"""

from __future__ import annotations

import argparse
import heapq
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from domrand.config import load_config
from domrand.io import atomic_path, write_json
from domrand.plan import FIGURE_ARCH, FIGURE_TASK, Plan, variant_dataset

REPO = Path(__file__).resolve().parents[3]


class ProjectionError(ValueError):
    pass


@dataclass
class Job:
    """One job of a dry run."""

    jobid: int
    rule: str
    local: bool
    wildcards: dict
    inputs: list
    outputs: list
    benchmark: str | None
    threads: int
    resources: dict
    deps: set = field(default_factory=set)


# ---------------------------------------------------------------- the DAG (dry run)

_HEADER = re.compile(r"^(local)?(?:rule|checkpoint) (\w+):$")  # a checkpoint is a job too


def parse_dry_run(text: str) -> list[Job]:
    """Jobs of `snakemake --dry-run` output (Snakemake 9: one indented block per job), with
    their dependencies. Raises ProjectionError when the parsed counts disagree with the dry
    run's own "Job stats" table."""
    jobs, cur = [], None
    for line in text.splitlines():
        m = _HEADER.match(line.strip()) if not line.startswith(" ") else None
        if m:
            cur = {"rule": m.group(2), "local": bool(m.group(1))}
            jobs.append(cur)
            continue
        if cur is None or not line.startswith("    ") or ": " not in line:
            if not line.strip():
                cur = None
            continue
        key, value = line.strip().split(": ", 1)
        cur.setdefault(key, value)
    out = []
    for j in jobs:
        if "jobid" not in j:
            continue
        split = [s.strip() for s in j.get("input", "").split(",") if s.strip()]
        outs = [s.strip() for s in j.get("output", "").split(",") if s.strip()]
        wc = dict(kv.split("=", 1) for kv in (s.strip() for s in j.get("wildcards", "").split(",")) if "=" in kv)
        res = dict(kv.split("=", 1) for kv in (s.strip() for s in j.get("resources", "").split(",")) if "=" in kv)
        out.append(
            Job(
                int(j["jobid"]),
                j["rule"],
                j["local"],
                wc,
                split,
                outs,
                j.get("benchmark"),
                int(j.get("threads", 1)),
                res,
            )
        )
    counts = _job_stats(text)
    parsed = {}
    for j in out:
        parsed[j.rule] = parsed.get(j.rule, 0) + 1
    if counts is not None and counts != parsed:
        raise ProjectionError(
            f"parsed {sum(parsed.values())} jobs from the dry run but its job stats say "
            f"{sum(counts.values())}: the dry-run format changed (differences: "
            f"{ {r: (parsed.get(r), counts.get(r)) for r in set(counts) | set(parsed) if parsed.get(r) != counts.get(r)} })"
        )
    maker = {o: j.jobid for j in out for o in j.outputs}
    for j in out:
        j.deps = {maker[i] for i in j.inputs if i in maker and maker[i] != j.jobid}
    return out


def _job_stats(text: str) -> dict | None:
    """{rule: jobs} from the dry run's last "Job stats" table (None when there is none)."""
    blocks = text.split("Job stats:")
    if len(blocks) < 2:
        return None
    counts = {}
    for line in blocks[-1].splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        if parts[0] != "total":
            counts[parts[0]] = int(parts[1])
    return counts


def search_targets(plan: Plan) -> list[str]:
    """What follows the search's checkpoints at its dearest (see the module docstring): round 2's
    heads of the first `search.keep` candidates (then anchors), the first one's evaluations."""
    entries = list(plan.search_candidates) + [e for e in plan.search_entries if e not in plan.search_candidates]
    kept = entries[: int(plan.config["search"]["keep"])]
    return plan.search_heads(2, kept) + plan.evals([variant_dataset(kept[0])], [FIGURE_TASK], [FIGURE_ARCH], ["real"])


def dry_run(configfiles, snakefile=None, cores: int = 1, search: bool = False) -> list[Job]:
    """Every job of the study that `configfiles` describe (`--forceall` in an empty directory);
    with `search`, what follows the search's checkpoints too (:func:`search_targets`)."""
    snakefile = Path(snakefile or REPO / "Snakefile")
    targets = []
    if search:
        plan = Plan(load_config(*configfiles, base=snakefile.parent / "config.yaml"))
        targets = ["all", *search_targets(plan)]
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "snakemake",
            "-s",
            str(snakefile),
            *targets,
            "--dry-run",
            "--forceall",
            "--cores",
            str(cores),
            "--directory",
            tmp,
            "--nolock",
        ]
        if configfiles:
            cmd += ["--configfile", *map(str, configfiles)]
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=snakefile.parent)
    if p.returncode != 0:
        raise ProjectionError(
            f"snakemake --dry-run of {list(map(str, configfiles)) or 'config.yaml'} failed:\n"
            f"{(p.stdout + p.stderr)[-3000:]}"
        )
    return parse_dry_run(p.stdout)


# ---------------------------------------------------------------- work units per job


def _train_units(plan: Plan, w: dict) -> int:
    return plan.training_images(w["dataset"], w["task"]) * int(plan.training(w["arch"])["epochs"])


# {rule: (unit, units of one job from the plan and the job's wildcards)}: the sizes the
# workflow's own rules get from domrand.plan (tests/workflow/test_plan_dag.py checks them
# against the params of every job of a dry run).
WORK = {
    "render_shard": ("images", lambda p, w: p.shard_images(variant_dataset(w["variant"]), w["shard"])),
    "render_proxy": ("images", lambda p, w: p.shard_images(w["domain"], w["shard"])),
    "extract_features": ("forward passes", lambda p, w: p.forward_passes(w["dataset"])),
    "train_head": ("training images x epochs", _train_units),
    "train_finetune": ("training images x epochs", _train_units),
    "evaluate": ("test images", lambda p, w: p.test_images(w["testset"], w["task"])),
    "pretrain_backbone": (
        "images x epochs",
        lambda p, w: int(p.config["pretrain"]["images"]) * int(p.config["pretrain"]["epochs"]),
    ),
    "render_subjects": ("images", lambda p, w: p.subject_images(w["pool"], w["cls"])),
    "subject_realism_scores": ("images", lambda p, w: p.pool_images(w["pool"])),
    "explain": ("images explained", lambda p, w: p.explain_images(w["testset"])),
}


def work_units(rule: str, plan: Plan | dict, wildcards: dict) -> float:
    """Work units of one job (WORK); `plan`: the study's Plan, or its config."""
    if rule not in WORK:
        return 1.0
    try:
        plan = plan if isinstance(plan, Plan) else Plan(plan)
        return float(WORK[rule][1](plan, wildcards))
    except KeyError as e:
        raise ProjectionError(
            f"rule {rule}: cannot size a job with wildcards {wildcards} from the config "
            f"(missing key {e}); update domrand.tools.projection.WORK"
        ) from None


# ---------------------------------------------------------------- measured job times


def read_benchmark(path: Path) -> float:
    """Wall seconds of one job: the mean of the `s` column of its benchmark TSV."""
    import pandas as pd

    df = pd.read_csv(path, sep="\t")
    if "s" not in df.columns or df.empty:
        raise ProjectionError(f"{path}: not a Snakemake benchmark TSV (no `s` column or no rows)")
    return float(df["s"].mean())


def rule_costs(run_dir: Path, jobs: list[Job], config: Plan | dict) -> dict:
    """{rule: {seconds_per_unit, measured_jobs, jobs, measured_seconds}} of every rule with a
    `benchmark:` directive whose TSVs the run left (rules without any TSV are left out)."""
    plan = config if isinstance(config, Plan) else Plan(config)
    acc: dict = {}
    for j in jobs:
        if not j.benchmark:
            continue
        a = acc.setdefault(j.rule, {"jobs": 0, "measured_jobs": 0, "seconds": 0.0, "units": 0.0})
        a["jobs"] += 1
        tsv = Path(run_dir) / j.benchmark
        if tsv.is_file():
            a["measured_jobs"] += 1
            a["seconds"] += read_benchmark(tsv)
            a["units"] += work_units(j.rule, plan, j.wildcards)
    out = {}
    for rule, a in acc.items():
        if a["measured_jobs"] == 0:
            continue
        out[rule] = {
            "seconds_per_unit": a["seconds"] / max(a["units"], 1e-12),
            "measured_jobs": a["measured_jobs"],
            "jobs": a["jobs"],
            "measured_seconds": a["seconds"],
            "measured_units": a["units"],
        }
    return out


# ---------------------------------------------------------------- profile and schedule


def read_profile(profile: Path | None) -> dict:
    """set-threads, set-resources (gpu) and jobs of a Snakemake profile, with the workflow
    profile (profiles/default, loaded too and winning key by key) over it."""
    import yaml

    merged = {"set-threads": {}, "set-resources": {}, "jobs": None}
    paths = [profile] if profile else []
    default = REPO / "profiles" / "default"
    if profile is None or Path(profile).resolve() != default.resolve():
        paths.append(default)
    for p in paths:
        f = Path(p) / "config.yaml"
        if not f.is_file():
            if p == profile:
                raise ProjectionError(
                    f"profile {p}: no config.yaml there; give a Snakemake profile folder such as profiles/slurm"
                )
            continue
        y = yaml.safe_load(f.read_text()) or {}
        merged["set-threads"].update({k: int(v) for k, v in (y.get("set-threads") or {}).items()})
        for rule, res in (y.get("set-resources") or {}).items():
            merged["set-resources"].setdefault(rule, {}).update(res or {})
        if isinstance(y.get("jobs"), int):
            merged["jobs"] = y["jobs"]
    return merged


def _longest_paths(times: dict, jobs: dict) -> dict:
    """Each job's own time plus the longest chain of jobs that wait for it."""
    children: dict = {j: [] for j in jobs}
    for j in jobs.values():
        for d in j.deps:
            children[d].append(j.jobid)
    order, seen = [], set()
    for start in jobs:  # iterative post-order DFS: children before parents
        stack = [(start, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append((node, True))
            stack.extend((c, False) for c in children[node] if c not in seen)
    rank = {}
    for node in order:
        rank[node] = times[node] + max((rank[c] for c in children[node]), default=0.0)
    return rank


def schedule(
    jobs: list[Job],
    times: dict,
    threads: dict,
    gpus: dict,
    nodes: int,
    cores: int,
    gpus_per_node: int,
    max_jobs: int | None = None,
) -> dict:
    """Greedy list schedule of `jobs` (times[jobid] seconds; threads/gpus per jobid) on `nodes`
    identical nodes; localrules run beside the nodes. Returns {jobid: (start, end)}."""
    by_id = {j.jobid: j for j in jobs}
    for j in jobs:
        if not j.local and (threads[j.jobid] > cores or gpus[j.jobid] > gpus_per_node):
            raise ProjectionError(
                f"rule {j.rule}: a job needs {threads[j.jobid]} cores and {gpus[j.jobid]} GPU(s), "
                f"more than a node has ({cores} cores, {gpus_per_node} GPUs): raise "
                f"--cores-per-node / --gpus-per-node"
            )
    rank = _longest_paths(times, by_id)
    waiting = {j.jobid: len(j.deps) for j in jobs}
    children: dict = {j.jobid: [] for j in jobs}
    for j in jobs:
        for d in j.deps:
            children[d].append(j.jobid)
    ready = sorted((jid for jid, n in waiting.items() if n == 0), key=lambda i: (-rank[i], i))
    free_cores, free_gpus = [cores] * nodes, [gpus_per_node] * nodes
    running: list = []  # heap of (end, jobid, node)
    span, now, n_cluster = {}, 0.0, 0
    while ready or running:
        started, blocked = [], set()
        for jid in ready:
            j = by_id[jid]
            if j.local:
                span[jid] = (now, now + times[jid])
                heapq.heappush(running, (now + times[jid], jid, None))
                started.append(jid)
                continue
            shape = (threads[jid], gpus[jid])
            if shape in blocked or (max_jobs is not None and n_cluster >= max_jobs):
                continue
            node = next((n for n in range(nodes) if free_cores[n] >= shape[0] and free_gpus[n] >= shape[1]), None)
            if node is None:
                blocked.add(shape)
                continue
            free_cores[node] -= shape[0]
            free_gpus[node] -= shape[1]
            n_cluster += 1
            span[jid] = (now, now + times[jid])
            heapq.heappush(running, (now + times[jid], jid, node))
            started.append(jid)
        if started:
            gone = set(started)
            ready = [r for r in ready if r not in gone]
        if not running:
            raise ProjectionError(f"jobs {ready[:5]} can never start (a dependency cycle?)")
        now, jid, node = heapq.heappop(running)
        finished = [(jid, node)]
        while running and running[0][0] <= now:
            _, j2, n2 = heapq.heappop(running)
            finished.append((j2, n2))
        for jid, node in finished:
            if node is not None:
                free_cores[node] += threads[jid]
                free_gpus[node] += gpus[jid]
                n_cluster -= 1
            for c in children[jid]:
                waiting[c] -= 1
                if waiting[c] == 0:
                    ready.append(c)
        ready.sort(key=lambda i: (-rank[i], i))
    return span


# ---------------------------------------------------------------- the projection


def project(
    run_dir,
    configfiles,
    target_configfiles=None,
    nodes=(1, 4, 16),
    cores_per_node: int = 16,
    gpus_per_node: int = 1,
    profile="profiles/slurm",
    assume: dict | None = None,
    job_overhead: float = 0.0,
    snakefile=None,
    measured_jobs=None,
    target_jobs=None,
) -> dict:
    """The projected wall time of the target study on each number of `nodes` (see the module
    docstring for the model). measured_jobs/target_jobs: parsed dry runs (default: run them)."""
    run_dir = Path(run_dir)
    if not any((run_dir / "benchmarks").rglob("*.tsv")):
        raise ProjectionError(
            f"{run_dir / 'benchmarks'}: no benchmark TSVs; give --run the directory of a finished workflow run"
        )
    configfiles = [str(c) for c in configfiles or []]
    target_configfiles = configfiles if target_configfiles is None else [str(c) for c in target_configfiles]
    base = Path(snakefile).parent / "config.yaml" if snakefile else REPO / "config.yaml"
    m_plan, t_plan = Plan(load_config(*configfiles, base=base)), Plan(load_config(*target_configfiles, base=base))
    if measured_jobs is None:
        measured_jobs = dry_run(configfiles, snakefile, cores_per_node, search=True)
    if target_jobs is None:
        target_jobs = (
            measured_jobs
            if target_configfiles == configfiles
            else dry_run(target_configfiles, snakefile, cores_per_node, search=True)
        )
    costs = rule_costs(run_dir, measured_jobs, m_plan)
    assume = dict(assume or {})
    prof = read_profile(Path(profile) if profile else None)
    rules: dict = {}
    for j in target_jobs:
        rules.setdefault(j.rule, []).append(j)
    unmeasured = _check_measured(rules, costs, assume, run_dir)
    times, threads, gpus = _job_times(target_jobs, costs, assume, prof, t_plan, cores_per_node, job_overhead)
    stats = _rule_stats(rules, times, threads, gpus, costs, assume, t_plan)
    order = sorted(rules, key=lambda r: min(j.jobid for j in rules[r]))
    projections = [
        _project_nodes(target_jobs, rules, order, times, threads, gpus, int(n), cores_per_node, gpus_per_node, prof)
        for n in nodes
    ]
    order = sorted(order, key=lambda r: (projections[0]["stages"][r]["start"], projections[0]["stages"][r]["end"]))
    return {
        "run_dir": str(run_dir),
        "measured_configfiles": configfiles,
        "target_configfiles": target_configfiles,
        "node": {"cores": cores_per_node, "gpus": gpus_per_node},
        "profile": str(profile) if profile else None,
        "max_concurrent_jobs": prof["jobs"],
        "job_overhead_seconds": job_overhead,
        "jobs": len(target_jobs),
        "rules": {r: stats[r] for r in order},
        "unmeasured_rules": unmeasured,
        "search": search_cost(target_jobs, times, t_plan),
        "projections": projections,
        "model": __doc__.split("The model, in four steps;")[1].strip(),
    }


def _check_measured(rules: dict, costs: dict, assume: dict, run_dir: Path) -> list[str]:
    """The target's rules without a `benchmark:` directive (unmeasured); ProjectionError naming
    each benchmarked rule that the measured run has no TSV of and `assume` does not time."""
    unmeasured = sorted(r for r, js in rules.items() if not any(j.benchmark for j in js) and r not in assume)
    missing = sorted(
        r for r, js in rules.items() if any(j.benchmark for j in js) and r not in costs and r not in assume
    )
    if missing:
        raise ProjectionError(
            "; ".join(
                f"rule {r}: no benchmark TSV in {run_dir / 'benchmarks'} for any of its "
                f"{len(rules[r])} job(s) (e.g. {next(j.benchmark for j in rules[r] if j.benchmark)})"
                for r in missing
            )
            + ": run those jobs in the measured run, or give --assume RULE=SECONDS (seconds per job)"
        )
    return unmeasured


def _job_times(
    jobs: list[Job], costs: dict, assume: dict, prof: dict, plan: Plan, cores_per_node: int, job_overhead: float
) -> tuple[dict, dict, dict]:
    """({jobid: seconds}, {jobid: threads}, {jobid: GPUs}) of the target's jobs."""
    times, threads, gpus = {}, {}, {}
    for j in jobs:
        if j.rule in assume:
            t = float(assume[j.rule])
        elif j.rule in costs:
            t = costs[j.rule]["seconds_per_unit"] * work_units(j.rule, plan, j.wildcards)
        else:
            t = 0.0
        threads[j.jobid] = min(prof["set-threads"].get(j.rule, j.threads), cores_per_node)
        gpus[j.jobid] = int(prof["set-resources"].get(j.rule, {}).get("gpu", j.resources.get("gpu", 0)) or 0)
        times[j.jobid] = t + (job_overhead if not j.local and (t > 0 or j.rule in assume) else 0.0)
    return times, threads, gpus


def _rule_stats(
    rules: dict, times: dict, threads: dict, gpus: dict, costs: dict, assume: dict, plan: Plan
) -> dict[str, dict]:
    """Each rule's jobs, seconds, cores and GPUs per job, work units and where its time comes from."""
    stats = {}
    for rule, js in rules.items():
        ts = [times[j.jobid] for j in js]
        unit = WORK[rule][0] if rule in WORK else "jobs"
        stats[rule] = {
            "jobs": len(js),
            "mean_job_seconds": sum(ts) / len(ts),
            "job_seconds": sum(ts),
            "threads": threads[js[0].jobid],
            "gpus": gpus[js[0].jobid],
            "local": js[0].local,
            "unit": unit,
            "units": sum(work_units(rule, plan, j.wildcards) for j in js),
            "source": ("assumed" if rule in assume else "measured" if rule in costs else "unmeasured"),
        }
        if rule in costs:
            stats[rule].update(
                {k: costs[rule][k] for k in ("seconds_per_unit", "measured_jobs", "measured_seconds", "measured_units")}
            )
    return stats


def _project_nodes(
    jobs, rules: dict, order: list, times, threads, gpus, n: int, cores_per_node: int, gpus_per_node: int, prof: dict
) -> dict:
    """The schedule on `n` nodes: its wall time and each rule's span (in `order`)."""
    span = schedule(jobs, times, threads, gpus, n, cores_per_node, gpus_per_node, prof["jobs"])
    stages = {}
    for rule in order:
        s = [span[j.jobid] for j in rules[rule]]
        stages[rule] = {"start": min(a for a, _ in s), "end": max(b for _, b in s)}
    wall = max((b for _, b in span.values()), default=0.0)
    return {"nodes": n, "wall_seconds": wall, "wall_hours": wall / 3600, "stages": stages}


def is_search_job(job: Job, plan: Plan) -> bool:
    """Whether a job exists for figure 13's search: its rules, and the rendering, embedding,
    training and testing of the search's own datasets (the validation split, the candidates)."""
    names = {*plan.search_datasets, *plan.search_variants, plan.validation}
    return any(o.startswith(("results/search/", "results/fig13_")) or names & set(Path(o).parts) for o in job.outputs)


def search_cost(jobs: list[Job], times: dict, plan: Plan) -> dict:
    """The search's summed job seconds against those of the rest of the study."""
    search = sum(times[j.jobid] for j in jobs if is_search_job(j, plan))
    rest = sum(times[j.jobid] for j in jobs) - search
    return {
        "job_seconds": search,
        "study_job_seconds": rest,
        "share": search / rest if rest else 0.0,
        "jobs": sum(is_search_job(j, plan) for j in jobs),
    }


def _hms(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def to_markdown(p: dict) -> str:
    """Two tables: nodes -> wall time, and each stage's jobs, time per job and span per node count."""
    node = p["node"]
    lines = [
        f"Projected wall time of {' + '.join(p['target_configfiles']) or 'config.yaml'} "
        f"({p['jobs']} jobs) from the benchmarks of {p['run_dir']} "
        f"({' + '.join(p['measured_configfiles']) or 'config.yaml'}); nodes of {node['cores']} cores and "
        f"{node['gpus']} GPU(s), {p['profile'] or 'no profile'}"
        + (f", at most {p['max_concurrent_jobs']} jobs at once" if p["max_concurrent_jobs"] else "")
        + ".",
        "",
        "| nodes | wall time (h:mm:ss) | hours |",
        "|---:|---:|---:|",
    ]
    for r in p["projections"]:
        lines.append(f"| {r['nodes']} | {_hms(r['wall_seconds'])} | {r['wall_hours']:.2f} |")
    if "search" in p:
        sc = p["search"]
        lines += [
            "",
            f"Figure 13's search, at its dearest ({sc['jobs']} jobs): {_hms(sc['job_seconds'])} of job time, "
            f"{100 * sc['share']:.1f}% of the {_hms(sc['study_job_seconds'])} of the rest of the study.",
        ]
    heads = " | ".join(f"{r['nodes']} node{'s' if r['nodes'] > 1 else ''}" for r in p["projections"])
    lines += [
        "",
        "Per stage: start - end (h:mm:ss) in the projected schedule.",
        "",
        f"| stage | jobs | per job (s) | cores, GPUs per job | {heads} |",
        "|---|---:|---:|---|" + "---|" * len(p["projections"]),
    ]
    for rule, s in p["rules"].items():
        if s["source"] == "unmeasured":
            continue
        where = "submit host" if s["local"] else f"{s['threads']}, {s['gpus']}"
        spans = " | ".join(
            f"{_hms(r['stages'][rule]['start'])} - {_hms(r['stages'][rule]['end'])}" for r in p["projections"]
        )
        tag = " (assumed)" if s["source"] == "assumed" else ""
        lines.append(f"| {rule}{tag} | {s['jobs']} | {s['mean_job_seconds']:.1f} | {where} | {spans} |")
    if p["unmeasured_rules"]:
        lines += [
            "",
            "Unmeasured (no `benchmark:` directive; counted as 0 s): "
            + ", ".join(f"{r} ({p['rules'][r]['jobs']})" for r in p["unmeasured_rules"])
            + ".",
        ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    ap.add_argument("--run", required=True, help="directory of a finished run (holds benchmarks/)")
    ap.add_argument("--configfile", nargs="*", default=[], help="config files of the measured run")
    ap.add_argument(
        "--target-configfile",
        nargs="*",
        default=None,
        help="config files of the study to project (default: those of the measured run)",
    )
    ap.add_argument("--nodes", nargs="+", type=int, default=[1, 4, 16])
    ap.add_argument("--cores-per-node", type=int, default=16)
    ap.add_argument("--gpus-per-node", type=int, default=1)
    ap.add_argument("--profile", default=str(REPO / "profiles" / "slurm"))
    ap.add_argument(
        "--assume",
        nargs="*",
        default=[],
        metavar="RULE=SECONDS",
        help="seconds per job of a rule the measured run did not benchmark",
    )
    ap.add_argument("--job-overhead", type=float, default=0.0, help="seconds added to every cluster job")
    ap.add_argument("--out", default="results/projection", help="writes OUT.json and OUT.md")
    a = ap.parse_args(argv)
    try:
        assume = {k: float(v) for k, v in (s.split("=", 1) for s in a.assume)}
    except ValueError:
        ap.error(f"--assume takes RULE=SECONDS, got {a.assume}")
    try:
        p = project(
            a.run,
            a.configfile,
            a.target_configfile,
            a.nodes,
            a.cores_per_node,
            a.gpus_per_node,
            a.profile,
            assume,
            a.job_overhead,
        )
    except ProjectionError as e:
        sys.exit(f"projection: {e}")
    md = to_markdown(p)
    write_json(p, Path(a.out + ".json"))
    with atomic_path(Path(a.out + ".md")) as tmp:
        Path(tmp).write_text(md)
    print(md)


if __name__ == "__main__":
    main()
