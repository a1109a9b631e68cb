"""Keep the docs' picture of the workflow (Snakemake's rule graph, as mermaid) current.

`python -m domrand.tools.docs` rewrites the block between the markers in docs/workflow.md; a
test fails when the block and `snakemake --rulegraph mermaid-js` disagree.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from domrand.tools.blocks import read_block, write_block

DOC = Path("docs/workflow.md")
BEGIN = "<!-- rulegraph: written by `make rulegraph` (python -m domrand.tools.docs); a test checks it -->"
END = "<!-- /rulegraph -->"


def rulegraph(repo: Path) -> str:
    """The default config's rule graph in mermaid, from the Snakefile in `repo`, without the
    per-node colours (`style` lines) Snakemake adds."""
    snakemake = Path(sys.executable).parent / "snakemake"
    with tempfile.TemporaryDirectory() as work:
        p = subprocess.run(
            [
                str(snakemake),
                "-s",
                str(repo / "Snakefile"),
                "--rulegraph",
                "mermaid-js",
                "--directory",
                work,
                "--quiet",
                "all",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    lines = [ln for ln in p.stdout.strip().splitlines() if not ln.strip().startswith("style ")]
    # Snakemake lists the edges in set order, which changes from run to run: sort them.
    edges = sorted(
        (ln for ln in lines if "-->" in ln), key=lambda ln: [int(t) for t in ln.replace("id", " ").split()[::2]]
    )
    return "\n".join([ln for ln in lines if "-->" not in ln] + edges)


def doc_graph(text: str) -> str | None:
    """The mermaid source between the markers, or None when the text has no such block."""
    inner = read_block(text, BEGIN, END)
    return None if inner is None else inner.removeprefix("```mermaid").removesuffix("```").strip()


def update_doc(path: Path, graph: str) -> bool:
    """Write `graph` between the markers (which must exist); True when the file changed."""
    return write_block(path, BEGIN, END, f"```mermaid\n{graph}\n```")


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[3]
    changed = update_doc(root / DOC, rulegraph(root))
    print(f"{DOC} rule graph " + ("updated" if changed else "already current"))
