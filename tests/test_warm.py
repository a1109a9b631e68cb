"""The warm worker runs a job script as a fresh interpreter would, and dies with its job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from domrand import warm

SRC = str(Path(warm.__file__).resolve().parents[1])

SCRIPT = textwrap.dedent(
    """
    import os, sys, json
    from domrand.warm import delegate
    preloaded = "wave" in sys.modules  # only a worker's child has it before importing it
    delegate(int(os.environ.get("THREADS", "1")))
    import wave
    print(json.dumps({"pid": os.getpid(), "child": bool(os.environ.get("DOMRAND_WARM_CHILD")),
                      "preloaded": preloaded,
                      "cwd": os.getcwd(), "argv": sys.argv[1:], "probe": os.environ.get("PROBE"),
                      "path_has_probe": "/probe/path" in sys.path}))
    print("to stderr", file=sys.stderr)
    if sys.argv[1] == "sleep":
        open(sys.argv[2], "w").write(str(os.getpid()))
        import time
        time.sleep(600)
    if sys.argv[1] == "fail":
        raise RuntimeError("the job failed")
    sys.exit(int(sys.argv[1]))
    """
)


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return fields[0] != "Z"


def _wait(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def worker(monkeypatch, tmp_path):
    """A worker of this test process that preloads `json` and `wave` (a stand-in for torch)."""
    monkeypatch.delenv(warm.OFF, raising=False)
    proc = warm.start_worker(str(tmp_path / "worker.log"), preload=("json", "wave"))
    _wait(lambda: warm.serving(os.environ[warm.ENV]))
    yield proc
    warm.stop_worker(proc)


def _job(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([SRC, "/probe/path"]), "PROBE": "x", **env},
    )


def test_a_job_runs_in_a_preloaded_child_with_its_own_argv_cwd_env_streams_and_status(worker, tmp_path):
    import json

    r = _job(tmp_path, "3")
    assert r.returncode == 3 and r.stderr == "to stderr\n"
    out = json.loads(r.stdout)
    assert out["child"] and out["preloaded"]
    fresh = json.loads(_job(tmp_path, "3", **{warm.OFF: "1"}).stdout)
    assert not fresh["child"] and not fresh["preloaded"]
    assert out["pid"] != worker.pid and out["cwd"] == str(tmp_path) and out["argv"] == ["3"]
    assert out["probe"] == "x" and out["path_has_probe"]


def test_a_failing_job_fails_with_its_traceback(worker, tmp_path):
    r = _job(tmp_path, "fail")
    assert r.returncode == 1 and "RuntimeError: the job failed" in r.stderr


def test_without_a_worker_or_with_several_threads_the_job_runs_fresh(worker, tmp_path):
    import json

    assert not json.loads(_job(tmp_path, "0", THREADS="2").stdout)["child"]
    assert not json.loads(_job(tmp_path, "0", **{warm.OFF: "1"}).stdout)["child"]
    assert not json.loads(_job(tmp_path, "0", **{warm.ENV: warm.address_for(1)}).stdout)["child"]
    assert json.loads(_job(tmp_path, "0").stdout)["child"]


def test_killing_the_job_kills_its_child(worker, tmp_path):
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    pidfile = tmp_path / "child.pid"
    shim = subprocess.Popen(
        [sys.executable, str(script), "sleep", str(pidfile)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    _wait(lambda: pidfile.exists() and pidfile.read_text())
    child = int(pidfile.read_text())
    assert child != shim.pid and _alive(child)
    shim.send_signal(signal.SIGKILL)
    shim.wait()
    _wait(lambda: not _alive(child))


def test_the_worker_dies_with_the_process_that_started_it(tmp_path):
    # os._exit: no atexit handler stops it; the kernel's parent-death signal must
    parent = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; from domrand import warm; p = warm.start_worker(preload=()); print(p.pid, flush=True); os._exit(0)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    pid = int(parent.stdout)
    _wait(lambda: not _alive(pid))
