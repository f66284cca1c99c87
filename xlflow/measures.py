"""Year over year: a form's ``compare:`` measures on last year's values beside this year's.

``changes(form, this, last)`` gives one ``Change`` per measure of the form: both years' values,
the change, the change in per cent (a share: in percentage points) and which warning, if any,
the form's thresholds make of it (``Change.outlier``: ``yoy-jump``, ``yoy-drop``,
``yoy-share-shift``, the finding codes of ``xlflow.findings``). The same function serves the
validation of one return (last year's values of the same agency), the summary's 上年对比 sheet
(every unit and the county's totals) and the county draft (the totals a summary keeps of last
year), so the three cannot disagree. ``sentence`` puts one change into words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .form import Form, MeasureDef
from .vocab import (
    CHANGE_DOWN,
    CHANGE_PCT_DOWN,
    CHANGE_PCT_UP,
    CHANGE_SAME,
    CHANGE_UP,
    NO_LAST_YEAR,
    POINTS_DOWN,
    POINTS_UP,
    format_number,
    render,
)

JUMP, DROP, SHIFT = "yoy-jump", "yoy-drop", "yoy-share-shift"


@dataclass(frozen=True)
class Change:
    """One measure for one unit: last year, this year, and what moved."""

    measure: MeasureDef
    last: float | None
    this: float | None
    last_base: float | None = None  # a share's denominators (how many it is a share of)
    this_base: float | None = None

    @property
    def known(self) -> bool:
        return self.last is not None and self.this is not None

    @property
    def change(self) -> float | None:
        """This year minus last year (a share: in percentage points)."""
        if not self.known:
            return None
        diff = self.this - self.last
        if self.measure.share:
            return round(diff * 100, 10)
        return round(diff, 10) if isinstance(diff, float) else diff  # 0.3 - 0.1, not 0.19999999999999998

    @property
    def pct(self) -> float | None:
        """The change as a fraction of last year (0.2 = 20 %); None for a share or when last
        year was 0."""
        if not self.known or self.measure.share or not self.last:
            return None
        return (self.this - self.last) / self.last

    @property
    def ratio(self) -> float | None:
        """This year as a multiple of last year (None when last year was 0)."""
        if not self.known or self.measure.share or not self.last:
            return None
        return self.this / self.last

    @property
    def outlier(self) -> str | None:
        """The warning the form's thresholds make of this change, or None."""
        rule = self.measure.spec.outlier
        if rule is None or not self.known or self.this == self.last:
            return None
        if self.measure.share:
            bases = (self.last_base, self.this_base)
            if any(b is None or b < rule.min for b in bases):
                return None
            return SHIFT if abs(self.change) >= rule.points else None
        if max(self.this, self.last) < rule.min:
            return None
        if self.this > self.last and self.this >= rule.ratio * self.last:
            return JUMP
        if self.this < self.last and self.this * rule.ratio <= self.last:
            return DROP
        return None


def change(measure: MeasureDef, this: Mapping[str, object] | None, last: Mapping[str, object] | None) -> Change:
    return Change(measure, measure.value(last), measure.value(this), measure.base(last) if measure.share else None,
                  measure.base(this) if measure.share else None)


def changes(form: Form, this: Mapping[str, object] | None, last: Mapping[str, object] | None) -> list[Change]:
    """Every measure of ``form`` on this year's and last year's values (either may be None)."""
    return [change(m, this, last) for m in form.measures]


def percent(fraction: float | None, decimals: int = 1) -> str:
    """0.2 -> "20%", 0.1234 -> "12.3%"."""
    if fraction is None:
        return ""
    return format_number(round(fraction * 100, decimals)) + "%"


def shown(c: Change, which: str) -> str:
    """A year's value as a sentence prints it (a share as a percentage)."""
    value = c.this if which == "this" else c.last
    if value is None:
        return ""
    return percent(value) if c.measure.share else format_number(round(value, 4))


def change_text(c: Change, with_pct: bool = True) -> str:
    """"增加20件（增长20%）", "下降5个百分点", "与上年持平" or "上年无数据"."""
    if c.last is None:
        return NO_LAST_YEAR
    if c.this is None or c.change is None:
        return ""
    diff = c.change
    if diff == 0:
        return CHANGE_SAME
    n = format_number(round(abs(diff), 1 if c.measure.share else 4))
    if c.measure.share:
        return render(POINTS_UP if diff > 0 else POINTS_DOWN, {"n": n})
    text = render(CHANGE_UP if diff > 0 else CHANGE_DOWN, {"n": n, "unit": c.measure.spec.unit})
    if with_pct and c.pct is not None:
        text += render(CHANGE_PCT_UP if diff > 0 else CHANGE_PCT_DOWN, {"pct": percent(abs(c.pct))})
    return text


def sentence(form: Form, c: Change) -> str:
    """One measure in words, by the form's ``compare.sentence``; "" when this year has no value."""
    if c.this is None:
        return ""
    template = form.spec.compare.sentence if form.spec.compare else "{label}{this}{unit}，上年{last}{unit}，{change}"
    unit = "" if c.measure.share else c.measure.spec.unit
    if c.last is None:
        # "上年{last}{unit}，" has nothing to show: the change part says there is no last year.
        template = template.replace("上年{last}{unit}，", "")
    return render(template, {"label": c.measure.label, "this": shown(c, "this"), "last": shown(c, "last"),
                             "unit": unit, "change": change_text(c)})
