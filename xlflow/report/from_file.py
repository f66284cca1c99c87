"""A report straight from a file: validate it, refuse (or mark) a return with errors, build
the agency report or, for a county summary, the county draft. Shared by ``xlflow report`` and
``xlflow demo``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import XlflowError
from ..form import Form
from ..fsutil import safe_stem
from ..results import Finding, FileResult
from .build import Coverage, build_report, build_summary_report
from .model import Report

LISTED = 10  # errors listed on a forced report's first page (and by the CLI)


class ReportRefused(XlflowError):
    """The return has errors and ``force`` was not given; ``errors`` lists them."""

    def __init__(self, message: str, errors: list[Finding]):
        super().__init__(message)
        self.errors = errors


@dataclass
class FileReport:
    model: Report
    result: FileResult
    errors: list[Finding] = field(default_factory=list)

    @property
    def is_summary(self) -> bool:
        return self.result.kind == "summary"

    def default_path(self, fmt: str) -> Path:
        return self.result.path.parent / (safe_stem(self.model.title) + "." + fmt)


def finding_line(x: Finding) -> str:
    where = "!".join(p for p in (x.sheet, x.cell) if p)
    return f"{where}：{x.message}" if where else x.message


def report_from_file(file: Path, form: Form, *, force: bool = False, name: str | None = None,
                     result: FileResult | None = None) -> FileReport:
    """The report model from ``file``; ``result``: its validation result when already known
    (the workspace validates in its worker pool, never here)."""
    # Imported here: ``xlflow.cli`` imports this module, and every command would pay for the
    # reader and the validator at start-up (about 0.1 s of ``xlflow --help``).
    from ..summaryfile import read_summary
    from ..validate import validate_file

    if result is None:
        result = validate_file(file, form)
    if result.status == "unreadable" or result.values is None:
        why = "；".join(x.message for x in result.findings[:3]) or "无法读取"
        raise XlflowError(f"{file.name}：无法读取，不能生成报告。{why}")
    errors = [x for x in result.findings if x.severity == "error"]
    notices: list[str] = []
    if errors:
        if not force:
            raise ReportRefused(
                f"{file.name} 有 {len(errors)} 处错误，未生成报告。请更正后重新报送，"
                "或加 --force 生成（首页将注明未通过校验）。",
                errors,
            )
        notices = [
            f"注意：本报告依据的报表“{file.name}”未通过校验（{len(errors)} 处错误），表中数字可能有误，不得发布。",
            *(finding_line(x) for x in errors[:LISTED]),
            *([f"……另有 {len(errors) - LISTED} 处错误。"] if len(errors) > LISTED else []),
        ]
    if result.kind == "summary":
        summary = read_summary(file, form)
        draft = (
            f"草稿：本稿由 xlflow 根据汇总表“{file.name}”（{len(summary.rows)} 个单位）生成，表格和数字取自汇总表；"
            "标有【待撰写】的段落请撰写后删除标记，并删除本提示框，再发布。"
        )
        missing = summary.missing
        coverage = Coverage(len(summary.rows)) if missing is None else Coverage(
            len(summary.rows), summary.roster_size, missing[0], tuple(n for _, n in missing[1]))
        model = build_summary_report(form, result.values, summary.rows, agency_name=name or result.agency_name,
                                     year=result.year, notices=[*notices, draft], coverage=coverage,
                                     previous=summary.previous)
    else:
        model = build_report(form, result.values, agency_name=name or result.agency_name, year=result.year,
                             notices=notices)
    return FileReport(model, result, errors)
