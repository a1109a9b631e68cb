"""What every workflow script shares: logging to the rule's log file, threads, device."""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import sys
import time
import traceback

from domrand.warm import OPENMP_WAIT, delegate, in_worker


@contextlib.contextmanager
def run(smk):
    """Send stdout/stderr to the rule's log, limit threads, and yield a `log(msg)` function.

    A single-threaded job of a local run goes to the run's warm worker first (domrand.warm),
    which runs this same script in a child that has torch and the other heavy modules loaded."""
    delegate(smk.threads)
    log_path = smk.log[0] if smk.log else None
    fh = open(log_path, "w", buffering=1) if log_path else sys.stderr
    old = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = fh
    logging.basicConfig(stream=fh, level=logging.INFO, force=True)
    os.environ.setdefault("OMP_WAIT_POLICY", OPENMP_WAIT)
    os.environ.setdefault("OMP_NUM_THREADS", str(smk.threads))
    os.environ.setdefault("LP_NUM_THREADS", str(smk.threads))  # Mesa llvmpipe
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:8.1f}s] {msg}", file=fh, flush=True)

    try:
        _injected_fault(smk, log)
        yield log
        use = resource.getrusage(resource.RUSAGE_SELF)
        where = ", forked from the warm worker" if in_worker() else ""
        log(f"done (CPU {use.ru_utime + use.ru_stime:.1f} s, peak memory {use.ru_maxrss / 1024:.0f} MB{where})")
    except BaseException:
        # Into the rule's log too: Snakemake points users there when a job fails.
        traceback.print_exc(file=fh)
        raise
    finally:
        sys.stdout, sys.stderr = old
        if log_path:
            fh.close()


class InjectedFault(RuntimeError):
    pass


def _injected_fault(smk, log) -> None:
    """Fail once, on purpose, to show that `retries` absorb a transient failure.

    DOMRAND_INJECT_FAULT="<rule>:<marker file>": the first job of <rule> that finds no marker
    creates it and fails; every later attempt runs normally. Unset in normal use.
    """
    spec = os.environ.get("DOMRAND_INJECT_FAULT", "")
    rule, _, marker = spec.partition(":")
    if not marker or rule != getattr(smk, "rule", None):
        return
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.close(fd)
    log(f"DOMRAND_INJECT_FAULT: failing this attempt of {rule} on purpose")
    raise InjectedFault(f"injected transient fault in {rule} (DOMRAND_INJECT_FAULT={spec})")
