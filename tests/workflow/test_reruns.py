"""Exact partial reruns and faults, on one finished run of configs/ci.yaml.

A change to one config value must plan exactly the jobs whose params carry it and what
depends on them (dry run), a runtime knob must plan nothing, a killed job must leave nothing
that looks finished and be redone alone, a killed training must resume from its checkpoint,
and `retries` must absorb a transient failure.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from domrand.io import write_text
from helpers.workflow import BIN, REPO, snakemake

pytestmark = pytest.mark.slow
CI = str(REPO / "configs/ci.yaml")
FIGURE = re.compile(r"^results/fig\d+_")
OCCLUSION = "results/tables/occlusion.csv"  # made from every render shard
REALISM = "results/domain_realism.png"  # made from every dataset's test images
FIG13 = "results/fig13_search.png"
CHANGES = Path(tempfile.gettempdir()) / "domrand-test-changes"  # config changes, by content
ROUNDS = ("results/search/round1.csv", "results/search/round2.csv")  # the search's checkpoints


def search_of(*entries: str):
    """The search's jobs that rank `entries` (figure 4's variants are its anchors): their round-1
    heads, both rounds' checkpoints (what round 2 trains follows round 1's, unplanned) and figure 13."""
    heads = {f"results/search/round1/{e}.json" for e in entries}
    return lambda out: out in heads or out in ROUNDS or out == FIG13


@pytest.fixture
def copy(finished, tmp_path) -> Path:
    """A private copy of the finished run (mtimes and Snakemake's metadata kept)."""
    dst = tmp_path / "run"
    shutil.copytree(finished, dst, symlinks=True)
    return dst


def _configs(change: dict | None) -> list[str]:
    """The ci config, then `change` as a config file of its own. The file is named by its
    content and kept outside the run folder: tests on other workers dry-run the same
    finished run at the same time, each with its own change."""
    files = [CI]
    if change:
        text = yaml.safe_dump(change)
        path = CHANGES / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.yaml"
        write_text(text, path)
        files.append(str(path))
    return files


def planned(work: Path, change: dict | None = None, *args: str) -> dict[str, str]:
    """{first output: rule} of every job a dry run plans (the `all` target excluded)."""
    p = snakemake("-n", "--cores", "2", "--directory", str(work), *args, "--configfile", *_configs(change))
    assert "cannot be locked" not in p.stdout + p.stderr, p.stderr[-2000:]
    jobs = {}
    for block in p.stdout.split("\n\n"):
        rule = re.search(r"^(?:local)?rule (\w+):", block, re.M)
        out = re.search(r"^\s+output: ([^,\n]+)", block, re.M)
        if rule and out:
            jobs[out.group(1).strip()] = rule.group(1)
    return jobs


def every_job(work: Path, change: dict | None = None) -> dict[str, str]:
    return planned(work, change, "--forceall")


# configs/ci.yaml sets figures.models.fig7: best. The checkpoint that chooses the variant reads
# figure 4's table, so a change that reruns figure 4 may change the choice: what follows the
# checkpoint cannot be planned before it has run, and may or may not be in the plan.
AFTER_CHECKPOINT = {"results/tables/best_variant.csv", "results/fig7_domain_transfer.png"}


def expect(work: Path, change: dict, affected) -> None:
    """The dry run after `change` plans exactly the jobs of the full DAG that `affected` picks
    (past the best-variant checkpoint, when figure 4 reruns, either way)."""
    dag = every_job(work, change)
    want = {o: r for o, r in dag.items() if affected(o)}
    got = planned(work, change)
    if "results/fig4_ablation.png" in got:
        want = {o: r for o, r in want.items() if o not in AFTER_CHECKPOINT}
        got = {o: r for o, r in got.items() if o not in AFTER_CHECKPOINT}
    assert want, "the predicate picks no job: the test is wrong"
    assert got.keys() - want.keys() == set(), f"planned but not affected: {sorted(got.keys() - want.keys())}"
    assert want.keys() - got.keys() == set(), f"affected but not planned: {sorted(want.keys() - got.keys())}"


def test_finished_run_plans_nothing(finished):
    assert planned(finished) == {}


def test_lighting_range_of_no_lighting_reruns_only_its_chain(finished):
    change = {"variants": {"no_lighting": {"lighting": {"intensity": [2.0, 4.0]}}}}

    def affected(out):
        return (
            "/no_lighting/" in out
            or "synth_no_lighting" in out
            or out in ("results/fig1_examples.png", "results/fig4_ablation.png", OCCLUSION, REALISM)
            or search_of("no_lighting")(out)
        )

    expect(finished, change, affected)


def test_shadows_of_one_variant_rerun_only_its_chain(finished):
    change = {"variants": {"no_skies": {"lighting": {"shadows": False}}}}

    def affected(out):
        return (
            "/no_skies/" in out
            or "synth_no_skies" in out
            or out in ("results/fig1_examples.png", "results/fig4_ablation.png", OCCLUSION, REALISM)
            or search_of("no_skies")(out)
        )

    expect(finished, change, affected)


def test_obstructors_between_of_the_control_rerun_the_control_chain(finished):
    change = {"variants": {"control": {"obstructors": {"between": 0.2}}}}

    def affected(out):
        # Figure 9's breed counts derive from the control (1 breed is no_breeds only while the
        # two generators agree; now it is a variant of its own), and figures 10 and 11's heads
        # train on the control's features.
        return (
            "synth/control/" in out
            or "synth_control" in out
            or out.endswith("/synthetic.json")
            or out.endswith("/synthetic.npz")
            or bool(FIGURE.match(out))
            or out in (OCCLUSION, REALISM)
            or "synth/breeds" in out
            or "synth_breeds" in out
            or "/heads/mix_" in out
            or "/heads/size_" in out
            or search_of("control")(out)
        )

    expect(finished, change, affected)


def test_render_engine_reruns_every_render_job(finished):
    dag = every_job(finished, {"render": {"engine": "pyrender"}})
    got = planned(finished, {"render": {"engine": "pyrender"}})
    renders = {o for o, r in dag.items() if r in ("render_shard", "render_proxy")}
    assert renders and renders <= got.keys() and OCCLUSION in got


def test_training_hyperparameter_of_unfrozen_reruns_only_its_models(finished):
    change = {"architectures": {"unfrozen": {"lr": 0.0005}}}

    def affected(out):
        return "/unfrozen/" in out or out == "results/fig3_architectures.png"

    expect(finished, change, affected)


def test_breeds_of_the_control_rerun_the_control_chain(finished):
    change = {"variants": {"control": {"subject": {"breeds": 2}}}}

    def affected(out):
        # The control variant is the synthetic training set and the "synthetic" test set:
        # its shards, dataset, features and models, every model's evaluation on it, the
        # heatmaps of the synthetic test images and of the control model, and every figure
        # (each one draws on one of those).
        # Figure 9's breed-count variants are the control with another breed count, so they
        # change with it; figures 10 and 11's heads train on the control's features.
        return (
            "synth/control/" in out
            or "synth_control" in out
            or out.endswith("/synthetic.json")
            or out.endswith("/synthetic.npz")
            or bool(FIGURE.match(out))
            or "synth/breeds" in out
            or "synth_breeds" in out
            or "/heads/mix_" in out
            or "/heads/size_" in out
            or out in (OCCLUSION, REALISM)
            or search_of("control")(out)
        )

    expect(finished, change, affected)


def test_reported_epoch_reruns_only_evaluations_and_their_figures(finished):
    # final -> best_epoch: no model retrains (every epoch is already kept); every evaluation
    # and every figure drawn from evaluations is redone, and figures 10 and 11's heads and the
    # search's heads, which report the same epoch as the evaluations.
    change = {"evaluation": {"report": "best_epoch"}}

    def affected(out):
        return out.startswith(("results/eval/", "results/beyond/heads/", "results/search/")) or out in (
            FIG13,
            "results/fig10_real_mixing.png",
            "results/fig11_data_size.png",
            "results/fig2_training_curves.png",
            "results/fig3_architectures.png",
            "results/fig4_ablation.png",
            "results/fig7_domain_transfer.png",
            "results/fig8_categories.png",
            "results/fig9_breed_scaling.png",
            "results/fig12_parameter_errors.png",
            "results/tables/best_variant.csv",
        )

    expect(finished, change, affected)


def test_breed_count_list_reruns_only_figure9s_chain(finished):
    # ci.yaml: [1, 2, all] with 4 breeds; 3 is a new derived variant, 2 is dropped.
    change = {"beyond": {"breed_counts": [1, 3, "all"]}}

    def affected(out):
        return "synth/breeds3/" in out or "synth_breeds3" in out or out in ("results/fig9_breed_scaling.png", OCCLUSION)

    expect(finished, change, affected)


def test_search_space_reruns_only_the_candidates_and_the_rounds(finished):
    # ci.yaml draws obstructors.between from [0, 1]: every candidate's generator changes, no
    # anchor's; round 1 reruns the candidates' small renders and heads (round 2 follows its
    # checkpoint), and nothing of the study.
    change = {"search": {"space": {"obstructors.between": {"uniform": [0.0, 0.5]}}}}

    def affected(out):
        candidate_head = re.search(r"/round1/search\d+\.json$", out)
        return "synth/search" in out or "synth_search" in out or bool(candidate_head) or out in ROUNDS or out == FIG13

    expect(finished, change, affected)


def test_search_budget_reruns_only_the_rounds(finished):
    # keep: what round 1 passes on; nothing is retrained before the checkpoint.
    expect(finished, {"search": {"keep": 1}}, lambda out: out in ROUNDS or out == FIG13)


def test_real_count_list_reruns_only_figure10s_chain(finished):
    # ci.yaml: [0, 5, all]; 5 and all are kept (their heads stay: nested subsets per seed).
    change = {"beyond": {"real_counts": [0, 3, 5, "all"]}}

    def affected(out):
        return "/heads/mix_k3/" in out or "/heads/real_k3/" in out or out == "results/fig10_real_mixing.png"

    expect(finished, change, affected)


WORKFLOW = ["Snakefile", "config.yaml", "configs", "rules", "workflow", "schemas", "profiles", "src"]


@pytest.fixture
def workflow_copy(tmp_path) -> Path:
    """A copy of the workflow itself (mtimes kept), whose library a test may edit."""
    dst = tmp_path / "workflow"
    dst.mkdir()
    for name in WORKFLOW:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dst / name)
    return dst


