"""TEMPORARY: an in-memory stand-in for xlflow.workspace.Workspace (WORKSPACE_API.md) while the
workspace branch is not merged yet. Validation is real (the isolated ValidationPool), storage is
a list. Deleted once the portal tests run on a real Workspace."""

from __future__ import annotations

import hashlib
import secrets
import tempfile
import threading
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path

from xlflow.annotate import annotate_file
from xlflow.errors import XlflowError
from xlflow.findings import rule_names
from xlflow.form import load_form
from xlflow.merge.chase import write_chase_csv, write_status_xlsx
from xlflow.merge.consolidate import consolidate
from xlflow.merge.status import status_rows
from xlflow.merge.workbook import build_summary
from xlflow.roster import Agency, load_roster
from xlflow.template import TemplateFactory, template_filename
from xlflow.validate.isolation import ValidationPool


@dataclass
class Submission:
    id: int
    year: int
    agency_code: str
    declared_code: str | None
    filename: str
    sha256: str
    size: int
    received_at: datetime
    source: str
    actor: str
    status: str
    errors: int
    warnings: int
    current: bool
    late: bool
    review: str = ""
    review_comment: str = ""


@dataclass
class IngestOutcome:
    submission_id: int
    sha256: str
    duplicate: bool
    result: object
    current: bool
    superseded: list
    late: bool
    message: str


@dataclass
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    year: int | None
    agency_code: str | None
    detail: str


