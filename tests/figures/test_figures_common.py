"""Shared figure helpers: t-intervals over seeds, reading evaluations and predictions from their paths."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from domrand.figures.common import mean_ci, read_predictions, summarise, title


def test_mean_ci_known_answer():
    m, lo, hi, n = mean_ci([1.0, 2.0, 3.0])
    h = sps.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)  # t(0.975, df=2) * sample sd / sqrt(n)
    assert h == pytest.approx(4.303 / math.sqrt(3), abs=1e-3)
    assert (m, n) == (2.0, 3)
    assert lo == pytest.approx(2.0 - h) and hi == pytest.approx(2.0 + h)


def test_mean_ci_two_seeds():
    m, lo, hi, n = mean_ci([10.0, 20.0])
    h = 12.7062 * math.sqrt(50.0) / math.sqrt(2)
    assert m == 15.0 and n == 2 and hi - m == pytest.approx(h, rel=1e-4) and m - lo == pytest.approx(h, rel=1e-4)


def test_mean_ci_one_seed_has_no_interval():
    m, lo, hi, n = mean_ci([0.7])
    assert m == 0.7 and n == 1 and math.isnan(lo) and math.isnan(hi)


def test_mean_ci_ignores_nan_and_handles_empty():
    assert mean_ci([1.0, float("nan"), 3.0])[0] == 2.0
    assert mean_ci([1.0, float("nan"), 3.0])[3] == 2
    m, lo, hi, n = mean_ci([])
    assert n == 0 and all(math.isnan(v) for v in (m, lo, hi))


def test_mean_ci_identical_values_have_zero_width():
    assert mean_ci([5.0, 5.0, 5.0])[:3] == (5.0, 5.0, 5.0)


def _preds(root, dataset, seed, correct, testset="real"):
    correct = np.asarray(correct, bool)
    label = np.arange(len(correct)) % 2
    pred = np.where(correct, label, 1 - label)
    p = root / "results" / "eval" / dataset / "cat_dog" / "dropout" / f"seed{seed}" / f"{testset}.predictions.parquet"
    p.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "path": [f"img{i}.jpg" for i in range(len(correct))][::-1],
            "label": label[::-1],
            "label_name": ["cat", "dog"] * (len(correct) // 2),
            "pred": pred[::-1],
            "prob": 0.5,
            "p_cat": 0.5,
            "p_dog": 0.5,
        }
    ).to_parquet(p)
    return p


def test_read_predictions_orders_images_by_path_and_parses_the_layout(tmp_path):
    c = np.array([1, 0, 1, 1] * 5, bool)
    df = read_predictions([_preds(tmp_path, "synth_control", 3, c)])
    r = df.iloc[0]
    assert (r["dataset"], r["task"], r["arch"], r["seed"], r["testset"]) == (
        "synth_control",
        "cat_dog",
        "dropout",
        3,
        "real",
    )
    assert r["accuracy"] == pytest.approx(75.0) and r["accuracy_above_random"] == pytest.approx(25.0)
    assert r["n_classes"] == 2 and r["n_test"] == 20
    assert list(r["paths"]) == sorted(f"img{i}.jpg" for i in range(20))
    assert r["correct"].tolist() == [float(c[int(p[3:-4])]) for p in r["paths"]]


def test_summarise_groups_and_lists_seeds_in_order(tmp_path):
    rng = np.random.default_rng(0)
    answers = {s: rng.random(200) < a for s, a in ((2, 0.9), (0, 0.7), (1, 0.8))}
    t = summarise(read_predictions([_preds(tmp_path, "d", s, c) for s, c in answers.items()]), ["dataset"])
    assert len(t) == 1
    r = t.iloc[0]
    per_seed = [100 * answers[s].mean() for s in (0, 1, 2)]
    assert r["accuracy_mean"] == pytest.approx(np.mean(per_seed)) and r["n_seeds"] == 3 and r["n_test"] == 200
    assert r["accuracy_per_seed"] == ";".join(f"{x:.2f}" for x in per_seed)
    assert r["accuracy_se_seed"] == pytest.approx(np.std(per_seed, ddof=1) / math.sqrt(3))
    assert 0 < r["accuracy_ci_low"] < r["accuracy_mean"] < r["accuracy_ci_high"] < 100


def test_summarise_refuses_seeds_tested_on_other_images(tmp_path):
    paths = [_preds(tmp_path, "d", 0, np.ones(10, bool)), _preds(tmp_path, "d", 1, np.ones(12, bool))]
    with pytest.raises(ValueError, match="same test images for every seed"):
        summarise(read_predictions(paths), ["dataset"])


def test_title_says_proxy_only_when_asked():
    assert "PROXY" in title("Fig", True)
    assert title("Fig", False) == "Fig"
