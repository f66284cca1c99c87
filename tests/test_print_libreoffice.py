"""A return prints as a clerk hands it on: filled in LibreOffice (the agencies' stand-in for
Excel/WPS) with long narratives — 1,500+ characters in part 一, 900 in part 五 — and printed to
PDF: every page A4, every narrative in full, each table on its own page, the sign-off block
whole on the last page, and every page saying whose return it is. The pages are kept as PNGs
(tests/printing.py) for docs/printing.md."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.printing import is_a4, keep_pngs, page_sizes, squeezed
from tests.returned import FORM, factory
from tests.support.libreoffice import UnoSession, convert

pytestmark = pytest.mark.libreoffice

SEED = yaml.safe_load((Path(__file__).resolve().parents[1] / "xlflow" / "samples"
                       / "seed_jiaxiang_finance_2023.yaml").read_text(encoding="utf-8"))
SENTENCE = "坚持以公开为常态、不公开为例外，围绕县委县政府中心工作，及时、准确、全面公开政府信息，"


def narrative(n_paragraphs: int, last: str) -> str:
    """Paragraphs of a plausible length (about 120 characters), the last one ending in ``last``."""
    paras = [f"{i + 1}.{SENTENCE * 3}持续提升政务公开质量。" for i in range(n_paragraphs)]
    return "\n".join(paras) + last


LONG = {
    "s1.proactive": narrative(5, "主动公开部分到此为止。"),
    "s1.application": narrative(2, "依申请公开部分到此为止。"),
    "s1.management": narrative(2, "信息管理部分到此为止。"),
    "s1.platform": narrative(2, "平台建设部分到此为止。"),
    "s1.oversight": narrative(2, "监督保障部分到此为止。"),
    "s5.text": narrative(7, "问题及改进部分到此为止。"),
}
SIGNOFF = [item.label for item in FORM.sheet("s6").spec.signoff.items]


def _cells(values: dict) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for fid, v in values.items():
        f = FORM.fields[fid]
        if f.is_input:
            out.setdefault(f.sheet, {})[f.cell] = v
    return out


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("print")
    blank = tmp / "template.xlsx"
    blank.write_bytes(factory(SEED["year"]).build(SEED["agency_name"], SEED["agency_code"]))
    with UnoSession() as lo:
        filled = lo.fill(blank, tmp / "return.xlsx", _cells({**SEED["values"], **LONG}))
    return dict(zip(("template", "return"), convert([blank, filled], "pdf", tmp / "pdf")))


def test_long_narratives_print_in_full(printed):
    assert sum(len(LONG[f]) for f in LONG if f.startswith("s1.")) >= 1500 and len(LONG["s5.text"]) >= 900
    text = "".join(squeezed(printed["return"]))
    for fid, value in LONG.items():
        assert value[-30:] in text, fid  # the end of each narrative is on paper, not cut off


def test_every_page_is_a4_and_names_the_agency(printed):
    for name, pdf in printed.items():
        sizes = page_sizes(pdf)
        assert sizes and all(is_a4(s) for s in sizes), (name, sizes)
        pages = squeezed(pdf)
        assert all(SEED["agency_name"] in p for p in pages), name
        keep_pngs(pdf, name)


def test_each_table_on_one_page_and_the_signoff_whole_at_the_end(printed):
    pages = squeezed(printed["return"])
    assert len([p for p in pages if "（本列数据的勾稽关系为" in p]) == 1  # table 三, landscape
    assert len([p for p in pages if "复议后起诉" in p and "尚未审结" in p]) == 1  # table 四
    signed = [i for i, p in enumerate(pages) if all(label in p for label in SIGNOFF)]
    assert signed == [len(pages) - 1], signed
    last = pages[-1]
    assert SEED["values"]["unit.phone"] in last  # 联系电话 is filled from 基本信息, not typed twice
    # One page per sheet, two for part 一 with its 1,600 characters, the sign-off on its own
    # page: what a clerk would hand on for one agency's return.
    assert len(pages) == 10, len(pages)


def test_untouched_template_prints_its_status(printed):
    pages = squeezed(printed["template"])
    assert any("校验状态有3处问题" in p for p in pages) and any("提交后还会检查" in p for p in pages)
    assert len(pages) == 9, len(pages)  # one page per sheet, and the sign-off page
