"""``--annotate DIR``: a copy of each returned file with its problems marked, to send back.

Each offending cell is highlighted and carries a comment with the finding's message; problems
without a cell go into a comment on the first sheet's A1. openpyxl is fine here: this is not the
ingest path, and only files with findings are opened. The original is read, never written; the
copy is written atomically. Sheet protection, data validation, merges, defined names and the
hidden metadata sheet survive the round trip (the tests check it).
"""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

from .findings import rule_label, rule_names
from .fsutil import atomic_write_bytes
from .results import FileResult
from .vocab import SEVERITIES, SEVERITY_ZH

HIGHLIGHT = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
ANNOTATABLE = (".xlsx", ".xlsm")
AUTHOR = "xlflow 校验"


def annotated_name(result: FileResult) -> str:
    return f"{result.path.stem}_校验标注{result.path.suffix.lower()}"


def annotate_file(result: FileResult, out_dir: Path, name: str | None = None, names: dict[str, str] | None = None) -> Path | None:
    """Write the annotated copy; None when there is nothing to mark or the file cannot carry
    comments (unreadable, or an .xls/.ods that openpyxl cannot write back). ``names`` gives
    each rule code its Chinese name in the comments (``findings.rule_names(form)``)."""
    names = names or rule_names()
    if not result.findings or result.status == "unreadable" or result.path.suffix.lower() not in ANNOTATABLE:
        return None
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    data = result.path.read_bytes()
    keep_vba = result.path.suffix.lower() == ".xlsm"
    wb = load_workbook(io.BytesIO(data), keep_vba=keep_vba, rich_text=True)
    by_cell: dict[tuple[str, str], list] = defaultdict(list)
    loose = []
    for f in result.findings:
        if f.sheet in wb.sheetnames and f.cell:
            by_cell[(f.sheet, f.cell)].append(f)
        else:
            loose.append(f)
    for (sheet, ref), items in by_cell.items():
        cell = wb[sheet][ref]
        worst = min(items, key=lambda f: SEVERITIES.index(f.severity)).severity
        cell.fill = PatternFill("solid", start_color=HIGHLIGHT[worst], end_color=HIGHLIGHT[worst])
        cell.comment = _comment(items, Comment, names)
    if loose:
        first = next((ws for ws in wb.worksheets if ws.sheet_state == "visible"), wb.worksheets[0])
        first["A1"].comment = _comment(loose, Comment, names)
    out = io.BytesIO()
    wb.save(out)
    target = Path(out_dir) / (name or annotated_name(result))
    atomic_write_bytes(target, out.getvalue())
    return target


def _comment(items, comment_cls, names):
    text = "\n".join(f"【{SEVERITY_ZH[f.severity]}：{rule_label(f.rule, names)}】{f.message}" for f in items)
    c = comment_cls(text, AUTHOR)
    c.width = 360
    c.height = max(80, 40 * len(items) + 20 * (len(text) // 40))
    return c
