"""occlusion.csv from shard metadata: a hand-computed answer."""

from __future__ import annotations

import pandas as pd
import pytest

from domrand.figures.occlusion import COLUMNS, occlusion_table, write_occlusion_table


def _shard(folder, source, cls, visible, n_between=None):
    folder.mkdir(parents=True)
    m = pd.DataFrame({"source": source, "class": cls, "visible_fraction": visible, "n_obstructors": 2})
    if n_between is not None:
        m["n_between"] = n_between
    m.to_parquet(folder / "metadata.parquet")
    return folder


def test_occlusion_table_known_answer(tmp_path):
    # control/cat over two shards: hidden fractions 0, 0.1, 0.2, 0.3, 0.4 (four of five occluded).
    shards = [
        _shard(tmp_path / "c0", "control", "cat", [1.0, 0.9, 0.8], [0, 1, 2]),
        _shard(tmp_path / "c1", "control", "cat", [0.7, 0.6], [1, 1]),
        # no_obstructors/cat: nothing hidden; an old shard without n_between.
        _shard(tmp_path / "n0", "no_obstructors", "cat", [1.0, 1.0]),
        _shard(tmp_path / "r0", "real", "dog", [1.0, 0.5, 1.0, 1.0], [0, 1, 0, 0]),
    ]
    kinds = {"control": "variant", "no_obstructors": "variant", "real": "proxy domain"}
    out = tmp_path / "tables" / "occlusion.csv"
    write_occlusion_table(shards, kinds, out)
    t = pd.read_csv(out).set_index(["source", "class"])
    assert list(pd.read_csv(out).columns) == COLUMNS
    c = t.loc["control", "cat"]
    assert c["kind"] == "variant" and c["images"] == 5
    assert c["share_occluded"] == pytest.approx(0.8)
    assert c["mean_hidden"] == pytest.approx(0.2)
    # Linear-interpolated quantiles of [0, .1, .2, .3, .4]: q25 = .1, q50 = .2, q75 = .3, q90 = .36.
    assert [c[f"hidden_q{q}"] for q in (25, 50, 75, 90)] == pytest.approx([0.1, 0.2, 0.3, 0.36])
    assert c["mean_between"] == pytest.approx(1.0) and c["mean_obstructors"] == 2
    n = t.loc["no_obstructors", "cat"]
    assert n["share_occluded"] == 0 and n["mean_hidden"] == 0 and n["hidden_q90"] == 0 and n["mean_between"] == 0
    r = t.loc["real", "dog"]
    assert r["kind"] == "proxy domain" and r["share_occluded"] == pytest.approx(0.25)
    assert r["mean_hidden"] == pytest.approx(0.125) and r["hidden_q90"] == pytest.approx(0.35)


def test_occlusion_table_one_row_per_source_and_class():
    meta = pd.DataFrame(
        {
            "source": ["a", "a", "b"],
            "class": ["cat", "dog", "cat"],
            "visible_fraction": [0.5, 1.0, 0.75],
            "n_obstructors": [1, 0, 3],
        }
    )
    t = occlusion_table(meta)
    assert list(zip(t["source"], t["class"])) == [("a", "cat"), ("a", "dog"), ("b", "cat")]
    assert t["share_occluded"].tolist() == [1.0, 0.0, 1.0]
    assert t["mean_hidden"].tolist() == pytest.approx([0.5, 0.0, 0.25])
