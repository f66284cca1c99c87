"""Which of an agency's returns counts: the workspace's supersession rule.

The rule is the folder merge's (``merge.consolidate.pick_returns``) with the time the
workspace received a file in place of the file's modification time:

1. a valid return before an invalid one before an unreadable one;
2. then the latest 填报日期 (the form's date field) written in the return;
3. then the one received last (then the higher submission number).

So a corrected return that passes replaces the earlier one; a new return that fails does not
replace a valid one (it is kept and listed, the clerk sees why); two valid returns with the
same 填报日期 are decided by arrival. The chosen return is the agency's *current* one: the
one the status, the summary and the 催报 list look at. Every other version stays in the
history (``Workspace.submissions``), never deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..merge.consolidate import _STATUS_RANK, _date_key

RULE_TEXT = "有效优先，其次填报日期最新，其次收到时间最新"


def filled_date(values: dict | None, date_field_id: str | None) -> str:
    return _date_key((values or {}).get(date_field_id)) if date_field_id else ""


def rank(status: str, filled: str, received_at: str, sid: int) -> tuple:
    """Larger is preferred (see the module docstring)."""
    return (_STATUS_RANK.get(status, 0), filled or "", received_at, sid)


def choose(rows: Iterable[Any]) -> Any | None:
    """The preferred row of one agency's submissions (rows with status, filled_date,
    received_at, id), or None when there are none."""
    best = None
    for r in rows:
        if best is None or rank(r.status, r.filled_date, r.received_at, r.id) > rank(best.status, best.filled_date, best.received_at, best.id):
            best = r
    return best
