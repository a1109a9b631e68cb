"""What every workflow script shares: logging to the rule's log file, threads, device."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
import traceback


@contextlib.contextmanager
def run(smk):
    """Send stdout/stderr to the rule's log, limit threads, and yield a `log(msg)` function."""
    log_path = smk.log[0] if smk.log else None
    fh = open(log_path, "w", buffering=1) if log_path else sys.stderr
    old = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = fh
    logging.basicConfig(stream=fh, level=logging.INFO, force=True)
    os.environ.setdefault("OMP_NUM_THREADS", str(smk.threads))
    os.environ.setdefault("LP_NUM_THREADS", str(smk.threads))  # Mesa llvmpipe
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:8.1f}s] {msg}", file=fh, flush=True)

    try:
        yield log
        log("done")
    except BaseException:
        # Into the rule's log too: Snakemake points users there when a job fails.
        traceback.print_exc(file=fh)
        raise
    finally:
        sys.stdout, sys.stderr = old
        if log_path:
            fh.close()


def torch_device(threads: int = 1) -> str:
    """CUDA when present (the device SLURM or CUDA_VISIBLE_DEVICES gives), else the CPU."""
    import torch

    torch.set_num_threads(max(1, int(threads)))
    return "cuda" if torch.cuda.is_available() else "cpu"
