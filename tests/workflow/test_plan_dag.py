"""The projection's view of a study (domrand.tools.projection, sized by domrand.plan) against the
DAG Snakemake builds for it, for configs/ci.yaml, configs/paper.yaml and ci.yaml with figure 8
on another variant than the control.

Job list: every job's rule and wildcards, as the projection parses them from `snakemake
--dry-run --forceall`, equal those of the DAG built through the Snakemake API
(tests/workflow/dag_jobs.py). Work units: each job's units from the projection equal what the
job's own params, as Snakemake evaluates them, make it do, followed through the jobs that make
its inputs: a render job renders `shard_indices(shard, render.shard_size,
render.images_per_class)` images (the renderer's own function); a dataset index holds its
shards' images, the first gather.n_train of them training images (select_class: its n_train
and n_test); extract_features embeds train x features.views + test; a model trains on its
train inputs' training images (its data_slice's part of them) x train.epochs; an evaluation
scores the test images of its test inputs (a balanced task index: its smallest class's, per
class); a subject render renders render.images_per_breed images of each subject of its pool and
class in the world its build_world job's params describe; a subject realism job scores the
images of its input renders; an explain job explains, per test index, the first
explain.images_per_class and the first faithfulness.images_per_class test images."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from domrand.config import BUILTIN_CLASSES, SYNTHETIC_POOL, load_config
from domrand.render.shard import shard_indices
from domrand.tools.projection import WORK, dry_run, work_units
from helpers.workflow import REPO

HERE = Path(__file__).resolve().parent
STUDIES = {
    "ci": ["configs/ci.yaml"],
    "paper": ["configs/paper.yaml"],
    "ci_fig8_no_poses": ["configs/ci.yaml", {"figures": {"models": {"fig7": "best", "fig8": "synth_no_poses"}}}],
}


@pytest.fixture(scope="module", params=list(STUDIES))
def study(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    files = []
    for i, f in enumerate(STUDIES[request.param]):
        if isinstance(f, dict):
            path = tmp / f"override{i}.yaml"
            path.write_text(yaml.safe_dump(f))
            files.append(str(path))
        else:
            files.append(str(REPO / f))
    out = tmp / "jobs.json"
    p = subprocess.run(
        [sys.executable, str(HERE / "dag_jobs.py"), str(out), *files],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    config = load_config(*files, base=REPO / "config.yaml")
    return request.param, config, json.loads(out.read_text()), dry_run(files)


class Truth:
    """Each job's work, from its params and those of the jobs that make its inputs."""

    def __init__(self, jobs, config):
        self.maker = {o: j for j in jobs for o in j["output"]}
        self.config = config

    def rendered(self, job) -> int:
        r = job["params"]["render"]
        return len(shard_indices(int(job["wildcards"]["shard"]), int(r["shard_size"]), int(r["images_per_class"])))

    def split(self, index) -> tuple[int, int]:
        """(train, test) images of a per-class dataset index."""
        j = self.maker[index]
        if j["rule"] == "gather_dataset":
            total = sum(self.rendered(self.maker[d]) for d in j["input"])
            n_train = j["params"]["gather"]["n_train"]
            return min(n_train, total), max(0, total - n_train)
        if j["rule"] == "select_validation":  # the search's validation images, all scored
            return 0, j["params"]["select"]["n_val"]
        assert j["rule"] == "select_class", f"{index} is made by {j['rule']}"
        return j["params"]["select"]["n_train"], j["params"]["select"]["n_test"]

    def test_images(self, index) -> int:
        j = self.maker[index]
        if j["rule"] == "balance_task":  # every class capped at the smallest
            tests = [self.split(i)[1] for i in j["input"]]
            return min(tests) * len(tests)
        return self.split(index)[1]

    def units(self, job) -> int:
        rule, p, named = job["rule"], job["params"], job["input_named"]
        if rule in ("render_shard", "render_proxy"):
            return self.rendered(job)
        if rule == "extract_features":
            n_train, n_test = self.split(named["index"][0])
            return n_train * int(p["features"]["views"]) + n_test
        if rule in ("train_head", "train_finetune"):
            indexes = named["train"]
            if rule == "train_head":  # features of the indexes
                indexes = [self.maker[f]["input_named"]["index"][0] for f in indexes]
            parts = p["train"].get("data_slice", {"parts": 1})["parts"]
            images = 0
            for i in indexes:
                n_train = self.split(i)[0]
                assert n_train % parts == 0, f"{i}: {n_train} training images do not split into {parts} seeds"
                images += n_train // parts
            return images * int(p["train"]["epochs"])
        if rule == "evaluate":
            return sum(self.test_images(i) for i in named["test"])
        if rule == "pretrain_backbone":
            return int(p["pretrain"]["images"]) * int(p["pretrain"]["epochs"])
        if rule == "render_subjects":
            pool = p["generator"]["subject"]["heldout"] or SYNTHETIC_POOL
            return int(p["render"]["images_per_breed"]) * self.subjects(job, pool, job["wildcards"]["cls"])
        if rule == "subject_realism_scores":
            return sum(self.units(self.maker[d]) for d in named["shards"])
        if rule == "explain":
            e = p["explain"]
            tests = [self.split(i)[1] for i in named["test"]]
            return sum(
                min(int(e["images_per_class"]), n) + min(int(e["faithfulness"]["images_per_class"]), n) for n in tests
            )
        raise AssertionError(f"no truth for rule {rule}")

    def subjects(self, job, pool, cls) -> int:
        """Subjects of `cls` in `pool` of the world that build_world's params describe: the
        procedural breeds or held-out subjects of a built-in class, and its meshes (an Objaverse
        entry: the objects download_objaverse pins, objaverse.per_class of them until pinned)."""
        world_job = self.maker[job["input_named"]["world"][0]]
        w = world_job["params"]["world"]
        spec, held = (w.get("subjects") or {}).get(cls), pool != SYNTHETIC_POOL
        n = 0
        if cls in BUILTIN_CLASSES and (held or not spec or spec.get("mode", "add") != "replace"):
            n = int(w["heldout_breeds"][pool] if held else w["breeds"])
        if spec:
            meshes = 0
            for m in spec["meshes"]:
                assert m.get("objaverse"), f"{m}: only Objaverse meshes are counted here"
                pinned = self.maker[f"resources/assets/objaverse_{cls}"]["params"]["objects"]
                meshes += len(pinned) if pinned else int(self.config["objaverse"]["per_class"][cls])
            out = spec.get("heldout") or {}
            n += int(out.get(pool, 0)) if held else meshes - sum(map(int, out.values()))
        return n


