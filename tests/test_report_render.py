"""Report building and rendering from values: templates, headings, fallbacks, tables from the
form's layout, a form without a report definition, definition errors, the renderers."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from types import SimpleNamespace

import docx
import pytest
import yaml

from xlflow.errors import FormDefinitionError
from xlflow.form import load_form
from xlflow.report import Chart, Coverage, Paragraph, TableBlock, build_report, build_summary_report, render
from xlflow.report.text import fmt_number, render as fill

MINI = Path(__file__).parent / "forms" / "mini-2099.yaml"
NAME = "嘉祥县金融工作服务中心"


def values_of(form, **kw):
    v = {**form.defaults(), "unit.name": NAME, "unit.code": "370829014", "unit.year": 2024,
         "unit.phone": "0537-6853353"}
    v.update(kw)
    return form.compute_derived(v)


def section(report, start: str):
    return next(s for s in report.sections if s.heading.startswith(start))


def texts(sec) -> list[str]:
    return [b.text for b in sec.blocks if isinstance(b, Paragraph)]


# -- templates and numbers -------------------------------------------------------------------

def test_optional_groups_drop_only_what_is_missing():
    t = "统计期限止。[电子版见{web}。][请与{name}联系（[地址：{addr}，]电话：{tel}）。]"
    look = {"name": "某局", "tel": "123", "web": ""}.get
    assert fill(t, look) == "统计期限止。请与某局联系（电话：123）。"
    look = {"name": "某局", "tel": "123", "addr": "某路1号", "web": "http://x"}.get
    assert fill(t, look) == "统计期限止。电子版见http://x。请与某局联系（地址：某路1号，电话：123）。"
    assert fill(t, {"name": "某局"}.get) == "统计期限止。"
    with pytest.raises(FormDefinitionError):
        fill("[未闭合{name}", {"name": "x"}.get)


@pytest.mark.parametrize("value, text", [(21, "21"), (21.0, "21"), (0.35, "0.35"), (1e-05, "0.00001"),
                                         (1500.5, "1500.5"), (78.0591, "78.0591"), (True, "1")])
def test_numbers_print_as_a_clerk_writes_them(value, text):
    assert fmt_number(value) == text


def test_preamble_leaves_out_what_was_not_filled_in(form):
    r = build_report(form, values_of(form))
    assert r.title == f"{NAME}2024年政府信息公开工作年度报告"
    assert r.preamble[2] == ("本报告所列数据的统计期限自2024年1月1日起至2024年12月31日止。"
                             f"如对本报告有疑问，请与{NAME}联系（联系电话：0537-6853353）。")
    r = build_report(form, values_of(form, **{"unit.website": "嘉祥县政府网站", "unit.address": "呈祥街99号"}))
    assert "本报告电子版可在嘉祥县政府网站查阅或下载。" in r.preamble[2]
    assert "（地址：呈祥街99号，联系电话：0537-6853353）" in r.preamble[2]


# -- narrative -------------------------------------------------------------------------------

def test_headings_are_never_printed_twice(form):
    r = build_report(form, values_of(form, **{
        "s1.management": "（三）政府信息管理情况。严格审核。",  # pasted with its own heading
        "s1.platform": "第一段。\n\n第二段。",  # paragraphs kept
        "s6.key_tasks": "（二）落实上级年度政务公开工作要点情况。一是……",
        "s6.proposals": "人大代表建议和政协提案办理结果公开情况：全部公开。",  # title without number
        "s6.innovation": "开设专栏。",
    }))
    one = texts(section(r, "一、"))
    i = one.index("（三）政府信息管理情况")
    assert one[i + 1] == "严格审核。"
    j = one.index("（四）政府信息公开平台建设情况")
    assert one[j + 1: j + 3] == ["第一段。", "第二段。"]
    six = texts(section(r, "六、"))
    assert "（二）落实上级年度政务公开工作要点情况。一是……" in six
    assert "（三）人大代表建议和政协提案办理结果公开情况：全部公开。" in six
    assert "（四）年度政务公开工作创新情况。开设专栏。" in six


def test_fee_statement_is_built_from_the_three_numbers(form):
    r = build_report(form, values_of(form, **{"fee.notices": 2, "fee.notice_amount": 200, "fee.collected": 150.5}))
    assert texts(section(r, "六、"))[0] == (
        f"（一）依据《政府信息公开信息处理费管理办法》，{NAME}2024年共发出信息处理费收费通知2件，"
        "收费通知总金额200元，实际收取信息处理费150.5元。")
    r = build_report(form, values_of(form))
    assert texts(section(r, "六、"))[0] == (
        f"（一）依据《政府信息公开信息处理费管理办法》，{NAME}2024年未发出信息处理费收费通知，没有收取信息处理费。")
    r = build_report(form, values_of(form, **{"s6.fee_note": "本年未收费。"}))
    assert texts(section(r, "六、"))[0] == "（一）本年未收费。"


def test_empty_parts_use_the_numbers_or_are_marked(form):
    r = build_report(form, values_of(form, **{"s1.proactive_total": 21, "t3.new.natural": 2,
                                               "t3.granted.natural": 2, "s6.npc_suggestions": 3}))
    one = texts(section(r, "一、"))
    assert one[1] == f"2024年，{NAME}共主动公开政府信息21条。"
    assert one[3] == f"2024年，{NAME}本年新收政府信息公开申请2件，上年结转0件，本年度办结2件，结转下年度继续办理0件。"
    assert one[5] == "【未填写：（三）政府信息管理情况】"
    assert [b.role for b in section(r, "一、").blocks if isinstance(b, Paragraph)][5] == "placeholder"
    six = texts(section(r, "六、"))
    assert f"（三）人大代表建议和政协提案办理结果公开情况。2024年，{NAME}共办理人大代表建议3件、政协提案0件。" in six
    assert not any(t.startswith("（五）") for t in six)  # optional and empty: left out
    assert texts(section(r, "五、")) == ["【未填写：五、存在的主要问题及改进情况】"]


def test_chart_follows_the_categories(form):
    r = build_report(form, values_of(form, **{"cat.c1.name": "会议公开", "cat.c1.count": 5,
                                               "cat.c2.name": "空类别", "cat.c2.count": 0,
                                               "cat.c3.count": 4}))
    chart = next(b for b in section(r, "一、").blocks if isinstance(b, Chart))
    assert (chart.title, chart.categories, chart.values) == ("公开情况", ["会议公开", "第3类"], [5, 4])
    r = build_report(form, values_of(form))
    assert not any(isinstance(b, Chart) for b in section(r, "一、").blocks)


# -- tables ----------------------------------------------------------------------------------

def test_tables_keep_the_form_merges_and_values(form):
    r = build_report(form, values_of(form, **{"t2.fees": 1.25, "t3.new.natural": 3, "t3.granted.natural": 3}))
    (t2,) = [b.table for b in section(r, "二、").blocks if isinstance(b, TableBlock)]
    assert (t2.n_rows, t2.n_cols) == (14, 4)  # the four stacked blocks print as one table
    fee = t2.cell_at(13, 1)
    assert (fee.text, fee.colspan, fee.field_id) == ("1.25", 3, "t2.fees")
    (t3,) = [b.table for b in section(r, "三、").blocks if isinstance(b, TableBlock)]
    note = t3.cell_at(2, 2)
    assert note.text.startswith("（本列数据的勾稽关系为") and (note.rowspan, note.colspan, note.style) == (3, 3, "note")
    result = t3.cell_at(20, 0)
    assert (result.text, result.row, result.rowspan) == ("三、本年度办理结果", 5, 22)
    assert t3.cell_at(3, 3).text == "3" and t3.cell_at(3, 9).text == "3"  # 总计 column computed
    assert t3.cell_at(26, 9).text == "3"  # （七）总计
    assert all(c.style != "blank" for c in t3.cells)


def test_a_form_without_report_definition_still_reports(mini_form):
    v = {**mini_form.defaults(), "org.name": "某果园", "org.code": "X1", "org.year": 2099,
         "org.note": "试点", "fruit.apples.first": 7, "fruit.income": 12.5}
    r = build_report(mini_form, mini_form.compute_derived(v))
    assert r.title == "某果园2099年迷你统计表"
    assert [s.heading for s in r.sections] == ["迷你统计表", "水果产量"]
    head = texts(r.sections[0])
    assert "备注：试点" in head and "范围：单位" in head and not any("某果园" in t for t in head)
    (table,) = [b.table for b in r.sections[1].blocks if isinstance(b, TableBlock)]
    assert [c.text for c in table.rows()[0]] == ["品种", "上半年", "下半年", "全年"]
    assert [c.text for c in table.rows()[1]] == ["苹果", "7", "0", "7"]
    assert table.cell_at(3, 2).text == "12.5"
    for fmt in ("docx", "md", "html"):
        assert render(r, fmt)


def _mini_with_report(tmp_path, report: dict) -> Path:
    spec = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    spec["report"] = report
    path = tmp_path / "mini-report.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def test_report_definition_of_another_form(tmp_path):
    path = _mini_with_report(tmp_path, {
        "title": "{agency_name}{year}年水果报告",
        "preamble": ["[备注：{org.note}。]全年苹果{fruit.apples.all}个。"],
        "sections": [{"sheet": "fruit", "heading": "一、产量"},
                     {"heading": "二、说明", "blocks": [{"field": "org.note", "heading": "",
                                                     "fallback": [{"when": "fruit.income > 0", "text": "有收入{fruit.income}元。"}]}]}],
    })
    form = load_form(path)
    v = form.compute_derived({**form.defaults(), "org.name": "某果园", "org.year": 2099,
                              "fruit.apples.first": 3, "fruit.apples.second": 4, "fruit.income": 9})
    r = build_report(form, v)
    assert r.title == "某果园2099年水果报告" and r.preamble == ["全年苹果7个。"]
    assert [s.heading for s in r.sections] == ["一、产量", "二、说明"]
    assert isinstance(r.sections[0].blocks[0], TableBlock)
    assert texts(r.sections[1]) == ["有收入9元。"]


@pytest.mark.parametrize("report, complaint", [
    ({"sections": [{"sheet": "fruit", "blocks": [{"field": "fruit.nope"}]}]}, "fruit.nope"),
    ({"title": "{agency_name}{nope}"}, "{nope}"),
    ({"sections": [{"blocks": [{"field": "org.note", "fallback": [{"when": "fruit.x > 0", "text": "x"}]}]}]}, "fruit.x"),
    ({"sections": [{"sheet": "head", "blocks": [{"kind": "table"}]}]}, "没有声明 tables"),
    ({"sections": [{"blocks": [{"kind": "chart", "rows": "kinds", "label": "fruit.{row}.name", "value": "fruit.{row}.all"}]}]},
     "fruit.apples.name"),
])
def test_report_definition_errors_name_the_problem(tmp_path, report, complaint):
    form = load_form(_mini_with_report(tmp_path, report))
    with pytest.raises(FormDefinitionError) as exc:
        build_report(form, form.defaults())
    assert complaint in str(exc.value)


# -- county draft ----------------------------------------------------------------------------

def test_county_draft_sentences_and_places_to_write(form):
    units = [
        SimpleNamespace(code="001", name="甲局", values=values_of(form, **{"t3.new.natural": 3, "t3.carried.natural": 1})),
        SimpleNamespace(code="002", name="乙局", values=values_of(form, **{"t3.new.natural": 2})),
        SimpleNamespace(code="003", name="丙局", values=values_of(form)),
    ]
    totals = values_of(form, **{"t3.new.natural": 5, "t3.carried.natural": 1, "unit.phone": None})
    r = build_summary_report(form, totals, units, agency_name="嘉祥县人民政府", year=2024, notices=["草稿"])
    assert r.draft and r.notices[0] == "草稿" and r.author == "嘉祥县人民政府"
    assert r.preamble[0].endswith("汇总全县各有关单位政府信息公开工作情况编制而成。")
    # The county's own website and phone are not in a summary: places to fill, not left out.
    assert "本报告电子版可在【待填写：报告发布网址】查阅或下载。" in r.preamble[-1]
    assert "联系电话：【待填写：联系电话】" in r.preamble[-1]
    one = texts(section(r, "一、"))
    assert ("2024年，全县本年新收政府信息公开申请5件（甲局3件、乙局2件），上年结转政府信息公开申请1件（甲局1件）。"
            "本年度办理完结0件，结转下年度继续办理0件。全县未发生政府信息公开行政复议、行政诉讼案件。") in one
    assert "【待撰写：（二）依申请公开情况】" in one
    # what 监督保障 must cover (国办公开办函〔2021〕30号): the definition's hint in the place to write
    assert "【待撰写：（五）监督保障情况。须写明政务公开工作考核、社会评议和责任追究结果情况】" in one
    assert texts(section(r, "五、")) == ["【待撰写：五、存在的主要问题及改进情况】"]
    six = texts(section(r, "六、"))
    assert six[0] == "（一）依据《政府信息公开信息处理费管理办法》，全县各单位2024年均未发出信息处理费收费通知，没有收取信息处理费。"
    assert "（五）其他需要报告的事项。【待撰写（如无可删除本段）】" in six


# -- renderers -------------------------------------------------------------------------------

def test_renderers_escape_and_mark(form):
    r = build_report(form, values_of(form, **{"s5.text": "# 不是标题 <b>也不是标签</b> a|b"}),
                     notices=["注意：未通过校验", "表三!D6：示例"])
    page = render(r, "html").decode("utf-8")
    assert "&lt;b&gt;也不是标签&lt;/b&gt;" in page and "<b>也不是标签" not in page
    assert page.index('class="notice"') < page.index("<h1>")
    assert 'rowspan="22"' in page and 'colspan="7"' in page and "<svg" not in page  # no categories, no chart
    md = render(r, "md").decode("utf-8")
    assert md.startswith("> **注意：未通过校验**\n> 表三!D6：示例\n")
    assert "\\# 不是标题" in md and "a\\|b" in md
    d = docx.Document(io.BytesIO(render(r, "docx")))
    assert "未通过校验" in d.tables[0].cell(0, 0).text
    sec = d.sections[0]
    assert (round(sec.page_width.cm, 1), round(sec.left_margin.cm, 1), round(sec.top_margin.cm, 1)) == (21.0, 2.8, 3.7)


def test_html_chart_is_svg_with_every_category(form):
    r = build_report(form, values_of(form, **{"cat.c1.name": "会议公开", "cat.c1.count": 5,
                                               "cat.c2.name": "规划<计划>", "cat.c2.count": 12}))
    page = render(r, "html").decode("utf-8")
    svg = page[page.index("<svg"): page.index("</svg>")]
    assert "会议公开" in svg and "规划&lt;计划&gt;" in svg and ">12<" in svg and svg.count("<rect") == 2
    md = render(r, "md").decode("utf-8")
    assert "| 会议公开 | 5 |" in md


def test_leading_equals_sign_is_not_published(form):
    r = build_report(form, values_of(form, **{"s1.oversight": "=本单位无监督保障方面的问题。", "s5.text": "＝ 无明显问题。"}))
    one = texts(section(r, "一、"))
    assert "本单位无监督保障方面的问题。" in one and not any(t.startswith(("=", "＝")) for t in one)
    assert texts(section(r, "五、")) == ["无明显问题。"]
    assert b"=\xe6\x9c\xac" not in render(r, "md")  # "=本"


def test_county_draft_says_who_is_missing(form):
    """9 of 16 units: page 1 (notice and preamble) and every table caption say so, by name."""
    units = [SimpleNamespace(code=f"{i:03d}", name=f"第{i}局", values=values_of(form)) for i in range(1, 10)]
    missing = tuple(f"缺{i}局" for i in range(1, 8))
    coverage = Coverage(9, 16, 7, missing)
    r = build_summary_report(form, values_of(form), units, agency_name="嘉祥县人民政府", coverage=coverage)
    statement = "本稿只汇总了名单内16个单位中9个单位的数据，另有7个单位未计入（未报送或未通过校验）：" + "、".join(missing) + "。"
    assert any(n.startswith(statement) for n in r.notices)
    assert r.preamble[1].startswith(statement)
    captions = [b.caption for sec in r.sections for b in sec.blocks if isinstance(b, TableBlock)]
    assert captions and all(c.startswith("注：本表为名单内16个单位中9个单位的合计，另有7个单位未计入：缺1局、") for c in captions)
    many = Coverage(9, 30, 21, tuple(f"缺{i}局" for i in range(21)))
    assert many.caption().endswith("缺7局等。") and "缺20局" in many.statement()
    assert "全部16个单位" in Coverage(16, 16).statement()


def test_docx_properties_are_the_agencys(form):
    r = build_report(form, values_of(form, **{"s1.proactive": "本年主动公开。"}))
    doc = docx.Document(io.BytesIO(render(r, "docx")))
    props = doc.core_properties
    assert props.title == r.title and props.author == NAME and props.last_modified_by == NAME
    assert props.comments == "" and "python-docx" not in (props.comments + props.subject + props.keywords)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert abs((props.created.replace(tzinfo=None) - now).total_seconds()) < 600  # made now, not in 2013
    names = zipfile.ZipFile(io.BytesIO(render(r, "docx"))).namelist()
    assert not any("thumbnail" in n for n in names)
    app = zipfile.ZipFile(io.BytesIO(render(r, "docx"))).read("docProps/app.xml").decode()
    assert "Microsoft" not in app and "Normal.dotm" not in app and NAME in app


def test_table_headers_break_between_words(form):
    from xlflow.report.linebreak import lines, words

    assert words("社会公益组织") == ("社会", "公益", "组织") and words("自然人") == ("自然人",)
    assert words("（三）不予公开") == ("（三）不予", "公开")
    assert lines("社会公益组织", 4.5) == ["社会公益", "组织"] and lines("自然人", 3.2) == ["自然人"]
    doc = docx.Document(io.BytesIO(render(build_report(form, values_of(form)), "docx")))
    t3 = next(t for t in doc.tables if any("申请人情况" in c.text for c in t.rows[0].cells))
    headers = {c.text for row in t3.rows[:3] for c in row.cells}
    assert "社会公益\n组织" in headers and "法律服务\n机构" in headers and "自然人" in headers
