"""Figure 5 renders from small random records and lists every heatmap panel."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from domrand.explain.heatmaps import load_heatmaps, save_heatmaps
from domrand.figures.heatmaps import CSV_COLUMNS, fig5_title, plot_fig5, top_mass

CLASSES = ["cat", "dog"]
TEST_SETS = ["real", "synthetic"]


def _record(seed, n_per=5, size=16, order=None):
    rng = np.random.default_rng(seed)
    test_set, label, index = [], [], []
    for t in TEST_SETS:
        for i in range(2 * n_per):
            test_set.append(t)
            label.append(i % 2)
            index.append(i)
    n = len(test_set)
    order = np.arange(n) if order is None else order
    maps = {m: rng.random((n, size, size), dtype=np.float32) for m in ("gradcam", "occlusion")}
    return {
        "images": rng.random((n, 3, size, size))[order],
        "maps": {m: v[order] for m, v in maps.items()},
        "meta": {
            "test_set": [test_set[i] for i in order],
            "label": [label[i] for i in order],
            "index": [index[i] for i in order],
            "class_names": CLASSES,
            "target": 0,
        },
    }


def test_fig5_renders_every_panel(tmp_path):
    n = 20
    shuffled = np.random.default_rng(9).permutation(n)
    records = {"real-trained": _record(0), "synthetic-trained": _record(1, order=shuffled)}
    png, csv = tmp_path / "results" / "fig5_heatmaps.png", tmp_path / "tables" / "fig5_heatmaps.csv"
    returned = plot_fig5(records, png, csv, proxy=True)

    image = matplotlib.image.imread(png)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 1000
    df = pd.read_csv(csv)
    assert list(df.columns) == list(CSV_COLUMNS)
    # 2 models x 2 methods x (2 test sets x 2 classes x 4 images)
    assert len(df) == 2 * 2 * 2 * 2 * 4 == len(returned)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted([png.name, csv.name])
    counts = df.groupby(["model", "method", "test_set", "class"]).size()
    assert (counts == 4).all() and len(counts) == 16
    # The first 4 images of each class by index, in index order.
    cats = df[
        (df.model == "real-trained") & (df.method == "gradcam") & (df.test_set == "real") & (df["class"] == "cat")
    ]
    assert list(cats.image_index) == [0, 2, 4, 6]
    # Rows: GradCAM real, GradCAM synth, occlusion real, occlusion synth.
    rows = df.drop_duplicates("panel_row").set_index("panel_row")[["method", "model"]]
    assert rows.to_dict("index") == {
        1: {"method": "gradcam", "model": "real-trained"},
        2: {"method": "gradcam", "model": "synthetic-trained"},
        3: {"method": "occlusion", "model": "real-trained"},
        4: {"method": "occlusion", "model": "synthetic-trained"},
    }
    # The shuffled model's maps were matched by (test_set, index), not by position.
    rec = records["synthetic-trained"]
    pos = {(t, i): p for p, (t, i) in enumerate(zip(rec["meta"]["test_set"], rec["meta"]["index"]))}
    for row in df[df.model == "synthetic-trained"].itertuples():
        heat = rec["maps"][row.method][pos[(row.test_set, row.image_index)]]
        assert np.unravel_index(np.argmax(heat), heat.shape) == (row.peak_y, row.peak_x)
        assert row.top10_mass == pytest.approx(top_mass(heat))


def test_fig5_from_saved_npz_with_normalised_images(tmp_path):
    rec = _record(2, n_per=4)
    rec["images"] = (rec["images"] - 0.5) / 0.25  # normalised, outside [0, 1]
    save_heatmaps(tmp_path / "a.npz", rec["images"], rec["maps"], rec["meta"])
    loaded = load_heatmaps(tmp_path / "a.npz")
    df = plot_fig5(
        {"only": loaded},
        tmp_path / "f.png",
        tmp_path / "f.csv",
        methods=("occlusion",),
        test_sets=["synthetic"],
        n_per_class=2,
    )
    assert len(df) == 1 * 1 * 2 * 2
    assert set(df.test_set) == {"synthetic"} and (tmp_path / "f.png").stat().st_size > 0


def test_fig5_missing_images_are_an_error(tmp_path):
    partial = _record(1)
    keep = [i for i, t in enumerate(partial["meta"]["test_set"]) if t == "real"]
    partial = {
        "images": partial["images"][keep],
        "maps": {k: v[keep] for k, v in partial["maps"].items()},
        "meta": {
            **partial["meta"],
            **{k: [partial["meta"][k][i] for i in keep] for k in ("test_set", "label", "index")},
        },
    }
    with pytest.raises(ValueError, match="same test images"):
        plot_fig5({"a": _record(0), "b": partial}, tmp_path / "f.png", tmp_path / "f.csv")
    assert not list(tmp_path.iterdir())


def test_title_says_proxy_only_when_asked():
    assert "proxy" in fig5_title(["a", "b"], CLASSES, 0, proxy=True).lower()
    assert "proxy" not in fig5_title(["a", "b"], CLASSES, 0, proxy=False).lower()
    assert "cat class" in fig5_title(["a"], CLASSES, 0, proxy=False)


def test_top_mass():
    flat = np.ones((10, 10))
    assert top_mass(flat) == pytest.approx(0.1)
    spike = np.zeros((10, 10))
    spike[3, 4] = 1
    assert top_mass(spike) == 1.0
    assert np.isnan(top_mass(np.zeros((4, 4))))
