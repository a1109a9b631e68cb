"""Realism tables: shares recognised by the ImageNet classifier, with Wilson intervals."""

from __future__ import annotations

import pandas as pd
import pytest

from domrand.figures.realism import domain_realism, subject_realism, subject_realism_table
from domrand.stats import wilson


def _scores(path, rows):
    """rows: (label, breed, images, recognised)."""
    recs = [
        {"path": f"{b}_{i}.jpg", "label": c, "breed": b, "top5": "0 1 2 3 4", "recognised": i < k}
        for c, b, n, k in rows
        for i in range(n)
    ]
    pd.DataFrame(recs).to_parquet(path)
    return str(path)


def test_subject_realism_rows_per_pool_class_and_breed(tmp_path):
    synth = _scores(
        tmp_path / "s.parquet", [("cat", "cat00", 20, 18), ("cat", "cat01", 20, 6), ("dog", "dog00", 20, 20)]
    )
    real = _scores(
        tmp_path / "r.parquet",
        [("cat", "cat_real00", 20, 16), ("cat", "cat_real01", 20, 14), ("dog", "dog_real00", 20, 15)],
    )
    t = subject_realism_table({"synthetic": synth, "real": real}, reference="real")
    pooled = t[t["breed"] == "all"].set_index(["pool", "class"])
    cat = pooled.loc[("synthetic", "cat")]
    assert (cat["n"], cat["recognised"], cat["share"]) == (40, 24, pytest.approx(60.0))
    assert (cat["ci_low"], cat["ci_high"]) == pytest.approx(tuple(100 * x for x in wilson(24, 40)))
    assert cat["reference_share"] == pytest.approx(75.0) and cat["gap_to_reference"] == pytest.approx(-15.0)
    assert (cat["worst_breed"], cat["worst_share"]) == ("cat01", pytest.approx(30.0))
    assert pooled.loc[("real", "dog"), "gap_to_reference"] == pytest.approx(0.0)
    breeds = t[t["breed"] != "all"].set_index("breed")
    assert breeds.loc["cat00", "share"] == pytest.approx(90.0) and breeds.loc["cat00", "n"] == 20
    assert len(breeds) == 6


def test_subject_realism_without_a_reference_pool(tmp_path):
    synth = _scores(tmp_path / "s.parquet", [("car", "car00", 20, 12)])
    t = subject_realism_table({"synthetic": synth}, reference=None)
    assert t["reference_share"].isna().all()


def test_realism_figures_write_png_and_table(tmp_path):
    synth = _scores(tmp_path / "s.parquet", [("cat", "cat00", 20, 12), ("dog", "dog00", 20, 15)])
    t = subject_realism({"synthetic": synth}, None, tmp_path / "s.png", tmp_path / "s.csv", proxy=True)
    assert (tmp_path / "s.png").stat().st_size > 0 and len(pd.read_csv(tmp_path / "s.csv")) == len(t) == 4
    d = domain_realism(
        {"synth_control": synth}, {"synth_control": "synthetic"}, tmp_path / "d.png", tmp_path / "d.csv", proxy=True
    )
    assert d.set_index("class").loc["cat", "share"] == pytest.approx(60.0)


def test_a_class_without_an_imagenet_family_is_reported_without_a_number(tmp_path):
    synth = _scores(tmp_path / "s.parquet", [("cat", "cat00", 20, 12)])
    crates = pd.DataFrame(
        {"path": [f"c{i}.jpg" for i in range(5)], "label": "crate", "breed": "crate00", "top5": "0 1 2 3 4"}
    )
    both = pd.concat([pd.read_parquet(synth), crates.assign(recognised=None)], ignore_index=True)
    both.to_parquet(tmp_path / "both.parquet")
    path = str(tmp_path / "both.parquet")
    t = subject_realism({"synthetic": path}, None, tmp_path / "s.png", tmp_path / "s.csv", proxy=True)
    crate = t[(t["class"] == "crate") & (t["breed"] == "all")].iloc[0]
    assert crate["note"] == "no ImageNet family" and crate["n"] == 5
    assert pd.isna(crate["share"]) and pd.isna(crate["ci_low"]) and pd.isna(crate["worst_breed"])
    assert t.set_index(["class", "breed"]).loc[("cat", "all"), "share"] == pytest.approx(60.0)
    domain_realism({"real": path}, {"real": "proxy real"}, tmp_path / "d.png", tmp_path / "d.csv", proxy=True)
    table = pd.read_csv(tmp_path / "d.csv").set_index("class")
    assert table.loc["crate", "note"] == "no ImageNet family" and pd.isna(table.loc["crate", "share"])
    assert pd.isna(table.loc["cat", "note"]) and (tmp_path / "d.png").stat().st_size > 0
    # Without such a class the tables are as they always were: no note column.
    assert "note" not in domain_realism({"s": synth}, {"s": "x"}, tmp_path / "e.png", tmp_path / "e.csv", proxy=True)
