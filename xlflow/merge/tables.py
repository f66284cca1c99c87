"""汇总: the county's totals. One sheet per numeric table of the form (汇总（二、主动公开）…), laid
out as the form lays that sheet out: its labels, merges, column widths, orientation and print
titles, each number ``SUM`` over its column of 明细 with the value cached. The 汇总 sheet itself
says what the summary covers, the subtotals per roster group, the other summable numbers and
the form's rules re-checked on the totals, in words.
"""

from __future__ import annotations

from ..cells import a1, col_index, quote_sheet
from ..form import FieldDef
from ..read.plan import _message_comparison as message_comparison  # the sides {lhs}/{rhs} name
from ..template import Stamp
from ..template.writer import DEFAULT_ROW_HEIGHT, wrapped_row_height
from ..vocab import SHEET_DETAIL, SHEET_STATUS, format_number, table_sheet_name
from .digest import load_digest
from .pages import row_height, setup_page

DEFAULT_WIDTH = 8.43
ONE_PAGE_ROWS = 45  # a table up to this many rows prints on one page (the official tables do)
OVERVIEW_WIDTHS = (22, 14, 30, 22, 10, 10)  # columns A-F of 汇总
_CMP_WORDS = {"==": "应等于", ">=": "应不小于", "<=": "应不大于", ">": "应大于", "<": "应小于", "!=": "应不等于"}


def total_positions(form) -> dict[str, tuple[str, int, int]]:
    """Where each table field's total sits: (sheet, 0-based row, col), the form's own cell on
    the table's own sheet of the summary."""
    return {fd.id: (table_sheet_name(s.name), fd.row, fd.col) for s in form.table_sheets for fd in s.fields}


def _height(s) -> int:
    return 1 + max([lb.merge[2] if lb.merge else lb.row for lb in s.labels] + [fd.merge[2] if fd.merge else fd.row for fd in s.fields])


def write_table_sheet(book, ws, s) -> None:
    """One official table with the county's totals, where the form puts every cell."""
    c, st = book.c, book.styles
    spec = s.spec
    widths = {col_index(letters): w for letters, w in spec.columns.items()}
    for col, w in widths.items():
        ws.set_column(col, col, w)
    stamp = Stamp(f"{c.name}（汇总）", c.code, c.year or 0)
    heights: dict[int, float] = {}
    for lb in s.labels:
        fmt = st.label(lb.style)
        text = stamp.fill(lb.text)
        r1, c1, r2, c2 = lb.merge or (lb.row, lb.col, lb.row, lb.col)
        if lb.merge:
            ws.merge_range(r1, c1, r2, c2, text, fmt)
        else:
            ws.write_string(lb.row, lb.col, text, fmt)
        if r1 == r2 and lb.style not in ("title", "subtitle"):
            # long labels (表三（六）) wrap: no application autofits a generated file's rows
            width = sum(widths.get(k, DEFAULT_WIDTH) for k in range(c1, c2 + 1))
            heights[r1] = max(heights.get(r1, 0), wrapped_row_height(text, width))
    for fd in s.fields:
        _total_cell(book, ws, fd)
        book.total_pos[fd.id] = (ws.name, fd.row, fd.col)
    for r, h in heights.items():
        if h > DEFAULT_ROW_HEIGHT:
            ws.set_row(r, h)
    rows = _height(s)
    repeat = None
    if spec.repeat_rows:
        first, last = spec.repeat_rows.split(":")
        repeat = (int(first) - 1, int(last) - 1)
    ws.center_horizontally()
    setup_page(ws, book.title, landscape=spec.landscape, fit=(1, 1) if rows <= ONE_PAGE_ROWS else (1, 0), repeat_rows=repeat)
    if spec.freeze:
        ws.freeze_panes(spec.freeze)


def _total_cell(book, ws, fd: FieldDef, row: int | None = None, col: int | None = None) -> None:
    r, k = (fd.row, fd.col) if row is None else (row, col)
    fmt = book.styles.derived(fd.type.spec.num_format)
    if fd.merge and row is None:
        r1, c1, r2, c2 = fd.merge
        ws.merge_range(r1, c1, r2, c2, "", fmt)
    if book.c.units:
        ws.write_formula(r, k, book.layout.sum_ref(fd.id, len(book.c.units)), fmt, book.c.totals.get(fd.id, 0))
    else:
        ws.write_number(r, k, 0, fmt)


# -- the 汇总 sheet ------------------------------------------------------------------------------

