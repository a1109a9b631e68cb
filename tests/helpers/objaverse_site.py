"""A served copy of the Objaverse-LVIS files the pin command reads, made at test time:
``<root>/lvis-annotations.json.gz`` (category -> uids), ``object-paths.json.gz``,
``metadata/000-000.json.gz`` (Sketchfab metadata with licences) and ``glbs/000-000/<uid>.glb``."""

from __future__ import annotations

import gzip
import json
from pathlib import Path


def write_gz(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps(obj).encode()))


def write_objaverse(root: Path, annotations: dict, licences: dict, write_glb) -> None:
    """The site under ``root``: ``annotations`` (LVIS category -> uids), ``licences`` (uid ->
    Sketchfab licence slug, one entry per object), ``write_glb(path)`` makes each object's GLB."""
    write_gz(root / "lvis-annotations.json.gz", annotations)
    write_gz(root / "object-paths.json.gz", {u: f"glbs/000-000/{u}.glb" for u in licences})
    write_gz(
        root / "metadata" / "000-000.json.gz",
        {u: {"name": f"Model {u}", "license": lic, "user": {"username": f"artist_{u}"}} for u, lic in licences.items()},
    )
    (root / "glbs" / "000-000").mkdir(parents=True, exist_ok=True)
    for u in licences:
        write_glb(root / "glbs" / "000-000" / f"{u}.glb")
