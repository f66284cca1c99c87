"""A summary workbook (written by ``xlflow merge``) as an input: a city merges county summaries.

Its values are the summary's totals (``summaryfile`` reads it, ``totals`` adds its rows up, as
for every other reader), and the rules that say something about a sum are run on them; rules
on text or on numbers that are not added up belong to each member's own return.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..findings import finding
from ..form import Form
from ..read import Book
from ..read.plan import plan_for
from ..results import FileResult
from ..roster import Agency
from ..summaryfile import SummaryError, from_book
from .checks import outliers, run_rules


def validate_summary(
    result: FileResult,
    book: Book,
    form: Form,
    *,
    year: int | None = None,
    roster: Sequence[Agency] | None = None,
    previous: Any = None,
) -> None:
    try:
        summary = from_book(book, form, result.path)
    except SummaryError as exc:
        result.findings.append(finding("file-corrupt", what=f"汇总表无法读取：{exc}"))
        return
    result.kind = "summary"
    result.agency_code = summary.code or None
    result.agency_name = summary.name or None
    result.year = summary.year
    result.scope = form.summary_scope
    result.members = summary.members
    if year is not None and result.year != year:
        result.findings.append(finding("wrong-year", expected=year, actual=result.year if result.year is not None else "未知"))
    values: dict[str, Any] = {f.id: None for f in form.fields.values()}  # stamps: the identity is the metadata's
    values.update(summary.totals)
    positions = {fid: (f.sheet, f.row, f.col) for fid, f in form.fields.items()}
    summed = {f.id for f in form.summable_fields}
    not_summed = {fid for fid in form.fields if fid not in summed}
    prev = previous.for_agency(result.agency_code) if previous is not None and result.agency_code else None
    result.findings.extend(run_rules(plan_for(form), values, positions, not_summed, prev))
    result.findings.extend(outliers(plan_for(form), values, positions, not_summed, prev))
    result.values = values
