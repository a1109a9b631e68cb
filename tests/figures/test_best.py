"""The best variant of figure 4: the highest mean accuracy, a tie to the control."""

import pandas as pd
import pytest

from domrand.figures.best import choose_best_variant, read_best_variant, write_best_variant


def _fig4(acc: dict) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "variant": list(acc),
            "accuracy_mean": list(acc.values()),
            "accuracy_ci_low": 0.0,
            "accuracy_ci_high": 100.0,
            "n_seeds": 3,
        }
    )


def test_highest_mean_accuracy_is_chosen(tmp_path):
    fig4 = tmp_path / "fig4.csv"
    _fig4({"control": 80.0, "no_poses": 88.26, "no_obstructors": 88.2}).to_csv(fig4, index=False)
    out = tmp_path / "best.csv"
    t = write_best_variant(fig4, out)
    assert list(t.loc[t["chosen"], "variant"]) == ["no_poses"]
    assert read_best_variant(out) == "synth_no_poses"
    # the numbers it was chosen from are kept, one row per variant
    assert list(pd.read_csv(out)["accuracy_mean"]) == [80.0, 88.26, 88.2]


def test_a_tie_goes_to_the_control():
    t = choose_best_variant(_fig4({"no_skies": 85.0, "control": 85.0, "no_poses": 70.0}))
    assert list(t.loc[t["chosen"], "variant"]) == ["control"]


def test_a_tie_without_the_control_goes_to_the_first_variant():
    t = choose_best_variant(_fig4({"control": 60.0, "no_skies": 85.0, "no_poses": 85.0}))
    assert list(t.loc[t["chosen"], "variant"]) == ["no_skies"]


def test_a_missing_accuracy_is_an_error():
    with pytest.raises(ValueError, match="no accuracy for"):
        choose_best_variant(_fig4({"control": 60.0, "no_skies": float("nan")}))


def test_a_table_without_one_choice_is_an_error(tmp_path):
    p = tmp_path / "best.csv"
    pd.DataFrame({"dataset": ["synth_a", "synth_b"], "chosen": [True, True]}).to_csv(p, index=False)
    with pytest.raises(ValueError, match="expected one chosen variant"):
        read_best_variant(p)
