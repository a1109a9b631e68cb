"""The torch device of a job, and the fixed number of threads its CPU arithmetic uses."""

from __future__ import annotations

# torch's CPU kernels give results that depend, in their last bits, on the number of
# intra-op threads (a 64 x 1280 by 1280 x 128 matrix product differs between 1 and 2
# threads), and a head trained for epochs carries such a difference into its predictions. A
# job's `threads` are a runtime knob (1 per job on a laptop, 4 on a cluster node) that must
# never change a number, so each computation runs its arithmetic with a fixed thread count.
# The counts are those the default study ran with on 2 cores before they were fixed
# (3efeee6: set-threads capped at 2 cores, evaluate and the feature heads at 1), so its
# published tables stand. On a GPU they do not apply.
MATH_THREADS = {
    "extract_features": 2,
    "train_head": 2,
    "train_finetune": 2,
    "pretrain_backbone": 2,
    "explain": 2,
    "realism": 2,
    "subject_realism_scores": 2,
    "evaluate": 1,
    "train_feature_head": 1,
}


_job_threads = 1


def torch_device(rule: str, threads: int = 1) -> str:
    """CUDA when present (the device SLURM or CUDA_VISIBLE_DEVICES gives), else the CPU, with
    torch's intra-op threads set to the rule's fixed count (``MATH_THREADS``). The job's own
    ``threads`` decode images (:func:`decode_threads`), which no result depends on."""
    import torch  # here, not at import: a job's log is set up first (domrand.runtime.run)

    global _job_threads
    if rule not in MATH_THREADS:
        raise KeyError(f"no fixed CPU thread count for rule {rule!r}: add it to domrand.train.device.MATH_THREADS")
    torch.set_num_threads(MATH_THREADS[rule])
    _job_threads = max(1, int(threads))
    return "cuda" if torch.cuda.is_available() else "cpu"


def decode_threads() -> int:
    """Threads that decode a job's images: its own threads, or torch's if more."""
    import torch

    return max(_job_threads, torch.get_num_threads())
