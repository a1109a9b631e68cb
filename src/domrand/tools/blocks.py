"""Generated blocks inside hand-written Markdown: the text between two marker lines."""

from __future__ import annotations

from pathlib import Path


def read_block(text: str, begin: str, end: str) -> str | None:
    """The stripped text between the markers, or None when the text lacks either."""
    if begin not in text or end not in text:
        return None
    return text.split(begin, 1)[1].split(end, 1)[0].strip()


def write_block(path: Path, begin: str, end: str, block: str) -> bool:
    """Put `block` between the markers of the file at `path` (they must be there); True when
    the file changed."""
    text = path.read_text()
    if read_block(text, begin, end) is None:
        raise SystemExit(f"{path}: add the lines\n{begin}\n{end}\nwhere the generated text should go")
    head, rest = text.split(begin, 1)
    new = f"{head}{begin}\n{block}\n{end}{rest.split(end, 1)[1]}"
    if new != text:
        path.write_text(new)
    return new != text
