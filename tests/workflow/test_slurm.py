"""The workflow on a real (single-node, throw-away) SLURM cluster through profiles/slurm.

tests/slurm/cluster.sh installs and starts the cluster (root only); without root, or when
the packages cannot be installed, every test here skips and says why. Each Snakemake run has
a hard `timeout -s KILL` (a hung SLURM run ignores SIGTERM), and the cluster is stopped in
teardown whatever happens.

Knobs (environment): DOMRAND_SLURM_STATE_DIR (reuse a state dir, kept afterwards),
DOMRAND_SLURM_TIMEOUT (seconds per workflow run of test 2, default 1800).
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
from dataclasses import dataclass
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
WORKFLOW_TIMEOUT = int(os.environ.get("DOMRAND_SLURM_TIMEOUT", "1800"))
# cluster.sh exit codes that mean "cannot run here" rather than "broken"
SKIP_CODES = {77: "not root", 78: "slurm/munge packages missing and not installable"}
# generated or machine-specific; never copied into the run directories
NOT_COPIED = (".git", ".venv", ".snakemake", ".pytest_cache", "__pycache__", "results", "resources",
              "logs", "benchmarks", "tests")


@dataclass
class Cluster:
    state: Path
    env: dict

    def slurm(self, *cmd: str, timeout: int = 30) -> str:
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout)
        assert p.returncode == 0, f"{' '.join(cmd)}: {p.stderr}"
        return p.stdout


def _cluster_sh(action: str, state: Path, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(CLUSTER_SH), action, str(state)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() != 0:
        reason = "SLURM test cluster needs root (installs slurm/munge, runs munged and slurmd)"
        print(f"\nSKIP: {reason}")
        pytest.skip(reason)
    keep = "DOMRAND_SLURM_STATE_DIR" in os.environ
    # under /tmp, not pytest's 0700 tmp tree: the munge user must be able to reach its socket
    state = Path(os.environ.get("DOMRAND_SLURM_STATE_DIR") or tempfile.mkdtemp(prefix="domrand-slurm-"))
    try:
        t0 = time.monotonic()
        p = _cluster_sh("start", state, timeout=1800)
        if p.returncode in SKIP_CODES:
            reason = f"no SLURM test cluster ({SKIP_CODES[p.returncode]}): {p.stderr.strip()[-500:]}"
            print(f"\nSKIP: {reason}")
            pytest.skip(reason)
        assert p.returncode == 0, f"cluster.sh start failed (rc {p.returncode}):\n{p.stderr[-4000:]}"
        print(f"\ncluster up in {time.monotonic() - t0:.1f}s: {p.stderr.strip().splitlines()[-1]}")
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


def explain_failure(run: Run) -> str:
    msg = [f"snakemake exited {run.rc}" + (" (killed by the hard timeout)" if run.rc in (124, 137, -9) else ""),
           "--- last lines of the snakemake log:", run.log[-6000:]]
    logdir = run.workdir / ".snakemake/slurm_logs"
    for f in sorted(logdir.rglob("*.log"))[-3:] if logdir.exists() else []:
        msg += [f"--- {f}:", f.read_text(errors="replace")[-3000:]]
    return "\n".join(msg)


@dataclass
class Submissions:
    slurm_ids: dict  # snakemake job id (int, or group uuid) -> SLURM job id
    logfiles: list
    jobs: dict  # snakemake job id -> (rule, local?)
    group_members: set  # snakemake job ids that ran inside a group job
    finished: set


JOB_HEADER = re.compile(r"^(\s*)(localrule|rule) (\w+):\s*$")
SUBMITTED = re.compile(r"Job (\S+) has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.")


def parse_log(log: str) -> Submissions:
    slurm_ids, logfiles, jobs, members, finished = {}, [], {}, set(), set()
    header = None
    for line in log.splitlines():
        if m := JOB_HEADER.match(line):
            header = (m[3], m[2] == "localrule", bool(m[1]))
        elif header and (m := re.match(r"^\s*jobid: (\d+)\s*$", line)):
            jobid = int(m[1])
            jobs.setdefault(jobid, header[:2])
            if header[2]:  # indented block: a member listed under "Group job ..."
                members.add(jobid)
            header = None
        elif m := SUBMITTED.search(line):
            key = int(m[1]) if m[1].isdigit() else m[1]
            slurm_ids[key] = m[2]
            logfiles.append(Path(m[3]))
        elif m := re.match(r"^Finished jobid: (\d+)", line):
            finished.add(int(m[1]))
    return Submissions(slurm_ids, logfiles, jobs, members, finished)


def assert_all_submitted(sub: Submissions, cluster: Cluster) -> None:
    """Every job that is not a localrule went to SLURM (alone, or inside a group job), and
    SLURM saw every submitted job complete."""
    remote = {j for j, (_, local) in sub.jobs.items() if not local}
    missing = {j for j in remote if j not in sub.slurm_ids and j not in sub.group_members}
    assert not missing, f"jobs never submitted to SLURM: {sorted((j, sub.jobs[j][0]) for j in missing)}"
    assert sub.finished >= set(sub.jobs), f"jobs never finished: {sorted(set(sub.jobs) - sub.finished)}"
    if sub.group_members:
        assert any(isinstance(k, str) for k in sub.slurm_ids), "group members ran, but no group job was submitted"
    # (a job that Snakemake retried keeps only its last SLURM id here: that one must be COMPLETED)
    states = dict(line.split("|") for line in cluster.slurm("squeue", "--states=all", "-h", "-o", "%i|%T").split())
    not_done = {i: states.get(i, "gone") for i in sub.slurm_ids.values() if states.get(i) != "COMPLETED"}
    assert not not_done, f"SLURM jobs not COMPLETED: {not_done}"
    for f in sub.logfiles:
        assert f.is_file(), f"SLURM log {f} missing"


# --- test 1: the minimal workflow ------------------------------------------------------------

def test_minimal_workflow_runs_through_sbatch(cluster, tmp_path):
    work = tmp_path / "minimal"
    work.mkdir()
    run = run_snakemake(["-s", str(MINIMAL), "--workflow-profile", str(PROFILE), "--slurm-keep-successful-logs"],
                        cwd=work, env=cluster.env, timeout=600, name="minimal")
    assert run.rc == 0, explain_failure(run)
    sub = parse_log(run.log)
    assert_all_submitted(sub, cluster)

    rules = {rule for rule, local in sub.jobs.values()}
    assert rules == {"render_shard", "train_head", "summarize", "all"}
    assert [r for r, local in sub.jobs.values() if local] == ["all"]
    # render_shard x3 grouped (profile: groups/group-components) + train_head + summarize
    assert len(sub.slurm_ids) == 3, sub.slurm_ids
    assert sum(isinstance(k, str) for k in sub.slurm_ids) == 1, "the three shards were not one group job"

    def fields(path):
        return dict(kv.split("=", 1) for kv in (work / path).read_text().split())

    shard_jobs = {fields(f"out/shards/s{i}.txt")["slurm_job"] for i in range(3)}
    assert len(shard_jobs) == 1 and shard_jobs <= set(sub.slurm_ids.values()), shard_jobs
    for i in range(3):
        assert fields(f"out/shards/s{i}.txt")["cuda"] == "unset", "a CPU job saw a GPU"
    head = fields("out/train_head.txt")
    assert head["slurm_job"] in sub.slurm_ids.values()
    assert re.fullmatch(r"\d", head["cuda_visible_devices"]), "train_head (gpu: 1 in profiles/slurm) saw no GPU"
    assert head["threads"] == "2"  # set-threads in profiles/slurm
    summary = (work / "out/summary.txt").read_text()
    assert summary.splitlines()[-1].split("=")[1] in sub.slurm_ids.values()
    # the GPU request reached SLURM as a TRES, not just an env var
    tres = cluster.slurm("scontrol", "show", "job", sub.slurm_ids[next(
        j for j, (r, _) in sub.jobs.items() if r == "train_head")])
    assert "gpu" in tres, tres


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
        return next((d for k in x if not TIMING_COLUMN.search(str(k))
                     and (d := _objects_differ(x[k], y[k], roots, f"{path}/{k}"))), None)
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        if len(x) != len(y):
            return f"{path}: length {len(x)} vs {len(y)}"
        return next((d for i, (u, v) in enumerate(zip(x, y))
                     if (d := _objects_differ(u, v, roots, f"{path}[{i}]"))), None)
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
    """None when equal; else what differs. Bytes first; then the decoded content, where
    bytes may legitimately differ (encoder/file metadata, timing columns, absolute paths)."""
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


def test_real_workflow_on_slurm_matches_local_run(cluster, tmp_path):
    if not (REPO / "Snakefile").is_file() or not (REPO / "configs/ci.yaml").is_file():
        pytest.skip("workflow not present (no Snakefile or configs/ci.yaml)")
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    threads = [f"{rule}={n}" for rule, n in profile.get("set-threads", {}).items()]
    # one snapshot of workflow and library for both runs, so that edits to the checkout
    # while the test runs cannot make them differ (PYTHONPATH beats the editable install)
    snapshot = copy_tree(REPO, tmp_path / "snapshot")
    env = {**cluster.env, "PYTHONPATH": os.pathsep.join(
        [str(snapshot / "src"), *filter(None, [cluster.env.get("PYTHONPATH")])])}

    on_slurm = copy_tree(snapshot, tmp_path / "slurm")
    run = run_snakemake(["-s", "Snakefile", "--configfile", "configs/ci.yaml",
                         "--workflow-profile", str(snapshot / "profiles/slurm"), "--slurm-keep-successful-logs"],
                        cwd=on_slurm, env=env, timeout=WORKFLOW_TIMEOUT, name="slurm")
    assert run.rc == 0, explain_failure(run)
    sub = parse_log(run.log)
    assert_all_submitted(sub, cluster)
    local_rules = sorted({r for r, local in sub.jobs.values() if local})
    print(f"slurm: {len(sub.slurm_ids)} sbatch submissions for {len(sub.jobs)} jobs; "
          f"ran on the submit host: {local_rules}")
    heavy = set(profile.get("set-resources", {}))
    assert not heavy & set(local_rules), f"compute rules ran locally: {heavy & set(local_rules)}"

    # The reference: same config, local executor, no profile, and the same threads per job
    # (torch results depend on the thread count). Inside a SLURM job the jobstep Snakemake
    # runs with `--cores all`, so a job gets min(set-threads, cores of the node): the same as
    # `--cores all` with the profile's set-threads here.
    local = copy_tree(snapshot, tmp_path / "local")
    env = {k: v for k, v in env.items() if k != "SLURM_CONF"}
    ref = run_snakemake(["-s", "Snakefile", "--configfile", "configs/ci.yaml", "--workflow-profile", "none",
                         "--cores", "all", "--set-threads", *threads],
                        cwd=local, env=env, timeout=WORKFLOW_TIMEOUT, name="local")
    assert ref.rc == 0, explain_failure(ref)

    a, b = result_files(on_slurm), result_files(local)
    assert a, "the SLURM run made no files under results/"
    assert sorted(a) == sorted(b), f"different result files: only SLURM {sorted(set(a) - set(b))}, " \
                                   f"only local {sorted(set(b) - set(a))}"
    roots = (str(on_slurm), str(local))
    diffs = {rel: why for rel in a if (why := compare_file(a[rel], b[rel], roots))}
    n_bytes_equal = sum(a[rel].read_bytes() == b[rel].read_bytes() for rel in a)
    print(f"compared {len(a)} result files: {n_bytes_equal} byte-identical, "
          f"{len(a) - n_bytes_equal - len(diffs)} equal in content (timing columns, paths, encoding), "
          f"{len(diffs)} differ")
    if diffs:
        images = sorted(k for k in diffs if k.endswith((".jpg", ".jpeg")))
        rest = sorted(k for k in diffs if k not in images)
        per_dir = {}
        for k in diffs:
            per_dir[k.split("/")[1]] = per_dir.get(k.split("/")[1], 0) + 1
        lines = [f"SLURM and local results differ in {len(diffs)} files {per_dir}."]
        if images:
            lines.append(f"{len(images)} rendered images differ; every file made from them differs too. If two "
                         f"local runs also disagree on them, the renderer is not deterministic (not a SLURM "
                         f"problem):")
        lines += [f"  {k}: {diffs[k]}" for k in images + rest][:80]
        pytest.fail("\n".join(lines))