def write_overview(book, ws) -> None:
    c, st, f = book.c, book.styles, book.fmt
    last = len(OVERVIEW_WIDTHS) - 1
    for k, w in enumerate(OVERVIEW_WIDTHS):
        ws.set_column(k, k, w)
    ws.merge_range(0, 0, 0, last, book.title, st.label("title"))
    ws.set_row(0, 24)
    row = _para(ws, 1, last, scope_line(c), f.para)
    tables = "、".join(f"“{table_sheet_name(s.name)}”" for s in c.form.table_sheets)
    row = _para(ws, row, last, f"各表的合计见 {tables} 工作表（与填报模板的表格相同，每表一页）；"
                               f"每个单位的数字见“{SHEET_DETAIL}”。", f.para)
    row += 1
    if book.groups:
        row = _group_table(book, ws, row, last) + 1
    row = _other_totals(book, ws, row, last)
    _checks(book, ws, row + 1, last)
    setup_page(ws, book.title, landscape=False, fit=(1, 0))


def scope_line(c) -> str:
    text = f"汇总单位：{c.name}（代码 {c.code}）；计入汇总 {len(c.units)} 个单位"
    if c.roster is not None:
        text += f"；名单内应报 {len(c.roster)} 个，未计入 {len(c.missing)} 个（见“{SHEET_STATUS}”）"
        if c.missing:
            text += "：" + "、".join(a.name for a in c.missing[:30]) + ("等" if len(c.missing) > 30 else "")
    return text + f"。每个数字为“{SHEET_DETAIL}”工作表对应列的合计。"


def _para(ws, row: int, last: int, text: str, fmt) -> int:
    ws.merge_range(row, 0, row, last, text, fmt)
    ws.set_row(row, row_height([(text, sum(OVERVIEW_WIDTHS))], size=11))
    return row + 1


def _cell(ws, row: int, c1: int, c2: int, text: str, fmt) -> None:
    if c2 > c1:
        ws.merge_range(row, c1, row, c2, text, fmt)
    else:
        ws.write_string(row, c1, text, fmt)


def _group_table(book, ws, row: int, last: int) -> int:
    """The form's summary measures (``summary:`` breakdowns) per roster group and in all."""
    c, st = book.c, book.styles
    digest = load_digest(c.form)
    groups = book.groups
    ws.merge_range(row, 0, row, last, "分组小计（按单位名单的分组列）", st.label("section"))
    row += 1
    heads = ["项目", *groups, "合计"]
    span = _spans(len(heads), last)
    for text, (c1, c2) in zip(heads, span):
        _cell(ws, row, c1, c2, text, st.label("header"))
    row += 1
    members = {g: [u for u in c.units if book.group_of(u.code) == g] for g in groups}
    counts = [f"{len(members[g])}" for g in groups] + [str(len(c.units))]
    _cell(ws, row, *span[0], "计入汇总的单位数", st.label("label"))
    for text, (c1, c2) in zip(counts, span[1:]):
        _cell(ws, row, c1, c2, text, book.fmt.right)
    row += 1
    for b in digest.breakdowns:
        values = [sum(b.measure.of(u.values) for u in members[g]) for g in groups] + [b.measure.of(c.totals)]
        label = b.title.removeprefix("共") + (f"（{b.unit}）" if b.unit else "")
        _cell(ws, row, *span[0], label, st.label("label"))
        for v, (c1, c2) in zip(values, span[1:]):
            _cell(ws, row, c1, c2, format_number(round(v, 6)), book.fmt.right)
        ws.set_row(row, row_height([(label, sum(OVERVIEW_WIDTHS[span[0][0]:span[0][1] + 1]))]))
        row += 1
    return row


def _spans(n: int, last: int) -> list[tuple[int, int]]:
    """``n`` headings over columns 0..last: the first over A-B, the rest one column each (the
    last taking what is left)."""
    out = [(0, 1)]
    col = 2
    for k in range(1, n):
        end = last if k == n - 1 else min(col, last)
        out.append((min(col, last), end))
        col = end + 1
    return out


def _other_totals(book, ws, row: int, last: int) -> int:
    """Summable numbers outside the numeric tables (主动公开总条数, 信息处理费 …)."""
    c, st = book.c, book.styles
    table_names = {s.name for s in c.form.table_sheets}
    others = [fd for fd in c.form.summable_fields if fd.sheet not in table_names]
    if not others:
        return row
    ws.merge_range(row, 0, row, last, "其他数字汇总", st.label("section"))
    row += 1
    for fd in others:
        ws.merge_range(row, 0, row, 2, f"{fd.sheet}：{fd.label}", st.label("label"))
        _total_cell(book, ws, fd, row, 3)
        book.total_pos[fd.id] = (ws.name, row, 3)
        row += 1
    return row + 1


