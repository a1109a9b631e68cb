"""Intervals and tests of domrand.stats against independent references and by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from domrand import stats


def _fixed(n=400, k=320, seed=0):
    c = np.zeros(n)
    c[:k] = 1
    return np.random.default_rng(seed).permutation(c)


def test_one_seed_matches_the_logit_formula_and_scipy_bootstrap():
    c = _fixed()
    r = stats.accuracy_interval(c[None])
    p, n = 0.8, 400
    # The textbook logit (Wald) interval, with the unbiased variance p(1-p) n/(n-1) of 0/1 data.
    se = 1 / math.sqrt((n - 1) * p * (1 - p))
    q = sps.t.ppf(0.975, n - 1)

    def expit(z):
        return 1 / (1 + math.exp(-z))

    lo, hi = expit(math.log(p / (1 - p)) - q * se), expit(math.log(p / (1 - p)) + q * se)
    assert (r["mean"], r["ci_low"], r["ci_high"]) == pytest.approx((0.8, lo, hi), abs=1e-9)
    assert r["se_seed"] == 0 and r["n_seeds"] == 1 and r["n_images"] == 400
    # A percentile bootstrap over the images (scipy), computed independently: within half a point.
    b = sps.bootstrap((c,), np.mean, n_resamples=20000, method="percentile", random_state=1).confidence_interval
    assert r["ci_low"] == pytest.approx(b.low, abs=0.005) and r["ci_high"] == pytest.approx(b.high, abs=0.005)


def test_interval_stays_inside_0_1_where_a_t_interval_over_seeds_does_not():
    rng = np.random.default_rng(0)
    accs = [0.83, 0.95, 1.0]
    c = np.stack([(rng.random(400) < a).astype(float) for a in accs])
    c[2] = 1.0
    r = stats.accuracy_interval(c)
    m = c.mean(1)
    t_hi = m.mean() + sps.t.ppf(0.975, 2) * m.std(ddof=1) / math.sqrt(3)
    assert t_hi > 1  # the old interval leaves the range
    assert 0 < r["ci_low"] < r["mean"] < r["ci_high"] < 1
    # Every image right under every seed: the interval still has width, inside [0, 1].
    r = stats.accuracy_interval(np.ones((3, 50)))
    assert r["mean"] == 1 and 0.8 < r["ci_low"] < 1 and r["ci_high"] == 1


def _crossed(rng, s, n, p=0.8, sd_seed=0.3, sd_image=1.5):
    """0/1 correctness of s models on n images: logit = mu + seed effect + image difficulty."""
    z = np.log(p / (1 - p)) + rng.normal(0, sd_seed, (s, 1)) + rng.normal(0, sd_image, (1, n))
    return (rng.random((s, n)) < 1 / (1 + np.exp(-z))).astype(float)


def _population_accuracy(sd_seed, sd_image, p=0.8, m=400_000, seed=99):
    """The expected accuracy over seeds and images (the target of the interval), by Monte Carlo."""
    rng = np.random.default_rng(seed)
    z = np.log(p / (1 - p)) + rng.normal(0, sd_seed, m) + rng.normal(0, sd_image, m)
    return float(np.mean(1 / (1 + np.exp(-z))))


@pytest.mark.parametrize("sd_seed, sd_image", [(0.3, 1.5), (0.05, 4.0)])
def test_coverage_with_seed_and_test_noise(sd_seed, sd_image):
    rng = np.random.default_rng(0)
    truth = _population_accuracy(sd_seed, sd_image)
    hit = hit_seed_only = 0
    reps = 300
    for _ in range(reps):
        c = _crossed(rng, 3, 200, sd_seed=sd_seed, sd_image=sd_image)
        r = stats.accuracy_interval(c)
        hit += r["ci_low"] <= truth <= r["ci_high"]
        m = c.mean(1)  # the old interval: t over seed means only, blind to the test images drawn
        h = sps.t.ppf(0.975, 2) * m.std(ddof=1) / math.sqrt(3)
        hit_seed_only += m.mean() - h <= truth <= m.mean() + h
    assert 0.92 <= hit / reps <= 1.0
    if sd_seed < 0.1:  # seeds agree, images differ: ignoring the test set under-covers
        assert hit_seed_only / reps < 0.86


def test_paired_difference_one_seed_is_scipys_paired_t_test():
    rng = np.random.default_rng(3)
    a, b = (rng.random(300) < 0.8).astype(float), (rng.random(300) < 0.72).astype(float)
    r = stats.paired_difference(a[None], b[None])
    ref = sps.ttest_rel(a, b)
    assert r["diff"] == pytest.approx(a.mean() - b.mean())
    assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-9) and r["t"] == pytest.approx(ref.statistic)
    ci = ref.confidence_interval(0.95)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_paired_difference_flags_a_real_effect_and_not_a_null_one():
    rng = np.random.default_rng(5)
    control = _crossed(rng, 3, 400, p=0.75)
    same = np.where(rng.random(control.shape) < 0.05, 1 - control, control)  # 5% of answers flip
    better = np.maximum(control, (rng.random(control.shape) < 0.3).astype(float))  # ~+7 points
    null, real = stats.paired_difference(same, control), stats.paired_difference(better, control)
    assert real["significant"] and real["p_value"] < 0.01 and real["ci_low"] > 0
    assert abs(null["diff"]) < 0.02 and not (null["significant"] and null["p_value"] < 0.01)
    assert stats.paired_difference(control, control)["p_value"] == 1.0
    with pytest.raises(ValueError, match="same seeds and images"):
        stats.paired_difference(control, control[:2])


def test_binomial_seed_interval_and_mean_over_test_sets():
    r = stats.binomial_seed_interval([0.8], 400)
    assert r["se_test"] == pytest.approx(math.sqrt(0.8 * 0.2 / 400)) and r["se_seed"] == 0
    assert 0.75 < r["ci_low"] < 0.8 < r["ci_high"] < 0.85
    wide = stats.binomial_seed_interval([0.7, 0.8, 0.9], 400)
    assert wide["ci_high"] - wide["ci_low"] > 2 * (r["ci_high"] - r["ci_low"]) and wide["ci_high"] < 1
    # Two test sets: the mean of their means, test variances averaged with weight 1/4 each.
    a, b = np.ones((2, 10)), np.zeros((2, 30))
    b[:, :15] = 1
    r = stats.accuracy_interval([a, b])
    assert r["mean"] == pytest.approx(0.75) and r["n_images"] == 40
    assert r["se_test"] == pytest.approx(math.sqrt(b.mean(0).var(ddof=1) / 30 / 4))


def test_holm_known_answer():
    assert stats.holm([0.01, 0.04, 0.03, np.nan]).tolist()[:3] == pytest.approx([0.03, 0.06, 0.06])
    assert math.isnan(stats.holm([0.01, np.nan])[1])


def test_mean_interval_is_scipys_t_interval():
    v = np.array([0.1, 0.3, -0.2, 0.5, 0.4])
    r = stats.mean_interval(v)
    ci = sps.t.interval(0.95, 4, loc=v.mean(), scale=sps.sem(v))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(ci) and r["p_value"] == pytest.approx(
        sps.ttest_1samp(v, 0).pvalue
    )


def test_breed_draws_one_per_seed_enter_the_seed_term_of_the_paired_test():
    """Known answer: an arm whose seeds each trained on their own breed draw, against a control
    whose seeds all score the same: the seed term of the paired difference is the spread of the
    per-draw differences, sd / sqrt(draws), with its 2 df in the interval's Satterthwaite df."""
    n = 200
    right = [110, 140, 170]  # images right under three draws of breeds, one per seed
    per_draw = [k / n for k in right]
    arm = np.stack([(np.arange(n) < k).astype(float) for k in right])
    control = np.stack([(np.arange(n) < 160).astype(float)] * 3)
    r = stats.paired_difference(arm, control)
    d = np.array(per_draw) - 0.8
    se = d.std(ddof=1) / math.sqrt(3)
    assert r["diff"] == pytest.approx(d.mean())
    assert r["se_seed"] == pytest.approx(se)
    assert r["df"] >= 2
    assert r["ci_high"] - r["diff"] == pytest.approx(sps.t.ppf(0.975, r["df"]) * math.hypot(se, r["se_test"]))
    # The draws' spread is what makes -0.1 points not significant here.
    assert not r["significant"]


# Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
# seven methods", Statistics in Medicine 17:857-872, Table I, method 3 (score method, Wilson
# 1927), 95%: the published bounds, to the 4 decimals printed there.
@pytest.mark.parametrize(
    "k, n, low, high",
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_interval_known_answers(k, n, low, high):
    assert stats.wilson(k, n) == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_is_the_score_test_inversion_and_edges():
    z = sps.norm.ppf(0.975)
    for k, n in ((0, 10), (3, 10), (10, 10), (37, 120), (1.5, 4)):
        for bound in stats.wilson(k, n):
            # Both bounds solve (k/n - p)^2 = z^2 p (1 - p) / n, the score test's boundary.
            assert (k / n - bound) ** 2 == pytest.approx(z * z * bound * (1 - bound) / n, abs=1e-12)
    assert stats.wilson(0, 10)[1] == pytest.approx(z * z / (10 + z * z), abs=1e-15)
    lo, hi = stats.wilson(1.5, 4)  # a fractional count (errors averaged over seeds)
    assert lo < 1.5 / 4 < hi
    assert all(math.isnan(x) for x in stats.wilson(0, 0))


@pytest.mark.parametrize("n", [1, 3, 7, 10, 13, 40, 97, 1000])
def test_wilson_interval_holds_its_proportion_at_the_edges(n):
    """At 0 or n of n the near bound is the proportion itself, never a rounding step past it
    (a figure's error bar from it must not be negative)."""
    assert stats.wilson(0, n)[0] == 0.0 and stats.wilson(n, n)[1] == 1.0
    for k in (0, 0.5, n / 3, n):
        lo, hi = stats.wilson(k, n)
        assert lo <= k / n <= hi
