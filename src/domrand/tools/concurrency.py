"""How busy a finished Snakemake run kept its cores, from Snakemake's own log.

    python -m domrand.tools.concurrency .snakemake/log/<run>.snakemake.log [--json OUT]

Each job's span runs from the timestamp of the block that starts it (``rule X:`` /
``localrule X:`` / ``checkpoint X:`` with its ``jobid:``) to the timestamp of the
``Finished jobid: N`` line, or of the ``Error in rule`` block that ends it; a restarted job
counts from its last start. Mean concurrency is the sum of the jobs' spans over the run's
span (first start to last end), the measure the README's run line and docs/performance.md
quote. The log's timestamps have one-second resolution, so jobs shorter than a second count
as up to a second either way.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from domrand.io import write_json

_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]")
_START = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):$")
_JOBID = re.compile(r"^\s+jobid: (\d+)$")
_FINISHED = re.compile(r"^Finished jobid: (\d+)")
_ERROR = re.compile(r"^Error in rule (\w+):$")


class LogError(ValueError):
    pass


@dataclass(frozen=True)
class JobSpan:
    jobid: int
    rule: str
    start: float  # seconds since the first job started
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def parse_stamp(line: str) -> datetime | None:
    """The time of a Snakemake log line such as ``[Mon Dec  7 17:19:36 2026]``, else None."""
    m = _STAMP.match(line)
    return datetime.strptime(" ".join(m.group(1).split()), "%a %b %d %H:%M:%S %Y") if m else None


def newest_log(run_dir: Path) -> Path:
    """The newest Snakemake log of the run in ``run_dir``."""
    logs = sorted((Path(run_dir) / ".snakemake" / "log").glob("*.snakemake.log"))
    if not logs:
        raise FileNotFoundError(f"{run_dir}/.snakemake/log has no Snakemake log: run the workflow there first")
    return logs[-1]


def parse_log(text: str) -> list[JobSpan]:
    """Every job of the log that started and ended, in the order they ended. A job the log
    shows starting but never ending (a killed run) is left out."""
    stamp: datetime | None = None
    started: dict[int, tuple[str, datetime]] = {}
    pending: str | None = None  # a rule block whose jobid line is still to come
    ended: list[tuple[int, str, datetime, datetime]] = []
    for line in text.splitlines():
        if (t := parse_stamp(line)) is not None:
            stamp = t
            pending = None
        elif (m := _START.match(line)) and stamp is not None:
            pending = m.group(1)
        elif (m := _ERROR.match(line)) and stamp is not None:
            pending = "!" + m.group(1)
        elif (m := _JOBID.match(line)) and pending is not None:
            jobid = int(m.group(1))
            if pending.startswith("!"):
                if jobid in started:
                    rule, t0 = started.pop(jobid)
                    ended.append((jobid, rule, t0, stamp))
            else:
                started[jobid] = (pending, stamp)
            pending = None
        elif (m := _FINISHED.match(line)) and stamp is not None:
            jobid = int(m.group(1))
            if jobid in started:
                rule, t0 = started.pop(jobid)
                ended.append((jobid, rule, t0, stamp))
    if not ended:
        raise LogError("no finished job in the log: is it a Snakemake log of a run that executed jobs?")
    origin = min(t0 for _, _, t0, _ in ended)
    return [JobSpan(j, r, (t0 - origin).total_seconds(), (t1 - origin).total_seconds()) for j, r, t0, t1 in ended]


def summarise(jobs: list[JobSpan], exclude: tuple[str, ...] = ("all",)) -> dict:
    """Span, summed job time, mean concurrency, the share of the span spent with each number of
    jobs running, and job counts and seconds per rule. Rules in ``exclude`` (the target rule
    ``all``, which does nothing) are not counted."""
    jobs = [j for j in jobs if j.rule not in exclude]
    if not jobs:
        raise LogError("no job left to summarise")
    t0 = min(j.start for j in jobs)
    t1 = max(j.end for j in jobs)
    span = t1 - t0
    busy = sum(j.seconds for j in jobs)
    # running-job count over time, from +1/-1 events (ends before starts at the same second)
    events = sorted([(j.start, 1) for j in jobs] + [(j.end, -1) for j in jobs], key=lambda e: (e[0], e[1]))
    share: Counter = Counter()
    running, last = 0, t0
    for t, step in events:
        share[running] += t - last
        running, last = running + step, t
    per_rule: dict[str, dict] = {}
    for j in jobs:
        r = per_rule.setdefault(j.rule, {"jobs": 0, "seconds": 0.0})
        r["jobs"] += 1
        r["seconds"] += j.seconds
    return {
        "jobs": len(jobs),
        "span_s": span,
        "job_seconds": busy,
        "mean_concurrency": busy / span if span > 0 else float("nan"),
        "share_of_span_with_n_running": {str(k): v / span for k, v in sorted(share.items()) if span > 0 and v > 0},
        "per_rule": dict(sorted(per_rule.items())),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log", type=Path, help="a Snakemake log (.snakemake/log/*.snakemake.log, or its stderr)")
    ap.add_argument("--json", type=Path, help="also write the summary here")
    a = ap.parse_args(argv)
    try:
        s = summarise(parse_log(a.log.read_text()))
    except (OSError, LogError) as e:
        print(f"concurrency: {a.log}: {e}", file=sys.stderr)
        return 2
    print(
        f"{s['jobs']} jobs, span {s['span_s']:.0f} s, job time {s['job_seconds']:.0f} s, mean concurrency {s['mean_concurrency']:.2f}"
    )
    for n, frac in s["share_of_span_with_n_running"].items():
        print(f"  {n} running: {100 * frac:5.1f}% of the span")
    for rule, r in sorted(s["per_rule"].items(), key=lambda kv: -kv[1]["seconds"]):
        print(f"  {rule:28s} {r['jobs']:4d} jobs {r['seconds']:8.0f} s")
    if a.json:
        write_json(s, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
