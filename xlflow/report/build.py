"""From a form and its values to the report model.

``build_report`` makes an agency's publishable report from one return's values.
``build_summary_report`` makes the county's draft from a summary: every number comes from the
summary (totals, and per-unit breakdowns in the sentences the definition declares), and each
narrative part is a clearly marked place for the clerk to write.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .. import expr as ex
from ..form import Form, ReportBlockSpec, ReportSectionSpec, ReportSpec, ReportTextSpec
from ..measures import change_text, changes, percent, sentence, shown
from ..vocab import LEADING_EQUALS
from .model import Block, Cell, Chart, Paragraph, Report, Section, Table, TableBlock
from .spec import UNITS, condition, report_spec
from .tables import sheet_tables
from .text import fmt_value, lookup_in, render

_NUMBERING = re.compile(r"^（[一二三四五六七八九十]+）")
_HEADING_PUNCT = "。：:．.， \u3000"
PLACEHOLDER = "【待撰写：{what}】"
PLACEHOLDER_SHORT = "【待撰写】"
PLACEHOLDER_SHORT_OPTIONAL = "【待撰写（如无可删除本段）】"
PLACEHOLDER_OPTIONAL = "【待撰写（如无可删除本段）：{what}】"
MISSING = "【未填写：{what}】"
TO_FILL = "【待填写：{what}】"  # a county draft: a value of the county itself (网址, 电话…)
LISTED_UNITS = 8  # missing units named in a table caption; page 1 names them all


@dataclass(frozen=True)
class Coverage:
    """Which units a county draft adds up: ``included`` of ``roster_size`` (None when the merge
    had no roster), and the roster units that are not in it."""

    included: int
    roster_size: int | None = None
    missing_count: int = 0
    missing_names: tuple[str, ...] = ()

    def names(self, limit: int | None = None) -> str:
        shown = self.missing_names[:limit] if limit else self.missing_names
        more = self.missing_count > len(shown)
        return "、".join(shown) + ("等" if more else "")

    def statement(self) -> str:
        """Page 1: how many units the draft covers, and who is missing, by name."""
        if self.roster_size is None:
            return (f"本稿汇总了{self.included}个单位的数据。汇总时没有提供单位名单，无法核对是否有单位未计入；"
                    "请核对后再发布。")
        if not self.missing_count:
            return f"本稿汇总了名单内全部{self.roster_size}个单位的数据。"
        return (f"本稿只汇总了名单内{self.roster_size}个单位中{self.included}个单位的数据，"
                f"另有{self.missing_count}个单位未计入（未报送或未通过校验）：{self.names()}。"
                "表中数字不含这些单位；发布前请补齐，或在报告中如实说明。")

    def caption(self) -> str:
        if self.roster_size is None:
            return f"注：本表为{self.included}个单位的合计（未核对单位名单）。"
        if not self.missing_count:
            return f"注：本表为名单内全部{self.roster_size}个单位的合计。"
        return (f"注：本表为名单内{self.roster_size}个单位中{self.included}个单位的合计，"
                f"另有{self.missing_count}个单位未计入：{self.names(LISTED_UNITS)}。")


class UnitRow(Protocol):
    """One member unit of a county summary (``xlflow.summaryfile.SummaryRow``)."""

    code: str
    name: str
    values: Mapping[str, Any]


@dataclass
class _Context:
    form: Form
    spec: ReportSpec
    values: Mapping[str, Any]
    extra: dict[str, str]
    units: Sequence[UnitRow] | None  # set for a county draft
    previous: tuple[int | None, Mapping[str, Any]] | None = None  # county draft: (last year, its totals)

    def fill(self, template: str, item: str = "{name}{value}") -> str:
        base = lookup_in(self.values, self.extra)

        def lookup(name: str) -> str | None:
            if name.startswith(UNITS):
                return self.units_text(name[len(UNITS):], item)
            value = base(name)
            if not value and self.units is not None and name in self.form.fields and not self.form.fields[name].type.numeric:
                # The county's own 网址 or 电话 is not in the summary: a place to fill, so the
                # sentence that carries it is not silently left out of the draft.
                return TO_FILL.format(what=self.form.fields[name].label)
            return value

        return render(template, lookup)

    def units_text(self, field_id: str, item: str) -> str:
        parts = []
        for u in self.units or ():
            value = u.values.get(field_id)
            if isinstance(value, (int, float)) and value:
                parts.append(render(item, lookup_in({}, {"name": u.name, "code": u.code, "value": fmt_value(value)})))
        return "（" + "、".join(parts) + "）" if parts else ""

    def first_true(self, texts: list[ReportTextSpec]) -> str:
        for t in texts:
            if condition(self.form, t.when).holds(self.values):
                return self.fill(t.text, t.item)
        return ""


def published(text: str) -> str:
    """A narrative as it may be published: a leading "=" (typed so Excel keeps the paragraph as
    text, or pasted from elsewhere; validation warns about it) is not part of the text."""
    return text.lstrip().lstrip("".join(LEADING_EQUALS)).lstrip()


def _identity(form: Form, values: Mapping[str, Any], what: str) -> str:
    fid = form.spec.identity.get(what)
    return fmt_value(values.get(fid)) if fid else ""


def build_report(form: Form, values: Mapping[str, Any], *, agency_name: str | None = None,
                 year: int | None = None, notices: Sequence[str] = ()) -> Report:
    """An agency's report from its return's values (field id -> value)."""
    values = dict(values)
    ctx = _context(form, values, agency_name, year, None)
    preamble = [ctx.fill(p) for p in ctx.spec.preamble]
    sections = [_section(ctx, sec) for sec in ctx.spec.sections]
    return Report(ctx.fill(ctx.spec.title), preamble, sections, list(notices), author=ctx.extra["agency_name"])


def build_summary_report(form: Form, values: Mapping[str, Any], units: Sequence[UnitRow], *,
                         agency_name: str | None = None, year: int | None = None,
                         notices: Sequence[str] = (), coverage: Coverage | None = None,
                         previous: tuple[int | None, Mapping[str, Any]] | None = None) -> Report:
    """The county's draft report: numbers from the summary, narrative left to the clerk.
    Which units the numbers cover (``coverage``) is stated on page 1 and under every table.
    With ``previous`` (last year, last year's totals: ``summaryfile.Summary.previous``) the
    form's ``compare`` measures are shown beside last year where a ``compare`` block of the
    report stands, or in a section of their own at the end."""
    values = dict(values)
    units = list(units)
    coverage = coverage or Coverage(len(units))
    ctx = _context(form, values, agency_name, year, units)
    ctx.previous = previous if form.measures else None
    preamble = [ctx.fill(p) for p in (ctx.spec.summary_preamble or ctx.spec.preamble)]
    preamble.insert(min(1, len(preamble)), coverage.statement())
    sections = [_section(ctx, sec) for sec in ctx.spec.sections]
    placed = any(b.kind == "compare" for sec in ctx.spec.sections for b in sec.blocks)
    if ctx.previous is not None and not placed:
        heading = form.spec.compare.heading if form.spec.compare else ""
        sections.append(_section(ctx, ReportSectionSpec(heading=heading, blocks=[ReportBlockSpec(kind="compare", heading="")])))
    for sec in sections:
        for block in sec.blocks:
            if isinstance(block, TableBlock) and not block.caption:
                block.caption = coverage.caption()
    return Report(ctx.fill(ctx.spec.title), preamble, sections, [*notices, coverage.statement()], draft=True,
                  author=ctx.extra["agency_name"])


def _context(form, values, agency_name, year, units) -> _Context:
    spec = report_spec(form)
    extra = {
        "agency_name": agency_name or _identity(form, values, "agency_name"),
        "year": str(year) if year is not None else _identity(form, values, "year"),
        "scope_name": spec.scope_name,
        "form_title": form.spec.title,
    }
    return _Context(form, spec, values, extra, units)


def _section(ctx: _Context, sec) -> Section:
    blocks: list[Block] = []
    for b in sec.blocks:
        if b.kind == "table":
            sheet = ctx.form.sheet(b.sheet or sec.sheet)
            blocks.extend(TableBlock(t) for t in sheet_tables(ctx.form, sheet, ctx.values))
        elif b.kind == "chart":
            chart = _chart(ctx, b)
            if chart.categories:
                blocks.append(chart)
        elif b.kind == "compare":
            blocks.extend(_compare(ctx, b))
        elif ctx.units is not None:
            blocks.extend(_draft_text(ctx, b))
        else:
            blocks.extend(_text(ctx, b))
    return Section(ctx.fill(sec.heading), blocks)


def _heading(ctx: _Context, b: ReportBlockSpec) -> str:
    return b.heading if b.heading is not None else ctx.form.fields[b.field].label


def _text(ctx: _Context, b: ReportBlockSpec) -> list[Paragraph]:
    heading = _heading(ctx, b)
    text = published(fmt_value(ctx.values.get(b.field))) or ctx.first_true(b.fallback)
    if not text:
        if b.optional:
            return []
        return [*([Paragraph(heading, "subheading")] if heading and b.run_in is None else []),
                Paragraph(MISSING.format(what=heading or ctx.form.fields[b.field].label), "placeholder")]
    paras = [p.strip() for p in text.splitlines() if p.strip()]
    return _with_heading(heading, b.run_in, paras, "body")


def _with_heading(heading: str, run_in: str | None, paras: list[str], role) -> list[Paragraph]:
    """Put the heading in front of the text without printing it twice: agencies often paste
    their paragraph with its own heading, e.g. "（二）落实上级…情况。一是…"."""
    if not heading:
        return [Paragraph(p, role) for p in paras]
    first = paras[0] if paras else ""
    if run_in is not None:
        number = _NUMBERING.match(heading)
        title = heading[number.end():] if number else heading
        if first.startswith(heading) or (number and first.startswith(number.group(0))):
            lead = first
        elif number and title and first.startswith(title):
            lead = number.group(0) + first
        else:
            lead = heading + run_in + first
        return [Paragraph(lead, role)] + [Paragraph(p, role) for p in paras[1:]]
    if first.startswith(heading):
        rest = first[len(heading):].lstrip(_HEADING_PUNCT)
        paras = ([rest] if rest else []) + paras[1:]
    return [Paragraph(heading, "subheading")] + [Paragraph(p, role) for p in paras]


def _draft_text(ctx: _Context, b: ReportBlockSpec) -> list[Paragraph]:
    heading = _heading(ctx, b)
    what = ctx.form.fields[b.field].label
    sentences = [
        ctx.fill(t.text, t.item) for t in b.summary if condition(ctx.form, t.when).holds(ctx.values)
    ]
    data = "".join(s for s in sentences if s)
    hole = (PLACEHOLDER_OPTIONAL if b.optional else PLACEHOLDER).format(what=what + (f"。{b.hint}" if b.hint else ""))
    if b.run_in is not None:
        if not data:  # the heading already says what to write
            hole = (PLACEHOLDER_SHORT_OPTIONAL if b.optional else PLACEHOLDER_SHORT) if heading else hole
            return _with_heading(heading, b.run_in, [hole], "placeholder")
        return _with_heading(heading, b.run_in, [data], "data") + [Paragraph(hole, "placeholder")]
    out = [Paragraph(heading, "subheading")] if heading else []
    if data:
        out.append(Paragraph(data, "data"))
    out.append(Paragraph(hole, "placeholder"))
    return out


def _chart(ctx: _Context, b: ReportBlockSpec) -> Chart:
    """Counts by category; in a county draft the units' categories are added up by name."""
    sources = [u.values for u in ctx.units] if ctx.units else [ctx.values]
    totals: dict[str, float] = {}
    for vals in sources:
        for key, set_label in ctx.form.spec.sets[b.rows].items():
            name = fmt_value(vals.get(ex.substitute(b.label, {"row": key}))) or set_label
            count = vals.get(ex.substitute(b.value, {"row": key}))
            if isinstance(count, (int, float)):
                totals[name] = totals.get(name, 0) + count
    items = [(n, v) for n, v in totals.items() if v]
    return Chart(ctx.fill(b.title), [n for n, _ in items], [v for _, v in items])


def _compare(ctx: _Context, b: ReportBlockSpec) -> list[Block]:
    """Last year beside this year (a county draft merged with last year's data): one sentence
    of every measure, then a table of them. Nothing in an agency's report or without last year."""
    if ctx.units is None or ctx.previous is None:
        return []
    form = ctx.form
    prev_year, last = ctx.previous
    found = [c for c in changes(form, ctx.values, last) if c.this is not None]
    if not found:
        return []
    spec = form.spec.compare
    extra = {**ctx.extra, "previous_year": str(prev_year) if prev_year is not None else "上"}
    lead = render(spec.lead, lookup_in({}, extra)) if spec else ""
    # The sentence names what happened; a measure that was 0 both years is left to the table.
    said = [c for c in found if c.this or c.last] or found[:1]
    text = lead + "；".join(sentence(form, c) for c in said) + "。"
    heading = b.heading if b.heading is not None else (spec.heading if spec else "")
    out: list[Block] = [Paragraph(heading, "subheading")] if heading else []
    out.append(Paragraph(text, "data"))
    year = ctx.extra["year"]
    head = ["项目", f"{prev_year}年" if prev_year is not None else "上年", f"{year}年" if year else "本年", "增减", "增减幅度"]
    cells = [Cell(0, k, t, "header") for k, t in enumerate(head)]
    for r, c in enumerate(found, 1):
        unit = c.measure.spec.unit if not c.measure.share else ""
        label = c.measure.label + (f"（{unit}）" if unit else "")
        diff = change_text(c, with_pct=False)
        pct = ""
        if c.pct is not None:
            pct = percent_text(c.pct)
        row = [label, shown(c, "last"), shown(c, "this"), diff, pct]
        cells += [Cell(r, k, t, "label" if k == 0 else "value") for k, t in enumerate(row)]
    table = Table(len(found) + 1, len(head), [30, 12, 12, 24, 12], cells)
    caption = f"注：上年数据取自{prev_year}年汇总表的合计数。" if prev_year is not None else "注：上年数据取自上年汇总表的合计数。"
    out.append(TableBlock(table, caption))
    return out


def percent_text(fraction: float) -> str:
    return ("+" if fraction > 0 else "") + percent(fraction)
