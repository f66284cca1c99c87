"""Status, summary, 催报 list and county report from the stored results (nothing is read again).

The results fed to the merge code are: each agency's current return (``supersede``), of the
agencies on the year's roster or not on it (a return from an agency not on the roster is
listed as such, as a folder merge lists it), and every file no agency could be attributed to
(unreadable files). Returns of agencies removed from the roster or merged into another are
history only. With the same files, the outputs are those of the folder-based commands.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa

from ..fsutil import atomic_write_bytes
from ..merge.chase import write_chase_csv, write_status_xlsx
from ..merge.compare import attach, for_consolidation
from ..merge.consolidate import Consolidation, consolidate
from ..merge.run import Slimmer
from ..merge.status import StatusRow, status_rows
from ..merge.workbook import build_summary
from ..report import render
from ..report.from_file import report_from_file
from ..results import FileResult
from . import schema as t
from .config import WorkspaceError
from .db import reading
from .store import result_of


class ExportMixin:
    """Reads stored results once per workspace object: each result is parsed and slimmed
    (``merge.run.Slimmer``, as the folder merge keeps it) the first time and kept while its
    dependencies digest stays the same; ``status_rows`` is kept until the audit log grows (every
    change to what it shows writes an entry)."""

    def _counted_rows(self, year: int, accepted_only: bool = False) -> list:
        s, a = t.submissions, t.agencies
        gone = sa.select(a.c.code).where(a.c.year == year, a.c.state != "active")
        q = (sa.select(s.c.id, s.c.agency_code, s.c.deps).where(s.c.year == year)
             .where(sa.or_(s.c.agency_code.is_(None), sa.and_(s.c.current.is_(True), s.c.agency_code.not_in(gone))))
             .order_by(s.c.id))
        with reading(self.engine) as conn:
            rows = conn.execute(q).all()
        if accepted_only:
            reviews = self.reviews(year)
            rows = [r for r in rows if reviews.get(r.id, ("", ""))[0] == "accepted"]
        return rows

    def _stored_results(self, year: int, rows: list) -> list[FileResult]:
        cache = self.__dict__.setdefault("_result_cache", {})
        missing = [r.id for r in rows if cache.get(r.id, (None,))[0] != r.deps]
        if missing:
            s = t.submissions
            slim = Slimmer(self.form(year))
            with reading(self.engine) as conn:
                for i in range(0, len(missing), 500):
                    for r in conn.execute(sa.select(s.c.id, s.c.deps, s.c.result).where(s.c.id.in_(missing[i:i + 500]))):
                        cache[r.id] = (r.deps, slim(result_of(r)))
        out = []
        for row in rows:
            r = cache[row.id][1]
            r = replace(r, findings=list(r.findings), members=list(r.members))  # consolidate may add a finding
            if row.agency_code and (r.agency_code or "").strip() != row.agency_code:
                # an upload attributed to one agency (the portal's link) stays that agency's,
                # whatever the file declares: it can never stand for another agency
                a = self.agency(row.agency_code, year)
                r.agency_code, r.agency_name = row.agency_code, a.name if a else r.agency_name
            out.append(r)
        return out

    def consolidation(self, year: int | None = None, *, accepted_only: bool = False) -> Consolidation:
        y = self._year(year)
        results = self._stored_results(y, self._counted_rows(y, accepted_only))
        c = consolidate(results, self.form(y), year=y, roster=self.roster(y), code=self.unit_code, name=self.unit_name)
        previous = self.previous(y)
        if previous is not None:  # last year in the workspace: the summary shows 上年对比
            attach(c, for_consolidation(c, previous))
        return c

    def status_rows(self, year: int | None = None) -> list[StatusRow]:
        y = self._year(year)
        with reading(self.engine) as conn:
            key = (y, conn.execute(sa.select(sa.func.max(t.audit.c.id))).scalar())
        hit = self.__dict__.get("_status_cache")
        if hit is not None and hit[0] == key:
            return list(hit[1])
        rows = status_rows(self.consolidation(y))
        self._status_cache = (key, rows)
        return list(rows)

    def summary_name(self, year: int | None = None) -> str:
        y = self._year(year)
        return f"{self.unit_name}{y}年{self.form(y).spec.title}汇总表.xlsx"

    def merge(self, out: Path, year: int | None = None, *, accepted_only: bool = False, actor: str = "cli") -> Path:
        """The summary workbook, written atomically: the same bytes as the folder merge of the same files."""
        self.write_summary(out, year, accepted_only=accepted_only, actor=actor)
        return Path(out)

    def write_summary(self, out: Path, year: int | None = None, *, accepted_only: bool = False, actor: str = "cli") -> Consolidation:
        """``merge``, returning the consolidation it wrote."""
        y = self._year(year)
        c = self.consolidation(y, accepted_only=accepted_only)
        atomic_write_bytes(Path(out), build_summary(c))
        self.audit("export", actor=actor, year=y, detail=f"生成汇总表 {Path(out).name}：计入 {len(c.units)} 个单位" + ("（仅已接收）" if accepted_only else ""))
        return c

    def chase(self, out: Path, year: int | None = None, *, actor: str = "cli") -> Path:
        y = self._year(year)
        out = Path(out)
        c = self.consolidation(y)
        rows = status_rows(c)
        if out.suffix.lower() == ".xlsx":
            write_status_xlsx(out, c, rows, deadline=self.deadline(y))
        elif out.suffix.lower() == ".csv":
            write_chase_csv(out, c, rows)
        else:
            raise WorkspaceError(f"催报名单应为 .xlsx 或 .csv 文件：{out}")
        self.audit("export", actor=actor, year=y, detail=f"生成催报名单 {out.name}")
        return out

    def report(self, out: Path, year: int | None = None, *, fmt: str | None = None, force: bool = False, actor: str = "cli") -> Path:
        """The county report draft, as ``xlflow report`` makes it from the summary workbook
        (the summary is built in a temporary folder and read back through the worker pool)."""
        y = self._year(year)
        out = Path(out)
        fmt = fmt or {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}.get(out.suffix.lower(), "docx")
        with tempfile.TemporaryDirectory(prefix="xlflow-report-") as tmp:
            summary = Path(tmp) / self.summary_name(y)
            atomic_write_bytes(summary, build_summary(self.consolidation(y)))
            result = self._pool(y).validate(summary)
            made = report_from_file(summary, self.form(y), force=force, result=result)
            atomic_write_bytes(out, render(made.model, fmt))
        self.audit("export", actor=actor, year=y, detail=f"生成全县报告草稿 {out.name}")
        return out
