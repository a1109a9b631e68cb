"""The workflow on a real (single-node, throw-away) SLURM cluster through profiles/slurm.

tests/slurm/cluster.sh installs Debian's slurm and munge when missing and starts the cluster
(root only). Without root, or when the packages cannot be installed (no apt, no network to
the package registry), every test here skips and prints why. Every Snakemake run has a hard
`timeout -s KILL` (a hung SLURM run ignores SIGTERM); the cluster is stopped in teardown
whatever happens, and a watchdog stops it should this pytest process die first. The second
test's results must equal, file by file, those of the session's finished local ci study.

Knobs (environment): DOMRAND_SLURM_STATE_DIR (reuse a state dir, kept afterwards),
DOMRAND_SLURM_TIMEOUT (seconds per workflow run of the second test, default 900),
DOMRAND_SLURM_TARGETS (targets of the second test, space-separated; `all` for the whole
ci config; default: figures 3 and 5, which need every kind of job but the download).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slurm

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SNAKEMAKE = BIN / "snakemake"
CLUSTER_SH = REPO / "tests/slurm/cluster.sh"
MINIMAL = REPO / "tests/slurm/minimal/Snakefile"
PROFILE = REPO / "profiles/slurm"
WORKFLOW_TIMEOUT = int(os.environ.get("DOMRAND_SLURM_TIMEOUT", "900"))
# figure 3: renders, pretraining, features, frozen and fine-tuned training, evaluation;
# figure 5: heatmaps. Together every rule of the workflow but the download and other figures.
TARGETS = os.environ.get("DOMRAND_SLURM_TARGETS", "results/fig3_architectures.png results/fig5_heatmaps.png")
# The only rules allowed to run on the submit host: the workflow's `localrules` (downloads,
# which need the internet that compute nodes lack, and what gathers them; the copy of the
# packaged backbone weights, a file copy not worth a job) and the target-only rule `all`. test_local_rules_are_the_listed_ones keeps this list honest.
LOCAL_RULES = {
    "all",
    "download_weights",
    "download_asset",
    "download_objaverse",
    "fetch",
    "attribution",
    "install_backbone",
}
# cluster.sh exit codes that mean "cannot run here" rather than "broken"
SKIP_CODES = {77: "not root", 78: "slurm/munge packages missing and not installable"}
# generated or machine-specific; never copied into the run directories
NOT_COPIED = (
    ".git",
    ".venv",
    ".snakemake",
    ".pytest_cache",
    "__pycache__",
    "results",
    "resources",
    "logs",
    "benchmarks",
    "tests",
)


@dataclass
class Cluster:
    state: Path
    env: dict

    def slurm(self, *cmd: str, timeout: int = 30) -> str:
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout)
        assert p.returncode == 0, f"{' '.join(cmd)}: {p.stderr}"
        return p.stdout

    def jobs(self) -> dict[str, dict[str, str]]:
        """Every job SLURM still knows (finished ones stay MinJobAge=3600 s), keyed by job id,
        array tasks as <array id>_<task id>, with scontrol's fields."""
        out = {}
        for line in self.slurm("scontrol", "show", "job", "-o").splitlines():
            if not line.startswith("JobId="):
                continue
            f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
            key = f"{f['ArrayJobId']}_{f['ArrayTaskId']}" if "ArrayTaskId" in f else f["JobId"]
            out[key] = f
        return out


def _cluster_sh(action: str, state: Path, timeout: int, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(CLUSTER_SH), action, str(state)], capture_output=True, text=True, timeout=timeout, env=env
    )


