"""The concurrency of a run, read off a small hand-written Snakemake log with known answers."""

from __future__ import annotations

import json

import pytest

from domrand.tools.concurrency import LogError, main, parse_log, summarise


def _block(stamp: str, rule: str, jobid: int, local: bool = False) -> str:
    kind = "localrule" if local else "rule"
    return (
        f"[Mon Dec  7 17:{stamp} 2026]\n{kind} {rule}:\n    output: out/{jobid}\n    jobid: {jobid}\n    threads: 1\n\n"
    )


def _done(stamp: str, jobid: int, rule: str) -> str:
    return f"[Mon Dec  7 17:{stamp} 2026]\nFinished jobid: {jobid} (Rule: {rule})\n3 of 9 steps (33%) done\n"


# a: 00-10 s, b: 00-20 s, c: 10-30 s (restarted at 12 after an error), d: 30-40 s alone,
# e: started and never finished (the run was killed), all: 40-40
LOG = (
    "Building DAG of jobs...\nSelect jobs to execute...\nExecute 2 jobs...\n\n"
    + _block("00:00", "render", 1)
    + _block("00:00", "train", 2)
    + _done("00:10", 1, "render")
    + _block("00:10", "render", 3)
    + "[Mon Dec  7 17:00:11 2026]\nError in rule render:\n    message: None\n    jobid: 3\n\n"
    + "Trying to restart job 3.\n"
    + _block("00:12", "render", 3)
    + _done("00:20", 2, "train")
    + _done("00:30", 3, "render")
    + _block("00:30", "fig", 4, local=True)
    + _done("00:40", 4, "fig")
    + _block("00:40", "all", 5, local=True)
    + _done("00:40", 5, "all")
    + _block("00:40", "render", 6)
)


def test_job_spans_from_start_to_finish_with_restarts_from_their_last_start():
    jobs = {(j.jobid, j.start, j.end) for j in parse_log(LOG)}
    assert jobs == {(1, 0, 10), (2, 0, 20), (3, 10, 11), (3, 12, 30), (4, 30, 40), (5, 40, 40)}


def test_summary_counts_busy_seconds_over_the_span():
    s = summarise(parse_log(LOG))
    assert s["jobs"] == 5  # `all` is not a job that works
    assert s["span_s"] == 40
    assert s["job_seconds"] == 10 + 20 + 1 + 18 + 10
    assert s["mean_concurrency"] == pytest.approx(59 / 40)
    share = s["share_of_span_with_n_running"]
    # 0-10: 2 running; 10-11: 2; 11-12: 1; 12-20: 2; 20-40: 1
    assert share == pytest.approx({"1": 21 / 40, "2": 19 / 40})
    assert s["per_rule"]["render"] == {"jobs": 3, "seconds": 29}


def test_cli_writes_json(tmp_path, capsys):
    log = tmp_path / "run.snakemake.log"
    log.write_text(LOG)
    assert main([str(log), "--json", str(tmp_path / "c.json")]) == 0
    assert "mean concurrency 1.48" in capsys.readouterr().out
    assert json.loads((tmp_path / "c.json").read_text())["jobs"] == 5


def test_a_log_without_jobs_is_an_error_naming_it(tmp_path, capsys):
    log = tmp_path / "empty.log"
    log.write_text("Building DAG of jobs...\nNothing to be done.\n")
    with pytest.raises(LogError):
        parse_log(log.read_text())
    assert main([str(log)]) == 2
    assert str(log) in capsys.readouterr().err