def _checks(book, ws, row: int, last: int) -> None:
    """The rules re-run on the totals: each rule's name and what it requires, the two sides
    with their totals, and 相符 / 不相符 as a live formula over the total cells."""
    c, st = book.c, book.styles
    if not c.checks:
        return
    ws.set_h_pagebreaks([row])  # the checks on a page of their own, their header on top
    ws.merge_range(row, 0, row, last, "汇总数校验（按报表定义的规则对合计数重新核对）", st.label("section"))
    row += 1
    for text, (c1, c2) in zip(("规则", "要求", "合计数", "结果", "说明"), ((0, 0), (1, 2), (3, 3), (4, 4), (5, 5))):
        _cell(ws, row, c1, c2, text, st.label("header"))
    row += 1

    def ref(fid: str) -> str:
        sheet, r, k = book.total_pos[fid]
        return f"{quote_sheet(sheet)}!{a1(r, k)}"

    heights: dict[int, float] = {}
    first = row
    runs: list[tuple[object, list[int]]] = []  # (rule, its consecutive rows): what it requires is said once
    for chk in c.checks:
        inst = chk.rule
        name = inst.rule.title + (f"：{'、'.join(inst.labels.values())}" if inst.labels else "")
        sides = _sides(c.form, chk)
        _cell(ws, row, 0, 0, name, st.label("label"))
        _cell(ws, row, 3, 3, sides, st.label("label"))
        formula = f'=IF({inst.expr.to_excel(ref, lambda ids: ",".join(ref(i) for i in ids))},"相符","不相符")'
        ws.write_formula(row, 4, formula, st.check(), "相符" if chk.ok else "不相符")
        if chk.ok:
            note = ""
        elif chk.failing_units:
            note = f"{chk.message}（这些单位的报表本身也不满足本规则：{'、'.join(chk.failing_units)}）"
        else:
            note = f"{chk.message}（各单位报表均满足本规则，合计不满足说明该规则不能逐项相加，仅供参考）"
        _cell(ws, row, 5, 5, note, st.label("label"))
        heights[row] = row_height([(name, OVERVIEW_WIDTHS[0]), (sides, OVERVIEW_WIDTHS[3]), (note, OVERVIEW_WIDTHS[5])])
        if runs and runs[-1][0] is inst.rule:
            runs[-1][1].append(row)
        else:
            runs.append((inst.rule, [row]))
        row += 1
    for rule, rows in runs:
        need = " ".join(rule.description.split()) or rule.title
        ws.merge_range(rows[0], 1, rows[-1], 2, need, st.label("label"))
        share = row_height([(need, sum(OVERVIEW_WIDTHS[1:3]))]) / len(rows)
        for r in rows:
            ws.set_row(r, max(heights[r], share))
    ws.conditional_format(first, 4, row - 1, 4, {"type": "cell", "criteria": "==", "value": '"不相符"', "format": st.bad()})
    ws.conditional_format(first, 4, row - 1, 4, {"type": "cell", "criteria": "==", "value": '"相符"', "format": st.good()})


def _sides(form, chk) -> str:
    """The compared totals in words: “A为104，应等于B 104”, each side named by its field's
    label when it is one field, by the rule's shown labels when it declares them."""
    cmp = message_comparison(chk.rule.expr) if chk.lhs is not None else None
    if cmp is None:
        return "—"
    left, op, right = cmp
    show = chk.rule.rule.show
    names = []
    for side, shown in ((left, show.lhs_label if show else None), (right, show.rhs_label if show else None)):
        if shown:
            names.append(shown.split("：")[-1])  # "校验：第一项+第二项": the words after the lead-in
        elif side is not None and len(side.refs) == 1 and side.text.strip() == side.refs[0]:
            fd = form.fields[side.refs[0]]
            row = (fd.row_label or fd.label).split(" / ")[-1]
            names.append(f"{row}（{fd.col_label.split(' / ')[-1]}）" if fd.row_label and fd.col_label else row)
        elif side is not None and not side.refs:
            names.append("")  # a constant: the number says it
        else:
            names.append(None)
    a, b = names
    lhs, rhs = format_number(chk.lhs), format_number(chk.rhs)
    return f"{a or '前者'}为{lhs}，{_CMP_WORDS.get(op, '应满足规则')}{'后者' if b is None else b}{rhs}"
