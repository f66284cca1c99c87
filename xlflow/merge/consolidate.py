"""Which returns count, and the totals they add up to.

Rules, applied in this order (documented for the clerk in docs/merge.md):

1. **One return per agency.** Files are grouped by agency code. Of several returns from one
   agency the chosen one is: a valid file before an invalid one before an unreadable one; then
   the latest 填报日期; then the most recently modified file; then the last in path order. The
   others are *superseded*: listed, never summed.
2. **Only valid returns are summed** (warnings allowed). Invalid and unreadable files are
   listed with their findings; with a roster, a return from an agency not on it is listed
   and not summed.
3. **Nothing is counted twice.** A summary (the form's summary scope, 汇总 in the 2021 form)
   covers its members (transitively, when it is an xlflow summary). Summaries covering more units are taken first; a
   unit whose code is already covered by a taken summary is *contained* and excluded; a
   summary that overlaps a taken one without containing it is excluded too (its share of the
   overlap cannot be separated), with the common members named.
4. The totals are ``totals.totals`` of the included units (the sum every reader of a summary
   uses); every rule that only reads summable numbers is re-run on them.

Files are of one year: with ``year`` a file of another is never summed; without it, files of
two years are refused (``decide_year``). A summary by the consolidating unit itself is never
one of its inputs (``OWN_SUMMARY``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..findings import finding
from ..form import Form, RuleInstance
from ..read.plan import plan_for
from ..results import FileResult
from ..roster import Agency
from ..totals import as_number, totals
from ..vocab import CONTAINED, INCLUDED, OUTSIDE, OVERLAP, OWN_SUMMARY, REJECTED, SUPERSEDED, render
from .packed import PackedValues

# What happened to one file: the codes of ``vocab`` (``vocab.ACTION_ZH`` has the words).
_STATUS_RANK = {"valid": 2, "invalid": 1, "unreadable": 0}


@dataclass
class Entry:
    """One file seen, and what the merge did with it."""

    result: FileResult
    action: str = REJECTED
    note: str = ""
    covers: set[str] = field(default_factory=set)  # agency codes a summary contains
    in_roster: bool | None = None  # None: no roster given

    @property
    def code(self) -> str:
        return (self.result.agency_code or "").strip()

    @property
    def name(self) -> str:
        return (self.result.agency_name or "").strip()

    @property
    def is_summary_file(self) -> bool:
        """A summary workbook written by xlflow (not a return filled in by an agency)."""
        return self.result.kind == "summary"


@dataclass
class Unit:
    """One reporting unit whose numbers are in the totals (one row of 明细)."""

    code: str
    name: str
    scope: str
    members: list[str]
    values: Mapping[str, object]  # a dict, or PackedValues in a large merge
    entry: Entry


@dataclass
class TotalCheck:
    """A rule re-run on the totals."""

    rule: RuleInstance
    ok: bool
    lhs: object = None
    rhs: object = None
    failing_units: list[str] = field(default_factory=list)
    message: str = ""  # the rule's message filled with the totals (when it does not hold)


@dataclass
class Consolidation:
    form: Form
    year: int | None
    code: str  # the consolidating unit (the county itself)
    name: str
    entries: list[Entry]
    units: list[Unit]
    totals: dict[str, object]
    checks: list[TotalCheck]
    roster: list[Agency] | None = None
    # Extra sheets for the summary workbook, each ``write(book)`` (the workspace's 上年对比).
    appendices: list[Callable[..., None]] = field(default_factory=list)
    # Extra key/value rows of the summary's hidden _xlflow sheet (上年对比: last year's totals).
    meta: dict[str, str] = field(default_factory=dict)
    comparison: Any = None  # compare.Comparison once ``compare.attach`` gave it 上年对比

    @property
    def covered_codes(self) -> set[str]:
        out: set[str] = set()
        for u in self.units:
            out.add(u.code)
            out.update(u.members)
        return out

    @property
    def missing(self) -> list[Agency]:
        """Roster agencies whose numbers are not in the totals (no valid return, not contained)."""
        if self.roster is None:
            return []
        covered = self.covered_codes
        return [a for a in self.roster if a.code not in covered]

    @property
    def complete(self) -> bool:
        """Every expected agency is in the totals (exit code 0 of ``xlflow merge``)."""
        if self.roster is not None:
            return not self.missing
        return all(e.action in (INCLUDED, SUPERSEDED, CONTAINED, OWN_SUMMARY) for e in self.entries) and bool(self.units)


def _date_key(value: object) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    text = str(value or "").strip()
    m = re.match(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", text)
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else ""


def _mtime(path: Path) -> int:
    try:
        return Path(path).stat().st_mtime_ns
    except OSError:
        return 0


def preference_key(result: FileResult, date_field_id: str | None) -> tuple:
    """Larger is preferred: status, then 填报日期, then modification time, then path."""
    filled = _date_key((result.values or {}).get(date_field_id)) if date_field_id else ""
    return (_STATUS_RANK.get(result.status, 0), filled, _mtime(result.path), str(result.path))


def pick_returns(entries: Sequence[Entry], form: Form) -> dict[str, Entry]:
    """The chosen return per agency code; the others are marked superseded."""
    df = form.date_field
    groups: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        if e.code:
            groups[e.code].append(e)
    chosen: dict[str, Entry] = {}
    for code, group in groups.items():
        best = max(group, key=lambda e: preference_key(e.result, df.id if df else None))
        chosen[code] = best
        for e in group:
            if e is not best:
                e.action = SUPERSEDED
                e.note = f"同一单位有多份报表，采用了 {best.result.path.name}（规则：有效优先，其次填报日期最新，其次修改时间最新，其次路径靠后）"
    return chosen


def coverage(entry: Entry, names: Mapping[str, str]) -> set[str]:
    """Codes a summary contains: the members its result lists (every unit of an xlflow summary,
    transitively; for a 汇总 return, the members it names, resolved through the roster)."""
    out = {names.get(m.strip(), m.strip()) for m in entry.result.members if m and m.strip()}
    out.discard(entry.code)
    return out


def decide_year(results: Sequence[FileResult]) -> int | None:
    """The reporting year when none was given: the one year every readable file declares.
    Files of two years are never summed together: the clerk is asked to choose."""
    years = Counter(r.year for r in results if r.status != "unreadable" and r.year is not None)
    if len(years) > 1:
        found = "，".join(f"{y}年 {n} 份" for y, n in sorted(years.items(), key=lambda x: (-x[1], -x[0])))
        raise UsageError(f"收到的文件属于不同年度（{found}），不能混在一起汇总。请用 --year 指明本次汇总的年度，其他年度的文件将列为未通过。")
    return next(iter(years), None)


def consolidate(
    results: Iterable[FileResult],
    form: Form,
    *,
    year: int | None = None,
    roster: Sequence[Agency] | None = None,
    code: str = "",
    name: str = "",
) -> Consolidation:
    """Which results count and what they add up to. Without ``year`` the files must all be of
    one year (``decide_year``); with it, a file of another year is never summed."""
    results = list(results)
    if year is None:
        year = decide_year(results)
    entries = [Entry(r) for r in results]
    roster_codes = {a.code: a for a in roster} if roster is not None else None
    names = {a.name: a.code for a in roster or ()}
    for e in entries:
        if e.code and e.name:
            names.setdefault(e.name, e.code)
    for e in entries:
        if roster_codes is not None:
            e.in_roster = e.code in roster_codes
        if e.result.status != "valid":
            e.action = REJECTED
            e.note = "报表未通过校验" if e.result.status == "invalid" else "文件无法读取"
        elif year is not None and e.result.year != year:
            # Validated without the year (the workspace checks files as they come): the finding
            # and the status validation would have given with it.
            e.result.findings.append(finding("wrong-year", expected=year, actual=e.result.year or "未知"))
            e.result.status = "invalid"
            e.action, e.note = REJECTED, "报表未通过校验"
    own = [e for e in entries if e.is_summary_file and code and e.code == code]
    for e in own:
        e.action = OWN_SUMMARY
        e.note = f"这是“{e.name or e.code}”自己的汇总表（例如上次汇总的结果），不作为报表计入"
    chosen = pick_returns([e for e in entries if e.action != OWN_SUMMARY], form)
    candidates = [e for e in chosen.values() if e.result.status == "valid"]
    summary_scope = form.summary_scope
    for e in candidates:
        e.covers = coverage(e, names)
    # Widest summaries first, so a unit inside one is recognised before it is taken alone.
    candidates.sort(key=lambda e: (not (e.result.scope == summary_scope or e.covers), -len(e.covers), e.code))
    covered_by: dict[str, Entry] = {}
    taken: list[Entry] = []
    for e in candidates:
        if e.code in covered_by:
            holder = covered_by[e.code]
            e.action, e.note = CONTAINED, f"已包含在“{holder.name or holder.code}”的汇总报表中，不重复计算"
            continue
        if e.in_roster is False:
            e.action, e.note = OUTSIDE, f"单位代码“{e.code}”不在单位名单中，未计入汇总；如属本级应报单位，请补入名单后重新汇总"
            continue
        common = sorted(c for c in e.covers if c in covered_by or any(t.code == c for t in taken))
        if common:
            holder = covered_by.get(common[0]) or next(t for t in taken if t.code == common[0])
            e.action = OVERLAP
            e.note = f"与“{holder.name or holder.code}”的汇总重叠（共同包含 {'、'.join(common)}），为免重复计算未计入，请核实后只报送一份"
            continue
        e.action, e.note = INCLUDED, ""
        taken.append(e)
        for c in e.covers:
            covered_by[c] = e
    units = [_unit(e, form) for e in taken]
    order = {a.code: i for i, a in enumerate(roster or ())}
    units.sort(key=lambda u: (order.get(u.code, len(order)), u.code))
    sums = totals(form, (u.values for u in units))
    return Consolidation(form, year, code, name, entries, units, sums, check_totals(form, sums, units),
                         list(roster) if roster is not None else None)


def _unit(e: Entry, form: Form) -> Unit:
    values = e.result.values
    if not isinstance(values, PackedValues):  # packed values hold their numbers as summed
        values = dict(values or {})
        for f in form.numeric_fields:
            values[f.id] = as_number(f, values.get(f.id))
    scope = e.result.scope or (form.summary_scope if e.covers else "")
    return Unit(e.code, e.name, scope, sorted(e.covers), values, e)


def rules_on_totals(form: Form) -> list[RuleInstance]:
    """Rules that read only summable numbers: the ones that say something about a sum."""
    summable = {f.id for f in form.summable_fields}
    return [r for r in form.rules if r.live and r.expr.refs and all(ref in summable for ref in r.expr.refs)]


def check_totals(form: Form, sums: dict[str, object], units: Sequence[Unit]) -> list[TotalCheck]:
    """Each rule on totals, with the sides of its comparison and, when it fails, its message
    filled exactly as validation fills it for a single return."""
    plans = {rp.inst.key: rp for rp in plan_for(form).rules}
    out = []
    for inst in rules_on_totals(form):
        ok = bool(inst.func(sums, {}))
        check = TotalCheck(inst, ok)
        rp = plans[inst.key]
        if rp.lhs is not None:
            check.lhs, check.rhs = rp.lhs(sums, {}), rp.rhs(sums, {})
        if not ok:
            params: dict[str, object] = {**inst.labels, **{r: sums.get(r) for r in rp.refs}}
            if rp.lhs is not None:
                params["lhs"], params["rhs"] = check.lhs, check.rhs
            check.message = render(inst.rule.message, params)
            check.failing_units = [u.name or u.code for u in units if not _holds(inst, u.values)]
        out.append(check)
    return out


def _holds(inst: RuleInstance, values: Mapping[str, object]) -> bool:
    try:
        return bool(inst.func(values, {}))
    except (TypeError, KeyError):
        return False
