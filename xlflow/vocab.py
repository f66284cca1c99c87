"""The words people read, in one place: what xlflow calls a severity, a file's status, a
roster agency's state and what the merge did with a file; how it prints a number and fills a
message template; which typed words mean "nothing here"; which name endings mark a county
or a city; what the sheets of the summary workbook are called.

Code decides by the codes (``"error"``, ``"valid"``, ``"ok"``, ``"included"`` …); these
tables turn a code into Chinese only where something is shown, so a wording change is one
line here and never changes a decision.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

# -- findings and files ----------------------------------------------------------------------
SEVERITIES = ("error", "warning", "info")  # worst first
SEVERITY_ZH = {"error": "错误", "warning": "提示", "info": "信息"}
FILE_STATUS_ZH = {"valid": "合格", "invalid": "不合格", "unreadable": "无法读取"}
# the same states as an upload's answer (the workspace's messages, the portal, xlflow history)
UPLOAD_STATUS_ZH = {"valid": "通过", "invalid": "未通过", "unreadable": "无法读取"}
# the clerk's review of a return (workspace, portal): its state, and the decisions
REVIEW_STATE_ZH = {"": "待审核", "accepted": "已确认", "returned": "已退回"}
REVIEW_ACTION_ZH = {"accept": "确认", "return": "退回", "reopen": "重新开放"}

# -- the roster: each agency's state (``xlflow status``, 填报情况) ------------------------------
STATE_OK, STATE_WARN, STATE_FAIL, STATE_MISSING, STATE_OUTSIDE = "ok", "warn", "fail", "missing", "outside"
STATE_SUMMARY = "summary"  # a summary workbook that is no roster agency's return (the county's own)
STATES = (STATE_OK, STATE_WARN, STATE_FAIL, STATE_MISSING, STATE_OUTSIDE, STATE_SUMMARY)
STATE_ZH = {
    STATE_OK: "已提交且通过",
    STATE_WARN: "有警告",
    STATE_FAIL: "未通过",
    STATE_MISSING: "未提交",
    STATE_OUTSIDE: "名单外",
    STATE_SUMMARY: "汇总表",
}

# -- what the merge did with one file ----------------------------------------------------------
INCLUDED, SUPERSEDED, CONTAINED, OVERLAP, OUTSIDE, REJECTED = "included", "superseded", "contained", "overlap", "outside", "rejected"
OWN_SUMMARY = "own-summary"  # a summary by the consolidating unit itself (last run's output left among the returns)
ACTION_ZH = {
    INCLUDED: "计入汇总",
    SUPERSEDED: "被替代（未计入）",
    CONTAINED: "已含在其他汇总中（未重复计入）",
    OVERLAP: "与其他汇总重叠（未计入）",
    OUTSIDE: "不在单位名单中（未计入）",
    REJECTED: "未计入",
    OWN_SUMMARY: "本单位的汇总表（未计入）",
}

# -- the summary workbook's sheets -------------------------------------------------------------
SHEET_TOTAL = "汇总"
SHEET_DETAIL = "明细"
SHEET_STATUS = "填报情况"
SHEET_FINDINGS = "问题清单"
SHEET_TEXT = "文字汇编"
SHEET_CHARTS = "图表"
SHEET_COMPARE = "上年对比"  # with --previous: last year beside this year (xlflow.merge.compare)
# The very hidden sheet of every workbook xlflow writes (templates and summaries): identity,
# the field map and, in a template, the live checks.
META_SHEET = "_xlflow"


def table_sheet_name(sheet: str) -> str:
    """The summary's sheet for one numeric table of the form: 汇总（三、依申请公开）."""
    room = 31 - len(SHEET_TOTAL) - 2  # Excel's limit on a sheet name
    return f"{SHEET_TOTAL}（{sheet[:room]}）"


