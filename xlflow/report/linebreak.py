"""Where a table cell's text may break: between words, as the official tables are set.

Word (and LibreOffice) break Chinese text after any character, so a narrow header column of
表三 prints "社会公益组" / "织" and "自然" / "人". The published tables break between words:
"社会公益" / "组织". Words come from jieba (the usual Chinese word segmenter); a numbering such
as "（三）" or "2." stays with the word after it and punctuation with the word before it.
``column_widths`` first widens columns too narrow for their longest word, taking the room from
columns that have more than they need; ``lines`` then gives each cell its lines.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache

_OPEN = "（(“‘《〈【"
_CLOSE = "）)”’》〉】、，。：；！？.,:;%％"
# "（三）" and "2." number what follows; "三、" may end a line of a narrow column.
_MARKER = re.compile(r"^(?:[（(][0-9一二三四五六七八九十]{1,3}[）)]|[0-9]{1,3}\.)$")


def char_width(ch: str) -> float:
    """Width in em of the table font: CJK and full-width characters 1, the rest about half."""
    return 1.0 if ord(ch) > 0x2E7F else 0.55


def text_width(text: str) -> float:
    return sum(char_width(ch) for ch in text)


@lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    """The text cut into pieces a line may end after."""
    import jieba  # imported on first use: building its dictionary takes a second

    jieba.setLogLevel(logging.WARNING)
    out: list[str] = []
    for token in (part for t in jieba.lcut(text, HMM=False) for part in _compound(t)):
        if out and all(ch in _CLOSE for ch in token):
            out[-1] += token  # punctuation never starts a line
        elif out and (out[-1][-1] in _OPEN or _MARKER.match(out[-1])):
            out[-1] += token  # "（三）" and "2." stay with what they number
        else:
            out.append(token)
    return tuple(out)


def _compound(token: str) -> list[str]:
    """A dictionary word of four or more characters made of words of two or more (科研机构:
    科研 + 机构) may break between them; 自然人 may not."""
    if len(token) < 4:
        return [token]
    import jieba

    parts = {w for w in jieba.lcut_for_search(token, HMM=False) if 2 <= len(w) < len(token)}
    best: dict[int, list[str]] = {0: []}
    for i in range(len(token)):
        if i in best:
            for j in range(i + 2, len(token) + 1):
                if token[i:j] in parts and j not in best:
                    best[j] = best[i] + [token[i:j]]
    return best.get(len(token), [token])


def lines(text: str, per_line: float) -> list[str]:
    """``text`` in lines of at most ``per_line`` em, broken between words (greedily, as a
    typesetter fills a line). A single word longer than a line is left for the program to
    wrap. Text that fits stays one line; explicit line breaks are kept."""
    out: list[str] = []
    for para in text.split("\n"):
        if text_width(para) <= per_line:
            out.append(para)
            continue
        line = ""
        for word in words(para):
            if line and text_width(line + word) > per_line:
                out.append(line)
                line = word
            else:
                line += word
        out.append(line)
    return out


def longest_word(text: str) -> float:
    return max((text_width(w) for para in text.split("\n") for w in words(para) if para), default=0.0)


def two_lines(text: str) -> float:
    """The narrowest width at which ``text`` takes at most two lines broken between words
    (a header "社会公益组织" needs 4 em: "社会公益" / "组织")."""
    best = 0.0
    for para in text.split("\n"):
        ws = words(para) if para else ()
        widths = [text_width(w) for w in ws]
        total = sum(widths)
        first, para_best = 0.0, total
        for w in widths[:-1]:
            first += w
            para_best = min(para_best, max(first, total - first))
        best = max(best, para_best)
    return best


def column_widths(widths: Sequence[float], needs: Sequence[float]) -> list[float]:
    """``widths`` (any unit, summing to the table width) with every column at least its
    ``needs`` where the table has the room, the room taken from the columns with slack in
    proportion to it."""
    out = list(widths)
    short = sum(max(0.0, n - w) for w, n in zip(out, needs))
    slack = [max(0.0, w - n) for w, n in zip(out, needs)]
    spare = sum(slack)
    if short <= 0 or spare <= 0:
        return out
    take = min(short, spare)
    grow = take / short
    for i, (w, n) in enumerate(zip(widths, needs)):
        if n > w:
            out[i] = w + (n - w) * grow
        else:
            out[i] = w - slack[i] * take / spare
    return out
