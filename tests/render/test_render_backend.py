"""Backend selection: clear errors for unknown or conflicting GL platforms."""

from __future__ import annotations

import pytest

from domrand.render.backend import BACKENDS, BackendError, configure


def test_unknown_backend_names_the_choices(monkeypatch):
    monkeypatch.setenv("PYOPENGL_PLATFORM", "egl")
    with pytest.raises(BackendError, match="bogus.*egl"):
        configure("bogus")


def test_configure_sets_the_platform(monkeypatch):
    monkeypatch.setenv("PYOPENGL_PLATFORM", "egl")  # recorded, so it is restored afterwards
    monkeypatch.delenv("PYOPENGL_PLATFORM")
    configure("egl")
    import os

    assert os.environ["PYOPENGL_PLATFORM"] == "egl"
    assert "egl" in BACKENDS and "osmesa" in BACKENDS


def test_cannot_switch_platform_after_pyopengl_is_loaded(monkeypatch):
    monkeypatch.setenv("PYOPENGL_PLATFORM", "egl")
    configure("egl")
    import OpenGL  # noqa: F401

    with pytest.raises(BackendError, match="already loaded"):
        configure("osmesa")
    import os

    assert os.environ["PYOPENGL_PLATFORM"] == "egl"


def test_egl_device_follows_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("PYOPENGL_PLATFORM", "egl")
    monkeypatch.setenv("EGL_DEVICE_ID", "0")  # recorded, so the test's value is undone afterwards
    monkeypatch.delenv("EGL_DEVICE_ID")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,1")
    configure("egl")
    import os

    assert os.environ["EGL_DEVICE_ID"] == "3"
