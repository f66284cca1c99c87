"""What validation hands to the later stages: findings and per-file results.

This is the contract between ``validate`` (which produces them), and ``merge``, ``report``
and the CLI (which consume them). Keys of ``Finding.to_dict`` and ``FileResult.to_dict`` are
the documented ``--json`` contract: add keys, never rename them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Status = Literal["valid", "invalid", "unreadable"]


@dataclass
class Finding:
    """One problem (or note) about one returned file, positioned as precisely as known."""

    rule: str  # stable id: "R1", "S4", or a code like "value-not-number"
    severity: Severity
    message: str  # Chinese, says what is wrong and what to do
    sheet: str | None = None
    cell: str | None = None  # A1
    field: str | None = None  # field id from the form definition
    expected: Any = None
    actual: Any = None
    row_label: str | None = None
    col_label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "field": self.field,
            "message": self.message,
            "expected": self.expected,
            "actual": self.actual,
            "row_label": self.row_label,
            "col_label": self.col_label,
        }


@dataclass
class FileResult:
    """Everything known about one returned file after validation."""

    path: Path
    status: Status
    findings: list[Finding] = field(default_factory=list)
    agency_code: str | None = None
    agency_name: str | None = None
    year: int | None = None
    scope: str | None = None  # "本级" / "汇总"
    members: list[str] = field(default_factory=list)  # agency codes inside a 汇总 return
    values: dict[str, Any] | None = None  # field id -> normalised value (None when unreadable)
    sha256: str = ""
    application: str = ""  # which program saved it last (docProps/app.xml), e.g. "Microsoft Excel"

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "agency_code": self.agency_code,
            "agency_name": self.agency_name,
            "year": self.year,
            "scope": self.scope,
            "status": self.status,
            "sha256": self.sha256,
            "application": self.application,
            "findings": [f.to_dict() for f in self.findings],
        }
