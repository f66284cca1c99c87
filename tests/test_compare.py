"""Year over year: the form's compare measures, the outlier warnings, the summary's 上年对比
sheet and the county draft's comparison (issue 10, "Year over year").

Numbers are small and hand-computed: last year two agencies each with the clean return of
``tests.returned`` (本年新收 7, 予以公开 4 of 6 办结); this year agency A received 82.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from tests.returned import CODE, NAME, build, clean_values, write
from tests.support.cli import xlflow
from xlflow import measures
from xlflow.errors import FormDefinitionError
from xlflow.form import compile_form
from xlflow.merge import consolidate
from xlflow.merge.compare import attach, for_consolidation
from xlflow.merge.workbook import build_summary
from xlflow.report import build_summary_report, render
from xlflow.report.spec import report_spec
from xlflow.summaryfile import read_summary
from xlflow.template import TemplateFactory
from xlflow.validate import Previous, load_previous, previous_of, validate_file
from xlflow.vocab import SHEET_COMPARE

OTHER, OTHER_NAME = "370829015", "嘉祥县测试局"
YOY = {"yoy-jump", "yoy-drop", "yoy-share-shift"}
# Agency A this year: 80 natural-person applications, 79 granted (table 3 still balances).
BUSY = {"t3.new.natural": 80, "t3.granted.natural": 79}


def measure(form, mid):
    return next(m for m in form.measures if m.id == mid)


# -- the measures ----------------------------------------------------------------------------

def test_count_measure_change_and_percent(form):
    c = measures.change(measure(form, "new"), {"t3.new.total": 120}, {"t3.new.total": 100})
    assert (c.last, c.this, c.change, c.pct) == (100, 120, 20, pytest.approx(0.2))
    assert measures.change_text(c) == "增加20件（增长20%）"
    assert c.outlier is None
    down = measures.change(measure(form, "new"), {"t3.new.total": 75}, {"t3.new.total": 100})
    assert measures.change_text(down) == "减少25件（下降25%）"
    same = measures.change(measure(form, "new"), {"t3.new.total": 3}, {"t3.new.total": 3})
    assert measures.change_text(same) == "与上年持平" and same.pct == 0


def test_share_measure_is_in_percentage_points(form):
    m = measure(form, "granted_share")
    c = measures.change(m, {"t3.granted.total": 30, "t3.total.total": 40}, {"t3.granted.total": 20, "t3.total.total": 40})
    assert c.last == 0.5 and c.this == 0.75 and c.change == pytest.approx(25) and c.pct is None
    assert measures.change_text(c) == "上升25个百分点"
    assert measures.shown(c, "this") == "75%"
    # Nothing decided, nothing divided by zero: no results last year means no share last year.
    none = measures.change(m, {"t3.granted.total": 3, "t3.total.total": 4}, {"t3.granted.total": 0, "t3.total.total": 0})
    assert none.last is None and none.change is None and none.outlier is None
    assert measures.change_text(none) == "上年无数据"


def test_litigation_and_correction_measures(form):
    this = {"t4.review.total": 4, "t4.direct.total": 3, "t4.after_review.total": 1, "t4.review.corrected": 1,
            "t4.direct.corrected": 1, "t4.after_review.corrected": 0, "t4.review.pending": 0,
            "t4.direct.pending": 1, "t4.after_review.pending": 1}
    last = {**this, "t4.direct.total": 1, "t4.direct.corrected": 0, "t4.direct.pending": 0}
    got = {c.measure.id: c for c in measures.changes(form, this, last)}
    assert (got["litigation"].last, got["litigation"].this) == (2, 4)
    assert (got["corrected"].last, got["corrected"].this) == (1, 2)
    # 纠错率 = corrected / decided (total - pending): this year 2 / (8 - 2), last year 1 / (6 - 1)
    assert got["corrected_share"].this == pytest.approx(2 / 6) and got["corrected_share"].last == pytest.approx(1 / 5)


def test_outlier_thresholds(form):
    new = measure(form, "new")  # ratio 10, min 10
    assert measures.change(new, {"t3.new.total": 100}, {"t3.new.total": 10}).outlier == "yoy-jump"
    assert measures.change(new, {"t3.new.total": 99}, {"t3.new.total": 10}).outlier is None
    assert measures.change(new, {"t3.new.total": 12}, {"t3.new.total": 0}).outlier == "yoy-jump"
    assert measures.change(new, {"t3.new.total": 9}, {"t3.new.total": 0}).outlier is None  # small numbers move a lot
    assert measures.change(new, {"t3.new.total": 2}, {"t3.new.total": 20}).outlier == "yoy-drop"
    assert measures.change(new, {"t3.new.total": 3}, {"t3.new.total": 20}).outlier is None
    share = measure(form, "granted_share")  # 50 points, both denominators >= 10
    moved = measures.change(share, {"t3.granted.total": 18, "t3.total.total": 20}, {"t3.granted.total": 2, "t3.total.total": 20})
    assert moved.outlier == "yoy-share-shift"
    few = measures.change(share, {"t3.granted.total": 9, "t3.total.total": 9}, {"t3.granted.total": 0, "t3.total.total": 10})
    assert few.outlier is None


def test_measures_are_checked_when_the_form_is_loaded(tmp_path):
    text = (Path(__file__).parent / "forms" / "mini-2099.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("expr: fruit.income, unit: 元}", "expr: org.note, unit: 元}"), encoding="utf-8")
    with pytest.raises(FormDefinitionError, match="不是数字"):
        compile_form(bad)
    bad.write_text(text.replace("outlier: {ratio: 5, min: 10}", "outlier: {points: 5}"), encoding="utf-8")
    with pytest.raises(FormDefinitionError, match="ratio"):
        compile_form(bad)


# -- the warning on a return -------------------------------------------------------------------

def _previous(**values) -> Previous:
    last = {**clean_values(), "t3.new.total": 7, "t3.next.natural": 1, "t3.next.business": 1, "t3.next.total": 2,
            "t3.granted.total": 4, "t3.total.total": 6}
    last.update(values)
    return Previous(by_agency={CODE: last}, year=2023)


def test_a_tenfold_increase_is_a_warning_on_the_return(tmp_path, form):
    path = write(tmp_path, build(clean_values(**BUSY)))
    res = validate_file(path, form, previous=_previous())
    jump = [f for f in res.findings if f.rule == "yoy-jump"]
    assert len(jump) == 1, [f.rule for f in res.findings]
    assert jump[0].message.startswith("“本年新收政府信息公开申请”本年为82件，上年为7件，达到上年的10倍以上")
    assert jump[0].severity == "warning" and jump[0].sheet == "三、依申请公开" and jump[0].cell == "J6"
    assert res.status == "valid"  # warnings never make a return invalid


def test_no_warning_without_previous_data_or_within_the_threshold(tmp_path, form):
    path = write(tmp_path, build(clean_values(**BUSY)))
    assert not YOY & {f.rule for f in validate_file(path, form).findings}
    near = validate_file(path, form, previous=_previous(**{"t3.new.total": 40}))
    assert not YOY & {f.rule for f in near.findings}
    other = Previous(by_agency={"999": {"t3.new.total": 1}}, year=2023)  # last year has no row for this agency
    assert not YOY & {f.rule for f in validate_file(path, form, previous=other).findings}


def test_a_drop_to_a_tenth_is_a_warning(tmp_path, form):
    path = write(tmp_path, build())
    res = validate_file(path, form, previous=_previous(**{"s1.proactive_total": 1000}))
    drop = [f for f in res.findings if f.rule == "yoy-drop"]
    assert len(drop) == 1 and "本年为21条，上年为1000条，不到上年的1/10" in drop[0].message
    assert drop[0].cell == "B10" and res.status == "valid"


# -- the summary and the county draft ------------------------------------------------------------

@pytest.fixture(scope="module")
def two_years(tmp_path_factory):
    root = tmp_path_factory.mktemp("yoy")
    last, this = root / "2023", root / "2024"
    last.mkdir(), this.mkdir()
    write(last, build(year=2023), "a.xlsx")
    write(last, build(year=2023, code=OTHER, name=OTHER_NAME), "b.xlsx")
    write(this, build(clean_values(**BUSY)), "a.xlsx")
    write(this, build(code=OTHER, name=OTHER_NAME), "b.xlsx")
    prev = root / "嘉祥县2023年汇总.xlsx"
    res = xlflow("merge", last, "--year", 2023, "--code", "370829", "--name", "嘉祥县", "--out", prev, "-q")
    assert res.returncode == 0, res.stdout + res.stderr
    out = root / "嘉祥县2024年汇总.xlsx"
    res = xlflow("merge", this, "--year", 2024, "--code", "370829", "--name", "嘉祥县", "--previous", prev, "--out", out, "-q")
    assert res.returncode == 0, res.stdout + res.stderr
    return {"root": root, "last": last, "this": this, "prev": prev, "out": out, "stdout": res.stdout}


def _sheet_rows(path):
    ws = openpyxl.load_workbook(path)[SHEET_COMPARE]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    return ws, rows


def test_summary_with_previous_has_the_comparison_sheet(two_years):
    ws, rows = _sheet_rows(two_years["out"])
    assert rows[0] == ["单位代码", "单位名称", "项目", "上年", "本年", "增减", "增减幅度", "提示"]
    by = {(r[0], r[2]): r for r in rows[1:]}
    county = by[("370829", "本年新收政府信息公开申请（件）")]
    assert county[1] == "嘉祥县" and county[3:6] == [14, 89, 75] and county[6] == pytest.approx(75 / 14)
    share = by[("370829", "予以公开占办理结果的比例")]
    assert share[3] == pytest.approx(8 / 12) and share[4] == pytest.approx(83 / 87)
    assert share[5] == pytest.approx((83 / 87 - 8 / 12) * 100)
    a = by[(CODE, "本年新收政府信息公开申请（件）")]
    assert a[1] == NAME and a[3:6] == [7, 82, 75] and a[7] == "大幅增加"
    b = by[(OTHER, "本年新收政府信息公开申请（件）")]
    assert b[3:6] == [7, 7, 0] and b[7] in (None, "")
    # The outlier's row is highlighted, a quiet row is not; the numbers keep number formats.
    a_row = next(i for i, r in enumerate(rows) if (r[0], r[2]) == (CODE, "本年新收政府信息公开申请（件）")) + 4
    b_row = next(i for i, r in enumerate(rows) if (r[0], r[2]) == (OTHER, "本年新收政府信息公开申请（件）")) + 4
    assert ws.cell(a_row, 5).fill.fgColor.rgb.endswith("FCE4D6")
    assert not ws.cell(b_row, 5).fill.fgColor.rgb.endswith("FCE4D6")
    assert ws.cell(a_row, 7).number_format.startswith("+0.0%")
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert "上年对比" in two_years["stdout"] and "1 个单位" in two_years["stdout"] and NAME in two_years["stdout"]


def test_summary_keeps_last_years_totals_for_the_report(two_years, form):
    summary = read_summary(two_years["out"], form)
    year, totals = summary.previous
    assert year == 2023 and totals["t3.new.total"] == 14 and totals["t3.granted.total"] == 8
    assert read_summary(two_years["prev"], form).previous is None  # merged without --previous


def test_validation_with_previous_summary_warns_the_agency(two_years, form):
    prev = load_previous([two_years["prev"]], form)
    assert prev.totals["t3.new.total"] == 14  # the summary's own totals, not its rows counted twice
    res = validate_file(two_years["this"] / "a.xlsx", form, previous=prev)
    assert [f.rule for f in res.findings if f.rule in YOY] == ["yoy-jump"]


def test_previous_folder_of_returns_gives_the_county_total(two_years, form):
    prev = load_previous([two_years["last"]], form)
    assert prev.totals["t3.new.total"] == 14 and prev.totals["s1.proactive_total"] == 42


def test_county_draft_shows_last_year_beside_this_year(two_years, tmp_path):
    out = tmp_path / "草稿.md"
    res = xlflow("report", two_years["out"], "--format", "md", "--out", out)
    assert res.returncode == 0, res.stdout + res.stderr
    text = out.read_text(encoding="utf-8")
    assert "### 与上年对比情况" in text
    assert "与2023年相比，全县本年新收政府信息公开申请89件，上年14件，增加75件（增长535.7%）" in text
    assert "予以公开占办理结果的比例95.4%，上年66.7%，上升28.7个百分点" in text
    assert "2023年" in text.split("与2023年相比")[1].split("注：上年数据")[0]  # the table's column
    assert "注：上年数据取自2023年汇总表的合计数。" in text


def test_draft_without_previous_has_no_comparison(two_years, tmp_path):
    out = tmp_path / "草稿.md"
    assert xlflow("report", two_years["prev"], "--format", "md", "--out", out).returncode == 0
    assert "与上年对比" not in out.read_text(encoding="utf-8")


def test_api_for_the_workspace(two_years, form):
    """What the workspace calls: its stored results, last year's Previous, consolidate,
    for_consolidation, attach, build_summary."""
    results = [validate_file(p, form, year=2024) for p in sorted(two_years["this"].iterdir())]
    c = consolidate(results, form, year=2024, code="370829", name="嘉祥县")
    cmp = for_consolidation(c, load_previous([two_years["prev"]], form))
    assert cmp.previous_year == 2023 and [u.code for u in cmp.outlier_units] == [CODE]
    new = next(ch for ch in cmp.county.changes if ch.measure.id == "new")
    assert (new.last, new.this) == (14, 89)
    rec = [r for r in cmp.records() if r["measure"] == "new"]
    assert [(r["code"], r["last"], r["this"], r["outlier"]) for r in rec] == [
        ("370829", 14, 89, None), (CODE, 7, 82, "yoy-jump"), (OTHER, 7, 7, None)]
    json.dumps(cmp.records())  # JSON-able as it is
    attach(c, cmp)
    attach(c, cmp)  # once is enough: attaching again replaces the sheet, it does not add a second
    assert len(c.appendices) == 1
    data = build_summary(c)
    path = two_years["root"] / "api.xlsx"
    path.write_bytes(data)
    assert _sheet_rows(path)[1] == _sheet_rows(two_years["out"])[1]  # the same sheet as `xlflow merge --previous`


def test_previous_from_last_years_consolidation(two_years, form):
    """A workspace holds last year's results: no files to read again."""
    def merged(folder, year):
        return consolidate([validate_file(p, form, year=year) for p in sorted(folder.iterdir())], form, year=year,
                           code="370829", name="嘉祥县")

    last = merged(two_years["last"], 2023)
    prev = previous_of(form, last.units, year=2023, totals=last.totals)
    summed = previous_of(form, last.units, year=2023)
    assert prev.totals["t3.new.total"] == summed.totals["t3.new.total"] == 14
    assert prev.for_agency(CODE)["t3.new.total"] == 7 and prev.for_agency(CODE)["t3.next.natural"] == 1  # S1's fields too
    cmp = for_consolidation(merged(two_years["this"], 2024), prev)
    from_file = for_consolidation(merged(two_years["this"], 2024), load_previous([two_years["prev"]], form))
    assert [(c.last, c.this) for c in cmp.county.changes] == [(c.last, c.this) for c in from_file.county.changes]
    assert [u.code for u in cmp.outlier_units] == [CODE]


