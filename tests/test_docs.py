"""The README and docs: every relative link resolves, no tracker numbers, the README stays short."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _relative_links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)  # code blocks hold no links
    return [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t) and not t.startswith("#")]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(page):
    broken = [t for t in _relative_links(page) if not (page.parent / t.split("#")[0]).exists()]
    assert not broken, f"{page.relative_to(REPO)} links to missing files: {broken}"


def test_the_readme_links_every_doc_page():
    linked = {(REPO / t.split("#")[0]).resolve() for t in _relative_links(REPO / "README.md")}
    pages = {p.resolve() for p in (REPO / "docs").glob("*.md")}
    assert pages - linked == set(), f"docs pages the README does not link: {sorted(pages - linked)}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_tracker_numbers(page):
    hits = re.findall(r"\b(?:issue|stop|ticket)s? #?\d+", page.read_text(), flags=re.I)
    assert not hits, f"{page.relative_to(REPO)} cites tracker numbers {hits}: say what, not which ticket"


def test_readme_is_short_and_starts_with_what_and_how():
    text = (REPO / "README.md").read_text()
    assert len(text.splitlines()) <= 300
    heads = re.findall(r"^## (.+)$", text, flags=re.M)
    assert heads[:3] == ["The two commands", "Gallery", "Results"], heads
    assert heads[-1] == "Where to go next"
