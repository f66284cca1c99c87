"""Docs generated from the definition are committed and current (datasette-style)."""

from __future__ import annotations

from pathlib import Path

from xlflow.docgen import expected_pages

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_generated_reference_pages_are_current():
    stale = [
        str(path.relative_to(DOCS))
        for path, text in expected_pages(DOCS).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"run `python -m xlflow.docgen` and commit: {stale}"


def test_every_field_and_rule_is_documented(form):
    page = (DOCS / "forms" / f"{form.form_id}.md").read_text(encoding="utf-8")
    for fid in form.fields:
        assert f"`{fid}`" in page
    for rule in form.spec.rules:
        assert f"| {rule.id} |" in page


def test_every_command_is_documented():
    from xlflow.cli import app

    docs = "".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    for cmd in app.registered_commands:
        assert f"xlflow {cmd.name}" in docs, cmd.name


def test_printed_pages_shown_in_the_docs_exist():
    """docs/printing.md shows the PNGs the print tests make; none missing, none left over."""
    import re

    docs = Path(__file__).resolve().parents[1] / "docs"
    shown = {m for page in docs.glob("*.md") for m in re.findall(r"\(images/([^)]+\.png)\)", page.read_text(encoding="utf-8"))}
    present = {p.name for p in (docs / "images").glob("*.png")}
    assert shown and shown == present, (shown - present, present - shown)