def _skip(request, reason: str):
    """Skip with the reason on the terminal even under output capture and -q."""
    tr = request.config.pluginmanager.getplugin("terminalreporter")
    if tr is not None:
        tr.write_line(f"\nSKIP SLURM tests: {reason}", yellow=True)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def cluster(request):
    if os.geteuid() != 0:
        _skip(request, "the SLURM test cluster needs root (installs slurm/munge, runs munged and slurmd)")
    keep = "DOMRAND_SLURM_STATE_DIR" in os.environ
    # under /tmp, not pytest's 0700 tmp tree: the munge user must be able to reach its socket
    state = Path(os.environ.get("DOMRAND_SLURM_STATE_DIR") or tempfile.mkdtemp(prefix="domrand-slurm-"))
    # should this process die without teardown (CI timeout), the watchdog stops the cluster
    start_env = {
        **os.environ,
        "DOMRAND_SLURM_WATCH_PID": str(os.getpid()),
        "DOMRAND_SLURM_WATCH_RM": "0" if keep else "1",
    }
    try:
        t0 = time.monotonic()
        p = _cluster_sh("start", state, timeout=1200, env=start_env)
        if p.returncode in SKIP_CODES:
            _skip(request, f"no SLURM test cluster ({SKIP_CODES[p.returncode]}): {p.stderr.strip()[-500:]}")
        assert p.returncode == 0, f"cluster.sh start failed (rc {p.returncode}):\n{p.stderr[-4000:]}"
        said = [line for line in p.stderr.splitlines() if "watchdog" in line or "ready" in line]
        print(f"\ncluster up in {time.monotonic() - t0:.1f}s: " + "; ".join(said))
        env = dict(os.environ)
        for k in list(env):  # never inherit an allocation of an outer cluster
            if k.startswith(("SLURM_", "SBATCH_", "SRUN_")):
                del env[k]
        env["PATH"] = f"{BIN}:{env['PATH']}"
        for line in p.stdout.splitlines():
            m = re.fullmatch(r"export (\w+)=(.*)", line.strip())
            if m:
                env[m[1]] = m[2].replace("$PATH", env["PATH"])
        assert "SLURM_CONF" in env, f"cluster.sh printed no SLURM_CONF:\n{p.stdout}"
        yield Cluster(state, env)
    finally:
        p = _cluster_sh("stop", state, timeout=300)
        if p.returncode != 0:
            print(f"cluster.sh stop failed:\n{p.stderr}")
        if not keep:
            shutil.rmtree(state, ignore_errors=True)


# --- helpers ---------------------------------------------------------------------------------


@dataclass
class Run:
    rc: int
    log: str
    seconds: float
    workdir: Path


def run_snakemake(args: list[str], cwd: Path, env: dict, timeout: int, name: str) -> Run:
    """Snakemake under a hard SIGKILL timeout; the combined output is kept next to the workdir."""
    cmd = ["timeout", "-s", "KILL", str(timeout), str(SNAKEMAKE), *args, "--nocolor"]
    t0 = time.monotonic()
    with open(cwd.parent / f"{name}.log", "w+") as out:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout + 60)
        out.seek(0)
        log = out.read()
    seconds = time.monotonic() - t0
    print(f"{name}: rc {p.returncode} in {seconds:.0f}s")
    return Run(p.returncode, log, seconds, cwd)


def slurm_logdir(workdir: Path) -> Path:
    return workdir / yaml.safe_load((PROFILE / "config.yaml").read_text()).get("slurm-logdir", ".snakemake/slurm_logs")


def explain_failure(run: Run) -> str:
    msg = [
        f"snakemake exited {run.rc}" + (" (killed by the hard timeout)" if run.rc in (124, 137, -9) else ""),
        "--- last lines of the snakemake log:",
        run.log[-6000:],
    ]
    logdir = slurm_logdir(run.workdir)
    logs = sorted(logdir.rglob("*.log"), key=lambda f: f.stat().st_mtime) if logdir.exists() else []
    for f in logs[-3:]:
        msg += [f"--- {f}:", f.read_text(errors="replace")[-3000:]]
    return "\n".join(msg)


@dataclass
class Job:
    rule: str
    local: bool
    output: str = ""


@dataclass
class Submissions:
    jobs: dict[int, Job] = field(default_factory=dict)  # Snakemake job id -> job
    # (Snakemake job id, SLURM id) per sbatch submission, in order; array tasks as <array>_<task>
    submitted: list[tuple[int, str]] = field(default_factory=list)
    arrays: dict[str, list[int]] = field(default_factory=dict)  # SLURM array id -> its Snakemake jobs
    finished: set[int] = field(default_factory=set)

    @property
    def remote(self) -> set[int]:
        return {j for j, job in self.jobs.items() if not job.local}

    def last_slurm_id(self) -> dict[int, str]:
        return dict(self.submitted)


JOB_HEADER = re.compile(r"^(localrule|rule) (\w+):\s*$")
FIELD = re.compile(r"^\s+(\w+): (.*)$")
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.")
SUBMITTED_ARRAY = re.compile(
    r"Submitted array job with Snakemake IDs ([\d,]+) and SLURM job ID (\d+)\. "
    r"The individual task IDs are (\d+)-(\d+)\."
)


