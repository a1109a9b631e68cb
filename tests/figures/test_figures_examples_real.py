"""Figure 6 with a domain of real images: examples come from the dataset index."""

from __future__ import annotations

import pandas as pd
from PIL import Image

from domrand.data.index import write_index
from domrand.figures.examples import example_grid


def test_example_grid_takes_a_dataset_index(tmp_path):
    rows = []
    for cls in ("cat", "dog"):
        for i in range(5):
            path = tmp_path / "photos" / cls / f"{i}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (16, 16), (40 * i, 90, 20)).save(path)
            rows.append(
                {
                    "path": str(path),
                    "label": cls,
                    "split": "test" if i < 3 else "train",
                    "source": "petimages",
                    "domain": "real",
                }
            )
    df = pd.DataFrame(rows)
    for cls in ("cat", "dog"):
        write_index(df[df["label"] == cls], tmp_path / "datasets" / "real" / f"{cls}.parquet")
    groups = {"real": [str(tmp_path / "datasets" / "real" / f"{c}.parquet") for c in ("cat", "dog")]}
    table = example_grid(groups, 4, tmp_path / "fig.png", tmp_path / "fig.csv", "Fig. 6", proxy=False)
    assert (tmp_path / "fig.png").stat().st_size > 0
    assert list(table["class"]) == ["cat", "dog", "cat", "dog"]
    assert all("/photos/" in f for f in table["file"])  # test images only
    assert set(table["file"]) <= {r["path"] for r in rows if r["split"] == "test"}


def test_example_grid_has_no_empty_band_under_its_title(tmp_path, monkeypatch):
    """The title sits right above the first row of images (figure 1 had a wide empty band)."""
    from domrand.figures import examples

    for i in range(3):
        path = tmp_path / "photos" / f"{i}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (16, 16), (60 * i, 90, 20)).save(path)
    rows = [
        {
            "path": str(tmp_path / "photos" / f"{i}.jpg"),
            "label": "cat",
            "split": "test",
            "source": "folder",
            "domain": "real",
        }
        for i in range(3)
    ]
    write_index(pd.DataFrame(rows), tmp_path / "datasets" / "real" / "cat.parquet")
    groups = {f"v{k}": [str(tmp_path / "datasets" / "real" / "cat.parquet")] for k in range(8)}
    gaps = []

    def save(fig, png, table, csv):
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        title_bottom = fig._suptitle.get_window_extent(r).y0
        axes_top = (
            max(t.get_window_extent(r).y1 for ax in fig.axes for t in [ax.title] if ax.get_title())
            if any(ax.get_title() for ax in fig.axes)
            else max(ax.get_position().y1 for ax in fig.axes)
        )
        gaps.append((title_bottom - axes_top) / fig.dpi)  # inches

    monkeypatch.setattr(examples, "save", save)
    example_grid(groups, 3, tmp_path / "fig.png", tmp_path / "fig.csv", "Fig. 1: examples", proxy=True)
    assert 0 <= gaps[0] < 0.25
