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
"""

from __future__ import annotations

import ast
import hashlib
from functools import cache
from pathlib import Path

PACKAGE = "domrand"
ROOT = Path(__file__).resolve().parent  # the package jobs import: this one


def module_file(name: str, root: Path = ROOT) -> Path | None:
    """The source file of module ``name`` (``domrand.x.y``), or None when there is none."""
    base = Path(root).joinpath(*name.split(".")[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def import_names(tree: ast.AST, module: str = "", is_package: bool = False) -> set[str]:
    """Absolute names of everything imported anywhere in ``tree``, with ``from a import b``
    giving both ``a`` and ``a.b`` (``b`` may be a module). Relative imports are resolved
    against ``module``."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".") if is_package else module.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return out


@cache
def _parsed(source: bytes) -> tuple[ast.Module, str]:
    """A module's syntax tree without docstrings (which hold no import) and its digest, parsed
    once per source: every rule's digest walks mostly the same modules, and parsing them again
    for each rule made up half the time Snakemake took to read the workflow."""
    tree = _strip_docstrings(ast.parse(source))
    return tree, hashlib.sha256(ast.dump(tree, annotate_fields=True, include_attributes=False).encode()).hexdigest()


@cache
def _imports(source: bytes, module: str, is_package: bool) -> frozenset[str]:
    return frozenset(import_names(_parsed(source)[0], module, is_package))


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
    return _parsed(Path(path).read_bytes())[1]


def code_digest(script: str | Path, root: Path = ROOT) -> str:
    """A short digest of every library module the script at ``script`` runs (see module doc)."""
    h = hashlib.sha256()
    for name in closure(Path(script), root):
        h.update(f"{name}\0{module_digest(module_file(name, root))}\n".encode())
    return h.hexdigest()[:16]
