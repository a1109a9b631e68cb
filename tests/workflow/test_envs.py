"""The conda envs of `--sdm conda` (envs/*.yaml) against pyproject.toml.

No conda-compatible solver with a reachable channel can be installed on the machines this
project is built and tested on (Debian has no conda or micromamba package; the package index
has solvers, but no conda channel is reachable), so no test creates these envs. This test
checks what can be checked without one: every env pins what pyproject.toml pins, at the same
version, and holds every third-party package that the library modules its rules run import
(the same import walk as the rules' code digests); and no env refers to a path, which would
break when Snakemake copies the env file.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml

from domrand.digest import closure, import_names, module_file

REPO = Path(__file__).resolve().parents[2]
# Imported by the job, provided by Snakemake's own search path (the script preamble).
PROVIDED = {"domrand", "snakemake"}
# Conda packages that are not Python distributions: the interpreter, pip, Mesa's offscreen GL.
CONDA_ONLY = {"python", "pip", "mesalib"}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = dict(d.split("==") for d in project["dependencies"])
    return {norm(k): v for k, v in pins.items()}


def rules() -> dict[str, tuple[str | None, str | None]]:
    """rule -> (env file name, script name), read from rules/*.smk."""
    out = {}
    for smk in sorted((REPO / "rules").glob("*.smk")):
        for block in re.split(r"(?m)^(?=rule )", smk.read_text()):
            name = re.match(r"rule (\w+):", block)
            env = re.search(r'conda:\n\s+"\.\./envs/([\w.-]+\.yaml)"', block)
            script = re.search(r'script:\n\s+"\.\./workflow/scripts/(\w+)\.py"', block)
            if name:
                out[name.group(1)] = (env and env.group(1), script and script.group(1))
    return out


@cache
def third_party(script: Path) -> set[str]:
    """Distributions of every top-level package the script and its library modules import."""
    files = [(script, "", False)] + [(module_file(n), n, module_file(n).name == "__init__.py") for n in closure(script)]
    tops = set()
    for path, module, is_package in files:
        for name in import_names(ast.parse(path.read_bytes()), module, is_package):
            top = name.split(".")[0]
            if top and top not in sys.stdlib_module_names and top not in PROVIDED:
                tops.add(top)
    dists = _distributions()
    missing = sorted(t for t in tops if t not in dists)
    assert not missing, f"{script.name}: imports {missing}, which no installed distribution provides"
    return {norm(d) for t in tops for d in dists[t]}


@cache
def _distributions() -> dict[str, list[str]]:
    return packages_distributions()


def env_file(name: str) -> dict:
    return yaml.safe_load((REPO / "envs" / name).read_text())


def env_pins(env: dict) -> tuple[set[str], dict[str, str]]:
    """(conda packages, {pip distribution: version}) of an env file."""
    conda, pip = set(), {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                assert "==" in line and not line.startswith("-"), f"pip entry {line!r}: pin name==version"
                name, version = line.split("==")
                pip[norm(name)] = version
        else:
            conda.add(dep)
    return conda, pip


ENVS = sorted(p.name for p in (REPO / "envs").glob("*.yaml"))


def test_every_rule_with_a_script_has_an_env():
    assert ENVS
    missing = sorted(r for r, (env, script) in rules().items() if script and not env)
    assert missing == [], f"rules without `conda:`: {missing}"
    unknown = sorted({env for env, _ in rules().values() if env} - set(ENVS))
    assert unknown == []


@pytest.mark.parametrize("name", ENVS)
def test_env_pins_what_pyproject_pins(name):
    conda, pip = env_pins(env_file(name))
    pins = pyproject_pins()
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    python = re.search(r">=(3\.\d+)", requires).group(1)
    assert f"python={python}" in conda
    assert {c.split("=")[0] for c in conda} <= CONDA_ONLY, conda
    unpinned = sorted(set(pip) - set(pins))
    assert unpinned == [], f"envs/{name} pins {unpinned}, which pyproject.toml does not"
    differ = {d: (v, pins[d]) for d, v in pip.items() if pins[d] != v}
    assert differ == {}, f"envs/{name}: (env, pyproject) versions differ: {differ}"


@pytest.mark.parametrize("name", ENVS)
def test_env_holds_every_package_its_rules_import(name):
    _, pip = env_pins(env_file(name))
    scripts = sorted({s for env, s in rules().values() if env == name and s})
    assert scripts, f"envs/{name} is used by no rule"
    for script in scripts:
        need = third_party(REPO / "workflow" / "scripts" / f"{script}.py")
        missing = sorted(need - set(pip))
        assert missing == [], f"envs/{name}: rule script {script}.py imports {missing}; add them pinned"


@pytest.mark.parametrize("name", ENVS)
def test_env_refers_to_no_path(name):
    text = (REPO / "envs" / name).read_text()
    assert not re.search(r"(^|\s)(-e|--editable)\s|\.\./|file:", text), (
        f"envs/{name} refers to a path: Snakemake may copy the file elsewhere"
    )
