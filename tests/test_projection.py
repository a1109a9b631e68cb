"""The wall-time projection on hand-made DAGs and benchmark TSVs with known answers.

(tests/workflow/test_projection_run.py checks it on a finished configs/ci.yaml run.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from domrand.config import load_config
from domrand.plan import Plan
from domrand.tools.projection import (
    Job,
    ProjectionError,
    is_search_job,
    parse_dry_run,
    project,
    read_profile,
    schedule,
    search_cost,
    search_targets,
    to_markdown,
    work_units,
)

REPO = Path(__file__).resolve().parents[1]


def _tsv(run: Path, rel: str, seconds: list[float]) -> None:
    path = run / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{s}\t0:00:{int(s):02d}\t100\t200\t90\t95\t0\t0\t50\t{s}\n" for s in seconds)
    path.write_text("s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n" + rows)


def _dag() -> list[Job]:
    """prep (1 job) -> render (6 jobs, 2 threads) -> train (2 GPU jobs, 3 renders each) -> all (local)."""
    jobs = [Job(0, "prep", False, {}, [], ["prep.out"], "benchmarks/prep.tsv", 1, {})]
    for i in range(1, 7):
        jobs.append(
            Job(i, "render", False, {"i": str(i)}, ["prep.out"], [f"r{i}"], f"benchmarks/render/{i}.tsv", 2, {})
        )
    for k, ins in ((7, ["r1", "r2", "r3"]), (8, ["r4", "r5", "r6"])):
        jobs.append(Job(k, "train", False, {"k": str(k)}, ins, [f"t{k}"], f"benchmarks/train/{k}.tsv", 1, {"gpu": "1"}))
    jobs.append(Job(9, "all", True, {}, ["t7", "t8"], [], None, 1, {}))
    maker = {o: j.jobid for j in jobs for o in j.outputs}
    for j in jobs:
        j.deps = {maker[i] for i in j.inputs}
    return jobs


@pytest.fixture
def run(tmp_path) -> Path:
    run = tmp_path / "run"
    _tsv(run, "benchmarks/prep.tsv", [10])
    for i in range(1, 7):
        _tsv(run, f"benchmarks/render/{i}.tsv", [3, 5])  # two rows (a repeated benchmark): mean 4 s
    for k in (7, 8):
        _tsv(run, f"benchmarks/train/{k}.tsv", [30])
    return run


def _project(run, nodes=(1, 4, 16), **kw):
    jobs = _dag()
    return project(
        run,
        [],
        nodes=nodes,
        cores_per_node=5,
        gpus_per_node=1,
        profile=None,
        measured_jobs=jobs,
        target_jobs=jobs,
        **kw,
    )


def test_known_answer(run):
    # 1 node of 5 cores and 1 GPU: prep 0-10; renders two at a time (2 threads each) 10-22;
    # train 7 (renders 1-3, done at 18) 18-48 on the GPU; train 8 waits for the GPU: 48-78.
    # 4 nodes: all six renders at once 10-14; both trainings on two nodes' GPUs 14-44.
    p = _project(run)
    walls = {r["nodes"]: r["wall_seconds"] for r in p["projections"]}
    assert walls == {1: 78.0, 4: 44.0, 16: 44.0}
    one, four = p["projections"][0]["stages"], p["projections"][1]["stages"]
    assert one["render"] == {"start": 10.0, "end": 22.0} and one["train"] == {"start": 18.0, "end": 78.0}
    assert four["render"] == {"start": 10.0, "end": 14.0} and four["train"] == {"start": 14.0, "end": 44.0}
    assert p["rules"]["render"]["mean_job_seconds"] == 4.0 and p["rules"]["render"]["jobs"] == 6
    assert p["rules"]["train"]["gpus"] == 1 and p["rules"]["render"]["threads"] == 2
    assert p["unmeasured_rules"] == ["all"]
    md = to_markdown(p)
    assert "| 1 | 0:01:18 |" in md and "| 4 | 0:00:44 |" in md
    assert "| render | 6 | 4.0 | 2, 0 | 0:00:10 - 0:00:22 |" in md


def test_job_overhead_is_added_to_every_cluster_job(run):
    p = _project(run, nodes=(4,), job_overhead=1.0)
    # prep 11, renders 11-16, trainings 16-47
    assert p["projections"][0]["wall_seconds"] == 47.0


def test_missing_tsvs_of_a_rule_name_the_rule(run):
    for k in (7, 8):
        (run / f"benchmarks/train/{k}.tsv").unlink()
    with pytest.raises(ProjectionError, match=r"rule train: no benchmark TSV .* 2 job\(s\).*--assume"):
        _project(run)
    p = _project(run, nodes=(1,), assume={"train": 30})
    assert p["projections"][0]["wall_seconds"] == 78.0 and p["rules"]["train"]["source"] == "assumed"


def test_no_benchmarks_at_all_is_an_error(tmp_path):
    with pytest.raises(ProjectionError, match="no benchmark TSVs"):
        project(tmp_path, [], profile=None, measured_jobs=_dag(), target_jobs=_dag())


def test_a_job_larger_than_a_node_is_an_error(run):
    with pytest.raises(ProjectionError, match="rule train: a job needs 1 cores and 1 GPU"):
        project(
            run,
            [],
            nodes=(1,),
            cores_per_node=5,
            gpus_per_node=0,
            profile=None,
            measured_jobs=_dag(),
            target_jobs=_dag(),
        )


def test_max_concurrent_jobs_of_the_profile(tmp_path):
    jobs = [Job(i, "r", False, {}, [], [f"o{i}"], None, 1, {}) for i in range(10)]
    times = {i: 5.0 for i in range(10)}
    one = {i: 1 for i in range(10)}
    zero = {i: 0 for i in range(10)}
    assert max(e for _, e in schedule(jobs, times, one, zero, 1, 10, 0).values()) == 5.0
    assert max(e for _, e in schedule(jobs, times, one, zero, 1, 10, 0, max_jobs=3).values()) == 20.0
    assert max(e for _, e in schedule(jobs, times, one, zero, 1, 4, 0).values()) == 15.0


def test_critical_path_first(tmp_path):
    """One core: the job at the head of the longer chain goes first."""
    jobs = [
        Job(0, "a", False, {}, [], ["a"], None, 1, {}),
        Job(1, "b", False, {}, [], ["b"], None, 1, {}),
        Job(2, "c", False, {}, ["b"], ["c"], None, 1, {}, {1}),
    ]
    times = {0: 5.0, 1: 2.0, 2: 10.0}
    span = schedule(jobs, times, {i: 1 for i in range(3)}, {i: 0 for i in range(3)}, 2, 1, 0)
    assert span[1] == (0.0, 2.0) and span[2] == (2.0, 12.0)  # a goes to the second node at 0
    span = schedule(jobs, times, {i: 1 for i in range(3)}, {i: 0 for i in range(3)}, 1, 1, 0)
    assert span[1][0] == 0.0 and span[2] == (2.0, 12.0) and span[0] == (12.0, 17.0)


def _config(tmp_path, name, patch) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(patch))
    return str(path)


def test_job_times_scale_with_images_per_job(tmp_path):
    """0.5 s per image measured on shards of 20; the target's shards of 40 take 20 s each,
    and the target's last, partial shard (70 images in shards of 40: 30) takes 15 s."""
    run = tmp_path / "run"
    counts = {"beyond": {"synthetic_counts": [25, "all"]}}  # within train_per_class: valid configs
    measured = _config(
        tmp_path,
        "m.yaml",
        {"render": {"shard_size": 20}, "synth": {"train_per_class": 30, "test_per_class": 10}, **counts},
    )
    target = _config(
        tmp_path,
        "t.yaml",
        {"render": {"shard_size": 40}, "synth": {"train_per_class": 60, "test_per_class": 10}, **counts},
    )

    def shard(i, s):
        return Job(
            i,
            "render_shard",
            False,
            {"variant": "control", "cls": "cat", "shard": str(s)},
            [],
            [f"s{s}"],
            f"benchmarks/synth/control/cat/{s}.tsv",
            1,
            {},
        )

    for s in (0, 1):
        _tsv(run, f"benchmarks/synth/control/cat/{s}.tsv", [10])
    p = project(
        run,
        [measured],
        [target],
        nodes=(1,),
        cores_per_node=1,
        gpus_per_node=0,
        profile=None,
        measured_jobs=[shard(0, 0), shard(1, 1)],
        target_jobs=[shard(0, 0), shard(1, 1)],
    )
    assert p["rules"]["render_shard"]["seconds_per_unit"] == 0.5
    assert p["rules"]["render_shard"]["units"] == 70
    assert p["projections"][0]["wall_seconds"] == 35.0


