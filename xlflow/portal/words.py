"""The portal's own words (the findings, severities and states come from ``xlflow.vocab`` and
``xlflow.findings``): the one-line verdict of an upload, review states, late marks."""

from __future__ import annotations

from datetime import date

from ..vocab import REVIEW_ACTION_ZH, REVIEW_STATE_ZH, format_number

# An upload's verdict in one line (the findings page, the history, the JSON answer's "verdict").
PASS, WARN, FAIL, UNREADABLE = "pass", "warn", "fail", "unreadable"
VERDICT_ZH = {PASS: "通过", WARN: "有警告", FAIL: "未通过", UNREADABLE: "无法读取"}
VERDICT_HINT = {
    PASS: "报表已通过全部校验，无需再改。",
    WARN: "报表已通过校验，但有需要核实的提示；确认无误可不再修改，如有错请改正后重新上传。",
    FAIL: "报表有错误，请按下面的说明逐条改正后重新上传。",
    UNREADABLE: "文件无法读取，请按说明处理后重新上传。",
}

# The clerk's review of an agency's counted return.
REVIEW_ZH = REVIEW_STATE_ZH
REVIEW_ACTIONS = REVIEW_ACTION_ZH

NOT_FOUND_TEXT = "链接无效或已失效。请向县政务公开办公室索取新的填报链接。"


def too_large(limit: int) -> str:
    return f"文件太大：最大允许 {format_number(round(limit / 1024 / 1024, 1))} MB。请确认上传的是填报模板本身。"


def days_left_words(deadline: date | None, today: date) -> str:
    if deadline is None:
        return "未设截止日期"
    days = (deadline - today).days
    if days > 0:
        return f"还剩 {days} 天"
    if days == 0:
        return "今天截止"
    return f"已过截止日期 {-days} 天"
