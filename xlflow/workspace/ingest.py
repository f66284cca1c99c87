"""Receiving files: store the bytes, validate them in the isolated worker pool, store the
result and its dependencies digest, apply the supersession rule; and re-validation of stored
results that are no longer current (another form version, xlflow version, roster, last year).

One ingest is: hash the bytes; the same bytes already received this year are a no-op that
says so; otherwise the blob is written (temp + fsync + rename) BEFORE the transaction that
inserts the row, decides the agency's current return and writes the audit entries. Validation
(the slow part) runs before that transaction, in ``validate.isolation.ValidationPool`` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..findings import finding
from ..results import FileResult
from ..validate import input_files
from ..validate.dependencies import code_version, digest_for, static_key
from ..validate.isolation import Limits, ValidationPool
from ..vocab import UPLOAD_STATUS_ZH
from . import schema as t
from .blobs import sha256
from .config import WorkspaceError
from .db import reading, writing
from .records import Change, IngestOutcome, now, time_text
from .store import (
    AUDIT_INSERT,
    audit,
    audit_row,
    recompute_current,
    record_text,
    result_of,
)
from .supersede import RULE_TEXT, filled_date

_s = t.submissions
_DUPLICATE = (sa.select(_s.c.id, _s.c.agency_code, _s.c.filename, _s.c.received_at, _s.c.current, _s.c.late, _s.c.result)
              .where(_s.c.year == sa.bindparam("y"), _s.c.sha256 == sa.bindparam("h")))
_INSERT = _s.insert().returning(_s.c.id)


def status_zh(status: str) -> str:
    return UPLOAD_STATUS_ZH.get(status, status)


class IngestMixin:
    jobs: int = 1
    limits: Limits | None = None

    # -- the pool ----------------------------------------------------------------------------------
    def _pool(self, year: int) -> ValidationPool:
        with self._lock:
            pool = self._pools.get(year)
            if pool is None or pool.form is not self.form(year) or pool.jobs < self.jobs:
                if pool is not None:
                    pool.close()
                pool = self._pools[year] = ValidationPool(self.form(year), jobs=self.jobs, limits=self.limits)
            return pool

    def start_validation(self, year: int | None = None) -> None:
        """Start the year's worker pool now. A server calls this before it starts its threads:
        workers are then forked (cheap) rather than spawned."""
        self._pool(self._year(year))

    def _drop_pool(self, year: int) -> None:
        with self._lock:
            pool = self._pools.pop(year, None)
        if pool is not None:
            pool.close()

    def _context(self, year: int) -> tuple[Any, Any]:
        return self.roster(year), self.previous(year)

    # -- ingest ------------------------------------------------------------------------------------
    def add(self, paths: Sequence[Path], *, year: int | None = None, actor: str = "cli", source: str = "cli",
            on_outcome=None) -> list[IngestOutcome]:
        """Ingest files and folders (walked as validation walks them; the workspace's own
        folders are skipped). Files are validated ``self.jobs`` at a time in the worker pool;
        each is stored in its own transaction, in input order."""
        y = self._year(year)
        own = [self.paths.files.resolve(), self.paths.root.resolve() / "templates"]
        files = [e.path for e in input_files([Path(p) for p in paths])
                 if e.skip is None and not e.link and not any(_under(e.path, d) for d in own)]
        plans: list[tuple[Path, str, int, bool]] = []  # (path, digest, size, already known)
        for path in files:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise WorkspaceError(f"无法读取 {path}：{exc.strerror or exc}") from None
            plans.append((path, sha256(data), len(data), False))
        stored = self._stored_digests(y, [d for _, d, _, _ in plans])
        seen: set[str] = set()
        written: list[str] = []
        for k, (path, digest, size, _) in enumerate(plans):
            known = digest in seen or digest in stored
            if not known:
                # the file first, then (in the loop below) the row that points to it
                data = path.read_bytes()
                if sha256(data) != digest:
                    raise WorkspaceError(f"{path} 在导入过程中被改动，请等文件写完后重新运行 xlflow add。")
                self.blobs.put(data, digest, sync_dir=False)
                written.append(digest)
            seen.add(digest)
            plans[k] = (path, digest, size, known)
        self.blobs.sync(written)
        ctx = self._batch(y)
        items = [_KNOWN if known else (self.blobs.path(digest), str(path)) for path, digest, _, known in plans]
        outcomes = []
        results = self._pool(y).run(items, year=y, roster=ctx.roster, previous=ctx.previous)
        try:
            for (path, digest, size, known), result in zip(plans, results):
                if known:
                    outcome = self._known(y, digest, str(path), actor, None)
                else:
                    outcome = self._store(ctx, result, digest, size, str(path), None, actor, source)
                if on_outcome is not None:
                    on_outcome(path, outcome)
                outcomes.append(outcome)
        finally:
            results.close()
        return outcomes

    def add_bytes(self, data: bytes, filename: str, *, year: int | None = None, agency_code: str | None = None,
                  actor: str, source: str = "portal") -> IngestOutcome:
        """One upload (the portal): see the module docstring and docs/workspace-api.md."""
        y = self._year(year)
        if agency_code is not None and self.agency(agency_code, y) is None:
            raise WorkspaceError(f"{y} 年度名单中没有单位代码 {agency_code}。")
        data = bytes(data)
        filename = Path(filename).name or "upload.xlsx"
        digest = sha256(data)
        with reading(self.engine) as conn:
            known = self._duplicate(conn, y, digest) is not None
        if known:
            return self._known(y, digest, filename, actor, agency_code)
        _, blob = self.blobs.put(data, digest)  # the file first, then the row that points to it
        ctx = self._batch(y)
        result = self._pool(y).validate(blob, year=y, roster=ctx.roster, previous=ctx.previous, display_path=filename)
        return self._store(ctx, result, digest, len(data), filename, agency_code, actor, source)

    def _batch(self, year: int) -> _Batch:
        roster, previous = self._context(year)
        form = self.form(year)
        return _Batch(year, form, roster, previous, static_key(form), self.deadline(year))

    def _attribute(self, year: int, result: FileResult, agency_code: str | None) -> FileResult:
        """An upload made for ``agency_code`` that declares another agency: an error on this upload."""
        if agency_code:
            declared = (result.agency_code or "").strip()
            if declared and declared != agency_code:
                a = self.agency(agency_code, year)
                result.findings.append(finding("upload-other-agency", actual=declared, name=result.agency_name or "",
                                               expected=agency_code, owner=a.name if a else agency_code))
                result.status = "unreadable" if result.status == "unreadable" else "invalid"
        return result

    def _stored_digests(self, year: int, digests: list[str]) -> set[str]:
        s = t.submissions
        found: set[str] = set()
        with reading(self.engine) as conn:
            for i in range(0, len(digests), 500):
                chunk = digests[i:i + 500]
                found.update(conn.execute(sa.select(s.c.sha256).where(s.c.year == year, s.c.sha256.in_(chunk))).scalars())
        return found

    def _duplicate(self, conn, year: int, digest: str) -> Any:
        return conn.execute(_DUPLICATE, {"y": year, "h": digest}).first()

    def _known(self, year: int, digest: str, filename: str, actor: str, agency_code: str | None) -> IngestOutcome:
        with reading(self.engine) as conn:
            row = self._duplicate(conn, year, digest)
        return self._duplicate_outcome(year, digest, filename, row, actor, agency_code)

    def _duplicate_outcome(self, year: int, digest: str, filename: str, row: Any, actor: str, agency_code: str | None) -> IngestOutcome:
        if agency_code and row.agency_code and row.agency_code != agency_code:
            return self._foreign(year, digest, filename, row, actor, agency_code)
        msg = f"{Path(filename).name}：与已收到的第 {row.id} 号文件（{Path(row.filename).name}，{row.received_at[:19].replace('T', ' ')} UTC）内容完全相同，未重复登记。"
        with writing(self.engine) as conn:
            audit(conn, "duplicate", actor=actor, year=year, agency_code=agency_code, detail=msg)
        return IngestOutcome(row.id, digest, True, result_of(row), bool(row.current), [], bool(row.late), msg)

    def _foreign(self, year: int, digest: str, filename: str, row: Any, actor: str, agency_code: str) -> IngestOutcome:
        """An upload for ``agency_code`` whose bytes are another agency's stored file: refused,
        and the answer says nothing of that file (its agency, name, time or result); the clerk's
        audit log says which file it matched."""
        msg = (f"{Path(filename).name}：这份文件与另一单位已报送的文件完全相同，不是本单位的报表，未登记。"
               "请用本页面下载的本单位模板填写后再上传。")
        with writing(self.engine) as conn:
            audit(conn, "duplicate", actor=actor, year=year, agency_code=agency_code,
                  detail=f"{Path(filename).name}：与第 {row.id} 号文件（{row.agency_code}）内容完全相同，未登记。")
        refused = FileResult(path=Path(Path(filename).name), status="unreadable", sha256=digest)
        return IngestOutcome(0, digest, True, refused, False, [], False, msg, foreign=True)

    def _store(self, ctx: _Batch, result: FileResult, digest: str, size: int, filename: str, agency_code: str | None,
               actor: str, source: str) -> IngestOutcome:
        """The row, the current return and the audit entries of one validated file: one transaction."""
        year = ctx.year
        result = self._attribute(year, result, agency_code)
        declared = (result.agency_code or "").strip() or None
        attributed = agency_code or declared
        deps = digest_for(ctx.static, result.agency_code, year, ctx.roster, ctx.previous)
        received = now()
        late = bool(ctx.deadline is not None and received.astimezone().date() > ctx.deadline)
        df = ctx.form.date_field
        try:
            with writing(self.engine) as conn:
                dup = self._duplicate(conn, year, digest)
                if dup is not None:  # the same bytes, committed by another process meanwhile
                    raise _Duplicate(dup)
                sid = conn.execute(_INSERT, dict(
                    year=year, agency_code=attributed, declared_code=declared, filename=filename, sha256=digest, size=size,
                    received_at=time_text(received), source=source, actor=actor or "", status=result.status,
                    errors=result.errors, warnings=result.warnings, filled_date=filled_date(result.values, df.id if df else None),
                    result=record_text(result), deps=deps, current=False, late=late,
                )).scalar_one()
                who = attributed or "未识别单位"
                entries = [audit_row("ingest", actor=actor, year=year, agency_code=attributed,
                                     detail=f"收到第 {sid} 号文件 {Path(filename).name}（{source}，{who}）：{status_zh(result.status)}，"
                                            f"错误 {result.errors}，警告 {result.warnings}" + ("，逾期" if late else ""))]
                old, new = recompute_current(conn, year, attributed)
                superseded = [old] if old is not None and new == sid else []
                if superseded:
                    entries.append(audit_row("supersede", actor=actor, year=year, agency_code=attributed,
                                             detail=f"第 {sid} 号文件取代第 {old} 号，成为 {who} 的现用报表（规则：{RULE_TEXT}）"))
                conn.execute(AUDIT_INSERT, entries)
        except _Duplicate as d:
            return self._duplicate_outcome(year, digest, filename, d.row, actor, agency_code)
        except sa.exc.IntegrityError:  # the unique (year, sha256) caught a race the check above missed
            return self._known(year, digest, filename, actor, agency_code)
        current = new == sid
        name = Path(filename).name
        if not attributed:
            msg = f"{name}：已登记为第 {sid} 号，{status_zh(result.status)}，无法识别是哪个单位的报表。"
        elif current:
            extra = f"，取代第 {superseded[0]} 号" if superseded else ""
            msg = f"{name}：已登记为第 {sid} 号，{status_zh(result.status)}（错误 {result.errors}，警告 {result.warnings}），是 {attributed} 的现用报表{extra}。"
        else:
            msg = f"{name}：已登记为第 {sid} 号，{status_zh(result.status)}（错误 {result.errors}，警告 {result.warnings}）；{attributed} 仍以第 {new} 号为现用报表（规则：{RULE_TEXT}）。"
        if late:
            msg += "（逾期报送）"
        return IngestOutcome(sid, digest, False, result, current, superseded, late, msg)

    def assign(self, submission_id: int, agency_code: str, *, actor: str = "cli") -> IngestOutcome:
        """Attribute a file no agency could be read from (an unreadable file, a scan) to an
        agency: it joins that agency's returns under the supersession rule (so a valid return
        sent later replaces it) instead of standing alone in the status. A file that declares
        another agency keeps its finding (``upload-other-agency``)."""
        row = self._row(submission_id)
        y = row.year
        if self.agency(agency_code, y) is None:
            raise WorkspaceError(f"{y} 年度名单中没有单位代码 {agency_code}。")
        if row.declared_code and row.declared_code != agency_code:
            raise WorkspaceError(f"第 {submission_id} 号文件声明的单位是 {row.declared_code}，不能归到 {agency_code}。")
        s = t.submissions
        with writing(self.engine) as conn:
            conn.execute(s.update().where(s.c.id == submission_id).values(agency_code=agency_code))
            recompute_current(conn, y, row.agency_code)
            old, new = recompute_current(conn, y, agency_code)
            audit(conn, "assign", actor=actor, year=y, agency_code=agency_code,
                  detail=f"第 {submission_id} 号文件 {Path(row.filename).name} 归到 {agency_code}（原为 {row.agency_code or '未识别单位'}）")
        sub = self.submission(submission_id)
        msg = f"第 {submission_id} 号文件已归到 {agency_code}" + ("，是该单位的现用报表。" if sub.current else f"；该单位仍以第 {new} 号为现用报表。")
        return IngestOutcome(submission_id, row.sha256, False, self.result(submission_id), sub.current,
                             [old] if old is not None and new == submission_id else [], sub.late, msg)

    # -- re-validation -----------------------------------------------------------------------------
    def stale(self, year: int | None = None) -> list[int]:
        """Ids of stored results that validating their bytes now could change (their
        dependencies digest differs: form, xlflow, the agency's roster entry or last year's values)."""
        y = self._year(year)
        roster, previous = self._context(y)
        static = static_key(self.form(y))
        s = t.submissions
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(s.c.id, s.c.declared_code, s.c.deps).where(s.c.year == y)).all()
        return [r.id for r in rows if digest_for(static, r.declared_code, y, roster, previous) != r.deps]

    def revalidate(self, year: int | None = None, *, actor: str = "cli", ids: Iterable[int] | None = None) -> list[Change]:
        """Validate again, from the stored bytes, every result that is stale (or ``ids``);
        store the new results, re-apply the supersession rule, log it. Returns the status changes."""
        y = self._year(year)
        todo = list(ids) if ids is not None else self.stale(y)
        if not todo:
            return []
        roster, previous = self._context(y)
        form = self.form(y)
        static = static_key(form)
        df = form.date_field
        s = t.submissions
        cols = [c for c in s.c if c.name != "result"]
        with reading(self.engine) as conn:
            rows = {r.id: r for i in range(0, len(todo), 500)
                    for r in conn.execute(sa.select(*cols).where(s.c.id.in_(todo[i:i + 500])))}
        todo = [sid for sid in todo if sid in rows]
        items = [(self.blobs.path(rows[sid].sha256), rows[sid].filename) for sid in todo]
        changes: list[Change] = []
        results = self._pool(y).run(items, year=y, roster=roster, previous=previous)
        try:
            for sid, result in zip(todo, results):
                row = rows[sid]
                # attributed by the portal or by the clerk (``assign``): kept; else the file's own claim
                attributed = row.agency_code if (row.source != "cli" or row.agency_code != row.declared_code) else None
                result = self._attribute(y, result, attributed)
                declared = (result.agency_code or "").strip() or None
                before = (row.status, row.errors, row.warnings)
                after = (result.status, result.errors, result.warnings)
                with writing(self.engine) as conn:
                    conn.execute(s.update().where(s.c.id == sid).values(
                        declared_code=declared, agency_code=row.agency_code if attributed else declared, status=result.status,
                        errors=result.errors, warnings=result.warnings, filled_date=filled_date(result.values, df.id if df else None),
                        result=record_text(result), deps=digest_for(static, result.agency_code, y, roster, previous)))
                    for code in {row.agency_code, row.agency_code if attributed else declared}:
                        recompute_current(conn, y, code)
                    if before != after:  # one entry per file whose verdict changed, one for the run
                        audit(conn, "revalidate", actor=actor, year=y, agency_code=row.agency_code,
                              detail=f"重新校验第 {sid} 号文件 {Path(row.filename).name}：{status_zh(row.status)}（错误 {row.errors}，警告 {row.warnings}）"
                                     f" → {status_zh(result.status)}（错误 {result.errors}，警告 {result.warnings}）")
                if before != after:
                    changes.append(Change(sid, row.agency_code, row.filename, row.status, result.status, result.errors, result.warnings))
        finally:
            results.close()
        with writing(self.engine) as conn:
            conn.execute(t.years.update().where(t.years.c.year == y).values(code_version=code_version()))
            audit(conn, "revalidate", actor=actor, year=y,
                  detail=f"重新校验 {len(todo)} 份已存的报表（报表定义、xlflow 版本、名单或上年数据有变化），其中 {len(changes)} 份校验结果有变化")
        return changes


@dataclass
class _Batch:
    """What the files of one run are validated and stored against."""

    year: int
    form: Any
    roster: Any
    previous: Any
    static: str
    deadline: Any


_KNOWN = FileResult(Path(""), "unreadable")  # stands in the pool's input for a file already stored


def _under(path: Path, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(folder)
        return True
    except ValueError:
        return False


class _Duplicate(Exception):
    def __init__(self, row: Any):
        self.row = row
