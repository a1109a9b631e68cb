"""Figure 13's search on the finished configs/ci.yaml run: the validation split is apart from
the real domain's train and test images, the pick is a variant a config takes, and the same
seed gives the same search again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from domrand.config import load_config, validate_config
from domrand.data.index import read_index
from helpers.workflow import REPO, snakemake

pytestmark = pytest.mark.slow
CI = str(REPO / "configs/ci.yaml")


def _shard_seeds(root: Path) -> set[int]:
    return {int(s) for m in root.rglob("metadata.parquet") for s in pd.read_parquet(m)["seed"]}


def test_validation_is_disjoint_from_train_and_test(finished):
    val = pd.concat(read_index(p) for p in sorted((finished / "results/datasets/real_val").glob("*.parquet")))
    real = pd.concat(read_index(p) for p in sorted((finished / "results/datasets/real").glob("*.parquet")))
    config = load_config(CI, base=REPO / "config.yaml")
    assert len(val) == config["search"]["val_per_class"] * 2 and set(val["split"]) == {"test"}
    assert set(val["domain"]) == {"real"}
    assert not set(val["path"]) & set(real["path"])
    # rendered with seeds of their own: no validation image is an image of the real domain's splits
    assert not _shard_seeds(finished / "results/proxy/real_val") & _shard_seeds(finished / "results/proxy/real")
    # and the search's heads scored on it alone
    round1 = pd.read_csv(finished / "results/search/round1.csv")
    assert (round1["n_val"] == len(val)).all()


def test_the_pick_is_a_variant_a_config_takes(finished, tmp_path):
    pick = yaml.safe_load((finished / "results/tables/fig13_search_pick.yaml").read_text())
    config = load_config(CI, base=REPO / "config.yaml")
    config["variants"].update(pick["variants"])
    validate_config(config, REPO / "schemas/config.schema.yaml")
    t = pd.read_csv(finished / "results/tables/fig13_search.csv")
    assert list(t["model"]) == ["control", "fig4_best", "search_pick"]
    round2 = pd.read_csv(finished / "results/search/round2.csv")
    assert t["entry"].iloc[2] == round2.loc[round2["kept"], "entry"].item()


def test_same_seed_gives_the_same_search(finished, tmp_path):
    work = tmp_path / "run"
    shutil.copytree(finished, work, symlinks=True)
    shutil.rmtree(work / "results/search")
    snakemake("results/search/round2.csv", "--cores", "2", "--directory", str(work), "--configfile", CI, timeout=900)
    for name in ("round1.csv", "round2.csv"):
        pd.testing.assert_frame_equal(
            pd.read_csv(work / "results/search" / name), pd.read_csv(finished / "results/search" / name)
        )
