"""Training the head on stored features: accuracy, outputs, checkpoints and resume."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from domrand.train.fit import load_features, train_head

PARAMS = {
    "seed": 0,
    "classes": ["cat", "dog"],
    "dropout": 0.3,
    "lr": 0.01,
    "epochs": 4,
    "batch_size": 32,
    "backbone": "small_cnn",
}


@pytest.fixture
def feats(tmp_path, helpers):
    """Per-class feature files as the workflow makes them (one per class), train and monitor."""
    tr = [
        helpers.features(tmp_path / f"{c}.pt", [c] * 48, [c] * 16, views=2, seed=i)
        for i, c in enumerate(["cat", "dog"])
    ]
    mo = [
        helpers.features(tmp_path / f"real_{c}.pt", [c] * 8, [c] * 20, views=1, seed=10 + i)
        for i, c in enumerate(["cat", "dog"])
    ]
    return tr, mo


class Log(list):
    def __call__(self, msg):
        self.append(str(msg))


def _train(feats, out, params, log=None):
    tr, mo = feats
    return train_head(tr, mo, out / "model", out / "checkpoint.pt", params, log=Log() if log is None else log)


def test_load_features_concatenates_classes(feats):
    tr, _ = feats
    f = load_features(tr)
    assert f["train"].shape == (2, 96, 16)  # (views, N, F): images concatenate along dim 1
    assert f["test"].shape == (32, 16)
    assert f["train_labels"] == ["cat"] * 48 + ["dog"] * 48
    assert f["test_labels"] == ["cat"] * 16 + ["dog"] * 16


def test_train_head_learns_separable_features_and_writes_outputs(feats, tmp_path):
    history = _train(feats, tmp_path, PARAMS)
    assert len(history) == PARAMS["epochs"]
    assert history[-1]["test_acc"] >= 0.95
    h = pd.read_csv(tmp_path / "model" / "history.csv")
    assert h["epoch"].tolist() == [1, 2, 3, 4]
    assert {"train_loss", "train_acc", "test_acc"} <= set(h.columns)
    assert h["train_loss"].iloc[-1] < h["train_loss"].iloc[0]
    m = torch.load(tmp_path / "model" / "model.pt", weights_only=False)
    assert m["classes"] == ["cat", "dog"] and m["in_features"] == 16 and m["frozen"] is True
    assert m["backbone_state"] is None and m["dropout"] == pytest.approx(0.3)
    assert m["head"]["net.3.weight"].shape == (2, 128)


def test_train_head_keeps_only_the_requested_classes(tmp_path, helpers):
    tr = [
        helpers.features(tmp_path / f"{c}.pt", [c] * 24, [c] * 8, seed=i) for i, c in enumerate(["cat", "dog", "car"])
    ]
    history = train_head(tr, tr, tmp_path / "m", tmp_path / "ck.pt", {**PARAMS, "epochs": 1}, log=Log())
    assert len(history) == 1
    m = torch.load(tmp_path / "m" / "model.pt", weights_only=False)
    assert m["head"]["net.3.weight"].shape[0] == 2


def test_train_head_without_training_images_of_the_classes_raises(tmp_path, helpers):
    tr = [helpers.features(tmp_path / "car.pt", ["car"] * 8, ["car"] * 4)]
    with pytest.raises(ValueError, match="no training images"):
        train_head(tr, tr, tmp_path / "m", tmp_path / "ck.pt", PARAMS, log=Log())


def test_train_head_is_deterministic(feats, tmp_path):
    a = _train(feats, tmp_path / "a", {**PARAMS, "epochs": 2})
    b = _train(feats, tmp_path / "b", {**PARAMS, "epochs": 2})

    def key(h):
        return [(r["train_loss"], r["train_acc"], r["test_acc"]) for r in h]

    assert key(a) == key(b)


def test_rerun_with_same_params_resumes_and_trains_no_more(feats, tmp_path):
    params = {**PARAMS, "epochs": 2}
    _train(feats, tmp_path, params)
    before_hist = (tmp_path / "model" / "history.csv").read_text()
    before_head = torch.load(tmp_path / "model" / "model.pt", weights_only=False)["head"]
    log = Log()
    history = _train(feats, tmp_path, params, log)
    assert any("resuming" in m for m in log)
    assert not any(m.startswith("epoch ") for m in log)
    assert len(history) == 2
    assert (tmp_path / "model" / "history.csv").read_text() == before_hist
    after_head = torch.load(tmp_path / "model" / "model.pt", weights_only=False)["head"]
    assert all(torch.equal(before_head[k], after_head[k]) for k in before_head)


def test_checkpoint_with_other_params_is_ignored(feats, tmp_path):
    _train(feats, tmp_path, {**PARAMS, "epochs": 2})
    log = Log()
    history = _train(feats, tmp_path, {**PARAMS, "epochs": 2, "lr": 0.002}, log)
    assert any("ignoring" in m for m in log) and not any("resuming" in m for m in log)
    assert sum(m.startswith("epoch ") for m in log) == 2
    assert [r["epoch"] for r in history] == [1, 2]


class Killed(Exception):
    pass


def _killed_after(epoch):
    """A log that kills the job when epoch `epoch` is reported (its checkpoint is not yet written)."""
    log = Log()

    def call(msg):
        log(msg)
        if str(msg).startswith(f"epoch {epoch}/"):
            raise Killed()

    return call


def _resumed_vs_uninterrupted(feats, tmp_path, params):
    whole = _train(feats, tmp_path / "whole", params)
    with pytest.raises(Killed):
        _train(feats, tmp_path / "killed", params, _killed_after(3))
    log = Log()
    resumed = _train(feats, tmp_path / "killed", params, log)
    assert any("after epoch 2" in m for m in log)
    assert [r["epoch"] for r in resumed] == [1, 2, 3, 4]
    a = torch.load(tmp_path / "whole" / "model" / "model.pt", weights_only=False)["head"]
    b = torch.load(tmp_path / "killed" / "model" / "model.pt", weights_only=False)["head"]
    return whole, resumed, a, b


def test_killed_and_resumed_training_equals_uninterrupted_without_dropout(feats, tmp_path):
    whole, resumed, a, b = _resumed_vs_uninterrupted(feats, tmp_path, {**PARAMS, "dropout": 0.0})
    assert [r["test_acc"] for r in resumed] == [r["test_acc"] for r in whole]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_killed_and_resumed_training_equals_uninterrupted_with_dropout(feats, tmp_path):
    whole, resumed, a, b = _resumed_vs_uninterrupted(feats, tmp_path, PARAMS)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_finetune_trains_the_whole_network_and_evaluates(tmp_path, helpers):
    from domrand.train.evaluate import evaluate_model
    from domrand.train.fit import finetune

    rows = [(c, s) for c in ("cat", "dog") for s in ("train",) * 6 + ("test",) * 2]
    index = helpers.image_index(tmp_path / "d", rows)
    backbone = helpers.backbone(tmp_path / "bb.pt")
    params = {
        **PARAMS,
        "epochs": 2,
        "batch_size": 8,
        "input_size": 32,
        "augment": {"zoom": [0.8, 1.0], "rotation": 10, "flip": True, "brightness": 0.2},
    }
    log = Log()
    history = finetune([index], [index], backbone, tmp_path / "m", tmp_path / "ck.pt", params, log=log)
    assert [r["epoch"] for r in history] == [1, 2]
    m = torch.load(tmp_path / "m" / "model.pt", weights_only=False)
    assert m["frozen"] is False and m["backbone_state"] is not None
    before = torch.load(backbone, weights_only=True)["state"]
    assert any(not torch.equal(before[k], m["backbone_state"][k]) for k in before)  # the backbone moved
    res = evaluate_model(
        tmp_path / "m" / "model.pt",
        backbone,
        [index],
        tmp_path / "e.json",
        {"classes": ["cat", "dog"], "input_size": 32},
        log=lambda *_: None,
    )
    assert res["n"] == 4 and res["accuracy"] == pytest.approx(history[-1]["test_acc"])
    log2 = Log()
    finetune([index], [index], backbone, tmp_path / "m", tmp_path / "ck.pt", params, log=log2)
    assert any("resuming" in m for m in log2) and not any(m.startswith("epoch ") for m in log2)


def test_seeds_over_the_data_train_each_seed_on_its_own_chunk(tmp_path, helpers):
    from domrand.train.fit import _select, slice_part

    labels = ["cat"] * 6 + ["dog"] * 6
    parts = [_select(labels, ["cat", "dog"], {"part": p, "parts": 3}).tolist() for p in range(3)]
    assert parts == [[0, 1, 6, 7], [2, 3, 8, 9], [4, 5, 10, 11]]  # disjoint, in image order, per class
    assert sorted(sum(parts, [])) == list(range(12))
    with pytest.raises(ValueError, match="per-seed sets"):
        slice_part(list(range(5)), {"part": 0, "parts": 2})
    feats = helpers.features(tmp_path / "f.pt", labels, ["cat", "dog"], views=1)
    logs = []
    params = {**PARAMS, "data_slice": {"part": 1, "parts": 3}}
    train_head([feats], [feats], tmp_path / "m", tmp_path / "ck.pt", params, log=logs.append)

    m = torch.load(tmp_path / "m" / "model.pt", weights_only=False)
    assert m["params"]["data_slice"] == {"part": 1, "parts": 3}
