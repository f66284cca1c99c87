"""The template's table labels are the official ones, character for character, in the seed's order."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

SEED = Path(__file__).parent / "data" / "seed_report.txt"


def seed_table_cells() -> list[str]:
    """Cells of tables 二/三/四 of the published seed report, in reading order. The flattened
    text puts each cell on a tab-led line; a header broken over two lines (商业\\n企业)
    continues on the next line without a tab."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    start, end = lines.index("二、主动公开政府信息情况"), lines.index("五、存在的主要问题及改进情况")
    cells: list[str] = []
    continuing = False
    for line in lines[start:end]:
        if line.startswith("\t"):
            cells.append(line[1:].strip())
            continuing = True
        elif line.strip() and continuing and not line.startswith(("三、", "四、")):
            cells[-1] += line.strip()
        else:
            continuing = False
    return [c for c in cells if c and not c.isdigit()]


@pytest.fixture(scope="module")
def workbook(factory):
    return openpyxl.load_workbook(io.BytesIO(factory.build("嘉祥县金融工作服务中心", "370829014")))


def test_every_table_label_matches_the_seed_in_order(form, workbook):
    got = []
    for key in ("t2", "t3", "t4"):
        sheet = form.sheet(key)
        ws = workbook[sheet.name]
        table_labels = sorted((lb.row, lb.col) for lb in sheet.labels if lb.style not in ("title", "subtitle"))
        got += [ws.cell(r + 1, c + 1).value for r, c in table_labels]
    expected = seed_table_cells()
    assert len(expected) == 79  # the parser itself found the whole of the three tables
    assert got == expected


def test_section_titles_are_the_seed_headings(form, workbook):
    seed_lines = set(SEED.read_text(encoding="utf-8").split("\n"))
    for key in ("s1", "t2", "t3", "t4", "s5", "s6"):
        sheet = form.sheet(key)
        title = next(lb for lb in sheet.labels if lb.style == "title")
        assert workbook[sheet.name].cell(title.row + 1, title.col + 1).value in seed_lines


def test_code_points_of_the_tricky_labels(form):
    texts = [lb.text for s in form.sheets for lb in s.labels]
    joined = "".join(texts)
    assert "3.危及\u201c三安全一稳定\u201d" in texts
    assert "1、" not in joined and "1．" not in joined
    note = next(t for t in texts if t.startswith("（本列数据"))
    assert note == "\uff08本列数据的勾稽关系为\uff1a第一项加第二项之和\uff0c等于第三项加第四项之和\uff09"
    assert "本年收费金额\uff08单位\uff1a万元\uff09" in texts


def test_table_three_shape(form):
    t3 = [f for f in form.fields.values() if f.sheet_key == "t3"]
    assert len(t3) == 25 * 7
    rows = {f.row for f in t3}
    cols = {f.col for f in t3}
    assert len(rows) == 25 and len(cols) == 7
    # the 总计 column and the （七）总计 row are formulas; everything else is typed in
    derived = {f.id for f in t3 if f.derived}
    assert derived == {f"t3.{r}.total" for r in form.spec.sets["t3_rows"]} | {
        f"t3.total.{c}" for c in form.spec.sets["t3_applicants"]
    }


def test_table_two_and_four_fields(form):
    t2 = [f for f in form.fields.values() if f.sheet_key == "t2"]
    assert len(t2) == 10 and all(f.is_input for f in t2)
    assert form.fields["t2.fees"].type.spec.decimals == 4 and form.fields["t2.fees"].type.spec.unit == "万元"
    t4 = [f for f in form.fields.values() if f.sheet_key == "t4"]
    assert len(t4) == 15
    assert sorted(f.id for f in t4 if f.derived) == ["t4.after_review.total", "t4.direct.total", "t4.review.total"]
    assert form.fields["t4.direct.upheld"].label_path == ("行政诉讼", "未经复议直接起诉", "结果维持")
