"""The scheduler fix: at most one pending wake-up timer, a daemon, that still wakes the loop."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from domrand.scheduling import one_wakeup_timer


class _Scheduler:
    """The two members of Snakemake 9.27's JobScheduler that the fix touches."""

    def __init__(self):
        self._open_jobs = threading.Semaphore(0)

    def _schedule_reevalutation(self, delay):
        threading.Timer(delay, lambda: self._open_jobs.release()).start()


def _timers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if isinstance(t, threading.Timer)]


def test_many_rounds_leave_one_daemon_timer_that_wakes_the_loop():
    s = _Scheduler()
    assert one_wakeup_timer(SimpleNamespace(scheduler=s))
    before = set(_timers())
    for _ in range(100):  # a hundred rounds of the loop, each asking to be woken in 0.2 s
        s._schedule_reevalutation(0.2)
    new = [t for t in _timers() if t not in before]
    assert len(new) == 1 and new[0].daemon
    assert s._open_jobs.acquire(timeout=30)  # it still wakes the loop
    assert not s._open_jobs.acquire(timeout=0.5)  # once
    s._schedule_reevalutation(0.01)  # and after it fired, the next round gets a timer again
    assert s._open_jobs.acquire(timeout=30)


def test_the_unfixed_loop_stacks_timers():
    """What the fix is for: each round of Snakemake's own wake-up adds a timer."""
    s = _Scheduler()
    before = set(_timers())
    for _ in range(20):
        s._schedule_reevalutation(5)
    assert len([t for t in _timers() if t not in before]) == 20
    for t in _timers():
        if t not in before:
            t.cancel()


def test_another_snakemake_is_left_alone():
    assert not one_wakeup_timer(SimpleNamespace(scheduler=None))
    assert not one_wakeup_timer(SimpleNamespace(scheduler=SimpleNamespace(_open_jobs=threading.Semaphore())))
    assert not one_wakeup_timer(SimpleNamespace())


def test_a_snakemake_of_this_version_has_what_the_fix_replaces():
    from snakemake.scheduling.job_scheduler import JobScheduler

    assert hasattr(JobScheduler, "_schedule_reevalutation")
    src = JobScheduler.__init__.__code__.co_names
    assert "_open_jobs" in src
