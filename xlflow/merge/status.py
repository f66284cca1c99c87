"""Who has reported: each roster agency's state, decided from what the merge did.

States (codes in ``vocab``, words shown only on output): ok 已提交且通过 (valid, no warnings),
warn 有警告 (valid with warnings), fail 未通过 (invalid or unreadable), missing 未提交 (no
return), outside 名单外 (a return from an agency not on the roster), summary 汇总表 (a summary
workbook that is no roster agency's return, e.g. the county's own). The return that decides an
agency's state is the one the merge uses (same duplicate rule), so ``xlflow status`` and the
summary's 填报情况 sheet always agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..roster import Agency
from ..vocab import (
    ACTION_ZH,
    CONTAINED,
    OWN_SUMMARY,
    STATE_FAIL,
    STATE_MISSING,
    STATE_OK,
    STATE_OUTSIDE,
    STATE_SUMMARY,
    STATE_WARN,
    STATE_ZH,
    STATES,
    SUPERSEDED,
    place_words,
)
from .consolidate import Consolidation, Entry

CHASE_STATES = (STATE_MISSING, STATE_FAIL)
BAD_STATES = (STATE_FAIL, STATE_MISSING, STATE_OUTSIDE)  # shown in red


@dataclass
class StatusRow:
    code: str
    name: str
    state: str  # a code of STATES
    action: str  # what the merge did with the file (a code of vocab), "" when no file
    note: str
    entry: Entry | None = None
    in_roster: bool = True

    @property
    def state_text(self) -> str:
        return STATE_ZH[self.state]

    @property
    def action_text(self) -> str:
        return ACTION_ZH.get(self.action, "")

    @property
    def file(self) -> str:
        return self.entry.result.path.name if self.entry else ""

    @property
    def counted(self) -> bool:
        """This row speaks for its agency (a superseded duplicate does not)."""
        return self.action != SUPERSEDED

    def problems(self, limit: int = 3, numbered: bool = False) -> str:
        """The file's errors in words: where (the form's row and column labels) and what,
        the first ``limit`` of them; numbered, one a line, for the printed 催报 list."""
        if self.entry is None:
            return ""
        errors = []
        for f in self.entry.result.findings:
            if f.severity == "error":
                where = place_words(f.sheet, f.row_label, f.col_label)
                errors.append(f"{where}：{f.message}" if where else f.message)
        shown = [f"{i}. {e}" for i, e in enumerate(errors[:limit], 1)] if numbered else errors[:limit]
        more = f"等共{len(errors)}处错误" if len(errors) > limit else ""
        if numbered:
            return "\n".join(shown + ([more + "。"] if more else []))
        return "；".join(shown) + (f"；{more}" if more else "")


def file_state(entry: Entry) -> str:
    r = entry.result
    if r.status != "valid":
        return STATE_FAIL
    return STATE_WARN if r.warnings else STATE_OK


def status_rows(c: Consolidation) -> list[StatusRow]:
    """Roster agencies first (roster order), then every other file seen."""
    rows: list[StatusRow] = []
    used: set[int] = set()
    deciding = {e.code: e for e in c.entries if e.code and e.action not in (SUPERSEDED, OWN_SUMMARY)}
    for e in c.entries:  # a file nobody can identify still tells who tried to report
        guess = guess_agency(e, c.roster or ())
        if guess is not None and guess.code not in deciding:
            deciding[guess.code] = e
    holder = {m: u for u in c.units for m in u.members}
    roster_codes = {a.code for a in c.roster or ()}
    for agency in c.roster or ():
        e = deciding.get(agency.code)
        if e is None:
            if agency.code in holder:
                u = holder[agency.code]
                rows.append(StatusRow(agency.code, agency.name, file_state(u.entry), CONTAINED, f"未单独报送，数据含在“{u.name}”的汇总报表中"))
            else:
                rows.append(StatusRow(agency.code, agency.name, STATE_MISSING, "", "没有收到报表"))
            continue
        used.add(id(e))
        note = e.note if e.code else f"{e.note}；文件中没有可识别的单位信息，按文件名判断为本单位的报表"
        rows.append(StatusRow(agency.code, agency.name, file_state(e), e.action, note, e))
    for e in c.entries:
        if id(e) in used:
            continue
        listed = c.roster is not None and bool(e.code) and e.code in roster_codes
        if e.is_summary_file and (not listed or e.action == OWN_SUMMARY):
            # A summary is no agency's return: name it as what it is, not as an agency
            # called after the county that is missing from the roster.
            what = f"这是“{e.name or e.code}”的汇总表（含 {len(e.result.members)} 个单位），不是名单内单位的报表"
            rows.append(StatusRow(e.code, e.name, STATE_SUMMARY, e.action, f"{what}；{e.note}" if e.note else what, e, in_roster=False))
            continue
        outside = c.roster is not None and bool(e.code) and e.action != SUPERSEDED and not listed
        state = STATE_OUTSIDE if outside else file_state(e)
        note = e.note or ("未能识别报送单位" if not e.code else "")
        rows.append(StatusRow(e.code, e.name, state, e.action, note, e, in_roster=not outside and c.roster is not None))
    return rows


def guess_agency(e: Entry, roster) -> Agency | None:
    """For a file without readable identity only: the one roster agency its file name names."""
    if e.code:
        return None
    stem = e.result.path.stem
    hits = [a for a in roster if a.code in stem or a.name in stem]
    return hits[0] if len(hits) == 1 else None


def counts(rows: list[StatusRow]) -> Counter:
    """State code -> number of rows that speak for an agency or a file."""
    return Counter(r.state for r in rows if r.counted)


def counts_line(rows: list[StatusRow], sep: str = "；") -> str:
    """已提交且通过 12；有警告 1；… (states with no row left out)."""
    n = counts(rows)
    return sep.join(f"{STATE_ZH[s]} {n[s]}" for s in STATES if n[s])


def chase_list(rows: list[StatusRow]) -> list[StatusRow]:
    """Roster agencies that still owe a usable report."""
    return [r for r in rows if r.in_roster and r.state in CHASE_STATES and r.counted]
