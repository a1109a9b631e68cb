"""Offscreen GL backend selection, the EGL device of a GPU node, and a clear error when
the driver is missing.

PYOPENGL_PLATFORM must be set before PyOpenGL is first imported, so every module that
renders calls `configure()` before importing pyrender or OpenGL.
"""

from __future__ import annotations

import os
import sys

BACKENDS = ("egl", "osmesa")
_PACKAGES = {
    "egl": "libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libopengl0 (Debian/Ubuntu); "
           "on NVIDIA nodes the driver's libEGL_nvidia",
    "osmesa": "libosmesa6 (Debian/Ubuntu)",
}
EGL_CUDA_DEVICE_NV = 0x323A  # EGL_NV_device_cuda
EGL_EXTENSIONS = 0x3055


class BackendError(RuntimeError):
    pass


def configure(backend: str = "egl") -> None:
    """Select the offscreen GL platform (before PyOpenGL is imported)."""
    if backend not in BACKENDS:
        raise BackendError(f"render.backend is {backend!r}; use one of {BACKENDS}")
    current = os.environ.get("PYOPENGL_PLATFORM")
    if current and current != backend and "OpenGL" in sys.modules:
        raise BackendError(f"PyOpenGL was already loaded for {current!r}; cannot switch to {backend!r} in one process")
    os.environ["PYOPENGL_PLATFORM"] = backend


def choose_egl_device(devices: list[dict], environ=os.environ) -> int:
    """Index into `devices` of the EGL device to render on.

    devices: one dict per EGL device in enumeration order (EGL_EXT_device_enumeration),
    with `cuda`: the CUDA ordinal it reports through EGL_NV_device_cuda (None for Mesa's
    software device or when not reported). Order of preference:
    1. EGL_DEVICE_ID, an explicit index (pyrender's own variable);
    2. on a GPU node, the GPU CUDA_VISIBLE_DEVICES names first. EGL enumerates every GPU
       of the node whatever the mask, and its order need not follow CUDA's, so the device
       is matched by its CUDA ordinal: if only the masked GPUs report one, they are
       numbered after the mask (ordinal 0 is the first named); if every GPU reports one,
       the ordinals are the node's, and the first named index is looked up;
    3. CUDA hidden on purpose (empty mask, -1): the first device without CUDA (Mesa);
    4. otherwise the first device.
    """
    if not devices:
        raise BackendError("EGL reports no device: install " + _PACKAGES["egl"])
    explicit = environ.get("EGL_DEVICE_ID", "").strip()
    if explicit:
        if not explicit.isdigit() or int(explicit) >= len(devices):
            raise BackendError(f"EGL_DEVICE_ID={explicit!r} but EGL reports {len(devices)} device(s) "
                               f"(0..{len(devices) - 1})")
        return int(explicit)
    ordinals = {d["cuda"]: i for i, d in enumerate(devices) if d.get("cuda") is not None}
    mask = environ.get("CUDA_VISIBLE_DEVICES")
    if mask is None:
        return ordinals[min(ordinals)] if ordinals else 0
    names = [m.strip() for m in mask.split(",") if m.strip()]
    if not names or names[0] in ("-1", "NoDevFiles"):
        plain = [i for i, d in enumerate(devices) if d.get("cuda") is None]
        return plain[0] if plain else 0
    if not ordinals:
        return 0
    if len(ordinals) > len(names) and names[0].isdigit() and int(names[0]) in ordinals:
        return ordinals[int(names[0])]
    return ordinals[min(ordinals)]


def egl_devices() -> list:
    """(pyrender EGLDevice, info dict) per EGL device; info as `choose_egl_device` expects."""
    import ctypes

    from pyrender.platforms import egl

    try:
        devices = egl.query_devices()
    except Exception:  # no EGL_EXT_device_enumeration: the default display only
        return [(egl.get_default_device(), {"cuda": None, "extensions": ""})]
    from OpenGL import EGL

    query_attrib = egl._get_egl_func("eglQueryDeviceAttribEXT", EGL.EGLBoolean, egl._EGLDeviceEXT,
                                     EGL.EGLint, ctypes.POINTER(ctypes.c_ssize_t))
    query_string = egl._eglQueryDeviceStringEXT
    out = []
    for dev in devices:
        ext = ""
        if query_string is not None:
            try:
                ext = (query_string(dev._device, EGL_EXTENSIONS) or b"").decode()
            except Exception:
                ext = ""
        cuda = None
        if query_attrib is not None and "EGL_NV_device_cuda" in ext:
            value = ctypes.c_ssize_t(-1)
            if query_attrib(dev._device, EGL_CUDA_DEVICE_NV, ctypes.byref(value)) and value.value >= 0:
                cuda = int(value.value)
        out.append((dev, {"cuda": cuda, "extensions": ext}))
    return out


def create_platform(width: int, height: int, backend: str = "egl"):
    """A current offscreen GL context (pyrender platform), or BackendError naming the packages."""
    configure(backend)
    try:
        if backend == "egl":
            from pyrender.platforms import egl

            devices = egl_devices()
            index = choose_egl_device([info for _, info in devices])
            platform = egl.EGLPlatform(width, height, device=devices[index][0])
        else:
            from pyrender.platforms.osmesa import OSMesaPlatform

            platform = OSMesaPlatform(width, height)
        platform.init_context()
        platform.make_current()
        if getattr(platform, "_egl_display", None) is not None:
            key = _display_key(platform)
            _LIVE_EGL_CONTEXTS[key] = _LIVE_EGL_CONTEXTS.get(key, 0) + 1
    except BackendError:
        raise
    except Exception as exc:  # the GL stack reports missing drivers in many shapes
        raise BackendError(
            f"cannot create an offscreen {backend.upper()} context ({type(exc).__name__}: {exc}). "
            f"Install {_PACKAGES[backend]}, or set render.backend to another of {BACKENDS} in the config."
        ) from exc
    return platform


_LIVE_EGL_CONTEXTS: dict[int, int] = {}  # EGL display handle -> live contexts created here


def _display_key(platform) -> int:
    import ctypes

    return ctypes.cast(platform._egl_display, ctypes.c_void_p).value or 0


def release_platform(platform) -> None:
    """Destroy a context from `create_platform`. An EGL display is one per device and process,
    and terminating it kills every context on it, so it is terminated with its last context."""
    egl_display = getattr(platform, "_egl_display", None)
    if egl_display is None:
        platform.delete_context()
        return
    from OpenGL.EGL import eglDestroyContext, eglMakeCurrent, EGL_NO_CONTEXT, EGL_NO_SURFACE

    key = _display_key(platform)
    _LIVE_EGL_CONTEXTS[key] = _LIVE_EGL_CONTEXTS.get(key, 1) - 1
    if _LIVE_EGL_CONTEXTS[key] <= 0:
        del _LIVE_EGL_CONTEXTS[key]
        platform.delete_context()  # destroys the context and terminates the display
    else:
        eglMakeCurrent(egl_display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT)
        eglDestroyContext(egl_display, platform._egl_context)
        platform._egl_context = None
        platform._egl_display = None


def offscreen_renderer(width: int, height: int, backend: str = "egl"):
    """A pyrender OffscreenRenderer (for previews and tools), or BackendError naming the packages."""
    configure(backend)
    try:
        import pyrender

        return pyrender.OffscreenRenderer(width, height)
    except Exception as exc:
        raise BackendError(
            f"cannot create an offscreen {backend.upper()} context ({type(exc).__name__}: {exc}). "
            f"Install {_PACKAGES[backend]}, or set render.backend to another of {BACKENDS} in the config."
        ) from exc
