"""Keep the README's picture of the workflow (Snakemake's rule graph, as mermaid) current.

`python -m domrand.tools.docs` rewrites the block between the markers in README.md; a test fails
when the block and `snakemake --rulegraph mermaid-js` disagree.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

BEGIN = "<!-- rulegraph: written by `make rulegraph` (python -m domrand.docs); a test checks it -->"
END = "<!-- /rulegraph -->"


def rulegraph(repo: Path) -> str:
    """The default config's rule graph in mermaid, from the Snakefile in `repo`."""
    snakemake = Path(sys.executable).parent / "snakemake"
    with tempfile.TemporaryDirectory() as work:
        p = subprocess.run([str(snakemake), "-s", str(repo / "Snakefile"), "--rulegraph", "mermaid-js",
                            "--directory", work, "--quiet", "all"], capture_output=True, text=True, check=True)
    # Snakemake lists the edges in set order, which changes from run to run: sort them.
    lines = p.stdout.strip().splitlines()
    edges = sorted((ln for ln in lines if "-->" in ln), key=lambda ln: [int(t) for t in ln.replace("id", " ").split()[::2]])
    return "\n".join([ln for ln in lines if "-->" not in ln] + edges)


def readme_block(text: str) -> str | None:
    """The mermaid source between the markers, or None when the README has no such block."""
    if BEGIN not in text or END not in text:
        return None
    inner = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    return inner.removeprefix("```mermaid").removesuffix("```").strip()


def update_readme(readme: Path, graph: str) -> bool:
    """Write `graph` between the markers (which must exist); True when the file changed."""
    text = readme.read_text()
    if readme_block(text) is None:
        raise SystemExit(f"{readme}: add the lines\n{BEGIN}\n{END}\nwhere the rule graph should go")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    new = f"{head}{BEGIN}\n```mermaid\n{graph}\n```\n{END}{tail}"
    if new != text:
        readme.write_text(new)
    return new != text


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[3]
    changed = update_readme(root / "README.md", rulegraph(root))
    print("README.md rule graph " + ("updated" if changed else "already current"))
