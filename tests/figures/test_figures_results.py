"""Figures 2, 3, 4, 7, 8 and 13 (figures.search) on small per-image predictions: a PNG, and a table whose numbers
follow from the inputs (means exactly; intervals bounded, containing the mean, with their
components; figure 4's effects tested)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from domrand import stats
from domrand.figures import results
from domrand.figures.search import fig13_search
from domrand.figures.search_rounds import write_round

SEEDS = (0, 1, 2)
CLASSES = ["cat", "dog", "bicycle", "car"]


@pytest.fixture
def titles(monkeypatch):
    """Every figure title passed to `save` (axes titles and the suptitle)."""
    seen = []
    real_save = results.save

    def save(fig, png, table, csv):
        sup = fig._suptitle.get_text() if fig._suptitle else ""
        seen.append(" ".join([sup] + [a.get_title() for a in fig.axes]))
        real_save(fig, png, table, csv)

    monkeypatch.setattr(results, "save", save)
    return seen


def _preds(root, dataset, task, arch, seed, testset, correct, n_classes=2):
    """A predictions parquet: image i has label i % n_classes; correct[i] says if pred == label."""
    correct = np.asarray(correct, bool)
    n = len(correct)
    label = np.arange(n) % n_classes
    pred = np.where(correct, label, (label + 1) % n_classes)
    probs = np.full((n, n_classes), 0.1 / max(1, n_classes - 1))
    probs[np.arange(n), pred] = 0.9
    df = pd.DataFrame(
        {
            "path": [f"../img/{testset}_{i:04d}.jpg" for i in range(n)],
            "label": label,
            "label_name": [CLASSES[k] for k in label],
            "pred": pred,
            "prob": probs[np.arange(n), label],
        }
    )
    for j in range(n_classes):
        df[f"p_{CLASSES[j]}"] = probs[:, j]
    p = root / "eval" / dataset / task / arch / f"seed{seed}" / f"{testset}.predictions.parquet"
    p.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(p, index=False)
    return p


def _correct(acc, n=200, seed=0):
    """0/1 answers with exactly round(acc * n) right, at random positions."""
    c = np.zeros(n, bool)
    c[: round(acc * n)] = True
    return np.random.default_rng(seed).permutation(c)


def _outputs(tmp_path, name):
    return tmp_path / f"{name}.png", tmp_path / "tables" / f"{name}.csv"


def _check_png(png):
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000


def _check_intervals(t, value="accuracy", lo_bound=0.0, hi_bound=100.0):
    assert (t[f"{value}_ci_low"] >= lo_bound).all() and (t[f"{value}_ci_high"] <= hi_bound).all()
    assert (t[f"{value}_ci_low"] <= t[f"{value}_mean"]).all() and (t[f"{value}_mean"] <= t[f"{value}_ci_high"]).all()
    assert (t[f"{value}_se_test"] > 0).all() and (t[f"{value}_se_seed"] >= 0).all()


# -- figure 2 ---------------------------------------------------------------------------


def _history(root, dataset, seed, test_accs):
    p = root / "models" / dataset / "cat_dog" / "dropout" / f"seed{seed}" / "history.csv"
    p.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "epoch": range(1, len(test_accs) + 1),
            "train_loss": [0.5] * len(test_accs),
            "train_acc": [0.9] * len(test_accs),
            "test_acc": test_accs,
        }
    ).to_csv(p, index=False)
    return p


def test_fig2_training_curves(tmp_path, titles):
    real = {s: [0.6 + 0.01 * s, 0.9 + 0.01 * s] for s in SEEDS}
    synth = {s: [0.5, 0.7 + 0.02 * s] for s in SEEDS}
    rh = [_history(tmp_path, "real", s, real[s]) for s in SEEDS]
    sh = [_history(tmp_path, "synth_control", s, synth[s]) for s in SEEDS]
    preds = [_preds(tmp_path, "real", "cat_dog", "dropout", s, "real", _correct(0.9, 400)) for s in SEEDS]
    png, csv = _outputs(tmp_path, "fig2")
    results.fig2_training_curves(rh, sh, preds, png, csv, proxy=True)
    _check_png(png)
    t = pd.read_csv(csv)
    assert list(zip(t["trained_on"], t["epoch"])) == [("real", 1), ("real", 2), ("synthetic", 1), ("synthetic", 2)]
    assert (t["n_test"] == 400).all() and (t["n_seeds"] == 3).all()
    _check_intervals(t, "test_acc")
    r2 = t[(t["trained_on"] == "real") & (t["epoch"] == 2)].iloc[0]
    ref = stats.binomial_seed_interval([real[s][1] for s in SEEDS], 400)
    assert r2["test_acc_mean"] == pytest.approx(100 * np.mean([real[s][1] for s in SEEDS]), abs=1e-3)
    assert r2["test_acc_ci_low"] == pytest.approx(100 * ref["ci_low"], abs=1e-3)
    assert r2["test_acc_per_seed"] == "90.00;91.00;92.00" and r2["train_acc_mean"] == pytest.approx(90.0)
    # Identical seeds at 50%: no seed variance, yet a test-set interval of about +-5 points.
    s1 = t[(t["trained_on"] == "synthetic") & (t["epoch"] == 1)].iloc[0]
    assert s1["test_acc_se_seed"] == 0 and 44 < s1["test_acc_ci_low"] < 46 and 54 < s1["test_acc_ci_high"] < 56
    assert "PROXY" in titles[-1] and "logit" in titles[-1]


def test_fig2_one_seed_still_has_a_test_set_interval(tmp_path, titles):
    rh = [_history(tmp_path, "real", 0, [0.8])]
    sh = [_history(tmp_path, "synth_control", 0, [0.7])]
    preds = [_preds(tmp_path, "real", "cat_dog", "dropout", 0, "real", _correct(0.8, 100))]
    png, csv = _outputs(tmp_path, "fig2")
    results.fig2_training_curves(rh, sh, preds, png, csv, proxy=False)
    _check_png(png)
    assert "PROXY" not in titles[-1]
    t = pd.read_csv(csv)
    assert t["n_seeds"].tolist() == [1, 1]
    _check_intervals(t, "test_acc")


# -- figure 3 ---------------------------------------------------------------------------

ARCHS = ("dropout", "no_dropout", "unfrozen")


def test_fig3_architectures(tmp_path, titles):
    acc = {("real", a): 0.9 - 0.1 * i for i, a in enumerate(ARCHS)}
    acc |= {("synth_control", a): 0.7 - 0.1 * i for i, a in enumerate(ARCHS)}
    answers = {(d, a, s): _correct(v + 0.01 * s, seed=s) for (d, a), v in acc.items() for s in SEEDS}
    paths = [_preds(tmp_path, d, "cat_dog", a, s, "real", c) for (d, a, s), c in answers.items()]
    png, csv = _outputs(tmp_path, "fig3")
    results.fig3_architectures(paths, png, csv, proxy=True, synthetic="synth_control")
    _check_png(png)
    t = pd.read_csv(csv)
    assert len(t) == 6
    assert set(zip(t["trained_on"], t["arch"])) == {(o, a) for o in ("real", "synthetic") for a in ARCHS}
    _check_intervals(t)
    for r in t.itertuples():
        d = "real" if r.trained_on == "real" else "synth_control"
        m = np.stack([answers[(d, r.arch, s)] for s in SEEDS])
        assert r.accuracy_mean == pytest.approx(100 * m.mean(), abs=1e-3) and r.n_seeds == 3 and r.n_test == 200
        assert r.accuracy_ci_low == pytest.approx(100 * stats.accuracy_interval(m)["ci_low"], abs=1e-3)
    row = t[(t["trained_on"] == "synthetic") & (t["arch"] == "unfrozen")].iloc[0]
    assert row["paper"] == pytest.approx(66.23)
    assert "PROXY" in titles[-1] and "seed + test-image" in titles[-1]


# -- figure 4 ---------------------------------------------------------------------------


def test_fig4_ablation_marks_only_effects_whose_interval_excludes_zero(tmp_path, titles):
    variants = ["control", "no_obstructors", "no_breeds"]
    n = 400
    control = {s: _correct(0.8, n, seed=s) for s in SEEDS}
    # no_obstructors: the control's answers with a few flipped each way per seed (net -2, +2,
    # 0 answers: no real effect); no_breeds: 30 points lower.
    flip = {s: control[s].copy() for s in SEEDS}
    rng = np.random.default_rng(7)
    for s, (k_lost, k_won) in zip(SEEDS, ((6, 4), (4, 6), (5, 5))):
        right, wrong = np.flatnonzero(control[s]), np.flatnonzero(~control[s])
        flip[s][rng.choice(right, k_lost, replace=False)] = False
        flip[s][rng.choice(wrong, k_won, replace=False)] = True
    answers = {
        "control": control,
        "no_obstructors": flip,
        "no_breeds": {s: _correct(0.5, n, seed=10 + s) for s in SEEDS},
    }
    paths = [
        _preds(tmp_path, f"synth_{v}", "cat_dog", "dropout", s, "real", answers[v][s])
        for v in reversed(variants)
        for s in SEEDS
    ]
    png, csv = _outputs(tmp_path, "fig4")
    results.fig4_ablation(paths, png, csv, proxy=True, variants=variants)
    _check_png(png)
    t = pd.read_csv(csv).set_index("variant")
    assert list(t.index) == variants  # in the config's order, not the input order
    mean = {v: 100 * np.mean([answers[v][s].mean() for s in SEEDS]) for v in variants}
    assert t["accuracy_mean"].tolist() == pytest.approx([mean[v] for v in variants], abs=1e-3)
    assert t["delta_vs_control"].tolist() == pytest.approx([mean[v] - mean["control"] for v in variants], abs=1e-3)
    assert t["paper"].tolist() == pytest.approx([85.36, 88.20, 69.41])
    assert t["significant"].tolist() == [False, False, True]
    nb = t.loc["no_breeds"]
    assert nb["delta_ci_high"] < 0 and nb["p_value"] < 1e-3 and nb["p_holm"] >= nb["p_value"]
    ref = stats.paired_difference(
        np.stack([answers["no_breeds"][s] for s in SEEDS]), np.stack([control[s] for s in SEEDS])
    )
    assert nb["p_value"] == pytest.approx(ref["p_value"], rel=1e-3)
    assert t.loc["no_obstructors", "delta_ci_low"] < 0 < t.loc["no_obstructors", "delta_ci_high"]
    assert t.loc["no_obstructors", "p_value"] > 0.05
    assert {"delta_se_seed", "delta_se_test", "accuracy_se_seed", "accuracy_se_test"} <= set(t.columns)
    _check_intervals(t)
    assert "PROXY" in titles[-1] and "paired t-test" in titles[-1]


def test_fig4_refuses_variants_tested_on_other_images(tmp_path, titles):
    paths = [
        _preds(tmp_path, "synth_control", "cat_dog", "dropout", 0, "real", _correct(0.8, 100)),
        _preds(tmp_path, "synth_no_skies", "cat_dog", "dropout", 0, "real", _correct(0.8, 90)),
    ]
    with pytest.raises(ValueError, match="same seeds on the same test images"):
        results.fig4_ablation(paths, *_outputs(tmp_path, "fig4"), proxy=True, variants=["control", "no_skies"])


# -- figure 7 ---------------------------------------------------------------------------


def test_fig7_domain_transfer(tmp_path, titles):
    acc = {
        ("real", "real"): [0.95, 0.97],
        ("real", "synthetic"): [0.6, 0.64],
        ("real", "toon"): [0.7, 0.8],
        ("synth_control", "real"): [0.8, 0.84],
        ("synth_control", "synthetic"): [0.9, 0.92],
        ("synth_control", "toon"): [0.55, 0.6],
    }
    n = {"real": 200, "synthetic": 100, "toon": 100}
    answers = {(d, ts, s): _correct(v[s], n[ts], seed=s) for (d, ts), v in acc.items() for s in (0, 1)}
    paths = [_preds(tmp_path, d, "cat_dog", "dropout", s, ts, c) for (d, ts, s), c in answers.items()]
    png, csv = _outputs(tmp_path, "fig7")
    results.fig7_domain_transfer(paths, png, csv, proxy=True, synthetic="synth_control")
    _check_png(png)
    t = pd.read_csv(csv).set_index(["trained_on", "tested_on"])
    assert len(t) == 2 * 5
    _check_intervals(t)

    def pct(k):
        return 100 * np.asarray(acc[k])

    assert t.loc[("real", "synthetic"), "accuracy_mean"] == pytest.approx(62.0, abs=1e-3)
    # out-of-domain mean of the real-trained model: per seed, mean of its synthetic and toon accuracies
    ood_real = (pct(("real", "synthetic")) + pct(("real", "toon"))) / 2
    r = t.loc[("real", "out_of_domain_mean")]
    assert r["accuracy_mean"] == pytest.approx(ood_real.mean(), abs=1e-3) and r["n_test"] == 200
    ref = stats.accuracy_interval(
        [np.stack([answers[("real", ts, s)] for s in (0, 1)]) for ts in ("synthetic", "toon")]
    )
    assert r["accuracy_ci_low"] == pytest.approx(100 * ref["ci_low"], abs=1e-3)
    assert r["accuracy_per_seed"] == ";".join(f"{x:.2f}" for x in ood_real)
    every = (pct(("synth_control", "real")) + pct(("synth_control", "synthetic")) + pct(("synth_control", "toon"))) / 3
    assert t.loc[("synthetic", "mean"), "accuracy_mean"] == pytest.approx(every.mean(), abs=1e-3)
    # Like with like: the paper's 88.2 is its best variant; our control compares with its control.
    assert t.loc[("synthetic", "real"), "paper"] == pytest.approx(85.36)
    assert t.loc[("synthetic", "real"), "paper_model"] == "control"
    assert np.isnan(t.loc[("synthetic", "synthetic"), "paper"])  # the paper has no control value there
    assert t.loc[("real", "real"), "paper"] == pytest.approx(97.7)
    assert "PROXY" in titles[-1]
    results.fig7_domain_transfer(paths, png, csv, proxy=True, synthetic="synth_control", chosen_best=True)
    t = pd.read_csv(csv).set_index(["trained_on", "tested_on"])
    assert t.loc[("synthetic", "real"), "paper"] == pytest.approx(88.2)
    assert t.loc[("synthetic", "synthetic"), "paper"] == pytest.approx(90.0)
    assert t.loc[("synthetic", "real"), "paper_model"] == "its best variant"


# -- figure 8 ---------------------------------------------------------------------------


def test_fig8_categories(tmp_path, titles):
    tasks = {
        "cat_dog": ["cat", "dog"],
        "plus_bicycle": ["cat", "dog", "bicycle"],
        "plus_car": ["cat", "dog", "bicycle", "car"],
    }
    acc = {"cat_dog": 0.9, "plus_bicycle": 0.8, "plus_car": 0.7}
    paths = [
        _preds(
            tmp_path,
            "synth_control",
            task,
            "dropout",
            s,
            "real",
            _correct(acc[task] + 0.01 * s, seed=s),
            len(tasks[task]),
        )
        for task in ("plus_car", "cat_dog", "plus_bicycle")
        for s in SEEDS
    ]
    png, csv = _outputs(tmp_path, "fig8")
    results.fig8_categories(paths, png, csv, proxy=False, tasks=tasks)
    _check_png(png)
    t = pd.read_csv(csv)
    assert t["task"].tolist() == ["cat_dog", "plus_bicycle", "plus_car"]  # sorted by number of classes
    assert t["n_classes"].tolist() == [2, 3, 4]
    assert t["classes"].tolist() == ["cat,dog", "cat,dog,bicycle", "cat,dog,bicycle,car"]
    mean = [100 * acc[k] + 1.0 for k in t["task"]]
    assert t["accuracy_mean"].tolist() == pytest.approx(mean, abs=1e-3)
    chance = np.array([100 / 2, 100 / 3, 100 / 4])
    assert t["accuracy_above_random_mean"].tolist() == pytest.approx(list(np.array(mean) - chance), abs=1e-3)
    assert t["accuracy_above_random_ci_low"].to_numpy() == pytest.approx(t["accuracy_ci_low"].to_numpy() - chance)
    _check_intervals(t)
    # The control against the paper's control (figure 4); its best variant's values need `best`.
    assert t["paper"].tolist() == pytest.approx([85.36, np.nan, np.nan], nan_ok=True)
    assert "PROXY" not in titles[-1]
    results.fig8_categories(paths, png, csv, proxy=False, tasks=tasks, chosen_best=True)
    t = pd.read_csv(csv)
    assert t["paper"].tolist() == pytest.approx([88.20, 87.11, 89.09])
    assert set(t["paper_model"]) == {"its best variant"}


def test_a_study_of_other_classes_shows_no_paper_values(tmp_path, titles):
    from domrand.figures.common import PAPER, paper_values

    cats = [
        _preds(tmp_path, f"synth_{v}", "cat_dog", "dropout", s, "real", _correct(0.8, 20, s))
        for v in ("control", "no_breeds")
        for s in SEEDS
    ]
    assert paper_values(cats) is PAPER
    horses = []
    for p in cats:
        d = pd.read_parquet(p).rename(columns={"p_cat": "p_horse", "p_dog": "p_cow"})
        horses.append(tmp_path / "horses" / p.relative_to(tmp_path))
        horses[-1].parent.mkdir(parents=True)
        d.to_parquet(horses[-1], index=False)
    png, csv = _outputs(tmp_path, "fig4_horses")
    t = results.fig4_ablation(horses, png, csv, proxy=True, variants=["control", "no_breeds"])
    assert t["paper"].isna().all() and t["accuracy_mean"].iloc[0] == pytest.approx(80.0)
    t = results.fig4_ablation(cats, png, csv, proxy=True, variants=["control", "no_breeds"])
    assert t["paper"].tolist() == [85.36, 69.41]


# -- figure 13 --------------------------------------------------------------------------


def _round(tmp_path, rnd, accs, keep, patches):
    heads = []
    for entry, acc in accs.items():
        p = tmp_path / "heads" / f"round{rnd}" / f"{entry}.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps({"tests": {"val": {"accuracy": acc, "n": 100}}, "counts": {"synthetic": {"cat": 5}}}))
        heads.append(p)
    entries = {
        e: {"kind": "candidate" if e.startswith("search") else "anchor", "dataset": f"synth_{e}", "patch": patches[e]}
        for e in patches
    }
    out = tmp_path / f"round{rnd}.csv"
    write_round(heads, {"round": rnd, "keep": keep, "seed": 0, "entries": entries}, out)
    return out


def test_fig13_compares_the_pick_with_the_control_and_figure4s_best(tmp_path):
    n = 400
    answers = {
        "control": {s: _correct(0.70, n, seed=s) for s in SEEDS},
        "no_skies": {s: _correct(0.74, n, seed=20 + s) for s in SEEDS},
        "search2": {s: _correct(0.85, n, seed=40 + s) for s in SEEDS},
    }
    paths = {
        v: [_preds(tmp_path, f"synth_{v}", "cat_dog", "dropout", s, "real", answers[v][s]) for s in SEEDS]
        for v in answers
    }
    fig4_csv = tmp_path / "tables" / "fig4.csv"
    results.fig4_ablation(
        paths["control"] + paths["no_skies"], tmp_path / "fig4.png", fig4_csv, True, ["control", "no_skies"]
    )
    patches = {
        "control": {},
        "no_skies": {"sky": {"mode": "plain"}},
        "search1": {"obstructors": {"count": [0, 2]}},
        "search2": {"obstructors": {"enabled": False}, "sky": {"mode": "plain"}},
    }
    r1 = _round(tmp_path, 1, {"control": 0.70, "no_skies": 0.72, "search1": 0.60, "search2": 0.80}, 2, patches)
    r2 = _round(tmp_path, 2, {"no_skies": 0.75, "search2": 0.90}, 1, patches)
    out = {k: tmp_path / "out" / f"{k}.{ext}" for k, ext in (("png", "png"), ("table", "csv"), ("trajectory", "csv"))}
    out["variant"] = tmp_path / "out" / "pick.yaml"
    t = fig13_search([r1, r2], fig4_csv, [p for ps in paths.values() for p in ps], out, proxy=True)
    _check_png(out["png"])
    assert list(t["model"]) == ["control", "fig4_best", "search_pick"]
    assert list(t["entry"]) == ["control", "no_skies", "search2"]
    mean = {v: 100 * np.mean([answers[v][s].mean() for s in SEEDS]) for v in answers}
    assert t["accuracy_mean"].tolist() == pytest.approx([mean["control"], mean["no_skies"], mean["search2"]], abs=1e-6)
    pick = t.iloc[2]
    ref = stats.paired_difference(
        np.stack([answers["search2"][s] for s in SEEDS]), np.stack([answers["control"][s] for s in SEEDS])
    )
    assert pick["delta_ci_low"] == pytest.approx(100 * ref["ci_low"]) and pick["significant"]
    assert pick["val_accuracy"] == pytest.approx(90.0) and pick["val_round"] == 2
    assert pick["val_to_test_gap"] == pytest.approx(90.0 - mean["search2"])
    # the control's validation is round 1's (it did not go on)
    assert t.iloc[0]["val_round"] == 1 and not t.iloc[0]["significant"]
    _check_intervals(t.set_index("model"))
    trajectory = pd.read_csv(out["trajectory"])
    assert len(trajectory) == 6 and set(trajectory["round"]) == {1, 2}
    variant = yaml.safe_load(out["variant"].read_text())
    assert variant == {"variants": {"search_pick": patches["search2"]}}
    assert "search2 (candidate), 90.00% on the validation split" in out["variant"].read_text()
