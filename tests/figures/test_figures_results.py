"""Figures 2, 3, 4, 7 and 8 on small inputs: a PNG, and a table whose numbers follow from the inputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from domrand.figures import results

SEEDS = (0, 1, 2)


@pytest.fixture
def titles(monkeypatch):
    """Every figure title passed to `save` (the figure is closed afterwards)."""
    seen = []
    real_save = results.save

    def save(fig, png, table, csv):
        seen.append(fig.axes[0].get_title())
        real_save(fig, png, table, csv)

    monkeypatch.setattr(results, "save", save)
    return seen


def _eval(root, dataset, task, arch, seed, testset, acc, n_classes=2):
    p = root / "eval" / dataset / task / arch / f"seed{seed}" / f"{testset}.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    classes = ["cat", "dog", "bicycle", "car"][:n_classes]
    p.write_text(json.dumps({"accuracy": acc, "accuracy_above_random": acc - 1 / n_classes, "classes": classes,
                             "n": 20}))
    return p


def _outputs(tmp_path, name):
    return tmp_path / f"{name}.png", tmp_path / "tables" / f"{name}.csv"


def _check_png(png):
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000


def _ci(values):
    v = np.asarray(values, float)
    h = {2: 12.706, 3: 4.303}[len(v)] * v.std(ddof=1) / math.sqrt(len(v))
    return v.mean(), v.mean() - h, v.mean() + h


# -- figure 2 ---------------------------------------------------------------------------

def _history(root, dataset, seed, test_accs):
    p = root / "models" / dataset / "cat_dog" / "dropout" / f"seed{seed}" / "history.csv"
    p.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"epoch": range(1, len(test_accs) + 1), "train_loss": [0.5] * len(test_accs),
                  "train_acc": [0.9] * len(test_accs), "test_acc": test_accs}).to_csv(p, index=False)
    return p


def test_fig2_training_curves(tmp_path, titles):
    real = {s: [0.6 + 0.01 * s, 0.9 + 0.01 * s] for s in SEEDS}
    synth = {s: [0.5, 0.7 + 0.02 * s] for s in SEEDS}
    rh = [_history(tmp_path, "real", s, real[s]) for s in SEEDS]
    sh = [_history(tmp_path, "synth_control", s, synth[s]) for s in SEEDS]
    png, csv = _outputs(tmp_path, "fig2")
    results.fig2_training_curves(rh, sh, png, csv, proxy=True)
    _check_png(png)
    t = pd.read_csv(csv)
    assert list(zip(t["trained_on"], t["epoch"])) == [("real", 1), ("real", 2), ("synthetic", 1), ("synthetic", 2)]
    r2 = t[(t["trained_on"] == "real") & (t["epoch"] == 2)].iloc[0]
    m, lo, hi = _ci([100 * real[s][1] for s in SEEDS])
    assert r2["test_acc_mean"] == pytest.approx(m, abs=1e-3)
    assert (r2["test_acc_ci_low"], r2["test_acc_ci_high"]) == (pytest.approx(lo, abs=1e-3), pytest.approx(hi, abs=1e-3))
    assert r2["n_seeds"] == 3 and r2["train_acc_mean"] == pytest.approx(90.0)
    s1 = t[(t["trained_on"] == "synthetic") & (t["epoch"] == 1)].iloc[0]
    assert s1["test_acc_mean"] == pytest.approx(50.0) and s1["test_acc_ci_low"] == pytest.approx(50.0)
    assert "PROXY" in titles[-1]


def test_fig2_without_proxy_has_no_proxy_label(tmp_path, titles):
    rh = [_history(tmp_path, "real", 0, [0.8])]
    sh = [_history(tmp_path, "synth_control", 0, [0.7])]
    png, csv = _outputs(tmp_path, "fig2")
    results.fig2_training_curves(rh, sh, png, csv, proxy=False)
    _check_png(png)
    assert "PROXY" not in titles[-1]
    t = pd.read_csv(csv)
    assert t["n_seeds"].tolist() == [1, 1] and t["test_acc_ci_low"].isna().all()


# -- figure 3 ---------------------------------------------------------------------------

ARCHS = ("dropout", "no_dropout", "unfrozen")


def test_fig3_architectures(tmp_path, titles):
    acc = {("real", a): 0.9 - 0.1 * i for i, a in enumerate(ARCHS)}
    acc |= {("synth_control", a): 0.7 - 0.1 * i for i, a in enumerate(ARCHS)}
    paths = [_eval(tmp_path, d, "cat_dog", a, s, "real", v + 0.01 * s) for (d, a), v in acc.items() for s in SEEDS]
    png, csv = _outputs(tmp_path, "fig3")
    results.fig3_architectures(paths, png, csv, proxy=True, synthetic="synth_control")
    _check_png(png)
    t = pd.read_csv(csv)
    assert len(t) == 6
    assert set(zip(t["trained_on"], t["arch"])) == {(o, a) for o in ("real", "synthetic") for a in ARCHS}
    for r in t.itertuples():
        d = "real" if r.trained_on == "real" else "synth_control"
        m, lo, hi = _ci([100 * (acc[(d, r.arch)] + 0.01 * s) for s in SEEDS])
        assert r.accuracy_mean == pytest.approx(m, abs=1e-3)
        assert r.accuracy_ci_low == pytest.approx(lo, abs=1e-3) and r.n_seeds == 3
    row = t[(t["trained_on"] == "synthetic") & (t["arch"] == "unfrozen")].iloc[0]
    assert row["paper"] == pytest.approx(66.23)
    assert "PROXY" in titles[-1]


# -- figure 4 ---------------------------------------------------------------------------

def test_fig4_ablation(tmp_path, titles):
    variants = ["control", "no_obstructors", "no_breeds"]
    acc = {"control": 0.8, "no_obstructors": 0.85, "no_breeds": 0.6}
    paths = [_eval(tmp_path, f"synth_{v}", "cat_dog", "dropout", s, "real", acc[v] + 0.01 * s)
             for v in reversed(variants) for s in SEEDS]
    png, csv = _outputs(tmp_path, "fig4")
    results.fig4_ablation(paths, png, csv, proxy=True, variants=variants)
    _check_png(png)
    t = pd.read_csv(csv)
    assert t["variant"].tolist() == variants  # in the config's order, not the input order
    means = {v: 100 * acc[v] + 1.0 for v in variants}  # + mean of 0, 1, 2 percentage points
    assert t["accuracy_mean"].tolist() == pytest.approx([means[v] for v in variants], abs=1e-3)
    assert t["delta_vs_control"].tolist() == pytest.approx([means[v] - means["control"] for v in variants], abs=1e-3)
    assert t["paper"].tolist() == pytest.approx([85.36, 88.20, 69.41])
    assert "PROXY" in titles[-1]


# -- figure 7 ---------------------------------------------------------------------------

def test_fig7_domain_transfer(tmp_path, titles):
    acc = {("real", "real"): [0.95, 0.97], ("real", "synthetic"): [0.6, 0.64], ("real", "toon"): [0.7, 0.8],
           ("synth_control", "real"): [0.8, 0.84], ("synth_control", "synthetic"): [0.9, 0.92],
           ("synth_control", "toon"): [0.55, 0.6]}
    paths = [_eval(tmp_path, d, "cat_dog", "dropout", s, ts, v[s]) for (d, ts), v in acc.items() for s in (0, 1)]
    png, csv = _outputs(tmp_path, "fig7")
    results.fig7_domain_transfer(paths, png, csv, proxy=True, synthetic="synth_control")
    _check_png(png)
    t = pd.read_csv(csv).set_index(["trained_on", "tested_on"])
    assert len(t) == 2 * 5
    pct = lambda k: 100 * np.asarray(acc[k])  # noqa: E731
    assert t.loc[("real", "synthetic"), "accuracy_mean"] == pytest.approx(62.0, abs=1e-3)
    # out-of-domain mean of the real-trained model: per seed, mean of its synthetic and toon accuracies
    ood_real = (pct(("real", "synthetic")) + pct(("real", "toon"))) / 2
    m, lo, hi = _ci(ood_real)
    r = t.loc[("real", "out_of_domain_mean")]
    assert r["accuracy_mean"] == pytest.approx(m, abs=1e-3)
    assert (r["accuracy_ci_low"], r["accuracy_ci_high"]) == (pytest.approx(lo, abs=1e-3), pytest.approx(hi, abs=1e-3))
    ood_synth = (pct(("synth_control", "real")) + pct(("synth_control", "toon"))) / 2
    assert t.loc[("synthetic", "out_of_domain_mean"), "accuracy_mean"] == pytest.approx(ood_synth.mean(), abs=1e-3)
    every = (pct(("synth_control", "real")) + pct(("synth_control", "synthetic")) + pct(("synth_control", "toon"))) / 3
    assert t.loc[("synthetic", "mean"), "accuracy_mean"] == pytest.approx(every.mean(), abs=1e-3)
    assert t.loc[("synthetic", "real"), "paper"] == pytest.approx(88.2)
    assert "PROXY" in titles[-1]


# -- figure 8 ---------------------------------------------------------------------------

def test_fig8_categories(tmp_path, titles):
    tasks = {"cat_dog": ["cat", "dog"], "plus_bicycle": ["cat", "dog", "bicycle"],
             "plus_car": ["cat", "dog", "bicycle", "car"]}
    acc = {"cat_dog": 0.9, "plus_bicycle": 0.8, "plus_car": 0.7}
    paths = [_eval(tmp_path, "synth_control", task, "dropout", s, "real", acc[task] + 0.01 * s, len(tasks[task]))
             for task in ("plus_car", "cat_dog", "plus_bicycle") for s in SEEDS]
    png, csv = _outputs(tmp_path, "fig8")
    results.fig8_categories(paths, png, csv, proxy=False, tasks=tasks)
    _check_png(png)
    t = pd.read_csv(csv)
    assert t["task"].tolist() == ["cat_dog", "plus_bicycle", "plus_car"]  # sorted by number of classes
    assert t["n_classes"].tolist() == [2, 3, 4]
    assert t["classes"].tolist() == ["cat,dog", "cat,dog,bicycle", "cat,dog,bicycle,car"]
    mean = [100 * acc[k] + 1.0 for k in t["task"]]
    assert t["accuracy_mean"].tolist() == pytest.approx(mean, abs=1e-3)
    assert t["accuracy_above_random_mean"].tolist() == pytest.approx(
        [m - 100 / n for m, n in zip(mean, (2, 3, 4))], abs=1e-3)
    assert t["paper"].tolist() == pytest.approx([88.20, 87.11, 89.09])
    assert "PROXY" not in titles[-1]
