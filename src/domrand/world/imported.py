"""Materials and skies imported from downloads (ambientCG-style texture sets, HDRI skies).

A material download is a folder of PBR maps as ambientCG ships them
(``Wood049_1K-JPG_Color.jpg``, ``..._Roughness.jpg``, ``..._Metalness.jpg``; Poly Haven's
``_diff``/``_rough``/``_metal`` names work too). The world keeps one colour image per material
and scalar metallic/roughness factors (the renderer's material model), so the colour map is
resized and the other maps are reduced to their means.

A sky download is one equirectangular panorama: Radiance ``.hdr`` (Poly Haven HDRIs; read
here with numpy, so no imaging plugin is needed), or an 8-bit ``.jpg``/``.png``. HDR images are
tone-mapped to 8-bit sRGB and resized to the world's sky size.

All functions are deterministic: the same file gives the same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PIL import Image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
SKY_SUFFIXES = (".hdr", *IMAGE_SUFFIXES)
# Map roles by file-name token (case-insensitive), most specific first.
_ROLES = {
    "color": ("color", "basecolor", "base_color", "albedo", "diffuse", "diff", "col"),
    "roughness": ("roughness", "rough"),
    "metallic": ("metalness", "metallic", "metal"),
}
DEFAULT_ROUGHNESS = 0.8  # the renderer's default for a material without a roughness map
DEFAULT_METALLIC = 0.0


class WorldAssetError(RuntimeError):
    """An imported material or sky is missing or unreadable; the message names the download."""


def find_map(folder: Path, role: str) -> Path | None:
    """The texture map of ``role`` (color, roughness, metallic) in ``folder``, or None.

    Looks recursively for an image whose name ends in ``_<token>`` (e.g. ``_Color``); the
    shortest path wins, then the alphabetically first, so the choice is stable.
    """
    found = []
    for path in Path(folder).rglob("*"):
        if not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        tokens = re.split(r"[_\-. ]+", path.stem.lower())
        for rank, token in enumerate(_ROLES[role]):
            if token in tokens[1:]:  # never the asset id itself (e.g. "Metal032")
                found.append((rank, len(path.parts), path.as_posix(), path))
                break
    return min(found)[3] if found else None


def material_family(color_map: Path) -> str:
    """The material's family from its asset id: ``Wood049_1K-JPG_Color.jpg`` -> ``wood``."""
    m = re.match(r"[A-Za-z]+", color_map.stem)
    return m.group(0).lower() if m else "imported"


def import_material(folder: Path, download: str, size: int) -> tuple[np.ndarray, dict, str]:
    """A material from the texture set in ``folder`` (the download ``download``).

    Returns (uint8 RGB image size x size, {metallic, roughness} in [0, 1], family). The colour
    map is centre-cropped to a square and resized (Lanczos); roughness and metallic are the
    means of their maps, or 0.8 and 0.0 when the set has none.
    Raises ``WorldAssetError`` naming the download and file when the colour map is missing or
    any map cannot be read.
    """
    folder = Path(folder)
    _require_folder(folder, download, "world.materials_from")
    color = find_map(folder, "color")
    if color is None:
        listed = ", ".join(sorted(p.name for p in folder.rglob("*") if p.is_file())[:12]) or "nothing"
        raise WorldAssetError(
            f"world.materials_from: download {download!r} ({folder}) has no colour map "
            f"(an image named like *_Color.jpg); it holds {listed}. Check the download's url "
            "or remove it from world.materials_from"
        )
    img = _square(_open(color, download, "RGB"), size)
    pbr = {"metallic": DEFAULT_METALLIC, "roughness": DEFAULT_ROUGHNESS}
    for role in ("metallic", "roughness"):
        path = find_map(folder, role)
        if path is not None:
            # Means at a small size: the same number for any resolution of the same set.
            grey = np.asarray(_open(path, download, "L").resize((64, 64), Image.BILINEAR), np.float64)
            pbr[role] = round(float(np.clip(grey.mean() / 255.0, 0.0, 1.0)), 4)
    return img, pbr, material_family(color)


