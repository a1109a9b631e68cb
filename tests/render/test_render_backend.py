"""Backend selection: clear errors for unknown or conflicting GL platforms."""

from __future__ import annotations

import pytest

from domrand.render.backend import BACKENDS, BackendError, choose_egl_device, configure


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
    import OpenGL  # noqa: F401 -- loading PyOpenGL is the state under test

    with pytest.raises(BackendError, match="already loaded"):
        configure("osmesa")
    import os

    assert os.environ["PYOPENGL_PLATFORM"] == "egl"


MESA = {"cuda": None, "extensions": "EGL_MESA_device_software"}


def _gpu(ordinal):
    return {"cuda": ordinal, "extensions": "EGL_NV_device_cuda EGL_EXT_device_drm"}


def test_egl_device_explicit_id_wins():
    devices = [_gpu(0), _gpu(1), MESA]
    assert choose_egl_device(devices, {"EGL_DEVICE_ID": "2", "CUDA_VISIBLE_DEVICES": "1"}) == 2
    with pytest.raises(BackendError, match="EGL_DEVICE_ID='5'.*3 device"):
        choose_egl_device(devices, {"EGL_DEVICE_ID": "5"})


def test_egl_device_matches_the_first_visible_cuda_device_numbered_after_the_mask():
    # SLURM gave GPUs 3 and 1; only those report a CUDA ordinal (0 and 1, in mask order),
    # and EGL lists them in its own order, with Mesa's software device in between.
    devices = [{"cuda": None, "extensions": "EGL_NV_device_cuda"}, _gpu(1), MESA, _gpu(0)]
    assert choose_egl_device(devices, {"CUDA_VISIBLE_DEVICES": "3,1"}) == 3
    assert choose_egl_device(devices, {"CUDA_VISIBLE_DEVICES": "GPU-8f2e,GPU-11aa"}) == 3


def test_egl_device_matches_node_wide_cuda_ordinals():
    # A driver that numbers every GPU of the node: the first named index is looked up.
    devices = [_gpu(2), _gpu(0), _gpu(3), _gpu(1), MESA]
    assert choose_egl_device(devices, {"CUDA_VISIBLE_DEVICES": "3"}) == 2
    assert choose_egl_device(devices, {}) == 1  # no mask: CUDA device 0


def test_egl_device_without_gpus_or_with_cuda_hidden():
    assert choose_egl_device([MESA], {"CUDA_VISIBLE_DEVICES": "0"}) == 0  # fake GPUs (local SLURM test)
    assert choose_egl_device([MESA], {}) == 0
    assert choose_egl_device([_gpu(0), MESA], {"CUDA_VISIBLE_DEVICES": ""}) == 1
    assert choose_egl_device([_gpu(0), MESA], {"CUDA_VISIBLE_DEVICES": "-1"}) == 1
    with pytest.raises(BackendError, match="no device.*libegl1"):
        choose_egl_device([], {})


def test_egl_devices_on_this_machine_are_queryable():
    configure("egl")
    from domrand.render.backend import egl_devices

    devices = egl_devices()
    assert devices and all(set(info) == {"cuda", "extensions"} for _, info in devices)
    assert 0 <= choose_egl_device([info for _, info in devices], {}) < len(devices)


def test_describe_names_the_gl_renderer_of_the_chosen_device():
    from domrand.render.backend import describe

    info = describe("egl")
    assert 0 <= info["chosen_device"] < len(info["egl_devices"])
    assert info["GL_RENDERER"] and info["GL_VENDOR"]
    assert info["GL_VERSION"].split()[0] >= "3.3"  # the renderer needs OpenGL 3.3 core