# -- the mini form: nothing in xlflow knows its measures ----------------------------------------------

def test_mini_form_compares_from_its_definition(tmp_path, mini_form):
    last = TemplateFactory(mini_form, 2098)
    this = TemplateFactory(mini_form, 2099)
    (tmp_path / "old").mkdir(), (tmp_path / "new").mkdir()
    base = {"org.scope": "单位", "fruit.apples.first": 1, "fruit.apples.second": 1, "fruit.pears.first": 1, "fruit.income": 10}
    (tmp_path / "old" / "x.xlsx").write_bytes(last.build("甲", "X1", base))
    grown = {**base, "fruit.apples.first": 20, "fruit.pears.first": 0}
    (tmp_path / "new" / "x.xlsx").write_bytes(this.build("甲", "X1", grown))
    prev_out, out = tmp_path / "old.xlsx", tmp_path / "new.xlsx"
    assert xlflow("merge", tmp_path / "old", "--form", mini_form.source, "--year", 2098, "--code", "Z", "--name", "某县", "--out", prev_out, "-q").returncode == 0
    res = xlflow("merge", tmp_path / "new", "--form", mini_form.source, "--year", 2099, "--code", "Z", "--name", "某县",
                 "--previous", prev_out, "--out", out, "-q")
    assert res.returncode == 0, res.stdout + res.stderr
    _, rows = _sheet_rows(out)
    by = {(r[0], r[2]): r for r in rows[1:]}
    assert by[("X1", "苹果全年产量（个）")][3:6] == [2, 21, 19] and by[("X1", "苹果全年产量（个）")][7] == "大幅增加"
    assert by[("Z", "梨占产量的比例")][3] == pytest.approx(1 / 3) and by[("Z", "梨占产量的比例")][4] == 0
    res = validate_file(tmp_path / "new" / "x.xlsx", mini_form, previous=load_previous([prev_out], mini_form))
    assert {f.rule for f in res.findings} & YOY == {"yoy-jump"} and res.status == "valid"
    draft = tmp_path / "d.md"
    assert xlflow("report", out, "--form", mini_form.source, "--format", "md", "--out", draft).returncode == 0
    text = draft.read_text(encoding="utf-8")
    assert "## 同上年比较" in text and "与2098年相比，" in text and "苹果全年产量21个，上年2个，增加19个（增长950%）" in text