def test_work_units_follow_the_workflow_sizes():
    c = load_config(REPO / "configs/ci.yaml", base=REPO / "config.yaml")
    views = c["training"]["views"]
    # seeds_over: data (ci.yaml): a synthetic set renders and embeds one training set per seed
    n_seeds = len(c["seeds"])
    assert c["seeds_over"] == "data" and n_seeds == 2
    assert work_units("extract_features", c, {"dataset": "synth_control", "cls": "cat"}) == 30 * n_seeds * views + 10
    assert work_units("extract_features", c, {"dataset": "real", "cls": "cat"}) == 30 * views + 10
    # 70 images per class in shards of 20: 20, 20, 20, 10; figure 9's breeds2 has no test images: 20, 20, 20
    assert [work_units("render_shard", c, {"variant": "control", "cls": "cat", "shard": s}) for s in "0123"] == [
        20,
        20,
        20,
        10,
    ]
    assert [work_units("render_shard", c, {"variant": "breeds2", "cls": "cat", "shard": s}) for s in "012"] == [
        20,
        20,
        20,
    ]
    # each seed's model trains on its own 30 images per class
    w = {"dataset": "synth_control", "task": "cat_dog", "arch": "dropout", "seed": "1"}
    assert work_units("train_head", c, w) == 30 * 2 * c["training"]["epochs"]
    assert work_units("extract_features", c, {"dataset": "toon", "cls": "cat"}) == 10
    assert work_units("render_proxy", c, {"domain": "toon", "cls": "dog", "shard": "0"}) == 10
    w = {"dataset": "real", "task": "cat_dog", "arch": "dropout", "seed": "0"}
    assert work_units("train_head", c, w) == 30 * 2 * c["training"]["epochs"]
    # toon has the study's pair only: a 3-class task is evaluated on its 2 classes there
    task3 = next(t for t, cl in c["tasks"].items() if len(cl) == 3)
    assert work_units("evaluate", c, {**w, "task": task3, "testset": "toon"}) == 10 * 2
    assert work_units("evaluate", c, {**w, "task": task3, "testset": "real"}) == 10 * 3
    assert work_units("build_world", c, {}) == 1.0
    with pytest.raises(ProjectionError, match="rule train_head: cannot size"):
        work_units("train_head", c, {"dataset": "real"})


