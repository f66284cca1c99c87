"""Which returns count, and the totals they add up to.

Rules, applied in this order (documented for the clerk in docs/merge.md):

1. **One return per agency.** Files are grouped by agency code. Of several returns from one
   agency the chosen one is: a valid file before an invalid one before an unreadable one; then
   the latest 填报日期; then the most recently modified file; then the last in path order. The
   others are *superseded*: listed, never summed.
2. **Only valid returns are summed** (warnings allowed). Invalid and unreadable files are
   listed with their findings; with a roster, a return from an agency not on it is listed
   and not summed.
3. **Nothing is counted twice.** A return with scope 汇总 covers its members (transitively,
   when it is itself an xlflow summary). Summaries covering more units are taken first; a
   unit whose code is already covered by a taken summary is *contained* and excluded; a
   summary that overlaps a taken one without containing it is excluded too (its share of the
   overlap cannot be separated), with the common members named.
4. The totals are the cell-wise sums of the included units; derived cells are recomputed and
   every rule that only reads summable numbers is re-run on the totals.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..form import Form, RuleInstance
from ..results import FileResult
from ..roster import Agency
from .fields import as_number, date_field, numeric_fields, round_total, summable_fields
from .packed import PackedValues, packed_column

SUMMARY_SCOPE = "汇总"

# What happened to one file.
INCLUDED = "included"
SUPERSEDED = "superseded"
CONTAINED = "contained"
OVERLAP = "overlap"
OUTSIDE = "outside"
REJECTED = "rejected"

ACTION_ZH = {
    INCLUDED: "计入汇总",
    SUPERSEDED: "被替代（未计入）",
    CONTAINED: "已含在其他汇总中（未重复计入）",
    OVERLAP: "与其他汇总重叠（未计入）",
    OUTSIDE: "不在单位名单中（未计入）",
    REJECTED: "未计入",
}
_STATUS_RANK = {"valid": 2, "invalid": 1, "unreadable": 0}


@dataclass
class Entry:
    """One file seen, and what the merge did with it."""

    result: FileResult
    action: str = REJECTED
    note: str = ""
    covers: set[str] = field(default_factory=set)  # agency codes a 汇总 return contains
    in_roster: bool | None = None  # None: no roster given

    @property
    def code(self) -> str:
        return (self.result.agency_code or "").strip()

    @property
    def name(self) -> str:
        return (self.result.agency_name or "").strip()

    @property
    def is_summary(self) -> bool:
        return self.result.scope == SUMMARY_SCOPE or bool(self.covers)


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
        return all(e.action in (INCLUDED, SUPERSEDED, CONTAINED) for e in self.entries) and bool(self.units)


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
    df = date_field(form)
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


def summary_coverage(entry: Entry, names: dict[str, str], form: Form) -> set[str]:
    """Codes a 汇总 return contains: its declared members, and for an xlflow summary every
    row of its table with their own members (a city summary covers its counties' agencies)."""
    out = {names.get(m.strip(), m.strip()) for m in entry.result.members if m and m.strip()}
    if entry.result.scope == SUMMARY_SCOPE or out:
        from .summary import SummaryError, read_summary

        try:
            summary = read_summary(entry.result.path, form)
        except (SummaryError, OSError):
            summary = None
        if summary is not None:
            for row in summary.rows:
                out.add(row.code)
                out.update(row.members)
    out.discard(entry.code)
    return out


def consolidate(
    results: Iterable[FileResult],
    form: Form,
    *,
    year: int | None = None,
    roster: Sequence[Agency] | None = None,
    code: str = "",
    name: str = "",
) -> Consolidation:
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
    chosen = pick_returns(entries, form)
    candidates = [e for e in chosen.values() if e.result.status == "valid"]
    for e in candidates:
        e.covers = summary_coverage(e, names, form)
    # Widest summaries first, so a unit inside one is recognised before it is taken alone.
    candidates.sort(key=lambda e: (not e.is_summary, -len(e.covers), e.code))
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
    totals = sum_units(units, form)
    return Consolidation(form, year, code, name, entries, units, totals, check_totals(form, totals, units), list(roster) if roster is not None else None)


def _unit(e: Entry, form: Form) -> Unit:
    values = e.result.values
    if not isinstance(values, PackedValues):  # packed values hold their numbers as summed
        values = dict(values or {})
        for f in numeric_fields(form):
            values[f.id] = as_number(f, values.get(f.id))
    scope = e.result.scope or ("汇总" if e.covers else "")
    return Unit(e.code, e.name, scope, sorted(e.covers), values, e)


def sum_units(units: Sequence[Unit], form: Form) -> dict[str, object]:
    """Cell-wise sums of every number; numbers that cannot be added across units stay at the
    form's default, text stays empty. Derived cells are recomputed from the summed inputs."""
    summable = {f.id for f in summable_fields(form)}
    totals: dict[str, object] = {}
    packed = [u.values for u in units if isinstance(u.values, PackedValues)]
    all_packed = bool(packed) and len(packed) == len(units)
    for k, f in enumerate(numeric_fields(form)):
        if f.id in summable:
            # packed numbers are as_number's already, in numeric_fields order: same sum, same types
            column = packed_column(packed, k) if all_packed else (as_number(f, u.values.get(f.id)) for u in units)
            totals[f.id] = round_total(f, sum(column))
        else:
            totals[f.id] = f.default if f.default is not None else 0
    summed_derived = {d.field_id: totals[d.field_id] for d in form.derived if d.field_id in totals}
    form.compute_derived(totals)
    for fid, value in summed_derived.items():
        f = form.fields[fid]
        if totals.get(fid) is not None:
            totals[fid] = round_total(f, totals[fid])
        else:
            totals[fid] = value
    return totals


def rules_on_totals(form: Form) -> list[RuleInstance]:
    """Rules that read only summable numbers: the ones that say something about a sum."""
    summable = {f.id for f in summable_fields(form)}
    return [r for r in form.rules if r.live and r.expr.refs and all(ref in summable for ref in r.expr.refs)]


def check_totals(form: Form, totals: dict[str, object], units: Sequence[Unit]) -> list[TotalCheck]:
    out = []
    for inst in rules_on_totals(form):
        ok = bool(inst.func(totals, {}))
        check = TotalCheck(inst, ok)
        cmp = inst.expr.comparison()
        if cmp is not None:
            check.lhs, check.rhs = cmp[0].evaluate(totals), cmp[2].evaluate(totals)
        if not ok:
            check.failing_units = [u.name or u.code for u in units if not _holds(inst, u.values)]
        out.append(check)
    return out


def _holds(inst: RuleInstance, values: dict[str, object]) -> bool:
    try:
        return bool(inst.func(values, {}))
    except (TypeError, KeyError):
        return False


_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def render_message(inst: RuleInstance, values: dict[str, object], lhs: object, rhs: object) -> str:
    """A rule's message template filled with the totals ({lhs}, {rhs}, {col_label}, {field id})."""

    def repl(m: re.Match[str]) -> str:
        key = m.group(1)
        if key == "lhs":
            return format_number(lhs)
        if key == "rhs":
            return format_number(rhs)
        if key in inst.labels:
            return inst.labels[key]
        if key in values:
            return format_number(values[key])
        return m.group(0)

    return _PLACEHOLDER.sub(repl, inst.rule.message)


def format_number(value: object) -> str:
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return "" if value is None else str(value)
