"""Texture and sky downloads as the real sources ship them, built at test time.

``acg_zip``: an ambientCG-style texture set (``<Id>_1K-JPG_Color.jpg`` + maps + preview).
``hdr_bytes``: a Radiance RGBE file, flat or new-style run-length encoded.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
from PIL import Image


def _image_bytes(arr: np.ndarray, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt)
    return buf.getvalue()


def colour_image(size: int, seed: int = 0) -> np.ndarray:
    """A smooth, seeded uint8 RGB image (survives JPEG well)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    base = rng.uniform(0.2, 0.8, 3)
    img = base + 0.2 * np.stack([np.sin(xx * 6), np.cos(yy * 4), np.sin((xx + yy) * 3)], -1)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def acg_files(
    asset_id: str,
    size: int = 48,
    roughness: int | None = 128,
    metalness: int | None = None,
    colour: bool = True,
    seed: int = 0,
) -> dict[str, bytes]:
    """The members of ``<asset_id>_1K-JPG.zip``; ``roughness``/``metalness`` are constant
    grey levels (None: no such map)."""
    stem = f"{asset_id}_1K-JPG"
    files = {
        f"{asset_id}.png": _image_bytes(np.full((8, 8, 3), 200, np.uint8), "PNG"),  # preview sphere
        f"{stem}.mtlx": b"<materialx/>",
        f"{stem}_NormalGL.jpg": _image_bytes(np.full((size, size, 3), (128, 128, 255), np.uint8), "JPEG"),
    }
    if colour:
        files[f"{stem}_Color.jpg"] = _image_bytes(colour_image(size, seed), "JPEG")
    if roughness is not None:
        files[f"{stem}_Roughness.jpg"] = _image_bytes(np.full((size, size), roughness, np.uint8), "PNG")
    if metalness is not None:
        files[f"{stem}_Metalness.jpg"] = _image_bytes(np.full((size, size), metalness, np.uint8), "PNG")
    return files


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in sorted(members.items()):
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def acg_zip(asset_id: str, **kwargs) -> bytes:
    return zip_bytes(acg_files(asset_id, **kwargs))


def sky_radiance(width: int = 64, seed: int = 0) -> np.ndarray:
    """A float32 (width/2, width, 3) equirect: bright sky on top, dark ground, a sun."""
    h = width // 2
    rng = np.random.default_rng(seed)
    el = np.linspace(1, -1, h)[:, None] * np.ones((1, width))
    img = np.where(el[..., None] > 0, [0.4, 0.6, 1.0], [0.05, 0.04, 0.03]) * (1 + 0.1 * rng.random((h, width, 1)))
    img[h // 4, width // 3] = [50.0, 45.0, 40.0]
    return img.astype(np.float32)


def to_rgbe(img: np.ndarray) -> np.ndarray:
    """float (H, W, 3) -> uint8 (H, W, 4) RGBE, as Radiance's float2rgbe."""
    m = img.max(-1)
    mant, exp = np.frexp(m)
    scale = np.where(m > 1e-32, mant * 256.0 / np.maximum(m, 1e-32), 0.0)
    out = np.zeros((*img.shape[:2], 4), np.uint8)
    out[..., :3] = np.clip(img * scale[..., None], 0, 255).astype(np.uint8)
    out[..., 3] = np.where(m > 1e-32, exp + 128, 0).astype(np.uint8)
    return out


def _rle(channel: np.ndarray) -> bytes:
    out = bytearray()
    data = channel.tobytes()
    i, n = 0, len(data)
    while i < n:
        run = 1
        while i + run < n and run < 127 and data[i + run] == data[i]:
            run += 1
        if run >= 3:
            out += bytes((128 + run, data[i]))
            i += run
            continue
        j = i
        while j < n and j - i < 128 and not (j + 2 < n and data[j] == data[j + 1] == data[j + 2]):
            j += 1
        out += bytes((j - i,)) + data[i:j]
        i = j
    return bytes(out)


def hdr_bytes(img: np.ndarray, rle: bool = True) -> bytes:
    """A Radiance .hdr file of the float image ``img`` (row 0 on top)."""
    h, w = img.shape[:2]
    rgbe = to_rgbe(img)
    body = bytearray(b"#?RADIANCE\n# made by domrand tests\nFORMAT=32-bit_rle_rgbe\n\n")
    body += f"-Y {h} +X {w}\n".encode()
    for y in range(h):
        if rle:
            body += bytes((2, 2, w >> 8, w & 0xFF))
            for c in range(4):
                body += _rle(rgbe[y, :, c])
        else:
            body += rgbe[y].tobytes()
    return bytes(body)
