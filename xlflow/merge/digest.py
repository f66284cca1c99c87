"""What the summary says in words (breakdown sentences) and pictures (chart series).

Which totals deserve a sentence is declared in the form definition's ``summary:`` section
(expressions in the form's own expression language, checked against its fields). A form
without one still gets sentences: one per top-level total (a derived cell no other derived cell
reads), so a new form works before anyone writes prose for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import expr as ex
from ..form import Form
from ..vocab import format_number, scope_word
from .consolidate import Consolidation, Unit


@dataclass
class Measure:
    label: str
    expr: ex.Expr
    func: object = field(repr=False, default=None)

    def of(self, values: dict) -> float | int:
        try:
            value = self.func(values, {})
        except (TypeError, KeyError):
            return 0
        return value if isinstance(value, (int, float)) else 0


@dataclass
class Breakdown:
    title: str
    unit: str
    measure: Measure
    parts: list[Measure]


@dataclass
class Chart:
    title: str
    kind: str
    series: list[Measure]


@dataclass
class Digest:
    breakdowns: list[Breakdown]
    charts: list[Chart]


def _measure(form: Form, label: str, text: str, where: str) -> Measure:
    e = form.parse_expr(text, where)
    return Measure(label, e, e.compile())


def load_digest(form: Form) -> Digest:
    spec = form.spec.summary
    if spec is None:
        return _generic_digest(form)
    where = f"报表定义 {form.form_id} 的 summary 部分"
    breakdowns = [
        Breakdown(b.title, b.unit, _measure(form, b.title, b.expr, where), [_measure(form, p.label, p.expr, where) for p in b.parts])
        for b in spec.breakdowns
    ]
    charts = [Chart(c.title, c.kind, [_measure(form, s.label, s.expr, where) for s in c.series]) for c in spec.charts]
    return Digest(breakdowns, charts)


def _generic_digest(form: Form) -> Digest:
    summable = {f.id for f in form.summable_fields}
    read = {ref for d in form.derived for ref in d.expr.refs}
    tops = [d.field_id for d in form.derived if d.field_id not in read and d.field_id in summable]
    out = []
    for fid in tops:
        f = form.fields[fid]
        out.append(Breakdown(f"{f.sheet}“{f.label}”合计", f.type.spec.unit, _measure(form, f.label, fid, form.form_id), []))
    return Digest(out, [])


def breakdown_sentence(b: Breakdown, units: Sequence[Unit], totals: dict, scope: str, max_units: int = 60) -> str:
    total = b.measure.of(totals)
    u = b.unit
    text = f"{scope}{b.title}{format_number(total)}{u}"
    if b.parts and total:
        text += "，其中" + "、".join(f"{p.label}{format_number(p.of(totals))}{u}" for p in b.parts)
    per_unit = [(unit.name or unit.code, b.measure.of(unit.values)) for unit in units]
    nonzero = sorted((x for x in per_unit if x[1]), key=lambda x: -x[1])
    if nonzero:
        shown = nonzero[:max_units]
        inner = "、".join(f"{n}{format_number(v)}{u}" for n, v in shown)
        rest = len(per_unit) - len(shown)
        if rest:
            inner += f"；其余{rest}个单位为0" if len(nonzero) <= max_units else f"等；其余{rest}个单位合计{format_number(total - sum(v for _, v in shown))}{u}"
        text += f"（{inner}）"
    return text + "。"


def sentences(c: Consolidation, digest: Digest | None = None) -> list[str]:
    digest = digest or load_digest(c.form)
    scope = scope_word(c.name)
    return [breakdown_sentence(b, c.units, c.totals, scope) for b in digest.breakdowns]
