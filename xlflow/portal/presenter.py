"""Findings and returns as the pages show them: plain Chinese, every finding with its sheet,
cell, row and column labels, what was found and what to do (the finding's message, which the
catalog writes as both)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..findings import rule_label, rule_names
from ..results import FileResult
from ..vocab import FILE_STATUS_ZH, SEVERITIES, SEVERITY_ZH, STATE_MISSING, STATE_ZH, format_value, place_words
from .words import FAIL, PASS, REVIEW_ZH, UNREADABLE, VERDICT_HINT, VERDICT_ZH, WARN



def verdict(status: str, warnings: int) -> str:
    if status == "unreadable":
        return UNREADABLE
    if status == "invalid":
        return FAIL
    return WARN if warnings else PASS


@dataclass
class FindingView:
    severity: str  # error / warning / info (the CSS class)
    severity_text: str
    rule: str  # 数字单元格为空（value-blank）
    sheet: str
    cell: str
    row_label: str
    col_label: str
    place: str  # 三、依申请公开“四、结转下年度继续办理”行“总计”列
    message: str
    expected: str
    actual: str


def finding_views(result: FileResult, form=None) -> list[FindingView]:
    names = rule_names(form)
    out = []
    for f in sorted(result.findings, key=lambda f: SEVERITIES.index(f.severity) if f.severity in SEVERITIES else len(SEVERITIES)):
        out.append(FindingView(
            severity=f.severity, severity_text=SEVERITY_ZH.get(f.severity, f.severity), rule=rule_label(f.rule, names),
            sheet=f.sheet or "", cell=f.cell or "", row_label=f.row_label or "", col_label=f.col_label or "",
            place=place_words(f.sheet, f.row_label, f.col_label), message=f.message,
            expected="" if f.expected is None else format_value(f.expected),
            actual="" if f.actual is None else format_value(f.actual),
        ))
    return out


@dataclass
class ResultView:
    verdict: str
    verdict_text: str
    hint: str
    status_text: str
    errors: int
    warnings: int
    findings: list[FindingView]


def result_view(result: FileResult, form=None) -> ResultView:
    v = verdict(result.status, result.warnings)
    return ResultView(v, VERDICT_ZH[v], VERDICT_HINT[v], FILE_STATUS_ZH.get(result.status, result.status),
                      result.errors, result.warnings, finding_views(result, form))


def when(at: datetime | None) -> str:
    """A time as the clerk reads it, in the server's local time zone: 2025-01-20 14:03."""
    if at is None:
        return ""
    return at.astimezone().strftime("%Y-%m-%d %H:%M")


@dataclass
class SubmissionView:
    id: int
    filename: str
    received: str
    verdict: str
    verdict_text: str
    errors: int
    warnings: int
    current: bool
    late: bool
    review: str
    review_text: str
    review_comment: str
    source: str
    actor: str


def submission_view(s) -> SubmissionView:
    v = verdict(s.status, s.warnings)
    return SubmissionView(s.id, s.filename, when(s.received_at), v, VERDICT_ZH[v], s.errors, s.warnings, s.current, s.late,
                          s.review, REVIEW_ZH.get(s.review, s.review), s.review_comment, s.source, s.actor)


@dataclass
class DashboardRow:
    code: str
    name: str
    state: str
    state_text: str
    last_upload: str
    errors: int | str
    warnings: int | str
    review: str
    review_text: str
    late_text: str
    submission_id: int | None
    problems: str


def dashboard_rows(status_rows, submissions, deadline: date | None, today: date) -> list[DashboardRow]:
    """One row per roster agency: its state, its counted return's counts and review, and
    逾期 marks (a return received after the deadline, or none yet once it has passed)."""
    latest: dict[str, object] = {}
    counted: dict[str, object] = {}
    for s in submissions:  # newest first
        latest.setdefault(s.agency_code, s)
        if s.current:
            counted.setdefault(s.agency_code, s)
    rows = []
    for r in status_rows:
        if not getattr(r, "in_roster", True):
            continue
        last = latest.get(r.code)
        cur = counted.get(r.code) or last
        late = ""
        if cur is not None and cur.late:
            late = "逾期提交"
        elif r.state == STATE_MISSING and deadline is not None and today > deadline:
            late = "逾期未报"
        review = cur.review if cur is not None else ""
        rows.append(DashboardRow(
            code=r.code, name=r.name, state=r.state, state_text=STATE_ZH.get(r.state, r.state),
            last_upload=when(last.received_at) if last else "",
            errors=cur.errors if cur else "", warnings=cur.warnings if cur else "",
            review=review if cur else "none", review_text=REVIEW_ZH.get(review, review) if cur else "",
            late_text=late, submission_id=cur.id if cur else None, problems=r.problems(2),
        ))
    return rows
