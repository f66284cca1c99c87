"""文字汇编: the county's numbers in sentences, then every unit's text sections, one block per
unit (its name, then each section: the section's label beside the full text).

A text prints in full: it is cut into rows of at most ``MAX_LINES`` lines, at paragraph ends
where it can, else at sentence ends (a spreadsheet row cannot be taller than 409 points nor
break across pages). The rows are streamed (``stream.Row``), as many as the texts need.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..totals import values_row
from ..vocab import SHEET_TEXT, scope_word
from .digest import load_digest, sentences
from .pages import row_height, setup_page, text_lines, text_units
from .stream import Row

WIDTHS = (22, 76)  # label, text: together the width of an A4 page, portrait
MAX_LINES = 20
LINE_POINTS = 14.5
EMPTY = "（未填写）"
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


def text_rows(text: str, width: float, max_lines: int = MAX_LINES) -> list[tuple[str, int]]:
    """``text`` cut into pieces of at most ``max_lines`` lines in a column ``width`` wide:
    (piece, lines) each. Paragraphs stay whole where they fit, else they are cut after a
    sentence, else after as many characters as fill the row. Nothing is lost or added: the
    pieces joined (by a line break where a paragraph ended, directly where one was cut) are
    the text."""
    per_line = max(1, int(width))

    def lines(units: float) -> int:
        return max(1, -(-int(units) // per_line))

    if "\n" not in text and "\r" not in text:
        n = lines(text_units(text))
        if n <= max_lines:  # most sections: one paragraph, one row
            return [(text, n)]
    pieces: list[tuple[str, bool]] = []  # (text, starts a paragraph)
    for para in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if lines(text_units(para)) <= max_lines:
            pieces.append((para, True))
            continue
        first = True
        for sentence in _SENTENCE_END.split(para):
            while lines(text_units(sentence)) > max_lines:  # a sentence longer than a row
                cut = max(1, max_lines * per_line // 2)
                pieces.append((sentence[:cut], first))
                sentence, first = sentence[cut:], False
            if sentence:
                pieces.append((sentence, first))
                first = False
    out: list[tuple[str, int]] = []
    current: list[str] = []
    used = 0
    para = 0.0  # units of the paragraph the row ends with

    for piece, starts in pieces:
        units = text_units(piece)
        if current:
            need = lines(units) if starts else lines(para + units) - lines(para)
            if used + need <= max_lines:
                current.append("\n" + piece if starts else piece)
                used += need
                para = units if starts else para + units
                continue
            out.append(("".join(current), used))
        current, used, para = [piece], lines(units), units
    if current:
        out.append(("".join(current), used))
    return out


def _height(lines: int) -> float:
    return lines * LINE_POINTS + 6


def write_narratives(book) -> None:
    c, f = book.c, book.fmt
    ws = book.wb.add_worksheet(SHEET_TEXT)
    fields = c.form.narrative_fields
    for k, w in enumerate(WIDTHS):
        ws.set_column(k, k, w)
    ws.merge_range(0, 0, 0, 1, f"{scope_word(c.name)}汇总数字与分单位情况（供撰写{c.name}年度报告参考）", f.title)
    ws.set_row(0, 22)
    row = 2
    for text in sentences(c, load_digest(c.form)):
        ws.merge_range(row, 0, row, 1, text, f.para)
        ws.set_row(row, row_height([(text, sum(WIDTHS))], size=11))
        row += 1
    row += 1
    if not fields:  # a form without text sections: the sentences are all there is
        setup_page(ws, book.title, landscape=False, fit=(1, 0))
        return
    ws.merge_range(row, 0, row, 1, f"各单位文字部分（每个单位一段，按名单顺序；共 {len(c.units)} 个单位）", f.title)
    ws.set_row(row, 22)
    row += 1
    ids = tuple(fd.id for fd in fields)
    labels = [fd.label for fd in fields]

    sides = [text_lines(label, WIDTHS[0]) for label in labels]

    def blocks() -> Iterator[Row]:
        for i, u in enumerate(c.units, 1):
            yield Row([f"{i}. {u.name}（{u.code}）", None], [f.unit_head, f.unit_head], 22)
            for label, side, value in zip(labels, sides, values_row(u.values, ids)):
                text = str(value).strip() if value is not None else ""
                for k, (piece, lines) in enumerate(text_rows(text or EMPTY, WIDTHS[1])):
                    yield Row([label if k == 0 else None, piece], [f.side, f.text_block], _height(max(lines, side if k == 0 else 1)))
            yield Row([None, None], [None, None], 8)

    if c.units:
        book.stream_rows(ws, row, None, blocks(), [f.side, f.text_block], [f.unit_head])
    setup_page(ws, book.title, landscape=False, fit=(1, 0))
