"""What the workspace hands out: submissions, audit entries, ingest outcomes, status changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..results import FileResult


def now() -> datetime:
    return datetime.now(timezone.utc)


def time_text(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


@dataclass
class Submission:
    """One file received (a row of ``submissions``)."""

    id: int
    year: int
    agency_code: str | None  # attributed: whose return this is
    declared_code: str | None  # what the file itself says
    filename: str
    sha256: str
    size: int
    received_at: datetime
    source: str  # 'cli' | 'portal' | 'import'
    actor: str
    status: str  # 'valid' | 'invalid' | 'unreadable'
    errors: int
    warnings: int
    current: bool  # the agency's counted return now
    late: bool  # received after the deadline
    review: str = ""  # '' | 'accepted' | 'returned' (the portal's reviews)
    review_comment: str = ""


@dataclass
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    year: int | None
    agency_code: str | None
    detail: str


@dataclass
class IngestOutcome:
    submission_id: int
    sha256: str
    duplicate: bool
    result: FileResult
    current: bool
    superseded: list[int] = field(default_factory=list)
    late: bool = False
    message: str = ""
    # The same bytes are stored already as ANOTHER agency's file (a portal upload made for
    # ``agency_code``): nothing is recorded for this agency and nothing of the other one is told.
    foreign: bool = False


@dataclass
class Change:
    """A stored result whose status changed on re-validation."""

    submission_id: int
    agency_code: str | None
    filename: str
    before: str
    after: str
    errors: int
    warnings: int
