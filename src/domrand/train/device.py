"""The torch device of a job."""

from __future__ import annotations


def torch_device(threads: int = 1) -> str:
    """CUDA when present (the device SLURM or CUDA_VISIBLE_DEVICES gives), else the CPU; torch
    uses ``threads`` CPU threads."""
    import torch  # here, not at import: a job's log is set up first (domrand.runtime.run)

    torch.set_num_threads(max(1, int(threads)))
    return "cuda" if torch.cuda.is_available() else "cpu"
