"""Year over year: last year's stored values feed this year's cross-year rules, and a year
collected without a workspace can be imported.

``previous(year)`` is a ``validate.Previous`` of year-1: the values imported for it
(``import_year``), overlaid by the current valid return of each agency stored for it. The
cross-year rules of the form (``needs_previous``: 二、上年结转 = 上年 四、结转下年度, the
现行有效件数 roll-forward) then run on every file of ``year`` by themselves; when last year's
values change, the affected results of this year become stale and are re-validated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..results import decode_values, encode_values
from ..summaryfile import SummaryError, read_summary
from ..validate import Previous, validate_paths
from ..validate.previous import kept_fields, previous_of
from ..validate.dependencies import code_version, form_digest
from . import schema as t
from .config import WorkspaceError
from .db import reading, writing
from .records import now, time_text
from .store import audit, result_of


class YearsMixin:
    def previous(self, year: int | None = None) -> Previous | None:
        """Last year's values for ``year``'s cross-year rules, or None without a year before it.
        The same object is returned while the values stay the same (checked only when the
        audit log of last year has grown)."""
        y = self._year(year)
        py = y - 1
        if py not in self.years():
            return None
        # what the cross-year rules and the 上年对比 measures read
        keep = kept_fields(self.form(y))
        by_agency: dict[str, dict[str, Any]] = {}
        s = t.submissions
        with reading(self.engine) as conn:
            # every change to last year's data writes an audit entry of that year
            key = conn.execute(sa.select(sa.func.max(t.audit.c.id)).where(t.audit.c.year == py)).scalar()
            hit = self._previous.get(y)
            if hit is not None and hit[0] == key:
                return hit[1]
            for r in conn.execute(sa.select(t.imported.c.agency_code, t.imported.c["values"]).where(t.imported.c.year == py)):
                values = decode_values(json.loads(r.values))
                by_agency[r.agency_code] = {k: values.get(k) for k in keep}
            rows = conn.execute(sa.select(s.c.id, s.c.agency_code, s.c.result)
                                .where(s.c.year == py, s.c.current.is_(True), s.c.status == "valid")).all()
        for r in rows:
            values = result_of(r).values or {}
            by_agency[r.agency_code] = {k: values.get(k) for k in keep}
        if hit is not None and hit[1].by_agency == by_agency:
            self._previous[y] = (key, hit[1])  # the same values: the same object (the pool's context)
            return hit[1]
        names = {a.code: a.name for a in self.roster(py)}
        units = [_Unit(code, names.get(code, ""), values) for code, values in by_agency.items()]
        prev = previous_of(self.form(y), units, year=py)
        self._previous[y] = (key, prev)
        return prev

    def import_year(self, source: Path, year: int, *, actor: str = "cli") -> int:
        """Bring in a year collected without a workspace: a summary workbook (every member's row)
        or a folder of returns (each valid return's values). Creates the year when it is new
        (its roster: the agencies found). Returns the number of agencies imported."""
        source = Path(source)
        if not source.exists():
            raise WorkspaceError(f"找不到 {source}。")
        latest = self.years()
        form = self.form(latest[-1]) if latest else None
        if form is None:
            raise WorkspaceError("工作区中还没有年度。")
        found: dict[str, tuple[str, dict]] = {}
        for res in validate_paths([source], form, year=year):
            if res.kind == "summary":
                try:
                    summary = read_summary(Path(res.path), form)
                except SummaryError as exc:
                    raise WorkspaceError(f"汇总表无法读取：{exc}") from None
                for row in summary.rows:
                    found[row.code] = (row.name, dict(row.values))
            elif res.status == "valid" and res.agency_code and res.values is not None:
                found[res.agency_code] = (res.agency_name or "", res.values)
        if not found:
            raise WorkspaceError(f"{source} 中没有找到 {year} 年度可用的汇总表或有效报表。")
        with writing(self.engine) as conn:
            if conn.execute(sa.select(t.years.c.year).where(t.years.c.year == year)).first() is None:
                later = [y for y in latest if y > year]
                conn.execute(t.years.insert().values(year=year, form_ref=self._year_row(latest[-1]).form_ref, form_digest=form_digest(form),
                                                     code_version=code_version(), roster_version=0, previous_year=None,
                                                     created_at=time_text(now())))
                conn.execute(t.agencies.insert(), [{"year": year, "code": c, "name": n or c, "grp": "", "contacts": "[]", "position": i,
                                                   "state": "active"} for i, (c, (n, _)) in enumerate(found.items())])
                if later:
                    conn.execute(t.years.update().where(t.years.c.year == min(later)).values(previous_year=year))
            conn.execute(t.imported.delete().where(t.imported.c.year == year))
            conn.execute(t.imported.insert(), [{"year": year, "agency_code": c, "agency_name": n, "values": json.dumps(encode_values(v), ensure_ascii=False, default=str),
                                               "source": str(source)} for c, (n, v) in found.items()])
            audit(conn, "import-year", actor=actor, year=year, detail=f"导入 {year} 年度数据：{source.name}，{len(found)} 个单位")
        return len(found)


class _Unit:
    """Last year's stored values of one agency, in the shape ``previous_of`` reads."""

    __slots__ = ("code", "name", "values", "members")

    def __init__(self, code: str, name: str, values: dict[str, Any]):
        self.code, self.name, self.values, self.members = code, name, values, ()
