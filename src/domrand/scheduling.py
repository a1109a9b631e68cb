"""A fix for Snakemake's scheduler (9.27): one pending wake-up timer instead of one per round.

With a job rate limit (Snakemake's default `--max-jobs-per-timespan 100/1s`), every round of
the scheduler's loop ends by starting a `threading.Timer` that wakes the loop again one
timespan later; that round starts another timer, and so on. Every job start and end adds a
round, and so another such chain: the chains never end, and a run that has started and
ended n jobs goes round its loop about 2n times a second. On the default study this cost
Snakemake's own process 7 CPU minutes in the first 31 minutes of the run, on a 2-core machine
where every core is a job's (docs/performance.md), and it grows with the square of the jobs.

`one_wakeup_timer` gives the loop at most one pending timer: a rate-limited round still wakes
the loop a timespan later, so the limit works as before; rounds for job starts and ends come
from the jobs themselves, as they always did. The timer is a daemon thread, so Snakemake does
not wait for it at exit. Called from the Snakefile's onstart, after Snakemake made its
scheduler; on any other Snakemake, whose scheduler lacks what is replaced, it does nothing.
"""

from __future__ import annotations

import threading


def one_wakeup_timer(workflow) -> bool:
    """Replace the scheduler's wake-up so at most one timer is pending; True when done."""
    scheduler = getattr(workflow, "scheduler", None)
    semaphore = getattr(scheduler, "_open_jobs", None)
    if scheduler is None or semaphore is None or not hasattr(scheduler, "_schedule_reevalutation"):
        return False
    lock = threading.Lock()
    pending: list[threading.Timer] = []

    def wake() -> None:
        with lock:
            pending.clear()
        semaphore.release()

    def schedule(delay: float) -> None:
        with lock:
            if pending:
                return
            timer = threading.Timer(delay, wake)
            timer.daemon = True
            pending.append(timer)
        timer.start()

    scheduler._schedule_reevalutation = schedule
    return True
