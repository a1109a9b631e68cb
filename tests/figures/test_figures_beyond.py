"""Figures 9-12 on small inputs: the prediction/metadata join and the binning with known
answers, Wilson intervals against scipy, and each figure's table following from its inputs."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from domrand.data.index import write_index
from domrand.figures import beyond
from domrand.stats import wilson

SEEDS = (0, 1, 2)
# Six synthetic test images: (class, camera elevation, obstructors, pose, sky, ground, errors of seed 0 and 1)
IMAGES = [
    ("cat", 5.0, 0, "sit", 0, 2, (1, 1)),
    ("cat", 10.0, 1, "sit", 1, 2, (0, 0)),
    ("cat", 50.0, 1, "lie", 2, -1, (1, 0)),
    ("dog", 60.0, 2, "stand", 0, 0, (0, 0)),
    ("dog", 85.0, 2, "stand", 1, 1, (1, 1)),
    ("dog", 88.0, 2, "stand", -1, 0, (1, 1)),
]


def _check_png(png):
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000


@pytest.fixture
def rendered(tmp_path):
    """Shards with metadata, their per-class indexes, and per-seed predictions in the interface
    of `evaluate` (path, label, label_name, pred, prob, p_<class>)."""
    root = tmp_path / "results"
    index_rows, meta = [], {}
    for i, (cls, el, obs, pose, sky, ground, _) in enumerate(IMAGES):
        shard = root / "synth" / "control" / cls / "0"
        shard.mkdir(parents=True, exist_ok=True)
        f = f"{i:06d}.jpg"
        (shard / f).write_bytes(b"jpeg")
        meta.setdefault(shard, []).append(
            {
                "file": f,
                "index": i,
                "class": cls,
                "camera_elevation": el,
                "n_obstructors": obs,
                "pose_mode": pose,
                "sky": sky,
                "ground_material": ground,
                "breed": f"{cls}_00",
            }
        )
        index_rows.append(
            {"path": str(shard / f), "label": cls, "split": "test", "source": "control", "domain": "synthetic"}
        )
    # A training image in the same shard is not a test image and must not be joined.
    meta[root / "synth/control/cat/0"].append(
        {
            "file": "000099.jpg",
            "index": 99,
            "class": "cat",
            "camera_elevation": 1.0,
            "n_obstructors": 4,
            "pose_mode": "walk",
            "sky": 0,
            "ground_material": 0,
            "breed": "cat_00",
        }
    )
    for shard, rows in meta.items():
        pd.DataFrame(rows).to_parquet(shard / "metadata.parquet")
    index = pd.DataFrame(index_rows)
    indexes = [
        write_index(index[index["label"] == c], root / "datasets/synth_control" / f"{c}.parquet")
        for c in ("cat", "dog")
    ]
    preds = []
    for seed in (0, 1):
        rows = []
        for i, (cls, *_, errs) in enumerate(IMAGES):
            label = ("cat", "dog").index(cls)
            pred = 1 - label if errs[seed] else label
            path = index_rows[i]["path"]
            if seed == 1:  # as stored in the index: relative to its folder
                path = os.path.relpath(path, root / "datasets/synth_control")
            p_true = 0.3 if errs[seed] else 0.8
            rows.append(
                {
                    "path": path,
                    "label": label,
                    "label_name": cls,
                    "pred": pred,
                    "prob": p_true,
                    "p_cat": p_true if label == 0 else 1 - p_true,
                    "p_dog": p_true if label == 1 else 1 - p_true,
                }
            )
        p = root / f"eval/synth_control/cat_dog/dropout/seed{seed}/synthetic.predictions.parquet"
        p.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_parquet(p)
        preds.append(p)
    return preds, indexes


def test_join_gives_each_test_image_its_seed_averaged_error_and_its_metadata(rendered):
    preds, indexes = rendered
    j = beyond.join_predictions(preds, indexes)
    assert len(j) == 6 and j["n_seeds"].eq(2).all()
    j = j.sort_values("index")
    assert j["error"].tolist() == [1.0, 0.0, 0.5, 0.0, 1.0, 1.0]
    assert j["camera_elevation"].tolist() == [5.0, 10.0, 50.0, 60.0, 85.0, 88.0]
    assert j["class"].tolist() == [c for c, *_ in IMAGES]  # each image got its own metadata row
    assert (j["label"] == [("cat", "dog").index(c) for c, *_ in IMAGES]).all()


def test_join_refuses_predictions_of_images_outside_the_test_set(rendered, tmp_path):
    preds, indexes = rendered
    bad = pd.read_parquet(preds[0])
    bad.loc[0, "path"] = str(tmp_path / "elsewhere.jpg")
    bad.to_parquet(preds[0])
    with pytest.raises(ValueError, match="not test images"):
        beyond.join_predictions(preds, indexes)


def test_binning_known_answer(rendered):
    j = beyond.join_predictions(*rendered)
    obs = beyond.bin_errors(j, "n_obstructors", "category")
    assert obs["bin"].tolist() == ["0", "1", "2"]
    assert obs["n_images"].tolist() == [1, 2, 3]
    assert obs["errors"].tolist() == [1.0, 0.5, 2.0]
    assert obs["error_rate"].tolist() == pytest.approx([1.0, 0.25, 2 / 3])
    edges = beyond.bin_edges(j["camera_elevation"], 2)
    assert edges.tolist() == [5.0, 46.5, 88.0]
    el = beyond.bin_errors(j, "camera_elevation", "numeric", edges)
    assert el["n_images"].tolist() == [2, 4]  # 88, the maximum, falls in the last (closed) bin
    assert el["errors"].tolist() == [1.0, 2.5]
    assert beyond.bin_edges(j["n_obstructors"], 5) is None  # 3 values, 5 bins: one bin per value
    # Integer counts: the Wilson bounds are scipy's.
    want = stats.binomtest(2, 3).proportion_ci(confidence_level=0.95, method="wilson")
    assert (obs.loc[2, "ci_low"], obs.loc[2, "ci_high"]) == pytest.approx((want.low, want.high), abs=1e-4)


def test_category_indices_become_names():
    manifest = {
        "skies": [{"kind": "day"}, {"kind": "night"}, {"kind": "clouds"}],
        "materials": [{"name": "000_wood", "family": "wood"}, {"name": "001_stone", "family": "stone"}],
        "target_skies": [{"kind": "haze"}, {"kind": "cumulus"}],
        "target_grounds": [{"name": "grass"}, {"name": "soil"}],
    }
    df = pd.DataFrame({"sky": [0, 1, -1], "ground_material": [1, -1, 0]})
    gen = {"sky": {"set": "synthetic"}, "materials": {"library": "synthetic"}}
    out = beyond.name_categories(df, manifest, gen)
    assert out["sky"].tolist() == ["day", "night", "plain"]
    assert out["ground_material"].tolist() == ["stone", "plain", "wood"]
    target = beyond.name_categories(df, manifest, {"sky": {"set": "target"}, "materials": {"library": "target"}})
    assert target["sky"].tolist() == ["haze", "cumulus", "plain"]  # indices into the target skies only
    assert target["ground_material"].tolist() == ["soil", "plain", "grass"]


def test_fig12_table_and_png(rendered, tmp_path):
    preds, indexes = rendered
    world = tmp_path / "world"
    world.mkdir()
    (world / "world.json").write_text(
        json.dumps(
            {
                "skies": [{"kind": "day"}, {"kind": "night"}, {"kind": "clouds"}],
                "materials": [{"name": f"{i:03d}", "family": f"f{i}"} for i in range(3)],
                "target_skies": [{"kind": "haze"}],
                "target_grounds": [{"name": "grass"}],
            }
        )
    )
    png, csv = tmp_path / "fig12.png", tmp_path / "tables/fig12.csv"
    t = beyond.fig12_parameter_errors(
        {"synthetic": [str(p) for p in preds]},
        {"synthetic": [str(p) for p in indexes]},
        world,
        {"synthetic": {"sky": {"set": "synthetic"}, "materials": {"library": "synthetic"}}},
        2,
        png,
        csv,
        proxy=True,
    )
    _check_png(png)
    assert set(t["parameter"]) == {"camera_elevation", "n_obstructors", "pose_mode", "breed", "sky", "ground_material"}
    sky = t[t["parameter"] == "sky"].set_index("bin")
    assert sky.loc["day", "n_images"] == 2 and sky.loc["day", "errors"] == 1.0
    assert sky.loc["plain", "error_rate"] == 1.0
    pose = t[t["parameter"] == "pose_mode"].set_index("bin")
    assert pose.loc["stand", "errors"] == 2.0 and pose.loc["stand", "n_images"] == 3
    assert t.groupby("parameter")["n_images"].sum().eq(6).all()  # every test image in one bin per parameter
    assert pd.read_csv(csv).shape == t.shape


# -- figures 9-11 ------------------------------------------------------------------------------
def _eval(root, dataset, seed, acc):
    p = root / "eval" / dataset / "cat_dog" / "dropout" / f"seed{seed}" / "real.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps({"accuracy": acc, "accuracy_above_random": acc - 0.5, "classes": ["cat", "dog"], "n": 20}))
    return p


def _index(root, dataset, breeds_per_class, draws=None):
    """A dataset's per-class indexes; with `draws`, one training set of 8 images per draw, each
    with its own breeds (as render_shard records them in breed_draw)."""
    out = []
    for cls in ("cat", "dog"):
        if draws is None:
            rows = [
                {
                    "path": str(root / f"{dataset}_{cls}_{i}.jpg"),
                    "label": cls,
                    "split": "train",
                    "source": "x",
                    "domain": "synthetic",
                    "breed": f"{cls}_{i % breeds_per_class:02d}",
                }
                for i in range(8)
            ]
        else:
            rows = []
            for d in range(draws):
                # draws may coincide (the first two here do): they still count as draws
                names = [f"{cls}_{(max(d, 1) * breeds_per_class + b) % 12:02d}" for b in range(breeds_per_class)]
                rows += [
                    {
                        "path": str(root / f"{dataset}_{cls}_{d}_{i}.jpg"),
                        "label": cls,
                        "split": "train",
                        "source": "x",
                        "domain": "synthetic",
                        "breed": names[i % breeds_per_class],
                        "breed_draw": d,
                        "draw_breeds": ",".join(names),
                    }
                    for i in range(8)
                ]
        out.append(write_index(pd.DataFrame(rows), root / "datasets" / dataset / f"{cls}.parquet"))
    return out


def _ci(values, n=20):
    """Logit-scale interval of a mean accuracy (%) over seeds with a binomial test term,
    computed here from scipy: logit(p) +- t * sqrt(V) / (p (1 - p)), V = seed + p(1-p)/n."""
    v = np.asarray(values, float) / 100
    p, s = v.mean(), len(v)
    v_seed, v_test = v.var(ddof=1) / s, p * (1 - p) / n
    df = (v_seed + v_test) ** 2 / (v_seed**2 / (s - 1) + v_test**2 / (n - 1))
    h = stats.t.ppf(0.975, df) * math.sqrt(v_seed + v_test) / (p * (1 - p))
    lo, hi = (1 / (1 + math.exp(-(math.log(p / (1 - p)) + d))) for d in (-h, h))
    return 100 * lo, 100 * hi


def test_fig9_table_follows_from_the_evaluations_and_indexes(tmp_path):
    entries = [
        {"count": 1, "dataset": "synth_no_breeds", "variant": None},
        {"count": 2, "dataset": "synth_breeds2", "variant": "breeds2"},
        {"count": "all", "dataset": "synth_control", "variant": None},
    ]
    accs = {"synth_no_breeds": (0.4, 0.5, 0.45), "synth_breeds2": (0.6, 0.62, 0.64), "synth_control": (0.8, 0.7, 0.75)}
    evals = [_eval(tmp_path, d, s, a[s]) for d, a in accs.items() for s in SEEDS]
    ref = [_eval(tmp_path, "real", s, 0.9) for s in SEEDS]
    indexes = {
        "synth_no_breeds": _index(tmp_path, "synth_no_breeds", 1),
        "synth_breeds2": _index(tmp_path, "synth_breeds2", 2),
        "synth_control": _index(tmp_path, "synth_control", 4),
    }
    png, csv = tmp_path / "fig9.png", tmp_path / "tables/fig9.csv"
    t = beyond.fig9_breed_scaling(entries, evals, ref, indexes, png, csv, proxy=True)
    _check_png(png)
    s = t.set_index("breed_count")
    assert s.loc["1", "breeds_per_class"] == 1 and s.loc["all", "breeds_per_class"] == 4
    assert s.loc["all", "breeds_by_class"] == "cat:4;dog:4"
    assert s.loc["2", "rendered_for_fig9"] and not s.loc["all", "rendered_for_fig9"]
    assert s.loc["2", "accuracy_mean"] == pytest.approx(62.0)
    assert (s.loc["all", "accuracy_ci_low"], s.loc["all", "accuracy_ci_high"]) == pytest.approx(_ci([80, 70, 75]))
    assert s.loc["all", "delta_vs_fewest"] == pytest.approx(75.0 - 45.0)
    assert s.loc["real-trained", "accuracy_mean"] == pytest.approx(90.0)
    assert s.loc["real-trained", "n_seeds"] == 3


def test_fig9_counts_each_seeds_breed_draw_and_its_variance(tmp_path):
    """Below `all`, each seed trains on its own draw of breeds: the table counts breeds per
    draw (not their union) and the draws, and the interval holds the draw-to-draw spread: a
    known answer, the logit-scale interval of the per-draw accuracies computed from scipy."""
    entries = [
        {"count": 1, "dataset": "synth_no_breeds", "variant": None},
        {"count": "all", "dataset": "synth_control", "variant": None},
    ]
    accs = {"synth_no_breeds": (0.40, 0.60, 0.50), "synth_control": (0.75, 0.75, 0.75)}
    evals = [_eval(tmp_path, d, s, a[s]) for d, a in accs.items() for s in SEEDS]
    ref = [_eval(tmp_path, "real", s, 0.9) for s in SEEDS]
    indexes = {
        "synth_no_breeds": _index(tmp_path, "synth_no_breeds", 1, draws=3),
        "synth_control": _index(tmp_path, "synth_control", 4),
    }
    t = beyond.fig9_breed_scaling(entries, evals, ref, indexes, tmp_path / "f.png", tmp_path / "f.csv", proxy=True)
    s = t.set_index("breed_count")
    assert s.loc["1", "breeds_per_class"] == 1 and s.loc["1", "breed_draws"] == 3
    assert s.loc["all", "breed_draws"] == 1
    assert (s.loc["1", "accuracy_ci_low"], s.loc["1", "accuracy_ci_high"]) == pytest.approx(_ci([40, 60, 50]))
    assert s.loc["1", "accuracy_se_seed"] == pytest.approx(100 * np.std([0.4, 0.6, 0.5], ddof=1) / math.sqrt(3))


def _head(root, name, seed, counts, tests):
    p = root / "heads" / name / f"seed{seed}.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(
        json.dumps({"counts": counts, "seed": seed, "tests": {ts: {"accuracy": a, "n": 20} for ts, a in tests.items()}})
    )
    return p


def test_fig10_two_curves_and_an_honest_k0(tmp_path):
    paths = []
    for s in SEEDS:
        for k, n, mix, alone in ((0, 0, 0.70, None), (5, 5, 0.80, 0.60 + 0.01 * s), ("all", 30, 0.95, 0.90)):
            synth = {"cat": 100, "dog": 100}
            paths.append(
                _head(tmp_path, f"mix_k{k}", s, {"synthetic": synth, "real": {"cat": n, "dog": n}}, {"real": mix})
            )
            if alone is not None:
                paths.append(_head(tmp_path, f"real_k{k}", s, {"real": {"cat": n, "dog": n}}, {"real": alone}))
    png, csv = tmp_path / "fig10.png", tmp_path / "tables/fig10.csv"
    t = beyond.fig10_real_mixing(paths, [0, 5, "all"], png, csv, proxy=False)
    _check_png(png)
    s = t.set_index(["k", "curve"])
    assert s.loc[("0", "synthetic + k real"), "accuracy_mean"] == pytest.approx(70.0)
    k0 = s.loc[("0", "k real alone")]
    assert math.isnan(k0["accuracy_mean"]) and k0["n_seeds"] == 0 and "no training images" in k0["note"]
    assert s.loc[("5", "k real alone"), "accuracy_mean"] == pytest.approx(61.0)
    assert s.loc[("5", "k real alone"), "accuracy_per_seed"] == "60.00;61.00;62.00"
    assert s.loc[("all", "k real alone"), "real_per_class"] == 30
    assert s.loc[("5", "synthetic + k real"), "gap_synthetic_minus_alone"] == pytest.approx(80.0 - 61.0)
    assert s.loc[("all", "k real alone"), "gap_synthetic_minus_alone"] == pytest.approx(95.0 - 90.0)
    assert math.isnan(s.loc[("0", "synthetic + k real"), "gap_synthetic_minus_alone"])  # nothing to compare with


def test_fig11_both_test_sets_against_size(tmp_path):
    paths = [
        _head(
            tmp_path,
            f"size_n{n}",
            s,
            {"synthetic": {"cat": c, "dog": c}},
            {"real": 0.5 + 0.001 * c, "synthetic": 0.6 + 0.001 * c},
        )
        for s in SEEDS
        for n, c in ((5, 5), (15, 15), ("all", 30))
    ]
    png, csv = tmp_path / "fig11.png", tmp_path / "tables/fig11.csv"
    t = beyond.fig11_data_size(paths, [5, 15, "all"], png, csv, proxy=True)
    _check_png(png)
    s = t.set_index(["testset", "n"])
    assert s.loc[("real", "all"), "accuracy_mean"] == pytest.approx(53.0)
    assert s.loc[("synthetic", "15"), "accuracy_mean"] == pytest.approx(61.5)
    assert s.loc[("synthetic", "all"), "synthetic_per_class"] == 30 and len(t) == 6


def test_test_sets_share_bins_and_their_order():
    synth = pd.DataFrame({"n_obstructors": [1, 2, 2], "camera_elevation": [10.0, 50.0, 90.0], "error": [1.0, 0.0, 0.5]})
    real = pd.DataFrame({"n_obstructors": [0, 0], "camera_elevation": [0.0, 20.0], "error": [0.0, 1.0]})
    t = beyond.parameter_errors({"synthetic": synth, "real": real}, bins=2)
    obs = t[t["parameter"] == "n_obstructors"]
    assert dict(zip(obs["bin"], obs["bin_order"])) == {"0": 0, "1": 1, "2": 2}
    el = t[t["parameter"] == "camera_elevation"]
    # Edges over both ranges (0..90): real's 0 and 20 share the first bin with synthetic's 10.
    assert el[el["testset"] == "real"]["bin"].tolist() == ["0-45"]
    assert el[el["testset"] == "synthetic"][["bin", "n_images"]].values.tolist() == [["0-45", 1], ["45-90", 2]]


def _breed_table(per_class: int) -> pd.DataFrame:
    """A figure 12 table (`parameter_errors`' columns) with `per_class` breeds of each of 4
    classes on two test sets, beside a numeric and a small category parameter."""
    rng = np.random.default_rng(per_class)
    bins = {
        "camera_elevation": [f"{10 * i}-{10 * i + 10}" for i in range(5)],
        "pose_mode": ["stand", "walk", "sit", "lie"],
        "breed": [f"{c}{i:02d}" for c in ("bicycle", "car", "cat", "dog") for i in range(per_class)],
    }
    labels = {column: label for column, label, _ in beyond.PARAMETERS}
    rows = []
    for ts in ("synthetic", "real"):
        for parameter, names in bins.items():
            for order, b in enumerate(names):
                n = int(rng.integers(5, 40))
                errors = float(rng.integers(0, n + 1))
                lo, hi = wilson(errors, n, 0.95)
                rows.append(
                    {
                        "testset": ts,
                        "parameter": parameter,
                        "label": labels[parameter],
                        "bin": b,
                        "bin_order": order,
                        "n_images": n,
                        "errors": errors,
                        "error_rate": errors / n,
                        "ci_low": lo,
                        "ci_high": hi,
                    }
                )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("per_class", [12, 28])
def test_fig12_breed_labels_stay_apart_at_any_number_of_breeds(per_class):
    import matplotlib.pyplot as plt

    t = _breed_table(per_class)
    fig = beyond.draw_parameter_errors(t, proxy=True)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    shown = []
    for ax in fig.axes:
        if not ax.get_title().startswith("breed"):
            continue
        labels = [lab for lab in ax.get_xticklabels() if lab.get_text()]
        shown += [lab.get_text() for lab in labels]
        boxes = sorted((lab.get_window_extent(renderer) for lab in labels), key=lambda b: b.x0)
        gaps = [b.x0 - a.x1 for a, b in zip(boxes, boxes[1:])]
        assert min(gaps) > 0, f"{ax.get_title()}: tick labels overlap by up to {-min(gaps):.1f} px"
    plt.close(fig)
    breeds = t.loc[t["parameter"] == "breed", "bin"].drop_duplicates().tolist()
    assert sorted(shown) == sorted(breeds)  # each breed labelled once, in one of the rows
