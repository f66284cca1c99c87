"""Printing for the tests: PDF facts (pages, paper size, text per page) and the PNGs a person
looks at. ``XLFLOW_PRINT_DIR=docs/images python -m pytest tests/test_print_libreoffice.py
tests/test_report_libreoffice.py`` writes the pictures that docs/printing.md shows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.support.libreoffice import pdf_to_png

A4 = (595.3, 841.9)  # points, portrait


def pages_text(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def squeezed(pdf: Path) -> list[str]:
    """Each page's text without any whitespace (line breaks fall anywhere in a wrapped cell)."""
    return ["".join(p.split()) for p in pages_text(pdf)]


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    out = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(pdf)], capture_output=True, text=True, check=True).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", out)]


def is_a4(size: tuple[float, float]) -> bool:
    w, h = sorted(size)
    return abs(w - A4[0]) < 2 and abs(h - A4[1]) < 2


def keep_pngs(pdf: Path, name: str, dpi: int = 70) -> list[Path]:
    """Every page as PNG next to the PDF, copied to $XLFLOW_PRINT_DIR as <name>-<n>.png."""
    pngs = pdf_to_png(pdf, pdf.with_name(pdf.stem + "-page"), first_page_only=False, dpi=dpi)
    target = os.environ.get("XLFLOW_PRINT_DIR")
    if target:
        folder = Path(target)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{name}-*.png"):
            old.unlink()
        for i, png in enumerate(pngs, 1):
            shutil.copyfile(png, folder / f"{name}-{i}.png")
    return pngs
