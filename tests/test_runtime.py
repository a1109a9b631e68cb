from types import SimpleNamespace

import pytest

from domrand.runtime import InjectedFault, run


def _smk(tmp_path, rule="train_head"):
    return SimpleNamespace(rule=rule, log=[str(tmp_path / "job.log")], threads=1)


def test_injected_fault_fails_the_first_attempt_only(tmp_path, monkeypatch):
    marker = tmp_path / "fault.marker"
    monkeypatch.setenv("DOMRAND_INJECT_FAULT", f"train_head:{marker}")
    with pytest.raises(InjectedFault, match="train_head"):
        with run(_smk(tmp_path)):
            pass
    assert marker.exists()
    with run(_smk(tmp_path)) as log:
        log("second attempt")
    assert "second attempt" in (tmp_path / "job.log").read_text()


def test_injected_fault_spares_other_rules(tmp_path, monkeypatch):
    monkeypatch.setenv("DOMRAND_INJECT_FAULT", f"train_head:{tmp_path / 'fault.marker'}")
    with run(_smk(tmp_path, rule="evaluate")) as log:
        log("ran")
    assert not (tmp_path / "fault.marker").exists()
