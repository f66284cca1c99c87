"""上年对比: this year's consolidation beside last year's values, per unit and for the county.

    comparison = for_consolidation(c, previous)   # previous: validate.Previous (load_previous)
    attach(c, comparison)                          # the summary gets its 上年对比 sheet
    build_summary(c)

What is compared is the form's ``compare.measures`` (``xlflow.measures``): for every unit in the
totals its own last-year values (``Previous.for_agency``), for the county its totals against
``Previous.totals`` (last year's summary's totals, or the sum of last year's returns given).
``attach`` also records last year's totals of the measured fields in the summary's hidden
``_xlflow`` rows (``summaryfile.PREVIOUS_TOTALS_KEY``), so ``xlflow report`` of the summary
can put last year beside this year in the county draft without last year's files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import summaryfile
from ..form import Form
from ..measures import Change, changes
from ..vocab import NO_LAST_YEAR, OUTLIER_ZH, SHEET_COMPARE
from .consolidate import Consolidation
from .pages import setup_page
from .stream import Row

HEAD = ("单位代码", "单位名称", "项目", "上年", "本年", "增减", "增减幅度", "提示")
WIDTHS = (11, 26, 34, 11, 11, 17, 11, 12)
FIRST_ROW = 3  # 0-based: title, note, blank, then the header


@dataclass
class UnitComparison:
    """One unit (or the county) across the measures; ``last_known``: last year had its data."""

    code: str
    name: str
    changes: list[Change]
    last_known: bool = True

    @property
    def outliers(self) -> list[Change]:
        return [c for c in self.changes if c.outlier is not None]


@dataclass
class Comparison:
    form: Form
    year: int | None
    previous_year: int | None
    county: UnitComparison
    units: list[UnitComparison]
    previous_totals: dict[str, Any] = field(default_factory=dict)  # last year's totals of the measured fields

    @property
    def outlier_units(self) -> list[UnitComparison]:
        return [u for u in self.units if u.outliers]

    def records(self) -> list[dict[str, Any]]:
        """One JSON-able dict per unit and measure, the county first (what 上年对比 shows, for a
        portal page or an export): code, name, measure, label, last, this, change, pct, outlier."""
        out = []
        for u in [self.county, *self.units]:
            for ch in u.changes:
                out.append({"code": u.code, "name": u.name, "measure": ch.measure.id, "label": ch.measure.label,
                            "share": ch.measure.share, "last": ch.last, "this": ch.this, "change": ch.change,
                            "pct": ch.pct, "outlier": ch.outlier})
        return out


def for_consolidation(c: Consolidation, previous: Any) -> Comparison:
    """The comparison of ``c`` with ``previous`` (a ``validate.Previous``: ``for_agency(code)``,
    ``totals``, ``year``). A unit without last year's data has every measure's last year empty."""
    units = []
    for u in c.units:
        last = previous.for_agency(u.code)
        units.append(UnitComparison(u.code, u.name, changes(c.form, u.values, last), last is not None))
    totals = previous.totals
    if totals is None:  # a Previous built by hand: last year's units added up
        totals = _sum(c.form, previous.by_agency.values())
    county = UnitComparison(c.code, c.name, changes(c.form, c.totals, totals), bool(previous.by_agency))
    kept = {k: totals.get(k) for k in sorted(c.form.compare_fields)}
    return Comparison(c.form, c.year, previous.year, county, units, kept)


def _sum(form: Form, rows) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for values in rows:
        for k in form.compare_fields:
            v = values.get(k)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out[k] = out.get(k, 0) + v
    return out


def attach(c: Consolidation, comparison: Comparison) -> None:
    """Give ``c``'s summary workbook the 上年对比 sheet and keep last year's totals in its
    ``_xlflow`` rows (attaching again replaces both). Nothing when the form declares no measures."""
    if not c.form.measures:
        return
    c.meta.update(summaryfile.previous_identity(comparison.previous_year, comparison.previous_totals))
    # Attached again (a workspace re-merging with another last year): the newer comparison only.
    c.appendices[:] = [w for w in c.appendices if not isinstance(w, _Sheet)]
    c.appendices.append(_Sheet(comparison))
    c.comparison = comparison


@dataclass
class _Sheet:
    """The appendix writer ``attach`` adds: ``write(book)`` as ``Consolidation.appendices`` calls it."""

    comparison: Comparison

    def __call__(self, book) -> None:
        write_compare(book, self.comparison)


def write_compare(book, comparison: Comparison) -> None:
    c = book.c
    f = book.fmt
    wb = book.wb
    ws = wb.add_worksheet(SHEET_COMPARE)
    for k, w in enumerate(WIDTHS):
        ws.set_column(k, k, w)
    prev_year = comparison.previous_year
    ws.write_string(0, 0, f"{c.name}{c.year or ''}年与{prev_year or '上一'}年对比", f.title)
    ws.write_string(1, 0, f"第一组为{c.name or '汇总单位'}的合计，其后为各单位。标色的行与上年相比变化异常，"
                          "该单位的报表上有相应提示（见“问题清单”），请核对。", f.small)
    for k, text in enumerate(HEAD):
        ws.write_string(FIRST_ROW, k, text, f.head)
    fmts = _Formats(wb, f.base)
    rows = [comparison.county, *comparison.units]
    count = sum(len(u.changes) for u in rows)

    def lines():
        for i, u in enumerate(rows):
            total = i == 0
            for ch in u.changes:
                yield _row(fmts, u, ch, total)

    book.stream_rows(ws, FIRST_ROW + 1, count, lines(), [None] * len(HEAD), fmts.all())
    last = FIRST_ROW + max(count, 1)
    ws.freeze_panes(FIRST_ROW + 1, 3)
    ws.autofilter(FIRST_ROW, 0, last, len(HEAD) - 1)
    setup_page(ws, book.title, landscape=True, fit=(1, 0), repeat_rows=(FIRST_ROW, FIRST_ROW),
               area=(0, 0, last, len(HEAD) - 1))


class _Formats:
    """Cell formats of 上年对比 by (kind, total row, highlighted)."""

    KINDS = {
        "text": {"num_format": "@", "valign": "vcenter"},
        "count": {"num_format": "General", "align": "right", "valign": "vcenter"},
        "delta": {"num_format": "+General;-General;0", "align": "right", "valign": "vcenter"},
        "share": {"num_format": "0.0%", "align": "right", "valign": "vcenter"},
        "points": {"num_format": '+0.0"个百分点";-0.0"个百分点";0"个百分点"', "align": "right", "valign": "vcenter"},
        "pct": {"num_format": "+0.0%;-0.0%;0.0%", "align": "right", "valign": "vcenter"},
    }

    def __init__(self, wb, base: Mapping[str, Any]):
        self._f: dict[tuple[str, bool, bool], Any] = {}
        for kind, extra in self.KINDS.items():
            for total in (False, True):
                for hot in (False, True):
                    look = {**base, **extra}
                    if total:
                        look.update(bold=True, bg_color="#F2F2F2")
                    if hot:
                        look.update(bg_color="#FCE4D6", font_color="#9C0006")
                    self._f[(kind, total, hot)] = wb.add_format(look)

    def get(self, kind: str, total: bool, hot: bool):
        return self._f[(kind, total, hot)]

    def all(self) -> list:
        return list(self._f.values())


def _row(fmts: _Formats, u: UnitComparison, ch: Change, total: bool):
    hot = ch.outlier is not None
    m = ch.measure
    label = m.label + (f"（{m.spec.unit}）" if m.spec.unit and not m.share else "")
    note = OUTLIER_ZH[ch.outlier] if hot else (None if ch.last is not None else NO_LAST_YEAR)
    value_kind = "share" if m.share else "count"
    values = [u.code, u.name, label, ch.last, ch.this, ch.change, ch.pct, note]
    kinds = ["text", "text", "text", value_kind, value_kind, "points" if m.share else "delta", "pct", "text"]
    return Row(values, [fmts.get(k, total, hot) for k in kinds])
