"""Each kind of mistake a clerk makes in a return, for the tests that compare the template's
live check with the validator (with and without LibreOffice recalculating)."""

from __future__ import annotations

import re

LONG = "很长的名字" * 41  # 205 characters: the one-line text type allows 200

# name -> (changes to a correct return, or None for a template nobody touched; cells to type over)
CASES: dict[str, tuple[dict | None, dict]] = {
    "untouched template": (None, {}),
    "correct return": ({}, {}),
    "empty 填报人": ({"unit.contact": None}, {}),
    "empty 联系电话": ({"unit.phone": "  "}, {}),
    "empty 第五部分": ({"s5.text": None}, {}),
    "第五部分 only 无": ({"s5.text": "无"}, {}),
    "slash in a number cell": ({"t3.new.natural": "/"}, {}),
    "blank number cell": ({"t2.licensing": None}, {}),
    "text in a number cell": ({"t4.review.upheld": "3件"}, {}),
    "negative number": ({"t2.penalty": -1}, {}),
    "fraction in a count": ({"t3.granted.natural": 2.5}, {}),
    "number stored as text": ({"t3.granted.natural": "4", "s1.proactive_total": "21"}, {}),
    "full-width digits": ({"t2.norms.issued": "３"}, {}),
    "too many decimals in 万元": ({"t2.fees": 1.234567}, {}),
    "R1 broken": ({"t3.new.natural": 10}, {}),
    "fee rules broken": ({"fee.collected": 10}, {}),
    "categories do not add up": ({"cat.c1.count": 10}, {}),
    "scope not a choice": ({"unit.scope": "其他"}, {}),
    "date not a date": ({"unit.date": "昨天"}, {}),
    "date written as text": ({"unit.date": "2025年1月15日"}, {}),
    "text too long": ({"unit.contact": LONG}, {}),
    "narrative starting with =": ({"s1.oversight": "=本单位无相关情况", "s6.other": "＝无"}, {}),
    "total typed over": ({}, {"t3.new.total": 99}),
    "formula error in a text cell": ({}, {"s6.other": "=1/0"}),
    "formula typed in a number cell": ({}, {"t2.penalty": "=1+1"}),
    "reference typed in a number cell": ({}, {"t2.licensing": "=D6"}),
}



def count(text: str, empty: str) -> int:
    """N of the status texts "有 N 处问题" / "有 N 处提示，请核对"; 0 for the empty text."""
    if text == empty:
        return 0
    m = re.fullmatch(r"有 (\d+) 处(问题|提示，请核对)", text)
    assert m, text
    return int(m.group(1))