def _key(rule, wildcards):
    return rule, tuple(sorted(wildcards.items()))


def test_job_list_is_the_dag(study):
    _, _, api_jobs, projected = study
    assert Counter(_key(j.rule, j.wildcards) for j in projected) == Counter(
        _key(j["rule"], j["wildcards"]) for j in api_jobs
    )


def test_work_units_are_what_each_job_does(study):
    name, config, api_jobs, projected = study
    truth = Truth(api_jobs, config)
    by_key = {_key(j["rule"], j["wildcards"]): j for j in api_jobs}
    totals, wrong = Counter(), []
    for j in projected:
        if j.rule not in WORK:
            continue
        want = truth.units(by_key[_key(j.rule, j.wildcards)])
        got = work_units(j.rule, config, j.wildcards)
        totals[j.rule] += want
        if got != want:
            wrong.append((j.rule, j.wildcards, got, want))
    assert not wrong, f"{len(wrong)} jobs sized wrong (rule, wildcards, projected, DAG), e.g. {wrong[:5]}"
    # every sized rule the study runs is compared
    expected = {"render_shard", "extract_features", "train_head", "train_finetune", "evaluate"}
    expected |= {"render_subjects", "subject_realism_scores", "explain"}
    if name != "paper":  # paper.yaml's domains are all downloaded photos
        expected.add("render_proxy")
    assert expected <= set(totals), totals
    assert all(totals[r] > 0 for r in expected)


def test_seeds_over_data_and_figure9_sets_are_in_the_dag(study):
    """What the projection once got wrong is really there: per-seed training sets and figure 9's
    sets without test images."""
    name, config, api_jobs, _ = study
    assert config["seeds_over"] == "data"
    renders = [j for j in api_jobs if j["rule"] == "render_shard"]
    per_class = {j["wildcards"]["variant"]: j["params"]["render"]["images_per_class"] for j in renders}
    synth, n_seeds = config["synth"], len(config["seeds"])
    assert per_class["control"] == synth["train_per_class"] * n_seeds + synth["test_per_class"]
    derived = [v for v in per_class if v.startswith("breeds")]
    assert derived and all(per_class[v] == synth["train_per_class"] * n_seeds for v in derived)
    if name == "ci_fig8_no_poses":  # figure 8's model renders the task classes beyond the pair
        assert {j["wildcards"]["cls"] for j in renders if j["wildcards"]["variant"] == "no_poses"} == {
            "cat",
            "dog",
            "bicycle",
            "car",
        }
