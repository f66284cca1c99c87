"""A county summary (written by ``xlflow merge``) as an input: a city merges county summaries.

The summary format belongs to the merge stage; its reader is imported only when a summary turns
up, so checking agencies' returns never loads the merge stage (and a reader that cannot be
imported is a finding, not a crash).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..findings import finding
from ..form import Form
from ..read.plan import plan_for
from ..results import FileResult
from ..roster import Agency
from .checks import derive, run_rules

SUMMARY_SCOPE = "汇总"


def validate_summary(
    result: FileResult,
    form: Form,
    ident: dict[str, str],
    *,
    year: int | None = None,
    roster: Sequence[Agency] | None = None,
    previous: Any = None,
) -> None:
    try:
        from ..merge.summary import read_summary
    except ImportError:
        result.findings.append(finding("summary-not-supported", what="缺少汇总表读取模块"))
        return
    try:
        summary = read_summary(result.path, form)
    except Exception as exc:  # noqa: BLE001 - the merge stage's errors become one finding
        result.findings.append(finding("file-corrupt", what=f"汇总表无法读取：{exc}"))
        return
    plan = plan_for(form)
    sid = summary.identity or ident
    result.agency_code = sid.get("xlflow_agency_code") or None
    result.agency_name = sid.get("xlflow_agency_name") or None
    try:
        result.year = int(sid.get("xlflow_year", ""))
    except ValueError:
        result.year = None
    result.scope = SUMMARY_SCOPE
    members: list[str] = []
    totals: dict[str, Any] = {f.id: None for f in form.fields.values()}
    for f in form.input_fields:
        if f.type.numeric:
            totals[f.id] = 0
    for row in summary.rows:
        members.extend(row.members or [row.code])
        for f in form.input_fields:
            if not f.type.numeric:
                continue
            v = row.values.get(f.id)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                totals[f.id] += v
    result.members = list(dict.fromkeys(members))
    if year is not None and result.year != year:
        result.findings.append(finding("wrong-year", expected=year, actual=result.year if result.year is not None else "未知"))
    positions = {fid: (f.sheet, f.row, f.col) for fid, f in form.fields.items()}
    # Narrative cells are not summed: rules on them belong to each member's own return.
    invalid: set[str] = {f.id for f in form.fields.values() if not f.type.numeric}
    raw: dict[str, Any] = {}  # recomputed totals are the truth; nothing cached to compare with
    derive(plan, totals, raw, positions, invalid, lambda s: None, "")
    prev = previous.for_agency(result.agency_code) if previous is not None and result.agency_code else None
    result.findings.extend(run_rules(plan, totals, positions, invalid, prev))
    result.values = totals
