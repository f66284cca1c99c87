"""What a county may write in a form definition file: the pydantic models of the YAML.

Frozen and strict (unknown keys are errors), so a typo in a definition fails at load time with
the key's path instead of silently doing nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TypeSpec(_Spec):
    """A value type: what may be typed into a cell, and how Excel should police it."""

    kind: Literal["integer", "decimal", "text", "choice", "date"]
    title: str
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    unit: str = ""
    default: int | float | str | None = None
    choices: list[str] = []
    max_length: int | None = None
    multiline: bool = False
    num_format: str | None = None
    prompt: str = ""
    rule: str | None = None  # the rule its value checks are listed under; default the form's value_rule


class LabelSpec(_Spec):
    at: str
    text: str
    style: Literal["title", "subtitle", "header", "label", "note", "section", "hint"] = "label"


class FieldSpec(_Spec):
    id: str
    at: str
    type: str
    label: str | None = None
    stamp: Literal["agency_name", "agency_code", "year"] | None = None
    required: bool = False


class GridSpec(_Spec):
    """A rectangle of fields: ``id`` contains ``{row}`` and/or ``{col}``; ``rows``/``cols`` name sets."""

    id: str
    origin: str
    type: str
    rows: str | None = None
    cols: str | None = None
    label: str | None = None  # e.g. "主动公开分类{row_label}"; default: from the table's labels


class DerivedSpec(_Spec):
    id: str
    expr: str
    rule: str
    foreach: dict[str, str] = {}


class ShowSpec(_Spec):
    """Where a per-column rule shows its live check rows under a table."""

    sheet: str
    first_row: int
    lhs_label: str
    rhs_label: str


class RuleSpec(_Spec):
    id: str
    severity: Literal["error", "warning", "info"]
    title: str
    description: str = ""
    check: str
    message: str
    anchor: str
    foreach: dict[str, str] = {}
    needs_previous: bool = False
    show: ShowSpec | None = None


class ChecksPanelSpec(_Spec):
    """Where a sheet lists every live rule with its count of broken instances, and where the
    overall status ("校验通过" / "有 N 处问题") and the warning count are shown."""

    at: str
    status: str
    hint: str


class SignoffItemSpec(_Spec):
    label: str
    field: str | None = None  # shown from this field (e.g. 填报人); otherwise left blank to sign
    height: float = 26  # points: room for a signature, or for the seal


class SignoffSpec(_Spec):
    """The block the paper copy is signed and stamped in: a title row (``at``, a range whose
    width the block takes), then one row per item: its label, and a blank or field-fed cell."""

    at: str
    title: str
    items: list[SignoffItemSpec]
    new_page: bool = False  # printed on a page of its own (never split by a page break)


class SheetSpec(_Spec):
    key: str
    name: str = Field(max_length=31)
    kind: Literal["guide", "form"] = "form"
    columns: dict[str, float] = {}
    landscape: bool = False
    fit_pages: int = Field(0, ge=0)  # printed this many pages tall at most (0: as many as needed)
    repeat_rows: str | None = None
    freeze: str | None = None
    checks_panel: ChecksPanelSpec | None = None
    signoff: SignoffSpec | None = None
    labels: list[LabelSpec] = []
    fields: list[FieldSpec] = []
    grids: list[GridSpec] = []
    tables: list[str] = []


class ReportTextSpec(_Spec):
    """One sentence template of the published report. ``{agency_name}``, ``{year}``,
    ``{scope_name}`` and ``{<field id>}`` are filled in; ``[...]`` is dropped when a value inside
    it is empty; ``{units:<field id>}`` lists the member units of a summary (``item`` each)."""

    text: str
    when: str | None = None  # expression over field ids; the sentence is used only when true
    item: str = "{name}{value}"


class ReportBlockSpec(_Spec):
    """A piece of a report section: a narrative field, a sheet's tables, or a chart."""

    kind: Literal["text", "table", "chart", "compare"] = "text"  # compare: last year beside this year (county draft)
    field: str | None = None
    heading: str | None = None  # default: the field's label; "" for none
    run_in: str | None = None  # heading starts the paragraph, joined by this separator
    optional: bool = False  # left out when empty instead of marked as missing
    hint: str = ""  # county draft: what the part must cover, shown in the place left to write
    fallback: list[ReportTextSpec] = []  # when the field is empty: first sentence whose `when` holds
    summary: list[ReportTextSpec] = []  # county summary: data sentences shown under the heading
    sheet: str | None = None  # table: default the section's sheet
    title: str = ""  # chart
    rows: str | None = None  # chart: set iterated as {row}
    label: str | None = None  # chart: id pattern of the category names, e.g. "cat.{row}.name"
    value: str | None = None  # chart: id pattern of the counts


