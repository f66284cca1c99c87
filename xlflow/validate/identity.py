"""Whose return is this, for which year, and does the roster know it?

Identity comes from the file's metadata (custom properties or the metadata sheet), never from
its name; the stamped cells are checked against it. Wrong year and unknown agency are one
finding each, and the cell values are still checked: the clerk learns everything in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..cells import a1, cell_text
from ..findings import finding
from ..read.plan import FormPlan
from ..results import FileResult, Finding
from ..roster import Agency

_KEYS = {"agency_name": "xlflow_agency_name", "agency_code": "xlflow_agency_code", "year": "xlflow_year"}


def _as_year(value: Any) -> int | None:
    try:
        return int(float(str(value).strip()))
    except (TypeError, ValueError):
        return None


_index: list = [None, 0, {}]  # roster, its length, code -> agency: one run's roster


def _by_code(roster: Sequence[Agency]) -> dict[str, Agency]:
    """The roster by code, built once for the run rather than once per file (a province's
    roster has 10,000 agencies)."""
    if _index[0] is not roster or _index[1] != len(roster):
        _index[:] = [roster, len(roster), {a.code: a for a in roster}]
    return _index[2]


def check_identity(
    plan: FormPlan,
    result: FileResult,
    ident: Mapping[str, str],
    values: Mapping[str, Any],
    positions: Mapping[str, tuple[str, int, int]],
    year: int | None,
    roster: Sequence[Agency] | None,
) -> list[Finding]:
    form = plan.form
    out: list[Finding] = []
    spec_identity = form.spec.identity

    def place(what: str) -> dict[str, Any]:
        fid = spec_identity[what]
        sheet, r, c = positions.get(fid, (form.fields[fid].sheet, form.fields[fid].row, form.fields[fid].col))
        return {"sheet": sheet, "cell": a1(r, c), "field": fid, "row_label": plan.row_label.get(fid), "col_label": plan.col_label.get(fid)}

    stamped = {what: cell_text(values.get(spec_identity[what])) for what in _KEYS if what in spec_identity}
    meta = {what: cell_text(ident.get(key)) for what, key in _KEYS.items()}
    for what in _KEYS:
        if what not in stamped:
            continue
        if meta[what] and stamped[what] and meta[what] != stamped[what]:
            label = " / ".join(form.fields[spec_identity[what]].label_path)
            out.append(finding("identity-conflict", expected=meta[what], actual=stamped[what], label=label, **place(what)))
    result.agency_code = meta["agency_code"] or stamped.get("agency_code") or None
    result.agency_name = meta["agency_name"] or stamped.get("agency_name") or None
    result.year = _as_year(meta["year"] or stamped.get("year"))
    if "scope" in spec_identity:
        result.scope = values.get(spec_identity["scope"])

    if year is not None and result.year != year:
        out.append(finding("wrong-year", expected=year, actual=result.year if result.year is not None else "未知", **place("year")))
    if roster is not None:
        by_code = _by_code(roster)
        code = result.agency_code or ""
        if code not in by_code:
            out.append(finding("unknown-agency", actual=code or "（空）", name=result.agency_name or "名称未知", **place("agency_code")))
        elif result.agency_name and by_code[code].name != result.agency_name:
            out.append(finding("agency-name-mismatch", code=code, expected=by_code[code].name, actual=result.agency_name, **place("agency_name")))
    return out
