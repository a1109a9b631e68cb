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
EGL_PLATFORM_DEVICE_EXT = 0x313F


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
            raise BackendError(
                f"EGL_DEVICE_ID={explicit!r} but EGL reports {len(devices)} device(s) (0..{len(devices) - 1})"
            )
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


def _egl_ext(name: str, restype, *argtypes):
    """An EGL extension function through eglGetProcAddress, or None."""
    import ctypes

    from OpenGL import EGL

    address = EGL.eglGetProcAddress(name)
    if not address:
        return None
    return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(address, ctypes.c_void_p).value)


def egl_devices() -> list:
    """(EGLDeviceEXT handle, or None for the default display; info dict) per EGL device,
    info as `choose_egl_device` expects."""
    import ctypes

    query_devices = _egl_ext(
        "eglQueryDevicesEXT", ctypes.c_uint, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_int)
    )
    if query_devices is None:  # no EGL_EXT_device_enumeration: the default display only
        return [(None, {"cuda": None, "extensions": ""})]
    n = ctypes.c_int(0)
    if not query_devices(0, None, ctypes.byref(n)) or n.value < 1:
        return []
    handles = (ctypes.c_void_p * n.value)()
    query_devices(n.value, handles, ctypes.byref(n))
    query_string = _egl_ext("eglQueryDeviceStringEXT", ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int)
    query_attrib = _egl_ext(
        "eglQueryDeviceAttribEXT", ctypes.c_uint, ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_ssize_t)
    )
    out = []
    for h in handles[: n.value]:
        ext = (query_string(h, EGL_EXTENSIONS) or b"").decode() if query_string else ""
        cuda = None
        if query_attrib is not None and "EGL_NV_device_cuda" in ext:
            value = ctypes.c_ssize_t(-1)
            if query_attrib(h, EGL_CUDA_DEVICE_NV, ctypes.byref(value)) and value.value >= 0:
                cuda = int(value.value)
        out.append((h, {"cuda": cuda, "extensions": ext}))
    return out


class EGLContext:
    """A surfaceless OpenGL 4.1 core context on one EGL device: the context pyrender's EGL
    platform makes, without importing pyrender and its viewer (~0.3 s a process)."""

    def __init__(self, device=None):
        import ctypes

        from OpenGL import EGL

        self._egl = EGL
        if device is not None:
            get_display = _egl_ext(
                "eglGetPlatformDisplayEXT", EGL.EGLDisplay, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p
            )
            self._egl_display = get_display(EGL_PLATFORM_DEVICE_EXT, device, None)
        else:
            self._egl_display = EGL.eglGetDisplay(EGL.EGL_DEFAULT_DISPLAY)
        self._egl_context = None
        major, minor = EGL.EGLint(), EGL.EGLint()
        if not EGL.eglInitialize(self._egl_display, ctypes.pointer(major), ctypes.pointer(minor)):
            raise RuntimeError("eglInitialize failed")
        config_attributes = (EGL.EGLint * 15)(
            EGL.EGL_SURFACE_TYPE,
            EGL.EGL_PBUFFER_BIT,
            EGL.EGL_RED_SIZE,
            8,
            EGL.EGL_GREEN_SIZE,
            8,
            EGL.EGL_BLUE_SIZE,
            8,
            EGL.EGL_DEPTH_SIZE,
            24,
            EGL.EGL_RENDERABLE_TYPE,
            EGL.EGL_OPENGL_BIT,
            EGL.EGL_CONFORMANT,
            EGL.EGL_OPENGL_BIT,
            EGL.EGL_NONE,
        )
        configs, n = (EGL.EGLConfig * 1)(), EGL.EGLint()
        if not EGL.eglChooseConfig(self._egl_display, config_attributes, configs, 1, ctypes.pointer(n)) or n.value < 1:
            raise RuntimeError("no EGL config with OpenGL and a 24-bit depth buffer")
        EGL.eglBindAPI(EGL.EGL_OPENGL_API)
        context_attributes = (EGL.EGLint * 7)(
            EGL.EGL_CONTEXT_MAJOR_VERSION,
            4,
            EGL.EGL_CONTEXT_MINOR_VERSION,
            1,
            EGL.EGL_CONTEXT_OPENGL_PROFILE_MASK,
            EGL.EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
            EGL.EGL_NONE,
        )
        self._egl_context = EGL.eglCreateContext(self._egl_display, configs[0], EGL.EGL_NO_CONTEXT, context_attributes)
        if not self._egl_context:
            raise RuntimeError("eglCreateContext failed for OpenGL 4.1 core")

    def make_current(self):
        EGL = self._egl
        if not EGL.eglMakeCurrent(self._egl_display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, self._egl_context):
            raise RuntimeError("eglMakeCurrent failed")

    def delete_context(self):
        EGL = self._egl
        if self._egl_display is not None:
            if self._egl_context is not None:
                EGL.eglMakeCurrent(self._egl_display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, EGL.EGL_NO_CONTEXT)
                EGL.eglDestroyContext(self._egl_display, self._egl_context)
                self._egl_context = None
            EGL.eglTerminate(self._egl_display)
            self._egl_display = None


def create_platform(width: int, height: int, backend: str = "egl"):
    """A current offscreen GL context, or BackendError naming the packages to install."""
    configure(backend)
    try:
        if backend == "egl":
            devices = egl_devices()
            index = choose_egl_device([info for _, info in devices])
            platform = EGLContext(devices[index][0])
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
    from OpenGL.EGL import EGL_NO_CONTEXT, EGL_NO_SURFACE, eglDestroyContext, eglMakeCurrent

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


def describe(backend: str = "egl") -> dict:
    """What a renderer in this process would run on: the EGL devices (with CUDA ordinals),
    the one chosen, and the GL vendor/renderer/version of a context on it."""
    info: dict = {
        "backend": backend,
        "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "EGL_DEVICE_ID": os.environ.get("EGL_DEVICE_ID"),
    }
    configure(backend)
    if backend == "egl":
        devices = egl_devices()
        info["egl_devices"] = [
            {
                "cuda": d["cuda"],
                "nv_device_cuda": "EGL_NV_device_cuda" in d["extensions"],
                "mesa": "EGL_MESA_device_software" in d["extensions"],
            }
            for _, d in devices
        ]
        info["chosen_device"] = choose_egl_device([d for _, d in devices])
    platform = create_platform(8, 8, backend)
    try:
        from OpenGL import GL

        for key in ("GL_VENDOR", "GL_RENDERER", "GL_VERSION"):
            value = GL.glGetString(getattr(GL, key))
            info[key] = value.decode() if value else None
    finally:
        release_platform(platform)
    return info


if __name__ == "__main__":  # python -m domrand.render.backend [egl|osmesa]: which GPU would render
    import json

    print(json.dumps(describe(sys.argv[1] if len(sys.argv) > 1 else "egl"), indent=1))
