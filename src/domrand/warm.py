"""A warm worker: one process per local Snakemake run that has imported torch, pandas and the
other heavy libraries once, and forks a child for each job script.

Why: on a small machine most torch jobs are start-up. `import torch` (a CUDA build, which
maps every CUDA library even on a CPU) takes seconds, and the study runs ~200 such jobs, each a
fresh interpreter (a Snakemake `script:` always is). A forked child starts with those modules
already loaded, and otherwise runs the job's script exactly as a fresh interpreter would: the
same script file, argv, environment, working directory, sys.path and standard streams.

How it fits together:
- The Snakefile's `onstart` calls `start_worker()` on a local run (never on a cluster run:
  there each job runs on its own node). It starts `python -m domrand.warm ADDRESS`, bound to a
  Linux abstract socket named after Snakemake's pid, and puts ADDRESS in `DOMRAND_WARM`, which
  every job inherits. The worker dies with Snakemake (PR_SET_PDEATHSIG) or when told to stop.
- `domrand.runtime.run`, which every workflow script enters first, calls `delegate()`: when a
  worker serves this run and the job is single-threaded (the worker's BLAS and OpenMP pools
  are sized for one thread), the script is sent to the worker and this process, the "shim",
  waits for the child's exit status and exits with it. Anything else (no worker, a worker
  that does not answer, another Python, a multi-threaded job) runs the job here, as before.
- Killing the shim (Snakemake cancelling a job, or SIGKILL) closes its connection, and the
  child kills itself. The child lives in Snakemake's process group, so killing the run's
  group kills every child too.
- The worker preloads imports only: it creates no thread pool, GL context or CUDA context
  before forking (a CUDA context cannot cross a fork), and no domrand module (a child imports
  the library as it is on disk, like a fresh job).

What differs from a fresh process: a job's Snakemake `benchmark:` measures the shim's process
tree, so its wall time `s` is right but its cpu_time and max_rss count the shim only; the job's
own log ends with its CPU seconds and peak memory (domrand.runtime).
"""

from __future__ import annotations

import atexit
import ctypes
import hashlib
import importlib
import os
import pickle
import runpy
import signal
import socket
import struct
import subprocess
import sys
import threading
import traceback

ENV = "DOMRAND_WARM"  # the address of this run's worker, set by start_worker
OFF = "DOMRAND_NO_WARM_WORKER"  # set (to anything) to run every job in a fresh interpreter
_CHILD = "DOMRAND_WARM_CHILD"  # set in a child: its script must run, not delegate again
_STATUS = struct.Struct("!i")

# Imported once by the worker: the heavy third-party modules of the torch, data and figure
# jobs. None starts a thread a child would lose at fork, but for numpy's OpenBLAS pool and
# pyarrow's jemalloc thread, which their own fork handlers re-create.
PRELOAD = (
    "numpy",
    "pandas",
    "pyarrow",
    "pyarrow.parquet",
    "scipy.stats",
    "PIL.Image",
    "torch",
    "torch.nn.functional",
    "captum.attr",
    "efficientnet_lite_pytorch",
    "matplotlib.pyplot",
    "seaborn",
    "trimesh",
)
# OpenMP threads that wait sleep instead of spinning. A torch job computes with a fixed number
# of threads (domrand.train.device) but may be given fewer cores: spinning threads then steal
# the core they wait for. Measured on 2 cores beside a busy process, an EfficientNet-Lite0
# forward and backward at 2 threads: 17.0 s spinning, 7.2 s passive; alone, 4.9 and 5.3 s.
OPENMP_WAIT = "PASSIVE"

# The worker's BLAS/OpenMP pools are sized once, at import: one thread, as Snakemake's
# environment gives a one-thread job; and OpenMP waits as every job's does.
_WORKER_ENV = {
    "OMP_WAIT_POLICY": OPENMP_WAIT,
    **{
        k: "1"
        for k in (
            "OMP_NUM_THREADS",
            "GOTO_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "MKL_NUM_THREADS",
            "VECLIB_MAXIMUM_THREADS",
            "NUMEXPR_NUM_THREADS",
        )
    },
}


def _interpreter_key() -> str:
    """Jobs are served only by a worker of the same interpreter and environment."""
    return hashlib.sha256(f"{sys.executable}\0{sys.prefix}".encode()).hexdigest()[:12]


def address_for(pid: int) -> str:
    """The name of the worker of Snakemake process ``pid``: a Linux abstract socket (no file,
    so no path-length limit and nothing left behind)."""
    return f"domrand-warm-{pid}-{_interpreter_key()}"


# --- the Snakemake side -----------------------------------------------------------------------


