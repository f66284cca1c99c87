"""What validation hands to the later stages: findings and per-file results.

This is the contract between ``validate`` (which produces them), and ``merge``, ``report``
and the CLI (which consume them). Keys of ``Finding.to_dict`` and ``FileResult.to_dict`` are
the documented ``--json`` contract: add keys, never rename them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Status = Literal["valid", "invalid", "unreadable"]
Kind = Literal["return", "summary"]


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

    def to_record(self) -> dict[str, Any]:
        """Every attribute, JSON-safe (see ``encode_value``); ``from_record`` gives it back equal."""
        return {f.name: encode_value(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Finding:
        return cls(**{f.name: decode_value(record.get(f.name)) for f in fields(cls)})

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
    scope: str | None = None  # a value of the form's scope field (本级 / 汇总 in the 2021 form)
    members: list[str] = field(default_factory=list)  # agency codes inside a summary, transitively
    values: dict[str, Any] | None = None  # field id -> normalised value (None when unreadable)
    sha256: str = ""
    application: str = ""  # which program saved it last (docProps/app.xml), e.g. "Microsoft Excel"
    kind: Kind = "return"  # "summary": a summary workbook written by xlflow merge (its values are totals)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    def to_record(self) -> dict[str, Any]:
        """The whole result, values included, as JSON-safe data: what a cache or a workspace
        stores so that a file is never read twice. Unlike ``to_dict`` (the ``--json`` contract)
        this is internal and versioned with xlflow."""
        return {
            "path": str(self.path),
            "status": self.status,
            "findings": [f.to_record() for f in self.findings],
            "agency_code": self.agency_code,
            "agency_name": self.agency_name,
            "year": self.year,
            "scope": self.scope,
            "members": list(self.members),
            "values": None if self.values is None else encode_values(self.values),
            "sha256": self.sha256,
            "application": self.application,
            "kind": self.kind,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> FileResult:
        values = record.get("values")
        return cls(
            path=Path(record["path"]),
            status=record["status"],
            findings=[Finding.from_record(f) for f in record.get("findings", [])],
            agency_code=record.get("agency_code"),
            agency_name=record.get("agency_name"),
            year=record.get("year"),
            scope=record.get("scope"),
            members=list(record.get("members", [])),
            values=None if values is None else decode_values(values),
            sha256=record.get("sha256", ""),
            application=record.get("application", ""),
            kind=record.get("kind", "return"),
        )

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
            "kind": self.kind,
            "findings": [f.to_dict() for f in self.findings],
        }


_DATE_TAG = "$date"
_DATETIME_TAG = "$datetime"


def encode_value(value: Any) -> Any:
    """A cell value as JSON data. Numbers, text, booleans and None are themselves (JSON keeps
    int and float apart: 1 and 1.0 come back as they went); dates are tagged objects."""
    if isinstance(value, datetime):
        return {_DATETIME_TAG: value.isoformat()}
    if isinstance(value, date):
        return {_DATE_TAG: value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [encode_value(v) for v in value]
    return value


_PLAIN = frozenset({str, int, float, bool, type(None)})
_NESTED = frozenset({dict, list})


def encode_values(values: dict[str, Any]) -> dict[str, Any]:
    """``encode_value`` of every value; plain numbers and text (nearly all) are passed as they are."""
    return {k: v if type(v) in _PLAIN else encode_value(v) for k, v in values.items()}


def decode_values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: decode_value(v) if type(v) in _NESTED else v for k, v in values.items()}


def decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if _DATETIME_TAG in value:
            return datetime.fromisoformat(value[_DATETIME_TAG])
        if _DATE_TAG in value:
            return date.fromisoformat(value[_DATE_TAG])
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    return value
