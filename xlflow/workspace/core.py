"""The Workspace: one county's collections, year after year, in one database and one folder.

Opening, the per-year facts (form, roster, deadline), the readers, the audit log and the
secret live here; ingest, roster changes, years and the integrity check are mixed in from
their own modules. See docs/workspace-api.md.
"""

from __future__ import annotations

import json
import secrets
import tempfile
import threading
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..annotate import annotate_file
from ..findings import rule_names
from ..form import DEFAULT_FORM, Form, load_form
from ..fsutil import atomic_write_bytes
from ..merge.run import default_identity
from ..results import FileResult
from ..roster import Agency, load_roster
from ..template import TemplateFactory, template_filename
from ..validate.dependencies import code_version, form_digest
from ..validate.isolation import run_isolated
from . import schema as t
from .blobs import BlobStore
from .check import CheckMixin
from .config import (
    DEFAULT_DB,
    Paths,
    WorkspaceError,
    is_workspace,
    read_config,
    resolve_url,
    write_config,
)
from .db import ensure_schema, make_engine, reading, upgrade, writing
from .exports import ExportMixin
from .ingest import IngestMixin
from .records import AuditEntry, Submission, now, parse_time, time_text
from .access import AccessMixin
from .rosterops import RosterMixin
from .store import agency_of, audit, audit_entry, result_of, submission
from .years import YearsMixin


def _form_ref(form: str | None) -> str:
    if form is None:
        return DEFAULT_FORM
    p = Path(form)
    return str(p.resolve()) if p.suffix.lower() in (".yaml", ".yml") or p.is_file() else form


class NoReviews:
    """The last base of ``Workspace``: no reviews until the portal's ``access.AccessMixin``
    (placed first among the bases) supplies them."""

    def reviews(self, year: int | None = None) -> dict[int, tuple[str, str]]:
        """Submission id -> (review, comment) of the reviewed submissions of ``year``."""
        return {}


