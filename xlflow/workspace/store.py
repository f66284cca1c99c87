"""Rows in and out: the small queries every part of the workspace shares."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from ..results import FileResult
from ..roster import Agency
from . import schema as t
from .records import AuditEntry, Submission, now, parse_time, time_text
from .supersede import choose


def audit_row(action: str, *, actor: str, year: int | None = None, agency_code: str | None = None, detail: str = "") -> dict:
    return {"at": time_text(now()), "actor": actor or "", "action": action, "year": year, "agency_code": agency_code, "detail": detail or ""}


def audit(conn: sa.Connection, action: str, *, actor: str, year: int | None = None, agency_code: str | None = None, detail: str = "") -> None:
    conn.execute(AUDIT_INSERT, [audit_row(action, actor=actor, year=year, agency_code=agency_code, detail=detail)])


def audit_entry(row: Any) -> AuditEntry:
    return AuditEntry(row.id, parse_time(row.at), row.actor, row.action, row.year, row.agency_code, row.detail)


def submission(row: Any, review: tuple[str, str] = ("", "")) -> Submission:
    return Submission(
        id=row.id, year=row.year, agency_code=row.agency_code, declared_code=row.declared_code, filename=row.filename,
        sha256=row.sha256, size=row.size, received_at=parse_time(row.received_at), source=row.source, actor=row.actor,
        status=row.status, errors=row.errors, warnings=row.warnings, current=bool(row.current), late=bool(row.late),
        review=review[0], review_comment=review[1],
    )


def result_of(row: Any) -> FileResult:
    return FileResult.from_record(json.loads(row.result))


def record_text(result: FileResult) -> str:
    return json.dumps(result.to_record(), ensure_ascii=False, separators=(",", ":"), default=str)


def agency_of(row: Any) -> Agency:
    contacts = tuple(tuple(c) for c in json.loads(row.contacts or "[]"))
    return Agency(row.code, row.name, row.position + 2, row.grp or "", contacts)


_s = t.submissions
# Built once: an ingest runs these for every file (building a statement costs more than running it).
_AGENCY_ROWS = (sa.select(_s.c.id, _s.c.status, _s.c.filled_date, _s.c.received_at, _s.c.current)
                .where(_s.c.year == sa.bindparam("y"), _s.c.agency_code == sa.bindparam("c")))
_SET_CURRENT = (_s.update().where(_s.c.year == sa.bindparam("y"), _s.c.agency_code == sa.bindparam("c"))
                .values(current=_s.c.id == sa.bindparam("best")))
AUDIT_INSERT = t.audit.insert()


def recompute_current(conn: sa.Connection, year: int, code: str | None) -> tuple[int | None, int | None]:
    """Apply the supersession rule to one agency's submissions: (old current id, new current id)."""
    if not code:
        return None, None
    rows = conn.execute(_AGENCY_ROWS, {"y": year, "c": code}).all()
    old = [r.id for r in rows if r.current]
    best = choose(rows)
    new = best.id if best is not None else None
    if old != ([new] if new is not None else []):
        conn.execute(_SET_CURRENT, {"y": year, "c": code, "best": new})
    return (old[0] if old else None), new
