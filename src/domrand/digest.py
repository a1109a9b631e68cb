"""Digests of the library code a job runs, so that an edit reruns exactly the jobs that run it.

Snakemake tracks a rule's script file, but the scripts are a few lines that call the library.
Each rule therefore carries, in its params, :func:`code_digest` of its script: a hash over the
``domrand`` modules the script imports, followed transitively (every ``import`` statement
anywhere in a module, including imports inside functions; ``from pkg import name`` counts the
module ``pkg.name`` when there is one, and importing a module counts its parent packages).

What is hashed is each module's syntax tree with docstrings removed (``ast.dump``), not its
bytes: comments, docstrings, blank lines and formatting change nothing a job computes, so
editing them reruns nothing; any change to code or to a string the code uses does. The syntax
tree's text can differ between Python versions, so a new interpreter reruns everything, as
any change of the software stack may.

Each module's digest and import statements are cached on disk (:func:`cache_dir`), keyed by
its bytes and the interpreter: reading the workflow parses only the modules that changed.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import sys
from functools import cache
from pathlib import Path

from domrand.io import write_text

PACKAGE = "domrand"
ROOT = Path(__file__).resolve().parent  # the package jobs import: this one
# What a cached entry depends on besides the source: the syntax tree's text is the
# interpreter's, and the entry's layout is ours (bump the last part when it changes).
CACHE_TAG = f"{sys.implementation.cache_tag}-{platform.python_version()}-1"


def module_file(name: str, root: Path = ROOT) -> Path | None:
    """The source file of module ``name`` (``domrand.x.y``), or None when there is none."""
    base = Path(root).joinpath(*name.split(".")[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _raw_imports(tree: ast.AST) -> list[tuple[int, str | None, list[str]]]:
    """Every import statement anywhere in ``tree`` as (level, module, names): ``import a, b``
    is (0, None, [a, b]); ``from ..a import b`` is (2, "a", [b])."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.append((0, None, [alias.name for alias in node.names]))
        elif isinstance(node, ast.ImportFrom):
            out.append((node.level, node.module or "", [alias.name for alias in node.names]))
    return out


def _resolve(raw, module: str, is_package: bool) -> set[str]:
    out: set[str] = set()
    for level, base, names in raw:
        if base is None:
            out.update(names)
            continue
        if level:
            parts = module.split(".") if is_package else module.split(".")[:-1]
            parts = parts[: len(parts) - (level - 1)]
            base = ".".join(parts + ([base] if base else []))
        out.add(base)
        out.update(f"{base}.{name}" for name in names if name != "*")
    return out


def import_names(tree: ast.AST, module: str = "", is_package: bool = False) -> set[str]:
    """Absolute names of everything imported anywhere in ``tree``, with ``from a import b``
    giving both ``a`` and ``a.b`` (``b`` may be a module). Relative imports are resolved
    against ``module``."""
    return _resolve(_raw_imports(tree), module, is_package)


def cache_dir() -> Path | None:
    """Where parsed modules are kept between processes: ``$DOMRAND_DIGEST_CACHE``, else
    ``$XDG_CACHE_HOME/domrand/code-digests`` (``~/.cache`` by default); None when
    ``DOMRAND_DIGEST_CACHE`` is set empty (no cache)."""
    env = os.environ.get("DOMRAND_DIGEST_CACHE")
    if env is not None:
        return Path(env) if env else None
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "domrand" / "code-digests"


def cache_entry(source: bytes) -> Path | None:
    """The cache file of a module's facts: named by its bytes and :data:`CACHE_TAG`."""
    folder = cache_dir()
    if folder is None:
        return None
    return folder / (hashlib.sha256(CACHE_TAG.encode() + b"\0" + source).hexdigest() + ".json")


@cache
def _facts(source: bytes) -> tuple[str, list]:
    """A module's digest and its import statements. Parsing every module for every Snakemake
    process (the workflow's and, on a cluster, every job's) took half the time it spent reading
    the workflow, so they are kept on disk, keyed by the source's bytes and :data:`CACHE_TAG`:
    an edited module has a new key, never a stale entry."""
    entry = cache_entry(source)
    if entry is not None:
        try:
            facts = json.loads(entry.read_text())
            return facts["digest"], [(level, base, names) for level, base, names in facts["imports"]]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # absent or unreadable: parse
    tree = _strip_docstrings(ast.parse(source))
    digest = hashlib.sha256(ast.dump(tree, annotate_fields=True, include_attributes=False).encode()).hexdigest()
    raw = _raw_imports(tree)
    if entry is not None:
        try:
            write_text(json.dumps({"digest": digest, "imports": raw}), entry)
        except OSError:
            pass  # a read-only home: every process parses, as without the cache
    return digest, raw


@cache
def _imports(source: bytes, module: str, is_package: bool) -> frozenset[str]:
    return frozenset(_resolve(_facts(source)[1], module, is_package))


def library_imports(path: Path, module: str = "", root: Path = ROOT) -> set[str]:
    """The ``domrand`` modules the file at ``path`` imports directly, with their parent packages."""
    out = set()
    path = Path(path)
    for name in _imports(path.read_bytes(), module, path.name == "__init__.py"):
        if name != PACKAGE and not name.startswith(PACKAGE + "."):
            continue
        parts = name.split(".")
        for k in range(1, len(parts) + 1):
            prefix = ".".join(parts[:k])
            if module_file(prefix, root) is not None:
                out.add(prefix)
    return out


def closure(path: Path, root: Path = ROOT) -> list[str]:
    """Every ``domrand`` module the file at ``path`` runs, transitively, sorted."""
    seen: set[str] = set()
    todo = sorted(library_imports(Path(path), root=root))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += sorted(library_imports(module_file(name, root), name, root) - seen)
    return sorted(seen)


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return tree


def module_digest(path: Path) -> str:
    """sha256 of a module's code: its syntax tree without docstrings (comments never reach it)."""
    return _facts(Path(path).read_bytes())[0]


def code_digest(script: str | Path, root: Path = ROOT) -> str:
    """A short digest of every library module the script at ``script`` runs (see module doc)."""
    h = hashlib.sha256()
    for name in closure(Path(script), root):
        h.update(f"{name}\0{module_digest(module_file(name, root))}\n".encode())
    return h.hexdigest()[:16]