class Workspace(AccessMixin, IngestMixin, RosterMixin, YearsMixin, CheckMixin, ExportMixin, NoReviews):
    def __init__(self, root: Path, engine: sa.Engine):
        self.root = Path(root)
        self.paths = Paths(self.root)
        self.engine = engine
        self.blobs = BlobStore(self.paths.files)
        self._lock = threading.RLock()
        self._forms: dict[int, tuple[str, Form]] = {}
        self._rosters: dict[int, tuple[int, list[Agency]]] = {}
        self._pools: dict[int, Any] = {}
        self._previous: dict[int, Any] = {}
        self._closed = False
        meta = self._meta()
        self.unit_name: str = meta.get("unit_name", "")
        self.unit_code: str = meta.get("unit_code", "")

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def init(cls, dir: Path, *, year: int, roster: Path | None = None, form: str | None = None, name: str | None = None,
             code: str | None = None, db_url: str | None = None, actor: str = "cli") -> Workspace:
        """Create the workspace in ``dir`` with its first year, or add ``year`` to an existing one."""
        root = Path(dir)
        if is_workspace(root):
            if db_url is not None:
                raise WorkspaceError(f"{root} 已经是工作区，不能再指定 --db。")
            ws = cls.open(root)
            try:
                ws._add_year(year, roster=roster, form=form, actor=actor)
            except BaseException:
                ws.close()
                raise
            return ws
        if roster is None:
            raise WorkspaceError("新建工作区需要单位名单（--agencies）。")
        agencies = load_roster(Path(roster))
        load_form(_form_ref(form))  # a bad --form fails before anything is created
        if root.exists() and not root.is_dir():
            raise WorkspaceError(f"{root} 已存在且不是文件夹。")
        root.mkdir(parents=True, exist_ok=True)
        url = db_url or DEFAULT_DB
        engine = make_engine(resolve_url(root, url))
        try:
            upgrade(engine)
            with writing(engine) as conn:
                if conn.execute(sa.select(t.meta.c.value).where(t.meta.c.key == "unit_code")).first() is not None:
                    raise WorkspaceError(f"数据库 {url} 已经属于另一个工作区，请换一个数据库。")
                d_code, d_name = default_identity(agencies)
                facts = {"unit_code": (code or d_code).strip(), "unit_name": (name or d_name).strip(),
                         "secret": secrets.token_hex(32), "created_at": time_text(now())}
                conn.execute(t.meta.insert(), [{"key": k, "value": v} for k, v in facts.items()])
        except BaseException:
            engine.dispose()
            raise
        Paths(root).files.mkdir(exist_ok=True)
        write_config(Paths(root), url)  # last: a folder with the config is a whole workspace
        ws = cls(root, engine)
        try:
            ws._add_year(year, roster=None, agencies=agencies, form=form, actor=actor)
        except BaseException:
            ws.close()
            raise
        return ws

    @classmethod
    def open(cls, dir: Path) -> Workspace:
        root = Path(dir)
        doc = read_config(root)
        engine = make_engine(resolve_url(root, doc["db"]))
        try:
            ensure_schema(engine)
            return cls(root, engine)
        except BaseException:
            engine.dispose()
            raise

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pools, self._pools = self._pools, {}
        for pool in pools.values():
            pool.close()
        self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- years -----------------------------------------------------------------------------------
    def _add_year(self, year: int, *, roster: Path | None, agencies: list[Agency] | None = None, form: str | None = None,
                  actor: str = "cli") -> None:
        if year in self.years():
            raise WorkspaceError(f"工作区中已有 {year} 年度。")
        earlier = [y for y in self.years() if y < year]
        prev_year = max(earlier) if earlier else None
        if agencies is None:
            if roster is not None:
                agencies = load_roster(Path(roster))
            elif prev_year is not None:
                agencies = self.roster(prev_year)
            else:
                raise WorkspaceError("需要单位名单（--agencies）。")
        if form is None and prev_year is not None:
            ref = self._year_row(prev_year).form_ref
        else:
            ref = _form_ref(form)
        f = load_form(ref)
        with writing(self.engine) as conn:
            conn.execute(t.years.insert().values(year=year, form_ref=ref, form_digest=form_digest(f), code_version=code_version(),
                                                 roster_version=0, previous_year=prev_year, created_at=time_text(now())))
            conn.execute(t.agencies.insert(), [
                {"year": year, "code": a.code, "name": a.name, "grp": a.group, "contacts": json.dumps([list(c) for c in a.contacts], ensure_ascii=False),
                 "position": i, "state": "active"} for i, a in enumerate(agencies)])
            linked = f"，接续 {prev_year} 年度" if prev_year is not None else ""
            audit(conn, "init", actor=actor, year=year,
                  detail=f"建立 {year} 年度：{len(agencies)} 个单位，报表 {f.spec.title}（{f.form_id} {f.version}）{linked}")
        self.write_templates(year)

    def years(self) -> list[int]:
        with reading(self.engine) as conn:
            return [r.year for r in conn.execute(sa.select(t.years.c.year).order_by(t.years.c.year))]

    def current_year(self) -> int:
        ys = self.years()
        if not ys:
            raise WorkspaceError(f"工作区 {self.root} 中还没有年度。")
        return ys[-1]

    def _year(self, year: int | None) -> int:
        if year is None:
            return self.current_year()
        if year not in self.years():
            have = "、".join(str(y) for y in self.years()) or "无"
            raise WorkspaceError(f"工作区中没有 {year} 年度（已有：{have}）。用 xlflow init {self.root} --year {year} 添加。")
        return year

    def _year_row(self, year: int) -> Any:
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(t.years).where(t.years.c.year == year)).first()
        if row is None:
            raise WorkspaceError(f"工作区中没有 {year} 年度。")
        return row

    def form(self, year: int | None = None) -> Form:
        y = self._year(year)
        ref = self._year_row(y).form_ref
        hit = self._forms.get(y)
        if hit is None or hit[0] != ref:
            hit = self._forms[y] = (ref, load_form(ref))
        return hit[1]

    def set_form(self, form: str, year: int | None = None, *, actor: str = "cli") -> Form:
        """Put another form definition (or a newer version of it) in force for ``year``; the
        stored results it affects are re-validated by the next ``revalidate``."""
        y = self._year(year)
        ref = _form_ref(form)
        f = load_form(ref)
        with writing(self.engine) as conn:
            conn.execute(t.years.update().where(t.years.c.year == y).values(form_ref=ref, form_digest=form_digest(f)))
            audit(conn, "form", actor=actor, year=y, detail=f"报表定义改为 {f.form_id} {f.version}")
        self._forms.pop(y, None)
        self._drop_pool(y)
        return f

    def roster(self, year: int | None = None) -> list[Agency]:
        """The active agencies of ``year``, in roster order. The same list object is returned
        until the roster changes (the worker pool tells contexts apart by identity)."""
        y = self._year(year)
        version = self._year_row(y).roster_version
        hit = self._rosters.get(y)
        if hit is None or hit[0] != version:
            with reading(self.engine) as conn:
                rows = conn.execute(sa.select(t.agencies).where(t.agencies.c.year == y, t.agencies.c.state == "active")
                                    .order_by(t.agencies.c.position)).all()
            hit = self._rosters[y] = (version, [agency_of(r) for r in rows])
        return hit[1]

    def agency(self, code: str, year: int | None = None) -> Agency | None:
        return next((a for a in self.roster(year) if a.code == code), None)

    # -- deadline, secret, audit -------------------------------------------------------------------
    def set_deadline(self, when: date | None, year: int | None = None, *, actor: str = "cli") -> None:
        """Set (or clear) the year's deadline; every submission's ``late`` follows it (received,
        in local time, on a later day)."""
        y = self._year(year)
        s = t.submissions
        with writing(self.engine) as conn:
            conn.execute(t.years.update().where(t.years.c.year == y).values(deadline=when.isoformat() if when else None))
            late = 0
            for r in conn.execute(sa.select(s.c.id, s.c.received_at, s.c.late).where(s.c.year == y)).all():
                now_late = bool(when is not None and parse_time(r.received_at).astimezone().date() > when)
                late += now_late
                if now_late != bool(r.late):
                    conn.execute(s.update().where(s.c.id == r.id).values(late=now_late))
            audit(conn, "deadline", actor=actor, year=y,
                  detail=f"报送截止日期：{when.isoformat() if when else '未设'}" + (f"（已收到的文件中 {late} 份逾期）" if late else ""))

    def deadline(self, year: int | None = None) -> date | None:
        text = self._year_row(self._year(year)).deadline
        return date.fromisoformat(text) if text else None

    def secret(self) -> bytes:
        """A random secret made once at init and kept in the database (sessions, CSRF)."""
        value = self._meta().get("secret")
        if value is None:  # a workspace made before the secret existed
            with writing(self.engine) as conn:
                if conn.execute(sa.select(t.meta.c.value).where(t.meta.c.key == "secret")).first() is None:
                    conn.execute(t.meta.insert().values(key="secret", value=secrets.token_hex(32)))
            value = self._meta()["secret"]
        return bytes.fromhex(value)

    def _meta(self) -> dict[str, str]:
        with reading(self.engine) as conn:
            return {r.key: r.value for r in conn.execute(sa.select(t.meta))}

    def audit(self, action: str, *, actor: str, year: int | None = None, agency_code: str | None = None, detail: str = "") -> None:
        with writing(self.engine) as conn:
            audit(conn, action, actor=actor, year=year, agency_code=agency_code, detail=detail)

    def log(self, year: int | None = None, limit: int | None = None) -> list[AuditEntry]:
        """The audit trail, oldest first (the newest ``limit`` entries when given)."""
        q = sa.select(t.audit)
        if year is not None:
            q = q.where(t.audit.c.year == year)
        q = q.order_by(t.audit.c.id.desc())
        if limit is not None:
            q = q.limit(limit)
        with reading(self.engine) as conn:
            rows = conn.execute(q).all()
        return [audit_entry(r) for r in reversed(rows)]

    # -- readers -----------------------------------------------------------------------------------
    def submissions(self, year: int | None = None, agency_code: str | None = None) -> list[Submission]:
        """Every file received (of ``year``, of one agency), newest first."""
        y = self._year(year)
        s = t.submissions
        q = sa.select(*[c for c in s.c if c.name != "result"]).where(s.c.year == y)
        if agency_code is not None:
            q = q.where(s.c.agency_code == agency_code)
        with reading(self.engine) as conn:
            rows = conn.execute(q.order_by(s.c.id.desc())).all()
        reviews = self.reviews(y)
        return [submission(r, reviews.get(r.id, ("", ""))) for r in rows]

    def _row(self, submission_id: int) -> Any:
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(t.submissions).where(t.submissions.c.id == submission_id)).first()
        if row is None:
            raise WorkspaceError(f"没有第 {submission_id} 号报送记录。")
        return row

    def submission(self, submission_id: int) -> Submission:
        row = self._row(submission_id)
        return submission(row, self.reviews(row.year).get(row.id, ("", "")))

    def result(self, submission_id: int) -> FileResult:
        return result_of(self._row(submission_id))

    def file_bytes(self, submission_id: int) -> bytes:
        return self.blobs.get(self._row(submission_id).sha256)

    def annotated_bytes(self, submission_id: int) -> bytes | None:
        row = self._row(submission_id)
        result = result_of(row)
        with tempfile.TemporaryDirectory(prefix="xlflow-annotate-") as tmp:
            src = Path(tmp) / "in" / Path(row.filename).name
            src.parent.mkdir()
            src.write_bytes(self.blobs.get(row.sha256))
            result.path = src
            # openpyxl opens the received file: in a child under the workers' limits, never in
            # this process (the portal's server), whatever the file holds
            try:
                out = run_isolated(annotate_file, result, Path(tmp) / "out", names=rule_names(self.form(row.year)),
                                   limits=self.limits)
            except Exception:  # noqa: BLE001 - a file openpyxl cannot annotate has no annotated copy
                return None
            return out.read_bytes() if out is not None else None

    def template_bytes(self, agency_code: str, year: int | None = None) -> tuple[str, bytes]:
        y = self._year(year)
        a = self.agency(agency_code, y)
        if a is None:
            raise WorkspaceError(f"{y} 年度名单中没有单位代码 {agency_code}。")
        f = self.form(y)
        return template_filename(f, y, a.code, a.name), TemplateFactory(f, y).build(a.name, a.code)

    def write_templates(self, year: int | None = None) -> Path:
        """DIR/templates/<year>/: one stamped template per active agency (rewritten after roster changes)."""
        y = self._year(year)
        f = self.form(y)
        folder = self.paths.templates(y)
        factory = TemplateFactory(f, y)
        for a in self.roster(y):
            atomic_write_bytes(folder / template_filename(f, y, a.code, a.name), factory.build(a.name, a.code))
        folder.mkdir(parents=True, exist_ok=True)
        return folder