class FakeWorkspace:
    def __init__(self, year: int, roster: Path, name="嘉祥县", code="370829"):
        self.year, self.unit_name, self.unit_code = year, name, code
        self._form = load_form()
        self._roster = load_roster(roster)
        self._pool = ValidationPool(self._form, jobs=1)
        self._tmp = Path(tempfile.mkdtemp(prefix="fakews-"))
        self._subs: list[Submission] = []
        self._results: dict[int, object] = {}
        self._blobs: dict[int, bytes] = {}
        self._log: list[AuditEntry] = []
        self._links: dict[str, tuple[int, str]] = {}
        self._pw: bytes | None = None
        self._deadline: date | None = None
        self._secret = secrets.token_bytes(32)
        self._lock = threading.RLock()
        self._factory = TemplateFactory(self._form, year)

    def close(self):
        self._pool.close()

    def current_year(self):
        return self.year

    def years(self):
        return [self.year]

    def form(self, year=None):
        return self._form

    def roster(self, year=None):
        return list(self._roster)

    def agency(self, code, year=None):
        return next((a for a in self._roster if a.code == code), None)

    def secret(self):
        return self._secret

    def audit(self, action, *, actor, year=None, agency_code=None, detail=""):
        with self._lock:
            self._log.append(AuditEntry(len(self._log) + 1, datetime.now(timezone.utc), actor, action, year, agency_code, detail))

    def log(self, year=None, limit=None):
        return self._log[-limit:] if limit else list(self._log)

    def set_deadline(self, d, year=None, actor="cli"):
        self._deadline = d
        self.audit("deadline", actor=actor, detail=str(d))

    def deadline(self, year=None):
        return self._deadline

    def template_bytes(self, code, year=None):
        a = self.agency(code)
        return template_filename(self._form, self.year, a.code, a.name), self._factory.build(a.name, a.code)

    def add_bytes(self, data, filename, *, year=None, agency_code=None, actor, source="portal"):
        sha = hashlib.sha256(data).hexdigest()
        with self._lock:
            for s in self._subs:
                if s.sha256 == sha and s.agency_code == agency_code:
                    return IngestOutcome(s.id, sha, True, self._results[s.id], s.current, [], s.late, "与已收到的文件完全相同，未重复保存。")
            sid = len(self._subs) + 1
            d = self._tmp / str(sid)
            d.mkdir()
            path = d / filename
            path.write_bytes(data)
        result = self._pool.validate(path, year=self.year, roster=self._roster, display_path=filename)
        result.path = path
        if agency_code and result.agency_code != agency_code:
            result.agency_code = agency_code
        late = self._deadline is not None and date.today() > self._deadline
        with self._lock:
            old = [s.id for s in self._subs if s.agency_code == agency_code and s.current]
            for s in self._subs:
                if s.id in old:
                    s.current = False
            self._subs.insert(0, Submission(sid, self.year, agency_code, result.agency_code, filename, sha, len(data),
                                            datetime.now(timezone.utc), source, actor, result.status, result.errors,
                                            result.warnings, True, late))
            self._results[sid] = result
            self._blobs[sid] = data
        self.audit("ingest", actor=actor, agency_code=agency_code, detail=filename)
        return IngestOutcome(sid, sha, False, result, True, old, late, f"已收到 {filename}")

    def submissions(self, year=None, agency_code=None):
        return [replace(s) for s in self._subs if agency_code is None or s.agency_code == agency_code]

    def result(self, sid):
        return self._results[sid]

    def file_bytes(self, sid):
        return self._blobs[sid]

    def annotated_bytes(self, sid):
        out = annotate_file(self._results[sid], self._tmp / f"ann{sid}", names=rule_names(self._form))
        return out.read_bytes() if out else None

    def _consolidation(self, accepted_only=False):
        results = [self._results[s.id] for s in self._subs if s.current and (not accepted_only or s.review == "accepted")]
        return consolidate(results, self._form, year=self.year, roster=self._roster, code=self.unit_code, name=self.unit_name)

    def status_rows(self, year=None):
        return status_rows(self._consolidation())

    def merge(self, out, year=None, *, accepted_only=False):
        Path(out).write_bytes(build_summary(self._consolidation(accepted_only)))
        return out

    def chase(self, out, year=None):
        c = self._consolidation()
        if str(out).endswith(".csv"):
            write_chase_csv(Path(out), c, status_rows(c))
        else:
            write_status_xlsx(Path(out), c, status_rows(c), deadline=self._deadline)
        return out

    def report(self, out, year=None):
        raise XlflowError("（假工作区）没有年度报告草稿")

    # -- access (the real one is xlflow/workspace/access.py)
    def issue_links(self, year=None, codes=None, actor="cli"):
        out = {}
        for a in self._roster:
            if codes is None or a.code in codes:
                self.revoke_link(a.code)
                t = secrets.token_urlsafe(24)
                self._links[hashlib.sha256(t.encode()).hexdigest()] = (self.year, a.code)
                out[a.code] = t
        return out

    def revoke_link(self, code, year=None, actor="cli"):
        for h, (_, c) in list(self._links.items()):
            if c == code:
                del self._links[h]

    def link_codes(self, year=None):
        return {c for _, c in self._links.values()}

    def agency_for_token(self, token):
        hit = self._links.get(hashlib.sha256(token.encode()).hexdigest())
        return (hit[0], self.agency(hit[1])) if hit else None

    def set_admin_password(self, pw, actor="cli"):
        self._pw = hashlib.sha256(pw.encode()).digest()

    def has_admin_password(self):
        return self._pw is not None

    def check_admin_password(self, pw):
        return self._pw is not None and self._pw == hashlib.sha256(pw.encode()).digest()

    def review(self, sid, decision, comment="", actor="cli"):
        s = next(s for s in self._subs if s.id == sid)
        s.review = {"accept": "accepted", "return": "returned", "reopen": ""}[decision]
        s.review_comment = comment

    def can_upload(self, code, year=None):
        cur = next((s for s in self._subs if s.agency_code == code and s.current), None)
        if cur is not None and cur.review == "accepted":
            return False, "县里已确认本单位的报表，如需修改请联系县政务公开办公室重新开放。"
        return True, ""

    def roster_add(self, code, name, group="", actor="cli"):
        self._roster.append(Agency(code, name, 0, group))

    def roster_rename(self, code, name, actor="cli"):
        self._roster = [replace(a, name=name) if a.code == code else a for a in self._roster]

    def roster_remove(self, code, actor="cli"):
        self._roster = [a for a in self._roster if a.code != code]
