"""Code digests of rules: the modules a script runs, and what counts as a change."""

from __future__ import annotations

from pathlib import Path

import pytest

from domrand.digest import closure, code_digest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def lib(tmp_path) -> Path:
    """A small `domrand` package: a -> b (relative), b -> c (inside a function); d unused."""
    root = tmp_path / "domrand"
    (root / "pkg").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "a.py").write_text('"""Module a."""\nfrom .b import f\n\nX = f()\n')
    (root / "pkg" / "b.py").write_text("def f():\n    from domrand import c  # lazily\n    return c.G\n")
    (root / "c.py").write_text("G = 1\n")
    (root / "d.py").write_text("H = 2\n")
    script = tmp_path / "script.py"
    script.write_text("from domrand.pkg.a import X\nimport numpy\n")
    return root


def test_closure_follows_relative_and_function_level_imports(lib):
    script = lib.parent / "script.py"
    assert closure(script, lib) == ["domrand", "domrand.c", "domrand.pkg", "domrand.pkg.a", "domrand.pkg.b"]


def test_code_edits_change_the_digest_and_comments_do_not(lib):
    script = lib.parent / "script.py"
    before = code_digest(script, lib)
    b = lib / "pkg" / "b.py"
    b.write_text('"""Now with a docstring."""\n# and a comment\n\n' + b.read_text().replace("# lazily", "# now"))
    assert code_digest(script, lib) == before
    (lib / "d.py").write_text("H = 3\n")  # a module the script never runs
    assert code_digest(script, lib) == before
    (lib / "c.py").write_text("G = 2\n")  # two imports away, inside a function
    assert code_digest(script, lib) != before


def test_each_rule_script_digests_only_its_stage():
    scripts = REPO / "workflow" / "scripts"
    render = closure(scripts / "render_shard.py")
    figure = closure(scripts / "fig4_ablation.py")
    assert "domrand.render.scene" in render and "domrand.world.build" in render
    assert not any(m.startswith(("domrand.train", "domrand.figures")) for m in render)
    assert not any(m.startswith(("domrand.render", "domrand.train", "domrand.world")) for m in figure)