DRY = """
[Wed Dec  2 03:07:41 2026]
rule make:
    input: a.txt
    output: b.txt, c.txt
    jobid: 3
    benchmark: benchmarks/make.tsv
    reason: Missing output files: b.txt
    wildcards: x=1, y=two
    threads: 4
    resources: tmpdir=/tmp, mem_mb=2000, gpu=1
Shell command: None

[Wed Dec  2 03:07:41 2026]
localrule all:
    input: b.txt, c.txt
    jobid: 0
    reason: Input files updated by another job: b.txt
    resources: tmpdir=/tmp

Job stats:
job      count
-----  -------
make         1
all          1
total        2
"""


def test_parse_dry_run():
    jobs = {j.jobid: j for j in parse_dry_run(DRY)}
    make, all_ = jobs[3], jobs[0]
    assert (make.rule, make.local, make.threads, make.benchmark) == ("make", False, 4, "benchmarks/make.tsv")
    assert make.wildcards == {"x": "1", "y": "two"} and make.resources["gpu"] == "1"
    assert make.outputs == ["b.txt", "c.txt"] and make.deps == set()
    assert all_.local and all_.deps == {3} and all_.benchmark is None and all_.threads == 1
    with pytest.raises(ProjectionError, match="job stats say 3"):
        parse_dry_run(DRY.replace("make         1", "make         2").replace("total        2", "total        3"))


def test_slurm_profile_threads_and_gpus():
    prof = read_profile(REPO / "profiles" / "slurm")
    assert prof["set-resources"]["extract_features"]["gpu"] == 1
    assert prof["set-threads"]["render_shard"] == 1 and prof["jobs"] == 100
    with pytest.raises(ProjectionError, match="profile .*nowhere: no config.yaml"):
        read_profile(REPO / "profiles" / "nowhere")


def test_the_search_is_counted_at_its_dearest():
    plan = Plan(load_config(REPO / "configs/ci.yaml", base=REPO / "config.yaml"))
    # ci.yaml: two candidates, keep 10 (all 8 anchors too), seeds [0, 1]; the candidates first
    targets = search_targets(plan)
    assert targets[:2] == ["results/search/round2/search1.json", "results/search/round2/search2.json"]
    assert len([t for t in targets if t.startswith("results/search/round2/")]) == 10
    assert targets[-2:] == [
        "results/eval/synth_search1/cat_dog/dropout/seed0/real.json",
        "results/eval/synth_search1/cat_dog/dropout/seed1/real.json",
    ]
    jobs = [
        Job(1, "render_shard", False, {}, [], ["results/synth/search2_small/cat/0"], "b", 1, {}),
        Job(2, "render_proxy", False, {}, [], ["results/proxy/real_val/cat/0"], "b", 1, {}),
        Job(3, "search_round1", False, {}, [], ["results/search/round1.csv"], None, 1, {}),
        Job(4, "render_shard", False, {}, [], ["results/synth/control/cat/0"], "b", 1, {}),
        Job(5, "evaluate", False, {}, [], ["results/eval/synth_no_skies/cat_dog/dropout/seed0/real.json"], "b", 1, {}),
    ]
    assert [is_search_job(j, plan) for j in jobs] == [True, True, True, False, False]
    cost = search_cost(jobs, {1: 2.0, 2: 1.0, 3: 0.0, 4: 4.0, 5: 2.0}, plan)
    assert cost == {"job_seconds": 3.0, "study_job_seconds": 6.0, "share": 0.5, "jobs": 3}
