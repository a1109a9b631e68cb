"""A tiny study of classes that are not built in, end to end: "lynx" and "hound" from meshes
(procedural breeds exported under those names; one of each held out for the proxy toon domain)
and a `folder` of images the test makes, through figures 4 and 7 and subject realism. The
plumbing is what is tested, not the accuracy of a 2-epoch model on 32-pixel images."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers.own_study import CLASSES, own_study_override
from helpers.workflow import REPO, snakemake

TARGETS = ["results/fig4_ablation.png", "results/fig7_domain_transfer.png", "results/subject_realism.png"]


@pytest.mark.slow
def test_a_study_of_own_classes_runs_end_to_end(tmp_path):
    override = own_study_override(tmp_path / "fixtures")
    work = tmp_path / "work"
    snakemake(
        *TARGETS,
        "--cores",
        "2",
        "--directory",
        str(work),
        "--configfile",
        str(REPO / "configs/ci.yaml"),
        str(override),
        timeout=900,
    )
    for t in TARGETS:
        assert (work / t).stat().st_size > 10_000
    world = json.loads((work / "resources/world/world.json").read_text())
    assert sorted(world["breeds"]) == sorted(CLASSES)  # no procedural class beside them
    for subjects in world["breeds"].values():
        assert sorted(str(s["heldout"]) for s in subjects) == ["False", "False", "toon"]
        assert all(s["shape"]["mesh"] for s in subjects)
    fig4 = pd.read_csv(work / "results/tables/fig4_ablation.csv")
    assert fig4["variant"].tolist() == ["control", "no_textures"] and fig4["paper"].isna().all()
    fig7 = pd.read_csv(work / "results/tables/fig7_domain_transfer.csv")
    tested = set(zip(fig7["trained_on"], fig7["tested_on"]))
    assert {(a, b) for a in ("real", "synthetic") for b in ("real", "synthetic", "toon")} <= tested
    assert fig7["paper"].isna().all() and fig7["accuracy_mean"].between(0, 100).all()
    real = pd.read_parquet(work / "results/datasets/real/lynx.parquet")
    assert (real["source"] == "photos").all() and set(real["split"]) == {"train", "test"}
    for cls in CLASSES:  # the proxy toon domain draws the class's held-out mesh only
        toon = pd.read_parquet(work / f"results/proxy/toon/{cls}/0/metadata.parquet")
        held_out = {f"{cls}_toon{s['index']:02d}" for s in world["breeds"][cls] if s["heldout"] == "toon"}
        assert set(toon["breed"]) == held_out and (toon["subject_kind"] == "mesh").all()
    realism = pd.read_csv(work / "results/tables/subject_realism.csv")
    pooled = realism[realism["breed"] == "all"].set_index(["pool", "class"])
    assert set(pooled.index) == {(p, c) for p in ("synthetic", "toon") for c in CLASSES}
    assert pooled.loc[("synthetic", "hound"), "note"] == "no ImageNet family"  # no number made up
    assert pd.isna(pooled.loc[("toon", "hound"), "share"])
    assert pooled.loc[("synthetic", "lynx"), "share"] >= 0 and pd.isna(pooled.loc[("synthetic", "lynx"), "note"])
