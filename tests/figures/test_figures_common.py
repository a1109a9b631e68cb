"""Shared figure helpers: t-intervals over seeds, reading evaluations from their paths."""

from __future__ import annotations

import json
import math

import pytest

from domrand.figures.common import mean_ci, read_evals, summarise, t_critical, title


def test_mean_ci_known_answer():
    m, lo, hi, n = mean_ci([1.0, 2.0, 3.0])
    h = 4.303 * 1.0 / math.sqrt(3)  # t(0.975, df=2) * sample sd / sqrt(n)
    assert (m, n) == (2.0, 3)
    assert lo == pytest.approx(2.0 - h) and hi == pytest.approx(2.0 + h)


def test_mean_ci_two_seeds():
    m, lo, hi, n = mean_ci([10.0, 20.0])
    h = 12.706 * math.sqrt(50.0) / math.sqrt(2)
    assert m == 15.0 and n == 2 and hi - m == pytest.approx(h) and m - lo == pytest.approx(h)


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


def test_t_critical():
    assert t_critical(1) == 12.706 and t_critical(2) == 4.303
    assert t_critical(11) == 2.228  # between table rows: the smaller df, a wider (conservative) interval
    assert t_critical(30) == 1.96 and t_critical(500) == 1.96
    assert all(t_critical(d) >= t_critical(d + 1) for d in range(1, 40))


def _eval(root, dataset, task, arch, seed, testset, acc, classes=("cat", "dog"), n=10):
    p = root / "results" / "eval" / dataset / task / arch / f"seed{seed}" / f"{testset}.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps({"accuracy": acc, "accuracy_above_random": acc - 1 / len(classes),
                             "classes": list(classes), "n": n}))
    return p


def test_read_evals_parses_the_path_layout(tmp_path):
    paths = [_eval(tmp_path, "synth_control", "cat_dog", "dropout", 2, "real", 0.8),
             _eval(tmp_path, "real", "plus_car", "unfrozen", 11, "toon", 0.5, ("cat", "dog", "bicycle", "car"), 7)]
    df = read_evals(paths)
    assert df.to_dict("records") == [
        {"dataset": "synth_control", "task": "cat_dog", "arch": "dropout", "seed": 2, "testset": "real",
         "accuracy": pytest.approx(80.0), "accuracy_above_random": pytest.approx(30.0), "n_classes": 2, "n_test": 10},
        {"dataset": "real", "task": "plus_car", "arch": "unfrozen", "seed": 11, "testset": "toon",
         "accuracy": pytest.approx(50.0), "accuracy_above_random": pytest.approx(25.0), "n_classes": 4, "n_test": 7},
    ]


def test_summarise_groups_and_lists_seeds_in_order(tmp_path):
    paths = [_eval(tmp_path, "d", "cat_dog", "dropout", s, "real", a) for s, a in ((2, 0.9), (0, 0.7), (1, 0.8))]
    t = summarise(read_evals(paths), ["dataset"])
    assert len(t) == 1
    r = t.iloc[0]
    assert r["accuracy_mean"] == pytest.approx(80.0) and r["n_seeds"] == 3
    assert r["accuracy_per_seed"] == "70.00;80.00;90.00"
    assert r["accuracy_ci_high"] - r["accuracy_mean"] == pytest.approx(4.303 * 10 / math.sqrt(3))


def test_title_says_proxy_only_when_asked():
    assert "PROXY" in title("Fig", True)
    assert title("Fig", False) == "Fig"