def _edit(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_a_copy_of_the_workflow_plans_nothing(finished, workflow_copy):
    # The edits below are made on a copy; unedited, it must agree with the finished run.
    assert planned(finished, None, "-s", str(workflow_copy / "Snakefile")) == {}


def test_editing_a_figure_module_reruns_only_its_figures(finished, workflow_copy):
    snakefile = str(workflow_copy / "Snakefile")
    _edit(workflow_copy / "src/domrand/figures/results.py", "\nPROBE = 1  # a change to code\n")
    got = planned(finished, None, "-s", snakefile)
    # The figures whose scripts import figures.results, and figure 13, which reads figure 4's table.
    want = planned(
        finished,
        None,
        "-s",
        snakefile,
        "--forcerun",
        "fig2_training_curves",
        "fig3_architectures",
        "fig4_ablation",
        "fig7_domain_transfer",
        "fig8_categories",
    )
    assert got == want and set(got.values()) == {
        "fig2_training_curves",
        "fig3_architectures",
        "fig4_ablation",
        "fig7_domain_transfer",
        "fig8_categories",
        "fig13_search",
    }


def test_editing_a_render_module_reruns_the_render_chain(finished, workflow_copy):
    snakefile = str(workflow_copy / "Snakefile")
    _edit(workflow_copy / "src/domrand/render/sampling.py", "\nPROBE = 1  # a change to code\n")
    got = planned(finished, None, "-s", snakefile)
    want = planned(finished, None, "-s", snakefile, "--forcerun", "render_shard", "render_proxy", "render_subjects")
    assert got == want
    assert {"render_shard", "render_proxy", "gather_dataset", "train_head", "evaluate"} <= set(got.values())
    assert not {"build_world", "pretrain_backbone", "attribution"} & set(got.values())


def test_comment_and_docstring_edits_rerun_nothing(finished, workflow_copy):
    module = workflow_copy / "src/domrand/render/sampling.py"
    text = module.read_text()
    first = text.index('"""', 3) + 3  # the end of the module docstring
    module.write_text('"""A new docstring."""' + text[first:] + "\n# a new comment\n")
    assert planned(finished, None, "-s", str(workflow_copy / "Snakefile")) == {}


def test_runtime_knobs_rerun_nothing(finished):
    knobs = [
        "--set-threads",
        "train_head=2",
        "render_shard=2",
        "explain=1",
        "--set-resources",
        "extract_features:batch=16",
        "--resources",
        "mem_mb=4000",
    ]
    assert planned(finished, None, *knobs) == {}
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    p = subprocess.run(
        [
            str(BIN / "snakemake"),
            "-s",
            str(REPO / "Snakefile"),
            "-n",
            "--cores",
            "1",
            "--directory",
            str(finished),
            "--configfile",
            CI,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert p.returncode == 0 and "Nothing to be done" in p.stdout + p.stderr


def _start(work: Path, target: str, change: dict | None, **env) -> subprocess.Popen:
    """Snakemake in its own session (so it and its jobs can be killed together); its output
    goes to a file beside `work` (`_output`), never to a pipe that nobody drains and that
    would block it once full."""
    cmd = [
        str(BIN / "snakemake"),
        "-s",
        str(REPO / "Snakefile"),
        target,
        "--cores",
        "1",
        "--directory",
        str(work),
        "--configfile",
        *_configs(change),
    ]
    with open(_output_file(work), "w") as out:
        return subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **env},
        )


def _output_file(work: Path) -> Path:
    return work.parent / f"{work.name}.snakemake.out"


def _output(work: Path) -> str:
    return _output_file(work).read_text()[-3000:]


def _holds(condition) -> bool:
    """`condition()`, where a file it reads that vanishes between its checks (Snakemake removes
    a job's old log and output when the job starts; a finished job renames its temporary
    folder) means "not yet" rather than an error."""
    try:
        return bool(condition())
    except FileNotFoundError:
        return False


def _group_alive(pgid: int) -> bool:
    """Whether a process of group `pgid` still runs (zombies, which no reaper may collect in a
    container, do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _kill_when(proc: subprocess.Popen, work: Path, ready, timeout: float = 300) -> None:
    """SIGKILL Snakemake and its job together once `ready()` (as a crashed machine would), then
    release the lock the dead Snakemake left, as its message tells a user to. Returns once no
    process of the group runs, so nothing of the killed job writes after it."""
    deadline = time.monotonic() + timeout
    while not _holds(ready):
        if proc.poll() is not None:
            raise AssertionError(f"the job ended before it could be killed:\n{_output(work)}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError(f"the job never reached the point to kill it at:\n{_output(work)}")
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the leader is not reaped yet (no poll since), so the group exists
    proc.wait()
    deadline = time.monotonic() + 60
    while _group_alive(proc.pid):
        assert time.monotonic() < deadline, "a killed job's process outlived SIGKILL for a minute"
        time.sleep(0.05)
    snakemake("--unlock", "--directory", str(work), "--configfile", CI)


def _shard_content(folder: Path) -> dict:
    """Every image's bytes and every sampled parameter (not the timings) of a shard."""
    meta = pd.read_parquet(folder / "metadata.parquet")
    meta = meta.drop(columns=[c for c in meta.columns if c.startswith("t_") or c == "render_time"])
    return {
        "images": {p.name: p.read_bytes() for p in sorted(folder.glob("*.jpg"))},
        "metadata": meta.to_json(orient="records"),
    }


def test_killed_render_shard_leaves_nothing_finished_and_is_redone_alone(copy):
    shard = "results/synth/no_skies/dog/1"
    original = _shard_content(copy / shard)
    # As if the run had been killed while this shard rendered: the shard and everything made
    # from it are not there yet. (Snakemake does not remake a missing intermediate file
    # when all that is made from it is present and current.)
    lost = planned(copy, None, "--forcerun", shard)
    for out in lost:
        (shutil.rmtree if (copy / out).is_dir() else os.unlink)(copy / out)
    # A bigger shard keeps the job busy long enough to be killed half way.
    proc = _start(copy, shard, {"render": {"shard_size": 400}, "synth": {"train_per_class": 2000}})
    parent = (copy / shard).parent

    def half_written():  # the temporary folder may be renamed or removed between the globs
        return any(len(list(d.glob("*.jpg"))) >= 5 for d in parent.glob(".1.*"))

    _kill_when(proc, copy, half_written)
    assert not (copy / shard).exists(), "a killed shard must not leave its output folder"

    jobs = planned(copy)
    assert {o for o, r in jobs.items() if r in ("render_shard", "render_proxy")} == {shard}
    assert jobs == lost
    snakemake(shard, "--cores", "1", "--directory", str(copy), "--configfile", CI)
    assert _shard_content(copy / shard) == original
    assert list(parent.glob(".1.*")) == [], "the killed attempt's leftovers are cleaned up"


def test_killed_training_resumes_from_its_checkpoint(copy, tmp_path):
    model = "results/models/synth_control/cat_dog/unfrozen/seed0/model.pt"
    change = {"architectures": {"unfrozen": {"epochs": 12}}}
    log = copy / "logs/train/synth_control/cat_dog/unfrozen/seed0.log"
    reference = tmp_path / "reference"
    shutil.copytree(copy, reference, symlinks=True)

    import torch

    checkpoint = copy / "results/checkpoints/synth_control/cat_dog/unfrozen/seed0.pt"
    seen = {"stat": None, "epoch": 0}

    def four_epochs_checkpointed():
        # Waits on the checkpoint, which is only ever replaced whole (renamed over) and never
        # removed, rather than on the job's log, which Snakemake deletes when the job starts.
        # Loaded only when it changed: it is replaced once an epoch.
        st = checkpoint.stat()
        if (st.st_ino, st.st_mtime_ns) != seen["stat"]:
            seen["stat"] = (st.st_ino, st.st_mtime_ns)
            ck = torch.load(checkpoint, map_location="cpu", weights_only=False)
            seen["epoch"] = ck["epoch"] if ck["params"].get("epochs") == 12 else 0
        return seen["epoch"] >= 4

    proc = _start(copy, model, change)
    _kill_when(proc, copy, four_epochs_checkpointed)
    assert not (copy / model).exists()
    snakemake(model, "--cores", "1", "--directory", str(copy), "--configfile", *_configs(change))
    text = log.read_text()
    resumed = re.search(r"resuming from \S+ after epoch (\d+)", text)
    assert resumed and int(resumed.group(1)) >= 4, text
    assert f"epoch {int(resumed.group(1))}/12" not in text.split("resuming")[1]  # finished epochs are not redone

    snakemake(model, "--cores", "1", "--directory", str(reference), "--configfile", *_configs(change))
    got = pd.read_csv(copy / model.replace("model.pt", "history.csv"))
    want = pd.read_csv(reference / model.replace("model.pt", "history.csv"))
    assert list(got["epoch"]) == list(range(1, 13))
    cols = ["train_loss", "train_acc", "test_acc"]
    pd.testing.assert_frame_equal(got[cols], want[cols], check_exact=False, rtol=1e-5)


def test_retries_absorb_a_transient_failure(copy, tmp_path):
    figure = copy / "results/fig4_ablation.png"
    figure.unlink()
    marker = tmp_path / "fault.marker"
    proc = _start(copy, str(figure.relative_to(copy)), None, DOMRAND_INJECT_FAULT=f"fig4_ablation:{marker}")
    proc.wait(timeout=600)
    out = _output_file(copy).read_text()
    assert proc.returncode == 0, out[-3000:]
    assert marker.exists(), "the fault was never injected"
    assert "Trying to restart job" in out and figure.exists()


def test_report_bundles_every_figure_with_its_caption_and_config(finished, tmp_path):
    report = tmp_path / "report.html"
    snakemake("--report", str(report), "--directory", str(finished), "--configfile", CI)
    html = report.read_text()
    ci = yaml.safe_load(Path(CI).read_text())
    for caption in sorted(REPO.glob("workflow/report/fig*.rst")):
        assert caption.read_text().split(";")[0].split("(")[0].strip() in html, caption.name
    made_by = f"{ci['synth']['train_per_class']} synthetic training images per class, {ci['training']['epochs']} epochs"
    assert html.count(made_by) >= 12, "every figure's caption names the config that made it"


def test_readme_results_render_a_finished_runs_own_numbers(finished):
    """The README's Results generator on the tables of a run the tests made."""
    from domrand.tools.readme_results import GALLERY, TABLES, render_block, render_tables

    tables = finished / "results" / "tables"
    assert set(TABLES) <= {p.stem for p in tables.glob("*.csv")}
    assert all((finished / "results" / f"{g}.png").exists() for g in GALLERY)
    block = render_tables(tables)
    for r in pd.read_csv(tables / "fig4_ablation.csv").itertuples():
        assert f"| {r.variant} | {r.accuracy_mean:.1f} (" in block
    assert "- Subjects: under one photo-like generator" in render_block(tables)


def _best_variant(work: Path) -> str:
    """The variant choose_best_variant chose in a finished run (configs/ci.yaml sets fig7: best)."""
    t = pd.read_csv(work / "results/tables/best_variant.csv")
    return t.loc[t["chosen"].astype(bool), "variant"].item()


def test_best_variant_is_figure_4s_best_and_figure_7s_model(finished):
    t = pd.read_csv(finished / "results/tables/best_variant.csv")
    fig4 = pd.read_csv(finished / "results/tables/fig4_ablation.csv")
    assert list(t["variant"]) == list(fig4["variant"]) and list(t["accuracy_mean"]) == list(fig4["accuracy_mean"])
    best = _best_variant(finished)
    top = fig4["accuracy_mean"].max()
    assert fig4.set_index("variant").loc[best, "accuracy_mean"] == top
    assert best == "control" or fig4.set_index("variant").loc["control", "accuracy_mean"] < top
    # figure 7's synthetic model is the chosen one: its evaluations on every test set are there
    for ts in ("real", "synthetic", "toon"):
        assert (finished / f"results/eval/synth_{best}/cat_dog/dropout/seed0/{ts}.predictions.parquet").exists()


def test_figure8_to_best_plans_only_its_chain(finished):
    # The choice is already made (figure 7 uses it), so the plan is known without the checkpoint:
    # figure 8, and if the best variant is not the control, its bicycle and car sets and its
    # models of the larger tasks with their evaluations.
    best = _best_variant(finished)
    got = planned(finished, {"figures": {"models": {"fig7": "best", "fig8": "best"}}})
    assert "results/fig8_categories.png" in got

    def affected(out):
        if out == "results/fig8_categories.png":
            return True
        if best == "control":
            return False
        return (
            f"synth_{best}/plus_" in out
            or f"synth/{best}/bicycle/" in out
            or f"synth/{best}/car/" in out
            or f"synth_{best}/bicycle." in out
            or f"synth_{best}/car." in out
        )

    assert {o for o in got if not affected(o)} == set()
    if best != "control":
        models = {o for o, r in got.items() if r == "train_head"}
        assert len(models) == 2 * len(yaml.safe_load(open(CI))["seeds"])  # plus_bicycle, plus_car per seed


def test_figure7_from_best_to_its_own_choice_plans_only_figure7(finished):
    # Naming the chosen variant explicitly is the same model: only the title's note changes.
    best = _best_variant(finished)
    got = planned(finished, {"figures": {"models": {"fig7": f"synth_{best}"}}})
    assert got == {"results/fig7_domain_transfer.png": "fig7_domain_transfer"}


def test_seeds_over_the_data_switch_reruns_the_synthetic_chain_only(finished):
    # ci.yaml renders one synthetic training set per seed (seeds_over: data); back to one
    # shared set re-renders and retrains every synthetic chain, but no real-image model.
    got = planned(finished, {"seeds_over": "model"})
    assert any(o.startswith("results/synth/control/") for o in got)
    assert any(o.startswith("results/models/synth_control/") for o in got)
    assert not any(o.startswith(("results/proxy/", "results/models/real/", "results/features/real/")) for o in got)


def test_figure10_without_real_images_is_the_figures_synthetic_model(finished):
    """Figure 10's k = 0 head trains on the same stored features with the same seed and is
    scored like `evaluate` scores the figures' synthetic model (each epoch's stored head, the
    reported epoch): per seed, the same accuracy on the real test set as that model's evaluation."""
    import json

    ci = yaml.safe_load(Path(CI).read_text())
    fig10 = pd.read_csv(finished / "results/tables/fig10_real_mixing.csv")
    k0 = fig10[(fig10["k"].astype(str) == "0") & (fig10["curve"] == "synthetic + k real")].iloc[0]
    per_seed = [float(v) for v in k0["accuracy_per_seed"].split(";")]
    model = "synth_control"  # figures.synthetic, which the heads of figures 10 and 11 train on
    evals = [
        100 * json.loads((finished / f"results/eval/{model}/cat_dog/dropout/seed{s}/real.json").read_text())["accuracy"]
        for s in ci["seeds"]
    ]
    assert per_seed == pytest.approx(evals, abs=0.005)  # the table keeps two decimals