def parse_log(log: str) -> Submissions:
    """What the submitting Snakemake says it ran: job blocks (`rule x:` / `localrule x:` with
    jobid and output), sbatch submissions (single and array), and finished job ids."""
    sub = Submissions()
    header, fields = None, {}

    def close():
        if header and "jobid" in fields:
            sub.jobs.setdefault(
                int(fields["jobid"]), Job(header[1], header[0] == "localrule", fields.get("output", "").split(", ")[0])
            )

    for line in log.splitlines():
        if m := JOB_HEADER.match(line):
            close()
            header, fields = (m[1], m[2]), {}
            continue
        if header and (m := FIELD.match(line)):
            fields[m[1]] = m[2]
            continue
        close()
        header, fields = None, {}
        if m := SUBMITTED.search(line):
            sub.submitted.append((int(m[1]), m[2]))
        elif m := SUBMITTED_ARRAY.search(line):
            ids = [int(i) for i in m[1].split(",")]
            tasks = range(int(m[3]), int(m[4]) + 1)
            assert len(ids) == len(tasks), line
            sub.arrays[m[2]] = ids
            sub.submitted += [(j, f"{m[2]}_{t}") for j, t in zip(ids, tasks)]
        elif m := re.match(r"^Finished jobid: (\d+)", line):
            sub.finished.add(int(m[1]))
    close()
    return sub


def assert_all_through_sbatch(sub: Submissions, cluster: Cluster, workdir: Path) -> dict[str, dict]:
    """Every job but the listed localrules went to SLURM through sbatch and ran there:
    - Snakemake reports an sbatch submission for each, and each finished;
    - SLURM has a record for every submission and no other job of this run (one record per
      Snakemake job; retries would add some), each COMPLETED;
    - each job's SLURM log shows the job-step Snakemake running that very job (its output).
    Returns SLURM's records of this run's jobs."""
    assert sub.jobs, "no jobs found in the Snakemake log"
    local = Counter(job.rule for job in sub.jobs.values() if job.local)
    assert set(local) <= LOCAL_RULES, f"rules ran on the submit host that are not localrules: {local}"
    assert sub.finished >= set(sub.jobs), f"jobs never finished: {sorted(set(sub.jobs) - sub.finished)}"
    slurm_id = sub.last_slurm_id()
    missing = sub.remote - set(slurm_id)
    assert not missing, f"jobs not submitted to SLURM: {sorted((j, sub.jobs[j].rule) for j in missing)}"
    assert not set(slurm_id) - sub.remote, "submissions of jobs that the log lists as local"

    records = cluster.jobs()
    ours = {i for _, i in sub.submitted}
    unknown = ours - set(records)
    assert not unknown, f"SLURM has no record of submitted jobs {sorted(unknown)}"
    names = {records[i]["JobName"] for i in ours}
    assert len(names) == 1, f"one run, one job name expected: {names}"
    of_this_run = {i for i, f in records.items() if f["JobName"] in names}
    assert of_this_run == ours, f"SLURM jobs of this run that Snakemake did not report: {of_this_run - ours}"
    assert len(sub.submitted) == len(sub.remote), (
        f"{len(sub.submitted)} sbatch submissions for {len(sub.remote)} jobs (a job was retried?)"
    )
    not_done = {i: records[i]["JobState"] for i in slurm_id.values() if records[i]["JobState"] != "COMPLETED"}
    assert not not_done, f"SLURM jobs not COMPLETED: {not_done}"

    logdir = slurm_logdir(workdir)
    for j, i in slurm_id.items():
        job = sub.jobs[j]
        logs = list((logdir / f"rule_{job.rule}").rglob(f"{i}.log"))
        assert len(logs) == 1, f"SLURM log of job {j} ({job.rule}, SLURM {i}) not found under {logdir}"
        text = logs[0].read_text(errors="replace")
        assert f"rule {job.rule}:" in text and job.output in text, (
            f"SLURM log {logs[0]} does not show {job.rule} making {job.output}:\n{text[-2000:]}"
        )
    return {i: records[i] for i in ours}


# --- test 0: the profiles stack as documented (no cluster needed) ------------------------------


