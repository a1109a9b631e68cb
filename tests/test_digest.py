"""Code digests of rules: the modules a script runs, and what counts as a change."""

from __future__ import annotations

import json
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


@pytest.fixture
def fresh_process(monkeypatch, tmp_path):
    """This process as a new one would be: no module parsed yet, the disk cache in tmp_path."""
    from domrand import digest

    cache = tmp_path / "cache"
    monkeypatch.setenv("DOMRAND_DIGEST_CACHE", str(cache))

    def clear():
        digest._facts.cache_clear()
        digest._imports.cache_clear()

    clear()
    yield cache, clear
    clear()


def test_the_disk_cache_gives_what_parsing_gives(lib, fresh_process, monkeypatch):
    cache, clear = fresh_process
    script = lib.parent / "script.py"
    cached = (code_digest(script, lib), closure(script, lib))
    assert len(list(cache.glob("*.json"))) == 5  # by content: the script, a, b, c, and both empty __init__s
    clear()
    assert (code_digest(script, lib), closure(script, lib)) == cached  # now read from the cache
    clear()
    monkeypatch.setenv("DOMRAND_DIGEST_CACHE", "")  # no cache: parsed here
    assert (code_digest(script, lib), closure(script, lib)) == cached
    assert closure(script, lib) == ["domrand", "domrand.c", "domrand.pkg", "domrand.pkg.a", "domrand.pkg.b"]


def test_a_later_process_reads_the_cache_and_an_edit_misses_it(lib, fresh_process):
    from domrand.digest import cache_entry, module_digest

    cache, clear = fresh_process
    c = lib / "c.py"
    parsed = module_digest(c)
    entry = cache_entry(c.read_bytes())
    assert entry.parent == cache
    assert json.loads(entry.read_text())["digest"] == parsed
    entry.write_text(json.dumps({"digest": "from-the-cache", "imports": []}))
    clear()
    assert module_digest(c) == "from-the-cache"  # the entry is what a new process uses
    c.write_text("G = 3\n")
    clear()
    assert module_digest(c) not in ("from-the-cache", parsed)  # new bytes, new key


def test_an_unreadable_cache_entry_is_parsed_again(lib, fresh_process):
    from domrand.digest import module_digest

    cache, clear = fresh_process
    c = lib / "c.py"
    parsed = module_digest(c)
    for entry in cache.glob("*.json"):
        entry.write_text("{truncated")
    clear()
    assert module_digest(c) == parsed