def place_words(sheet: str | None, row_label: str | None, col_label: str | None) -> str:
    """Where a cell is, in the form's own labels: 三、依申请公开“四、结转下年度继续办理”行“总计”列
    (a table cell), 基本信息“填报人” (a single field), 工作表“…” (a sheet); "" when unknown."""
    if not sheet:
        return ""
    if row_label and col_label:
        rows = row_label.split(" / ")
        return f"{sheet}“{' '.join(rows[1:] if len(rows) > 1 else rows)}”行“{col_label.split(' / ')[-1]}”列"
    if col_label:
        return f"{sheet}“{' '.join(col_label.split(' / '))}”"
    if row_label:
        return f"{sheet}“{row_label}”"
    return f"工作表“{sheet}”"

# -- what people type for "nothing" ------------------------------------------------------------
# A narrative that is only one of these counts as empty (``nonblank`` in rules, and the live
# check in the template, which lists the same words).
EMPTY_TEXTS = ("无", "无。", "/", "—", "-", "暂无", "无相关情况")
# Typed into a number cell instead of 0: an error that quotes the symbol.
NUMBER_PLACEHOLDERS = frozenset(
    {"/", "\\", "-", "--", "—", "——", "–", "－", "无", "空", "暂无", "没有", "N/A", "n/a", "NA", "null", "NULL",
     "none", "None", "x", "X", "×", "、", ".", "。", "*"}
)

# A text cell typed or pasted as "=…" (Excel would take it for a formula): kept as text,
# warned about by validation and the template's live check, left out of the published report.
LEADING_EQUALS = ("=", "＝")

# -- levels of government ----------------------------------------------------------------------
# The word that ends the name of a consolidating unit (嘉祥县, 济宁市, 任城区 …), longest level last.
LEVEL_SUFFIXES = ("县", "市", "区", "旗", "州", "省")
_NAME_TAIL = "（）()汇总本级人民政府"
# The consolidating unit when nothing names it (no roster, no --code/--name).
DEFAULT_UNIT_CODE, DEFAULT_UNIT_NAME = "汇总", "汇总单位"


def scope_word(name: str) -> str:
    """全县 / 全市 / 全区 … from the consolidating unit's name; 全部单位 when it has no level."""
    for suffix in LEVEL_SUFFIXES:
        if name.rstrip(_NAME_TAIL).endswith(suffix):
            return "全" + suffix
    return "全部单位"


# -- numbers and messages ----------------------------------------------------------------------

def format_number(value: Any) -> str:
    """A number as a clerk writes it: 12 not 12.0, 0.3 not 0.30000000000000004, 0.00001 not
    1e-05 (ten decimals at most); None prints empty, anything else as its text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer():
            return str(int(value))
        text = format(Decimal(repr(round(value, 10))), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, Decimal):
        return format_number(float(value))
    return str(value)


def format_value(value: Any) -> str:
    """A value inside a message: numbers as ``format_number``, nothing as （空）."""
    if value is None:
        return "（空）"
    return format_number(value)


_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def render(template: str, params: Mapping[str, Any]) -> str:
    """Fill ``{name}`` placeholders (names may contain dots: ``{fee.collected}``); a name
    without a value stays as written, so a broken template shows where it is broken."""

    def repl(m: re.Match[str]) -> str:
        key = m.group(1)
        return format_value(params[key]) if key in params else m.group(0)

    return _PLACEHOLDER.sub(repl, template)


# -- year over year (上年对比, the county draft's comparison) -------------------------------------
# How a change reads in a sentence: {n} the absolute change, {pct} the change in per cent.
CHANGE_UP = "增加{n}{unit}"
CHANGE_DOWN = "减少{n}{unit}"
CHANGE_PCT_UP = "（增长{pct}）"
CHANGE_PCT_DOWN = "（下降{pct}）"
CHANGE_SAME = "与上年持平"
POINTS_UP = "上升{n}个百分点"
POINTS_DOWN = "下降{n}个百分点"
NO_LAST_YEAR = "上年无数据"
# The warning kinds (finding codes of xlflow.findings) as 上年对比 names them in its 提示 column.
OUTLIER_ZH = {"yoy-jump": "大幅增加", "yoy-drop": "大幅减少", "yoy-share-shift": "比例变化大"}
