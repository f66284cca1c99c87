"""One expression, two targets: the Python check and the Excel formula must mean the same."""

from __future__ import annotations

import pytest

from xlflow import expr as ex


def test_python_and_excel_of_a_comparison():
    e = ex.parse("t3.new.natural + t3.carried.natural == t3.total.natural + t3.next.natural")
    assert e.refs == ("t3.new.natural", "t3.carried.natural", "t3.total.natural", "t3.next.natural")
    values = {"t3.new.natural": 5, "t3.carried.natural": 1, "t3.total.natural": 4, "t3.next.natural": 2}
    assert e.evaluate(values) is True
    assert e.evaluate({**values, "t3.next.natural": 3}) is False
    cells = {"t3.new.natural": "D6", "t3.carried.natural": "D7", "t3.total.natural": "D29", "t3.next.natural": "D30"}
    assert e.to_excel(cells.__getitem__) == "(D6+D7)=(D29+D30)"
    lhs, op, rhs = e.comparison()
    assert op == "==" and lhs.evaluate(values) == 6 and rhs.evaluate(values) == 6


def test_decimal_equality_tolerates_binary_rounding():
    e = ex.parse("a.x + a.y == a.z")
    assert e.evaluate({"a.x": 0.1, "a.y": 0.2, "a.z": 0.3}) is True


def test_boolean_logic_and_functions():
    e = ex.parse("a.unpaid == 0 or a.notices >= a.unpaid")
    assert e.to_excel(lambda i: i.split(".")[1].upper() + "1") == "OR(UNPAID1=0,NOTICES1>=UNPAID1)"
    assert e.evaluate({"a.unpaid": 0, "a.notices": 0})
    assert not e.evaluate({"a.unpaid": 2, "a.notices": 1})
    nb = ex.parse("nonblank(s5.text)")
    for text, ok in (("", False), ("无", False), ("\u3000无 ", False), ("/", False), (None, False), ("存在问题…", True)):
        assert nb.evaluate({"s5.text": text}) is ok, text
    formula = nb.to_excel(lambda i: "B3")
    assert formula.startswith("AND(LEN(TRIM(SUBSTITUTE(B3,") and '<>"无"' in formula


def test_sets_and_wildcards_expand_to_id_lists():
    sets = {"parts": {"a": "A", "b": "B"}}
    ids = ["t.x.a", "t.x.b", "t.y.a", "c.c1.count", "c.c2.count", "c.c2.name"]
    assert ex.expand_ids("sum(t.x.<parts>)", sets, ids) == "sum(t.x.a, t.x.b)"
    assert ex.expand_ids("sum(c.*.count)", sets, ids) == "sum(c.c1.count, c.c2.count)"
    with pytest.raises(ex.ExprError):
        ex.expand_ids("sum(z.*.count)", sets, ids)
    with pytest.raises(ex.ExprError):
        ex.expand_ids("sum(t.x.<nope>)", sets, ids)


def test_sum_compresses_to_ranges_through_the_callback():
    e = ex.parse("sum(a.b1, a.b2, a.b3)")
    assert e.to_excel(str, lambda ids: "B1:B3") == "SUM(B1:B3)"


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('x')", "a.b if a.c else a.d", "a.b < a.c < a.d", "max(a.b, a.c)", "x + 1", "a.b[0]", "lambda: 1"],
)
def test_anything_outside_the_small_language_is_rejected(text):
    with pytest.raises(ex.ExprError):
        ex.parse(text)


def test_previous_year_refs_compile_for_python_only():
    e = ex.parse("t.carried.x == prev.t.next.x")
    assert e.evaluate({"t.carried.x": 3}, {"t.next.x": 3})
    with pytest.raises(ex.ExprError):
        e.to_excel(str)


def test_variables_are_substituted_and_unknown_ones_rejected():
    assert ex.substitute("t3.new.{col}", {"col": "natural"}) == "t3.new.natural"
    with pytest.raises(ex.ExprError):
        ex.substitute("t3.new.{row}", {"col": "natural"})