class ReportSectionSpec(_Spec):
    sheet: str | None = None
    heading: str | None = None  # default: the sheet's title label
    blocks: list[ReportBlockSpec] = []  # default: the sheet's tables


class ReportSpec(_Spec):
    """How the publishable report is laid out; optional (a plain layout is derived otherwise)."""

    title: str = "{agency_name}{year}年{form_title}"
    preamble: list[str] = []
    summary_preamble: list[str] = []
    scope_name: str = "全县"
    sections: list[ReportSectionSpec] = []


class SummaryPartSpec(_Spec):
    label: str
    expr: str


class SummaryBreakdownSpec(_Spec):
    """One sentence of the county summary: "全县<title>N<unit>，其中<part>x…（A单位a<unit>、…）"."""

    title: str
    expr: str
    unit: str = ""
    parts: list[SummaryPartSpec] = []


class SummaryChartSpec(_Spec):
    title: str
    kind: Literal["by_unit", "composition"]
    series: list[SummaryPartSpec]


class SummarySpec(_Spec):
    """What the county summary says in words and pictures (read by xlflow.merge)."""

    breakdowns: list[SummaryBreakdownSpec] = []
    charts: list[SummaryChartSpec] = []



class CompareOutlierSpec(_Spec):
    """When a measure's change from last year is a warning on the agency's return (and is
    highlighted in 上年对比). Small numbers move a lot: nothing is flagged unless the larger of
    the two years reaches ``min`` (for a share: both years' denominators)."""

    ratio: float | None = Field(None, gt=1)  # this year >= ratio x last year, or <= last year / ratio
    points: float | None = Field(None, gt=0)  # a share: moved by at least this many percentage points
    min: float = Field(0, ge=0)


class CompareMeasureSpec(_Spec):
    """One number compared with last year: ``expr`` over field ids, or with ``of`` the share
    ``expr / of`` (shown as a percentage; its change in percentage points)."""

    id: str
    label: str
    expr: str
    of: str | None = None
    unit: str = ""
    anchor: str | None = None  # the field a warning points at; default the first field of expr
    outlier: CompareOutlierSpec | None = None


class CompareSpec(_Spec):
    """Year over year (``--previous``): the measures of the summary's 上年对比 sheet and of the
    county draft's comparison, and the thresholds of the warnings on a return."""

    measures: list[CompareMeasureSpec]
    heading: str = "与上年对比情况"  # the county draft's paragraph (a section of its own unless a report block places it)
    lead: str = "与{previous_year}年相比，{scope_name}"  # starts the draft's sentence (report names, {previous_year})
    sentence: str = "{label}{this}{unit}，上年{last}{unit}，{change}"  # one per measure, joined with "；"


class ScopesSpec(_Spec):
    """The two values of the identity's scope field: a unit reporting its own figures, and a
    return that adds up several units (an xlflow summary is one of these)."""

    own: str
    summary: str


class FormSpec(_Spec):
    form_id: str
    version: str
    title: str
    basis: str = ""
    description: str = ""
    supersedes: str = ""  # the format this one replaces, as clerks call it (2019年试行格式)
    supersedes_markers: list[str] = []
    identity: dict[Literal["agency_name", "agency_code", "year", "scope"], str]
    scopes: ScopesSpec
    value_rule: str = ""  # rule id the value checks of every type are listed under (R5), unless a type names its own
    instructions: list[str] = []
    types: dict[str, TypeSpec]
    sets: dict[str, dict[str, str]]
    sheets: list[SheetSpec]
    derived: list[DerivedSpec] = []
    rules: list[RuleSpec] = []
    report: ReportSpec | None = None
    summary: SummarySpec | None = None
    compare: CompareSpec | None = None

    @field_validator("sets", mode="before")
    @classmethod
    def _sets_as_mappings(cls, value: Any) -> Any:
        # A set may be written as a plain list of keys; its labels are then the keys.
        if isinstance(value, dict):
            return {k: ({m: m for m in v} if isinstance(v, list) else v) for k, v in value.items()}
        return value