def test_a_form_without_compare_merges_with_previous_as_before(tmp_path, mini_form):
    text = Path(mini_form.source).read_text(encoding="utf-8")
    plain = tmp_path / "plain.yaml"
    plain.write_text(text[: text.index("\ncompare:")] + "\n", encoding="utf-8")
    form = compile_form(plain)
    assert form.measures == [] and form.compare_fields == set()
    for year in (2098, 2099):
        (tmp_path / str(year)).mkdir()
        data = TemplateFactory(form, year).build("甲", "X1", {"org.scope": "单位", "fruit.apples.first": 3})
        (tmp_path / str(year) / "x.xlsx").write_bytes(data)
    prev_out, out = tmp_path / "old.xlsx", tmp_path / "new.xlsx"
    assert xlflow("merge", tmp_path / "2098", "--form", plain, "--year", 2098, "--out", prev_out, "-q").returncode == 0
    res = xlflow("merge", tmp_path / "2099", "--form", plain, "--year", 2099, "--previous", prev_out, "--out", out, "-q")
    assert res.returncode == 0, res.stdout + res.stderr
    assert SHEET_COMPARE not in openpyxl.load_workbook(out).sheetnames and "上年对比" not in res.stdout
    # A report block that asks for the comparison needs measures to compare.
    bad = tmp_path / "bad.yaml"
    bad.write_text(plain.read_text(encoding="utf-8") + "report:\n  sections:\n    - {sheet: fruit, blocks: [{kind: compare}]}\n",
                   encoding="utf-8")
    with pytest.raises(FormDefinitionError, match="compare"):
        report_spec(compile_form(bad))


def test_report_api_takes_last_years_totals(form):
    values = {**{k: 0 for k in form.compare_fields}, "t3.new.total": 10}
    model = build_summary_report(form, values, [], previous=(2023, {"t3.new.total": 5}))
    text = render(model, "md").decode("utf-8")
    assert "本年新收政府信息公开申请10件，上年5件，增加5件（增长100%）" in text


@pytest.mark.libreoffice
def test_comparison_sheet_prints_on_a4_landscape(two_years, tmp_path):
    from tests.printing import is_a4, page_sizes, squeezed
    from tests.support.libreoffice import convert

    pdf = convert([two_years["out"]], "pdf", tmp_path / "pdf")[0]
    # The page header: the workbook's title top left, the sheet's name top right.
    pages = [i for i, text in enumerate(squeezed(pdf)) if f"汇总表{SHEET_COMPARE}" in text[:80]]
    assert pages, "no page of 上年对比 in the PDF"
    sizes = page_sizes(pdf)
    for i in pages:
        assert is_a4(sizes[i]) and sizes[i][0] > sizes[i][1]  # landscape
    text = "".join(squeezed(pdf)[i] for i in pages)
    assert "嘉祥县2024年与2023年对比" in text and "大幅增加" in text and "+28.7个百分点" in text
