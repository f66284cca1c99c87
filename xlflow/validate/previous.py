"""Last year's numbers, for the rules that compare years (``needs_previous`` in the form).

``--previous`` is a folder or list of last year's returned files, or last year's summary
workbook (which carries every member's row). Only the fields those rules and the form's
year-over-year measures (``compare:``, ``Form.compare_fields``) read are kept, so 10,000
agencies cost little memory. ``Previous.totals`` is last year's county total of those fields:
the summary's own totals, or the sum of the returns given (a return inside another one given,
a 汇总 return's member, is not counted twice).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..form import Form
from ..read import plan_for
from ..summaryfile import SummaryError, read_summary
from .inputs import validate_paths


def kept_fields(form: Form) -> set[str]:
    """What ``Previous`` keeps of last year: what the cross-year rules and the measures read."""
    return set(plan_for(form).prev_fields) | form.compare_fields


@dataclass
class Previous:
    """Last year's values by agency code (field id -> value, only the fields rules need)."""

    by_agency: dict[str, dict[str, Any]] = field(default_factory=dict)
    year: int | None = None
    sources: list[Path] = field(default_factory=list)
    # Last year's total of the kept fields over the units given (None: nothing to add up).
    totals: dict[str, Any] | None = None
    names: dict[str, str] = field(default_factory=dict)  # code -> last year's name

    def for_agency(self, code: str | None) -> dict[str, Any] | None:
        if not code:
            return None
        return self.by_agency.get(code)

    def __len__(self) -> int:
        return len(self.by_agency)


def load_previous(paths: Iterable[str | os.PathLike] | str | os.PathLike, form: Form) -> Previous:
    """Last year's values from ``paths``. A file that cannot serve as last year's data (not
    readable, no agency) is a ``UsageError`` naming it: a cross-year check that silently ran
    on fewer agencies than the clerk gave would look like a pass.
    Last year's files are read like this year's, in worker processes, so a hostile file
    among them costs only itself."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    keep = kept_fields(form)
    prev = Previous()
    members: dict[str, set[str]] = {}
    for res in validate_paths(list(paths), form):
        path = Path(res.path)
        if res.values is None:
            why = "；".join(f.message for f in res.findings[:2]) or "无法读取"
            raise UsageError(f"--previous 中的 {path.name} 无法作为上一年度数据读取：{why}")
        if not res.agency_code:
            raise UsageError(f"--previous 中的 {path.name} 无法识别是哪个单位的报表（没有单位代码），不能用于跨年度核对。")
        if res.kind == "summary":
            try:
                summary = read_summary(path, form)
            except SummaryError as exc:
                raise UsageError(f"--previous 中的汇总表无法读取：{exc}") from None
            for row in summary.rows:
                prev.by_agency[row.code] = {k: row.values.get(k) for k in keep}
                prev.names.setdefault(row.code, row.name)
                members[row.code] = set(row.members)
            # Its own totals too: a city compares a county's summary year on year.
            prev.by_agency.setdefault(res.agency_code, {k: res.values.get(k) for k in keep})
        else:
            prev.by_agency[res.agency_code] = {k: res.values.get(k) for k in keep}
        prev.names.setdefault(res.agency_code, res.agency_name or "")
        members[res.agency_code] = set(res.members or ())
        prev.year = prev.year or res.year
        prev.sources.append(path)
    if not prev.sources:
        raise UsageError("--previous 中没有找到上一年度的报表或汇总表（.xlsx/.xlsm/.xls/.ods）。")
    prev.totals = _totals(form, prev.by_agency, members)
    return prev


def previous_of(form: Form, units: Iterable[Any], *, year: int | None = None,
                totals: Mapping[str, Any] | None = None) -> Previous:
    """Last year's data from values already at hand (a workspace's stored year): ``units``
    have ``code``, ``name``, ``values`` and ``members`` (``merge.Unit`` of last year's
    consolidation, ``summaryfile.SummaryRow``). ``totals``: last year's county totals
    (e.g. that consolidation's ``totals``); by default the units not inside another are added up."""
    keep = kept_fields(form)
    prev = Previous(year=year)
    members: dict[str, set[str]] = {}
    for u in units:
        prev.by_agency[u.code] = {k: u.values.get(k) for k in keep}
        prev.names[u.code] = u.name or ""
        members[u.code] = set(u.members or ())
    prev.totals = {k: totals.get(k) for k in keep} if totals is not None else _totals(form, prev.by_agency, members)
    return prev


def _totals(form: Form, by_agency: dict[str, dict[str, Any]], members: dict[str, set[str]]) -> dict[str, Any]:
    """The kept numbers summed over the units no other given unit contains."""
    inside = {m for code, ms in members.items() for m in ms if m != code}
    out: dict[str, Any] = {}
    for code, values in by_agency.items():
        if code in inside:
            continue
        for k, v in values.items():
            if form.fields[k].type.numeric and isinstance(v, (int, float)) and not isinstance(v, bool):
                out[k] = out.get(k, 0) + v
            else:
                out.setdefault(k, 0 if form.fields[k].type.numeric else None)
    return out
