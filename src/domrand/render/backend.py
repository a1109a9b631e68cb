"""Offscreen GL backend selection and a clear error when the driver is missing.

PYOPENGL_PLATFORM must be set before PyOpenGL is first imported, so every module that
renders calls `configure()` before importing pyrender.
"""

from __future__ import annotations

import os

BACKENDS = ("egl", "osmesa")
_PACKAGES = {
    "egl": "libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libopengl0 (Debian/Ubuntu); "
           "on NVIDIA nodes the driver's libEGL_nvidia",
    "osmesa": "libosmesa6 (Debian/Ubuntu)",
}


class BackendError(RuntimeError):
    pass


def configure(backend: str = "egl") -> None:
    """Select the offscreen GL platform; on a GPU node, the EGL device CUDA_VISIBLE_DEVICES names."""
    if backend not in BACKENDS:
        raise BackendError(f"render.backend is {backend!r}; use one of {BACKENDS}")
    current = os.environ.get("PYOPENGL_PLATFORM")
    if current and current != backend and "OpenGL" in __import__("sys").modules:
        raise BackendError(f"PyOpenGL was already loaded for {current!r}; cannot switch to {backend!r} in one process")
    os.environ["PYOPENGL_PLATFORM"] = backend
    if backend == "egl" and "EGL_DEVICE_ID" not in os.environ:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
        first = visible.split(",")[0].strip()
        if first.isdigit():
            # EGL enumerates every GPU of the node, so the CUDA index names the same device
            # on the single-socket nodes SLURM hands out; a mismatch only costs speed.
            os.environ["EGL_DEVICE_ID"] = first


def offscreen_renderer(width: int, height: int, backend: str = "egl"):
    """A pyrender OffscreenRenderer, or BackendError naming the packages to install."""
    configure(backend)
    try:
        import pyrender

        return pyrender.OffscreenRenderer(width, height)
    except Exception as exc:  # the GL stack reports missing drivers in many shapes
        raise BackendError(
            f"cannot create an offscreen {backend.upper()} context ({type(exc).__name__}: {exc}). "
            f"Install {_PACKAGES[backend]}, or set render.backend to another of {BACKENDS} in the config."
        ) from exc
