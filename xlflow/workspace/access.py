"""Who may do what in a workspace: the agencies' private links, the clerk's password and the
clerk's review of returns (issue 11; used by ``xlflow serve``, ``xlflow links`` and
``xlflow admin-password``). Mixed into ``Workspace``.

* A link token is ``secrets.token_urlsafe(24)`` (192 bits); only its SHA-256 is stored. A new
  link for an agency revokes its old one. Issuing and revoking are audit-logged (never the token).
* The admin password is stored as salted ``hashlib.scrypt`` (n=2**14, r=8, p=1).
* A review is about one submission, the agency's counted return: accepted (确认: locked, no
  upload until reopened), returned (退回, with the comment the agency sees), or reopened
  (the review removed). Every decision is in the audit log with its comment.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

import sqlalchemy as sa

from ..roster import Agency
from ..vocab import REVIEW_ACTION_ZH
from . import schema as t
from .config import WorkspaceError
from .db import reading, writing
from .records import now, time_text
from .store import audit

TOKEN_BYTES = 24
MIN_PASSWORD = 8
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}

# The tables of migration 0002 (described here for the queries, as schema.py does for 0001).
links = sa.Table(
    "links", t.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("agency_code", sa.String(64), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("issued_at", sa.String(40), nullable=False),
    sa.Column("issued_by", sa.Text, nullable=False),
    sa.Column("revoked_at", sa.String(40), nullable=True),
    sa.Column("revoked_by", sa.Text, nullable=True),
)
admin_password = sa.Table(
    "admin_password", t.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.Text, nullable=False),  # scrypt$n$r$p$salt-hex$hash-hex
    sa.Column("set_at", sa.String(40), nullable=False),
    sa.Column("set_by", sa.Text, nullable=False),
)
reviews = sa.Table(
    "reviews", t.metadata,
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), primary_key=True, autoincrement=False),
    sa.Column("decision", sa.String(16), nullable=False),  # accepted | returned
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
)

DECISIONS = {"accept": "accepted", "return": "returned", "reopen": ""}


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str, salt: bytes | None = None, n: int = _SCRYPT["n"], r: int = _SCRYPT["r"], p: int = _SCRYPT["p"]) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        again = hash_password(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(again, stored)


class AccessMixin:
    """Links, the admin password and reviews; needs ``self.engine``, ``self._year``,
    ``self.agency``, ``self.roster`` and ``self.submissions`` of the Workspace."""

    # -- links -------------------------------------------------------------------------------
    def issue_links(self, year: int | None = None, codes: Iterable[str] | None = None, *, actor: str = "cli") -> dict[str, str]:
        """A new private link token for each agency of ``year`` (all active ones, or ``codes``):
        code -> token. The agency's previous link stops working."""
        y = self._year(year)
        roster = {a.code: a for a in self.roster(y)}
        wanted = list(roster) if codes is None else list(dict.fromkeys(codes))
        unknown = [c for c in wanted if c not in roster]
        if unknown:
            raise WorkspaceError(f"{y}年度名单中没有这些单位：{'、'.join(unknown)}")
        tokens = {code: secrets.token_urlsafe(TOKEN_BYTES) for code in wanted}
        at = time_text(now())
        with writing(self.engine) as conn:
            for code, token in tokens.items():
                replaced = self._revoke(conn, y, code, actor, at)
                conn.execute(links.insert().values(year=y, agency_code=code, token_sha256=token_digest(token),
                                                   issued_at=at, issued_by=actor))
                audit(conn, "link-issue", actor=actor, year=y, agency_code=code,
                      detail=f"为{roster[code].name}{'重新' if replaced else ''}生成填报链接" + ("（旧链接已作废）" if replaced else ""))
        return tokens

    def _revoke(self, conn: sa.Connection, year: int, code: str, actor: str, at: str) -> int:
        live = sa.and_(links.c.year == year, links.c.agency_code == code, links.c.revoked_at.is_(None))
        return conn.execute(links.update().where(live).values(revoked_at=at, revoked_by=actor)).rowcount

    def revoke_link(self, code: str, year: int | None = None, *, actor: str = "cli") -> bool:
        """Stop the agency's link; False when it had none."""
        y = self._year(year)
        agency = self.agency(code, y)
        if agency is None:
            raise WorkspaceError(f"{y}年度名单中没有单位 {code}")
        with writing(self.engine) as conn:
            n = self._revoke(conn, y, code, actor, time_text(now()))
            if n:
                audit(conn, "link-revoke", actor=actor, year=y, agency_code=code, detail=f"作废{agency.name}的填报链接")
        return bool(n)

    def link_codes(self, year: int | None = None) -> set[str]:
        """Codes of the agencies of ``year`` that have a live link."""
        y = self._year(year)
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(links.c.agency_code).where(links.c.year == y, links.c.revoked_at.is_(None)))
            return {r.agency_code for r in rows}

    def agency_for_token(self, token: str) -> tuple[int, Agency] | None:
        """(year, agency) of a live link; None for an unknown, revoked or removed agency's link."""
        if not isinstance(token, str) or not token or len(token) > 256:
            return None
        digest = token_digest(token)
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(links).where(links.c.token_sha256 == digest)).first()
        if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_sha256, digest):
            return None
        agency = self.agency(row.agency_code, row.year)
        return None if agency is None else (row.year, agency)

    # -- the clerk's password ----------------------------------------------------------------
    def set_admin_password(self, password: str, *, actor: str = "cli") -> None:
        if len(password) < MIN_PASSWORD:
            raise WorkspaceError(f"管理密码至少需要 {MIN_PASSWORD} 个字符。")
        stored = hash_password(password)
        with writing(self.engine) as conn:
            conn.execute(admin_password.delete())
            conn.execute(admin_password.insert().values(id=1, hash=stored, set_at=time_text(now()), set_by=actor))
            audit(conn, "admin-password", actor=actor, detail="设置了门户管理密码")

    def admin_password_stamp(self) -> str | None:
        """When the admin password was last set (None: never): the portal ends sessions older than it."""
        with reading(self.engine) as conn:
            return conn.execute(sa.select(admin_password.c.set_at)).scalar()

    def has_admin_password(self) -> bool:
        with reading(self.engine) as conn:
            return conn.execute(sa.select(admin_password.c.id)).first() is not None

    def check_admin_password(self, password: str) -> bool:
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(admin_password.c.hash)).first()
        if row is None or not isinstance(password, str):
            return False
        return password_matches(password, row.hash)

    # -- reviews -----------------------------------------------------------------------------
    def reviews(self, year: int | None = None) -> dict[int, tuple[str, str]]:
        """Submission id -> (decision, comment) of the reviewed submissions of ``year``."""
        y = self._year(year)
        q = (sa.select(reviews.c.submission_id, reviews.c.decision, reviews.c.comment)
             .join(t.submissions, t.submissions.c.id == reviews.c.submission_id).where(t.submissions.c.year == y))
        with reading(self.engine) as conn:
            return {r.submission_id: (r.decision, r.comment) for r in conn.execute(q)}

    def review(self, submission_id: int, decision: str, comment: str = "", *, actor: str = "cli") -> None:
        """确认 (accept), 退回 (return, with a comment) or 重新开放 (reopen) the agency's counted return."""
        if decision not in DECISIONS:
            raise WorkspaceError(f"未知的审核操作：{decision}")
        sub = next((s for s in self.submissions(self._submission_year(submission_id)) if s.id == submission_id), None)
        if sub is None:
            raise WorkspaceError(f"没有第 {submission_id} 号报送记录。")
        if not sub.current:
            raise WorkspaceError(f"{sub.filename} 已被该单位后来的报表替代，只能审核当前计入的报表。")
        if decision == "accept" and sub.status != "valid":
            raise WorkspaceError(f"{sub.filename} 未通过校验，不能确认；请退回让单位改正。")
        if decision == "return" and not comment.strip():
            raise WorkspaceError("退回时请写明需要单位修改的内容。")
        with writing(self.engine) as conn:
            conn.execute(reviews.delete().where(reviews.c.submission_id == submission_id))
            if DECISIONS[decision]:
                conn.execute(reviews.insert().values(submission_id=submission_id, decision=DECISIONS[decision],
                                                     comment=comment.strip(), at=time_text(now()), actor=actor))
            detail = f"{REVIEW_ACTION_ZH[decision]}：{sub.filename}" + (f"（意见：{comment.strip()}）" if comment.strip() else "")
            audit(conn, f"review-{decision}", actor=actor, year=sub.year, agency_code=sub.agency_code, detail=detail)

    def _submission_year(self, submission_id: int) -> int:
        with reading(self.engine) as conn:
            y = conn.execute(sa.select(t.submissions.c.year).where(t.submissions.c.id == submission_id)).scalar()
        if y is None:
            raise WorkspaceError(f"没有第 {submission_id} 号报送记录。")
        return y

    def can_upload(self, agency_code: str, year: int | None = None) -> tuple[bool, str]:
        """Whether the agency may upload now: not while the clerk has accepted its return."""
        y = self._year(year)
        if self.agency(agency_code, y) is None:
            return False, f"{y}年度名单中没有单位 {agency_code}。"
        current = next((s for s in self.submissions(y, agency_code) if s.current), None)
        if current is not None and current.review == "accepted":
            return False, "县里已确认本单位的报表（已锁定）。如需修改，请联系县政务公开办公室重新开放。"
        return True, ""
