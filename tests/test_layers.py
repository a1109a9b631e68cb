"""The library's layers as an allow-list: which part of domrand may import which (every import
statement, including those inside functions), and no library module imports Snakemake.

A part is a package (``domrand.world``), a top-level module (``domrand.config``) or one
developer tool (``domrand.tools.bench``). An import between two parts that ALLOWED does not
list fails the test, and so does a part that ALLOWED does not name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from domrand.digest import ROOT, import_names

# part: the parts it may import. Read bottom-up: lower entries never import higher ones.
ALLOWED: dict[str, set[str]] = {
    # foundations: import no other part
    "config": set(),
    "io": set(),
    "seeds": set(),
    "stats": set(),
    "digest": {"io"},
    "warm": set(),  # the warm worker (src/domrand/warm.py)
    "scheduling": set(),  # the Snakemake scheduler fix
    "runtime": {"warm"},
    "experiments": {"config"},
    "search": {"config", "seeds"},  # figure 13's search: entries, candidates, round datasets
    "paths": set(),  # where the workflow's files live (src/domrand/paths.py)
    # the library, from raw inputs up to figures
    "assets": {"config", "io"},
    "meshes": set(),
    "data": {"seeds"},
    "world": {"config", "io", "meshes", "seeds"},
    "render": {"io", "seeds", "world"},
    "train": {"data", "io", "seeds", "world"},
    "realism": {"data", "io", "train"},
    "explain": {"data", "io", "train"},
    "figures": {"data", "explain", "io", "stats", "world"},
    # the run's plan and each rule's inputs and params (src/domrand/plan.py): above the library
    # parts whose names it needs (real-image sources, packaged weights)
    "plan": {"config", "data", "experiments", "paths", "search", "train"},
    # developer tools, run by hand
    "tools": set(),
    "tools.bench": {"config", "data", "io", "render", "train", "world", "tools.machine", "tools.projection", "warm"},
    "tools.projection": {"config", "io", "plan"},
    "tools.blocks": set(),
    "tools.readme_results": {"tools.blocks", "tools.concurrency", "tools.machine"},
    "tools.concurrency": {"io"},
    "tools.machine": set(),
    "tools.docs": {"tools.blocks"},
}

ADVICE = (
    "import it from a lower part instead, or move what both need down into a part both may "
    "import; if the layering itself should change, add the edge to ALLOWED in tests/test_layers.py "
    "(the test checks that ALLOWED stays free of cycles)"
)


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports() -> dict[str, set[str]]:
    return {
        name: import_names(ast.parse(path.read_bytes()), name, path.name == "__init__.py")
        for name, path in modules().items()
    }


def part(name: str) -> str | None:
    """The part of domrand that module ``name`` belongs to (None: not domrand, or its root)."""
    parts = name.split(".")
    if parts[0] != "domrand" or len(parts) < 2:
        return None
    return f"tools.{parts[2]}" if parts[1] == "tools" and len(parts) > 2 else parts[1]


def violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for module, names in sorted(graph.items()):
        here = part(module)
        if here is not None and here not in ALLOWED:
            out.append(
                f"{module} belongs to {here!r}, a part the layers do not name: add {here!r} to ALLOWED "
                "in tests/test_layers.py with the parts it imports"
            )
            continue
        for name in sorted(names):
            if name == "snakemake" or name.startswith("snakemake."):
                out.append(
                    f"{module} imports {name}: the library runs without Snakemake; pass what the "
                    "script's `snakemake` object holds as arguments instead"
                )
            there = part(name)
            if here is None or there is None or there == here or there in ALLOWED[here]:
                continue
            out.append(f"{module} imports {name} ({here} -> {there}), an edge the layers do not allow: {ADVICE}")
    return sorted(set(out))


def test_the_walk_sees_the_library():
    graph = imports()
    assert {
        "domrand.render.shard",
        "domrand.world.build",
        "domrand.figures.results",
        "domrand.tools.bench",
        "domrand.config",
    } <= graph.keys()
    assert "domrand.world.build" in graph["domrand.render.shard"]  # `from domrand.world.build import World`
    assert "domrand.render.scene" in graph["domrand.render.shard"]  # an import inside a function
    assert "domrand.meshes.load" in graph["domrand.meshes.gltf"]  # a relative import


def test_every_import_between_parts_is_allowed():
    found = violations(imports())
    assert found == [], "\n".join(found)


def test_the_allowed_layers_have_no_cycle():
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, f"ALLOWED in tests/test_layers.py has a cycle: {' -> '.join(path + (node,))}"
        if node in done:
            return
        for nxt in ALLOWED.get(node, ()):
            visit(nxt, path + (node,))
        done.add(node)

    for node in ALLOWED:
        visit(node, ())


def test_every_allowed_edge_between_existing_parts_is_used():
    graph = imports()
    present = {part(m) for m in graph} - {None}
    used = {(part(m), part(n)) for m, names in graph.items() for n in names}
    stale = sorted(
        f"{a} -> {b}" for a, bs in ALLOWED.items() for b in bs if a in present and b in present and (a, b) not in used
    )
    assert stale == [], f"ALLOWED in tests/test_layers.py lists edges no import uses (remove them): {stale}"


def documented_layers(text: str) -> dict[str, set[str]]:
    """The parts each row of the code map in docs/workflow.md says its package may import
    (the tools' row: one entry per tool, ``tools.<name>``)."""
    out = {}
    for row in re.findall(r"^\| `([a-z_]+)` \|.*\| (.+) \|$", text, flags=re.M):
        package, cell = row
        if package != "tools":
            out[package] = set() if cell == "nothing" else set(re.findall(r"`([a-z_.]+)`", cell))
            continue
        for names, imports in re.findall(r"((?:`[a-z_]+`(?:, )?)+): ([^;]+)", cell):
            for name in re.findall(r"`([a-z_]+)`", names):
                out[f"tools.{name}"] = set() if imports == "nothing" else set(re.findall(r"`([a-z_.]+)`", imports))
    return out


def test_the_code_map_in_the_docs_agrees_with_the_layers():
    documented = documented_layers((Path(__file__).resolve().parents[1] / "docs" / "workflow.md").read_text())
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()} - {"tools"}
    tools = {f"tools.{p.stem}" for p in (ROOT / "tools").glob("*.py") if p.stem != "__init__"}
    assert set(documented) == packages | tools, "docs/workflow.md's code map: one row per package, each tool named"
    wrong = {part: (have, ALLOWED[part]) for part, have in documented.items() if have != ALLOWED[part]}
    assert wrong == {}, f"docs/workflow.md's code map disagrees with ALLOWED (documented, allowed): {wrong}"


@pytest.mark.parametrize(
    "module, source, why",
    [
        ("domrand.world.x", "from domrand.render.scene import SceneRenderer", "world -> render"),
        ("domrand.render.x", "def f():\n    from domrand.train import fit", "render -> train"),
        ("domrand.figures.x", "from ..train.evaluate import load_classifier", "figures -> train"),
        ("domrand.data.x", "import domrand.train.images", "data -> train"),
        ("domrand.meshes.x", "from domrand.assets.download import fetch", "meshes -> assets"),
        ("domrand.io", "from domrand.config import load_config", "io -> config"),
        ("domrand.config", "from domrand import stats", "config -> stats"),
        ("domrand.tools.docs", "from domrand.render import gl", "tools.docs -> render"),
        ("domrand.io", "from snakemake.io import expand", "snakemake"),
        ("domrand.newpart.x", "import numpy", "'newpart', a part the layers do not name"),
    ],
)
def test_each_edge_outside_the_list_is_caught(module, source, why):
    names = import_names(ast.parse(source), module)
    found = violations({module: names})
    assert any(why in v for v in found), found
    assert all("tests/test_layers.py" in v or "snakemake" in v for v in found)