def import_sky(folder: Path, download: str, width: int) -> tuple[np.ndarray, str]:
    """A sky from the equirectangular panorama in ``folder`` (the download ``download``).

    Returns (uint8 RGB image of width x width/2, the source file name). ``.hdr`` files are
    tone-mapped (see :func:`tonemap`). Raises ``WorldAssetError`` naming the download and file
    when there is no panorama or it cannot be read.
    """
    folder = Path(folder)
    _require_folder(folder, download, "world.skies_from")
    files = sorted(
        (p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SKY_SUFFIXES),
        key=lambda p: (p.suffix.lower() != ".hdr", len(p.parts), p.as_posix()),
    )
    if not files:
        listed = ", ".join(sorted(p.name for p in folder.rglob("*") if p.is_file())[:12]) or "nothing"
        raise WorldAssetError(
            f"world.skies_from: download {download!r} ({folder}) has no panorama "
            f"({'/'.join(SKY_SUFFIXES)}); it holds {listed}. EXR is not read: use the .hdr "
            "version of the sky"
        )
    path = files[0]
    if path.suffix.lower() == ".hdr":
        try:
            rgb = tonemap(read_hdr(path))
        except (ValueError, OSError) as exc:
            raise WorldAssetError(
                f"world.skies_from: download {download!r}: cannot read {path} "
                f"({exc}); delete resources/assets/{download} and fetch it again"
            ) from exc
        img = Image.fromarray(rgb)
    else:
        img = _open(path, download, "RGB")
    return np.asarray(img.resize((width, width // 2), Image.LANCZOS)), path.name


def read_hdr(path: Path) -> np.ndarray:
    """A Radiance RGBE (``.hdr``) image as float32 (H, W, 3) linear radiance, row 0 on top.

    Reads flat and new-style run-length encoded scanlines (what every current tool writes).
    Raises ``ValueError`` for anything else (bad header, truncated data, old-style RLE).
    """
    data = Path(path).read_bytes()
    pos = 0
    lines = []
    while True:
        end = data.find(b"\n", pos)
        if end < 0:
            raise ValueError("truncated header")
        line = data[pos:end].strip()
        pos = end + 1
        if not lines and not line.startswith(b"#?"):
            raise ValueError("not a Radiance file (no '#?RADIANCE' line)")
        lines.append(line)
        if line == b"":
            break
    for line in lines:
        if line.startswith(b"FORMAT=") and line != b"FORMAT=32-bit_rle_rgbe":
            raise ValueError(f"unsupported {line.decode(errors='replace')} (only 32-bit_rle_rgbe)")
    end = data.find(b"\n", pos)
    m = re.fullmatch(rb"([-+])Y (\d+) ([-+])X (\d+)", data[pos:end].strip())
    if not m:
        raise ValueError(f"unsupported resolution line {data[pos:end][:40]!r}")
    pos = end + 1
    h, w = int(m.group(2)), int(m.group(4))
    buf = data[pos:]  # bytes: indexing gives ints, much faster than numpy scalars here
    rgbe = np.empty((h, w, 4), np.uint8)
    i = 0
    for y in range(h):
        if 8 <= w < 32768 and buf[i : i + 2] == b"\x02\x02" and i + 4 <= len(buf) and not buf[i + 2] & 0x80:
            if (buf[i + 2] << 8 | buf[i + 3]) != w:
                raise ValueError(f"scanline {y}: width mismatch")
            i += 4
            for c in range(4):
                chan = bytearray()
                while len(chan) < w:
                    if i + 1 >= len(buf):
                        raise ValueError("truncated data")
                    n = buf[i]
                    if n > 128:
                        chan += buf[i + 1 : i + 2] * (n - 128)
                        i += 2
                    elif n > 0:
                        chan += buf[i + 1 : i + 1 + n]
                        i += 1 + n
                    else:
                        raise ValueError(f"scanline {y}: zero-length run")
                if len(chan) != w:
                    raise ValueError(f"scanline {y}: runs overflow the width")
                rgbe[y, :, c] = np.frombuffer(bytes(chan), np.uint8)
        else:
            if i + 4 * w > len(buf):
                raise ValueError("truncated data")
            flat = np.frombuffer(buf, np.uint8, 4 * w, i).reshape(w, 4)
            if (flat[:, :3] == 1).all(axis=1).any():
                raise ValueError("old-style run-length encoding is not supported")
            rgbe[y] = flat
            i += 4 * w
    e = rgbe[..., 3].astype(np.int32)
    scale = np.where(e > 0, np.ldexp(1.0, e - 136), 0.0).astype(np.float32)
    img = (rgbe[..., :3].astype(np.float32) + 0.5) * scale[..., None]
    if m.group(1) == b"+":
        img = img[::-1]
    if m.group(3) == b"-":
        img = img[:, ::-1]
    return np.ascontiguousarray(img)


def tonemap(radiance: np.ndarray, key: float = 0.18) -> np.ndarray:
    """Linear radiance (H, W, 3) -> uint8 sRGB: Reinhard's global operator scaled so the
    log-average luminance maps to ``key``, then the sRGB curve."""
    rad = np.nan_to_num(np.maximum(radiance.astype(np.float64), 0.0))
    lum = rad @ np.array([0.2126, 0.7152, 0.0722])
    log_avg = float(np.exp(np.mean(np.log(lum + 1e-6))))
    scaled = lum * (key / max(log_avg, 1e-6))
    mapped = scaled / (1.0 + scaled)
    rgb = rad * (mapped / np.maximum(lum, 1e-9))[..., None]
    rgb = np.clip(rgb, 0.0, 1.0)
    srgb = np.where(rgb <= 0.0031308, rgb * 12.92, 1.055 * rgb ** (1 / 2.4) - 0.055)
    return np.round(np.clip(srgb, 0, 1) * 255).astype(np.uint8)


def _require_folder(folder: Path, download: str, key: str) -> None:
    if not folder.is_dir():
        raise WorldAssetError(
            f"{key}: download {download!r} is not at {folder}; run `snakemake fetch` (on a machine with internet) first"
        )


def _open(path: Path, download: str, mode: str) -> Image.Image:
    try:
        with Image.open(path) as img:
            img.load()
            return img.convert(mode)
    except (OSError, SyntaxError, ValueError) as exc:
        raise WorldAssetError(
            f"download {download!r}: cannot read {path} ({exc}); delete resources/assets/{download} and fetch it again"
        ) from exc


def _square(img: Image.Image, size: int) -> np.ndarray:
    w, h = img.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    return np.asarray(img.crop((left, top, left + s, top + s)).resize((size, size), Image.LANCZOS))