def start_worker(log_path: str | None = None, preload: tuple[str, ...] = PRELOAD) -> subprocess.Popen | None:
    """Start this run's worker and advertise it to the jobs (``DOMRAND_WARM``). Called from
    the Snakefile's onstart on a local run; returns None where warm workers are off. Jobs
    that start before the worker has preloaded run as fresh processes."""
    if os.environ.get(OFF) or not sys.platform.startswith("linux"):
        return None
    address = address_for(os.getpid())
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    # this checkout's library first, as the Snakefile puts it first on Snakemake's own path
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "domrand.warm", address, *preload],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        env={**os.environ, **_WORKER_ENV, "PYTHONPATH": path},
    )
    os.environ[ENV] = address
    atexit.register(stop_worker, proc)
    return proc


def serving(address: str) -> bool:
    """Whether a worker accepts jobs at ``address`` (it binds only once it has preloaded)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect("\0" + address)
        except OSError:
            return False
        return True


def stop_worker(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    os.environ.pop(ENV, None)


# --- the job side (the shim) -------------------------------------------------------------------


def in_worker() -> bool:
    """Whether this job runs in a warm worker's child. Its peak memory then counts the
    worker's preloaded modules, which all children share."""
    return bool(os.environ.get(_CHILD))


def delegate(threads: int) -> None:
    """Run this job's script in the warm worker and exit with its status, when a worker
    serves this run and the job is single-threaded; otherwise return (run it here)."""
    address = os.environ.get(ENV)
    if not address or os.environ.get(_CHILD) or os.environ.get(OFF) or int(threads) != 1:
        return
    if address != address_for(int(address.split("-")[2])):  # another interpreter's worker
        return
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect("\0" + address)
    except OSError:
        sock.close()
        return  # no worker (yet, or any more): run here
    request = pickle.dumps(
        {
            "script": os.path.abspath(sys.argv[0]),
            "argv": list(sys.argv),
            "cwd": os.getcwd(),
            "env": dict(os.environ),
            "path": list(sys.path),
        }
    )
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        socket.send_fds(sock, [struct.pack("!Q", len(request))], [0, 1, 2])
        sock.sendall(request)
    except OSError:
        sock.close()
        return  # the worker went away before it took the job: run here
    status = _recv_exactly(sock, _STATUS.size)
    if status is None:
        print(f"domrand.warm: the worker's child for {sys.argv[0]} died without a status", file=sys.stderr)
        os._exit(1)
    os._exit(_STATUS.unpack(status)[0])


def _recv_exactly(sock: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


# --- the worker ----------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """SIGKILL this process when the thread that started it (Snakemake's main thread) ends."""
    PR_SET_PDEATHSIG = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent was gone before prctl took effect
        os._exit(0)


def serve(address: str, preload: tuple[str, ...] = PRELOAD) -> None:
    """Preload, then fork a child per request, forever (until killed)."""
    _die_with_parent()
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception as e:  # a missing optional module only means a colder child
            print(f"domrand.warm: not preloaded: {name}: {e}", file=sys.stderr, flush=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + address)
    listener.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    print(f"domrand.warm: serving (pid {os.getpid()}), preloaded {len(preload)} modules", file=sys.stderr, flush=True)
    uid = os.getuid()
    while True:
        conn, _ = listener.accept()
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        if struct.unpack("3i", creds)[1] != uid:
            conn.close()
            continue
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _child(conn)  # never returns
        conn.close()


def _child(conn: socket.socket) -> None:
    status = 1
    try:
        header, fds, _, _ = socket.recv_fds(conn, 8, 3)
        if len(fds) != 3 or len(header) != 8:
            raise RuntimeError("malformed request")
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        request = pickle.loads(_recv_exactly(conn, struct.unpack("!Q", header)[0]))
        threading.Thread(target=_exit_when_closed, args=(conn,), daemon=True).start()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ[_CHILD] = "1"
        sys.path[:] = request["path"]
        sys.argv[:] = request["argv"]
        # fresh text streams over the shim's descriptors (the worker's own went to its log)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        sys.__stdout__, sys.__stderr__ = sys.stdout, sys.stderr
        try:
            runpy.run_path(request["script"], run_name="__main__")
            status = 0
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            if not isinstance(e.code, int) and e.code is not None:
                print(e.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
            status = 1
        atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        try:
            conn.sendall(_STATUS.pack(status))
        except OSError:
            pass
        os._exit(status)


def _exit_when_closed(conn: socket.socket) -> None:
    """The shim never writes after its request: EOF means it was killed, so the job is too."""
    try:
        while conn.recv(1):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    serve(sys.argv[1], tuple(sys.argv[2:]))