def test_slurm_profile_requests_survive_the_default_profile(tmp_path):
    """`--profile profiles/slurm` also loads profiles/default, whose keys win: it must not cap
    the cluster requests (a `resources:` mem cap there shrank 16 GB requests to 8 GB)."""
    p = subprocess.run(
        [
            str(SNAKEMAKE),
            "-n",
            "--profile",
            "profiles/slurm",
            "--configfile",
            "configs/ci.yaml",
            "--directory",
            str(tmp_path),
            "--nocolor",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    seen = {}
    for rule, res in re.findall(r"^rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", p.stdout + p.stderr, re.M):
        seen.setdefault(rule, dict(kv.split("=", 1) for kv in res.split(", ")))
    for rule, want in profile["set-resources"].items():
        if rule not in seen:
            continue  # not in the ci config's DAG
        for key, value in want.items():
            assert seen[rule].get(key) == str(value), f"{rule}: {key}={seen[rule].get(key)}, profile says {value}"
    assert {"train_head", "train_finetune", "explain", "render_shard"} <= set(seen)


def test_local_rules_are_the_listed_ones():
    """LOCAL_RULES is what the workflow declares `localrules`; a new one must be added there
    on purpose (it will run on the submit host of a cluster)."""
    declared = set()
    for smk in [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]:
        for block in re.findall(r"^localrules:\s*\n((?:[ \t]+\w+,?[ \t]*\n)+)", smk.read_text(), re.M):
            declared |= set(re.findall(r"\w+", block))
        declared |= {
            n
            for line in re.findall(r"^localrules:[ \t]*(\w.*)$", smk.read_text(), re.M)
            for n in re.findall(r"\w+", line)
        }
    assert declared == LOCAL_RULES - {"all"}, f"workflow localrules {sorted(declared)} vs LOCAL_RULES"


# --- test 1: the minimal workflow ------------------------------------------------------------


def test_minimal_workflow_runs_through_sbatch(cluster, tmp_path):
    work = tmp_path / "minimal"
    work.mkdir()
    run = run_snakemake(
        ["-s", str(MINIMAL), "--profile", str(PROFILE), "--slurm-keep-successful-logs"],
        cwd=work,
        env=cluster.env,
        timeout=600,
        name="minimal",
    )
    assert run.rc == 0, explain_failure(run)
    sub = parse_log(run.log)
    records = assert_all_through_sbatch(sub, cluster, work)

    assert {job.rule for job in sub.jobs.values()} == {"render_shard", "train_head", "summarize", "all"}
    assert [job.rule for job in sub.jobs.values() if job.local] == ["all"]
    # three shards: one array job (profile: slurm-array-jobs) of three tasks
    assert len(sub.arrays) == 1 and len(next(iter(sub.arrays.values()))) == 3, sub.arrays
    slurm_id = sub.last_slurm_id()

    def fields(path):
        return dict(kv.split("=", 1) for kv in (work / path).read_text().split())

    by_output = {job.output: slurm_id[j] for j, job in sub.jobs.items() if not job.local}
    for i in range(3):
        shard = fields(f"out/shards/s{i}.txt")
        assert shard["slurm_job"] == records[by_output[f"out/shards/s{i}.txt"]]["JobId"]
        assert shard["cuda"] == "unset", "a CPU job saw a GPU"
    head = fields("out/train_head.txt")
    assert head["slurm_job"] == by_output["out/train_head.txt"]
    assert re.fullmatch(r"\d", head["cuda_visible_devices"]), "train_head (gpu: 1 in profiles/slurm) saw no GPU"
    assert head["threads"] == str(min(2, os.cpu_count()))  # set-threads 2, capped by the node's cores
    # the GPU and memory requests reached SLURM
    rec = records[by_output["out/train_head.txt"]]
    assert "gpu:1" in rec.get("TresPerJob", ""), rec
    assert rec["MinMemoryNode"] == "8000M", rec
    assert "gpu" not in records[by_output["out/summary.txt"]].get("TresPerJob", "")


# --- test 2: the real workflow, SLURM vs local -----------------------------------------------


def copy_tree(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    return dest


# Columns that hold wall-clock measurements: different on every run by nature.
TIMING_COLUMN = re.compile(r"^t_|seconds?$|per_second$|_time$")


def _frames_differ(da, db) -> str | None:
    if list(da.columns) != list(db.columns) or len(da) != len(db):
        return f"columns/rows differ: {list(da.columns)} x {len(da)} vs {list(db.columns)} x {len(db)}"
    cols = [c for c in da.columns if not TIMING_COLUMN.search(str(c)) and not da[c].equals(db[c])]
    return f"columns {cols} differ" if cols else None


def _objects_differ(x, y, roots: tuple[str, str], path: str = "") -> str | None:
    """Decoded torch/numpy payloads: exact equality; paths under the two run folders are
    compared relative to them."""
    import numpy as np
    import torch

    if isinstance(x, dict) and isinstance(y, dict):
        if set(x) != set(y):
            return f"{path}: keys {sorted(set(x) ^ set(y))}"
        return next(
            (
                d
                for k in x
                if not TIMING_COLUMN.search(str(k)) and (d := _objects_differ(x[k], y[k], roots, f"{path}/{k}"))
            ),
            None,
        )
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        if len(x) != len(y):
            return f"{path}: length {len(x)} vs {len(y)}"
        return next(
            (d for i, (u, v) in enumerate(zip(x, y)) if (d := _objects_differ(u, v, roots, f"{path}[{i}]"))), None
        )
    if isinstance(x, np.ndarray) and x.dtype.kind in "USO":  # strings may hold run paths
        return _objects_differ(x.tolist(), np.asarray(y).tolist(), roots, path)
    if torch.is_tensor(x) or isinstance(x, np.ndarray):
        u, v = (t.detach().cpu().numpy() if torch.is_tensor(t) else np.asarray(t) for t in (x, y))
        if u.shape != v.shape:
            return f"{path}: shape {u.shape} vs {v.shape}"
        if np.array_equal(u, v, equal_nan=u.dtype.kind in "fc"):
            return None
        diff = np.abs(u.astype(float) - v.astype(float)).max() if u.dtype.kind in "fcbiu" else "?"
        return f"{path}: values differ (max |diff| {diff})"
    if isinstance(x, str) and isinstance(y, str):
        x, y = x.replace(roots[0], "<run>"), y.replace(roots[1], "<run>")
    return None if x == y else f"{path}: {str(x)[:60]!r} vs {str(y)[:60]!r}"


def result_files(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted((root / "results").rglob("*")) if p.is_file()}


def compare_file(a: Path, b: Path, roots: tuple[str, str]) -> str | None:
    """None when equal; else what differs. Bytes first; then the decoded content, which must
    be exactly equal (no tolerance: renders, and torch on the CPU at its fixed thread count,
    are deterministic here). Bytes legitimately differ, with equal content, in:
    - torch files (.pt): torch.save names the zip records after the file it writes, which is a
      random temporary name (outputs are written atomically); training histories hold
      wall-clock `seconds` / `images_per_second`; feature files hold absolute image paths;
    - heatmaps (.npz): their metadata JSON holds absolute image paths.
    Paths are compared relative to the run folder, timing keys and columns are skipped."""
    if a.read_bytes() == b.read_bytes():
        return None
    suffix = a.suffix.lower()
    if suffix == ".parquet":
        import pandas as pd

        return _frames_differ(pd.read_parquet(a), pd.read_parquet(b))
    if suffix in (".csv", ".tsv"):
        import pandas as pd

        sep = "\t" if suffix == ".tsv" else ","
        return _frames_differ(pd.read_csv(a, sep=sep), pd.read_csv(b, sep=sep))
    if suffix in (".jpg", ".jpeg", ".png"):
        import numpy as np
        from PIL import Image

        pa, pb = np.asarray(Image.open(a)), np.asarray(Image.open(b))
        if pa.shape != pb.shape:
            return f"image shapes differ {pa.shape} vs {pb.shape}"
        if (pa == pb).all():
            return None  # same pixels, different encoding/metadata
        d = np.abs(pa.astype(int) - pb.astype(int))
        return f"pixels differ: {(d > 0).mean():.2%} of values, max |diff| {d.max()}"
    if suffix == ".json":
        return _objects_differ(json.loads(a.read_text()), json.loads(b.read_text()), roots)
    if suffix == ".npz":
        import numpy as np

        with np.load(a, allow_pickle=False) as za, np.load(b, allow_pickle=False) as zb:
            return _objects_differ(dict(za), dict(zb), roots)
    if suffix in (".pt", ".pth"):
        import torch

        return _objects_differ(torch.load(a, weights_only=False), torch.load(b, weights_only=False), roots)
    return "bytes differ"


def test_real_workflow_on_slurm_matches_local_run(cluster, request, tmp_path):
    if not (REPO / "Snakefile").is_file() or not (REPO / "configs/ci.yaml").is_file():
        pytest.skip("workflow not present (no Snakefile or configs/ci.yaml)")
    targets = [] if TARGETS.strip() == "all" else TARGETS.split()
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    # Exactly what a user types, in a copy of the checkout. profiles/default (found from the
    # working directory) loads as well, as it would for them. The copy's library is the one the
    # jobs import (PYTHONPATH beats the editable install), so that edits to the checkout while
    # the test runs cannot reach them.
    on_slurm = copy_tree(REPO, tmp_path / "slurm")
    env = {
        **cluster.env,
        "PYTHONPATH": os.pathsep.join([str(on_slurm / "src"), *filter(None, [cluster.env.get("PYTHONPATH")])]),
    }
    # (targets first: --configfile takes every word after it)
    run = run_snakemake(
        [*targets, "--profile", "profiles/slurm", "--configfile", "configs/ci.yaml", "--slurm-keep-successful-logs"],
        cwd=on_slurm,
        env=env,
        timeout=WORKFLOW_TIMEOUT,
        name="slurm",
    )
    assert run.rc == 0, explain_failure(run)
    sub = parse_log(run.log)
    records = assert_all_through_sbatch(sub, cluster, on_slurm)
    rules = Counter(job.rule for job in sub.jobs.values())
    print(
        f"slurm: {len(sub.jobs)} jobs ({dict(rules)}), {len(sub.remote)} through sbatch "
        f"({len(sub.arrays)} arrays of {sum(map(len, sub.arrays.values()))} render tasks); "
        f"on the submit host: {sorted(job.rule for job in sub.jobs.values() if job.local)}"
    )
    # each job got what the profile asks for: GPUs for the torch rules, memory, wall time
    slurm_id = sub.last_slurm_id()
    for j in sub.remote:
        rule, rec = sub.jobs[j].rule, records[slurm_id[j]]
        want = {**profile["default-resources"], **profile["set-resources"].get(rule, {})}
        assert ("gpu:1" in rec.get("TresPerJob", "")) == (want.get("gpu") == 1), (rule, rec.get("TresPerJob"))
        # (array tasks ask a few MB more: the plugin adds the size of their encoded payload)
        assert 0 <= int(rec["MinMemoryNode"].rstrip("M")) - want["mem_mb"] < 100, (rule, rec["MinMemoryNode"])
        assert rec["TimeLimit"] == f"{want['runtime'] // 60:02d}:{want['runtime'] % 60:02d}:00", (rule, rec)
    array_rules = {r.strip() for r in profile["slurm-array-jobs"].split(",")}
    for ids in sub.arrays.values():
        assert {sub.jobs[j].rule for j in ids} <= array_rules
    assert sum(len(ids) for ids in sub.arrays.values()) == sum(rules[r] for r in array_rules), (
        "render shards submitted one by one, not as arrays"
    )

    # The reference: the session's finished configs/ci.yaml study (tests/workflow/conftest.py),
    # run with the local executor and profiles/default as a user runs it, every target. Threads
    # per job differ (one per job there, profiles/slurm's set-threads here) and the local jobs
    # ran in the warm worker (domrand.warm), the cluster's as fresh processes: the results must
    # not depend on either (torch arithmetic runs at a fixed thread count). Every file the
    # cluster made must be there, equal.
    # (Asked for only now, so that another xdist worker makes it while the cluster runs.)
    finished = request.getfixturevalue("finished")
    a, b = result_files(on_slurm), result_files(finished)
    assert a, "the SLURM run made no files under results/"
    assert not set(a) - set(b), f"result files of the SLURM run missing from the local run: {sorted(set(a) - set(b))}"
    roots = (str(on_slurm), str(finished))
    diffs = {rel: why for rel in a if (why := compare_file(a[rel], b[rel], roots))}
    n_bytes_equal = sum(a[rel].read_bytes() == b[rel].read_bytes() for rel in a)
    print(
        f"compared {len(a)} result files: {n_bytes_equal} byte-identical, "
        f"{len(a) - n_bytes_equal - len(diffs)} equal in content, {len(diffs)} differ"
    )
    if len(a) - n_bytes_equal - len(diffs):
        print(
            "  equal in content, not in bytes: "
            + ", ".join(
                sorted(rel for rel in a if rel not in diffs and a[rel].read_bytes() != b[rel].read_bytes())[:20]
            )
        )
    if diffs:
        lines = [f"SLURM and local results differ in {len(diffs)} files:"]
        lines += [f"  {k}: {diffs[k]}" for k in sorted(diffs)][:80]
        pytest.fail("\n".join(lines))
