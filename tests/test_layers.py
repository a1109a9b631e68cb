"""The library's layers as drawn: which package may import which (every import statement,
including those inside functions), and no library module imports Snakemake."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from domrand.digest import ROOT, import_names

# (importing package, imported package): edges that would break the layering.
FORBIDDEN = [("render", "train"), ("world", "render"), ("figures", "render"), ("figures", "train"),
             ("train", "render"), ("data", "train")]


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports() -> dict[str, set[str]]:
    return {name: import_names(ast.parse(path.read_bytes()), name, path.name == "__init__.py")
            for name, path in modules().items()}


def layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if parts[0] == "domrand" and len(parts) > 2 else None


def violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for module, names in sorted(graph.items()):
        for name in sorted(names):
            if name == "snakemake" or name.startswith("snakemake."):
                out.append(f"{module} imports {name}: the library runs without Snakemake")
            if (layer(module), layer(name)) in FORBIDDEN:
                out.append(f"{module} imports {name} ({layer(module)} -> {layer(name)})")
    return out


def test_the_walk_sees_the_library():
    graph = imports()
    assert {"domrand.render.shard", "domrand.world.build", "domrand.figures.results"} <= graph.keys()
    assert "domrand.world.build" in graph["domrand.render.shard"]  # `from domrand.world.build import World`
    assert "domrand.render.scene" in graph["domrand.render.shard"]  # an import inside a function


def test_no_forbidden_import_between_layers():
    assert violations(imports()) == []


@pytest.mark.parametrize("module, source, why", [
    ("domrand.world.x", "from domrand.render.scene import SceneRenderer", "world -> render"),
    ("domrand.render.x", "def f():\n    from domrand.train import fit", "render -> train"),
    ("domrand.figures.x", "from ..train.evaluate import load_classifier", "figures -> train"),
    ("domrand.data.x", "import domrand.train.images", "data -> train"),
    ("domrand.io", "from snakemake.io import expand", "snakemake"),
])
def test_each_forbidden_edge_is_caught(module, source, why):
    names = import_names(ast.parse(source), module)
    assert any(why in v for v in violations({module: names})), names
