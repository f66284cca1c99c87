"""Golden-file comparison of .xlsx packages, in the style of XlsxWriter's own tests.

Two workbooks are equal when they hold the same zip parts, binary parts are
identical byte for byte and XML parts are identical element by element after
removing what legitimately changes between two generations (timestamps and
authors in docProps/core.xml, <calcPr>/<workbookView> in workbook.xml) and
sorting the order-insensitive lists ([Content_Types].xml, *.rels).

Failures name the part and show a unified diff of XML elements, one element
(tag plus its text) per line, which stays readable for one-line XML.
"""

from __future__ import annotations

import difflib
import fnmatch
import io
import os
import re
import zipfile
from typing import Iterable, Mapping, Union

Source = Union[str, os.PathLike, bytes, bytearray, io.IOBase]

XML_SUFFIXES = (".xml", ".rels", ".vml")

# Regexes removed from a part before comparison (they vary from run to run).
_VOLATILE = {
    "docProps/core.xml": [
        r"<dcterms:created\b[^>]*>[^<]*</dcterms:created>",
        r"<dcterms:modified\b[^>]*>[^<]*</dcterms:modified>",
        r"<dc:creator\b[^>]*>[^<]*</dc:creator>|<dc:creator\s*/>",
        r"<cp:lastModifiedBy\b[^>]*>[^<]*</cp:lastModifiedBy>|<cp:lastModifiedBy\s*/>",
    ],
    "xl/workbook.xml": [r"<calcPr\b[^>]*/>", r"<workbookView\b[^>]*/>"],
}


def _read_parts(source: Source) -> dict[str, bytes]:
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(bytes(source))
    with zipfile.ZipFile(source) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _is_sorted_part(name: str) -> bool:
    return name == "[Content_Types].xml" or name.endswith(".rels")


def xml_elements(name: str, data: bytes, ignore: Iterable[str] = ()) -> list[str]:
    """Normalised list of elements of XML part ``name`` (see module docstring).

    ``ignore``: regexes; elements matching one at their start are dropped.
    """
    text = data.decode("utf-8").replace("\r\n", "\n")
    text = re.sub(r"\?>\s*<", "?><", text.strip())  # newline after the XML declaration
    for pattern in _VOLATILE.get(name, ()):
        text = re.sub(pattern, "", text)
    # Split between '>' and '<' so each item is one tag, text kept with its opening tag.
    elements = re.split(r"(?<=>)(?=<)", text)
    ignore = [re.compile(p) for p in ignore]
    elements = [e for e in elements if not any(p.match(e) for p in ignore)]
    if _is_sorted_part(name) and len(elements) > 3:
        # Keep declaration, root open tag and root close tag in place, sort the entries.
        elements = elements[:2] + sorted(elements[2:-1]) + elements[-1:]
    return elements


def compare_xlsx(
    got: Source,
    expected: Source,
    ignore_parts: Iterable[str] = (),
    ignore_elements: Mapping[str, Iterable[str]] | None = None,
    context: int = 1,
) -> list[str]:
    """Differences between two xlsx packages as readable strings; ``[]`` means equal.

    ``got``/``expected``: path, bytes or binary file object.
    ``ignore_parts``: part names or glob patterns (``"docProps/*"``) to skip.
    ``ignore_elements``: ``{part name: [regex, ...]}``; matching elements are
    dropped before comparison (e.g. ``{"xl/worksheets/sheet1.xml": ["<pageMargins"]}``).
    """
    ignore_parts = list(ignore_parts)
    ignore_elements = dict(ignore_elements or {})
    got_parts, exp_parts = _read_parts(got), _read_parts(expected)

    def kept(names):
        return {n for n in names if not any(fnmatch.fnmatchcase(n, pat) for pat in ignore_parts)}

    got_names, exp_names = kept(got_parts), kept(exp_parts)
    diffs = []
    if got_names != exp_names:
        missing, extra = sorted(exp_names - got_names), sorted(got_names - exp_names)
        diffs.append(f"part lists differ: missing {missing}, unexpected {extra}")

    for name in sorted(got_names & exp_names):
        got_data, exp_data = got_parts[name], exp_parts[name]
        if not name.endswith(XML_SUFFIXES):
            if got_data != exp_data:
                diffs.append(f"{name}: binary content differs ({len(got_data)} vs {len(exp_data)} bytes expected)")
            continue
        ignore = ignore_elements.get(name, ())
        got_xml, exp_xml = xml_elements(name, got_data, ignore), xml_elements(name, exp_data, ignore)
        if got_xml != exp_xml:
            lines = difflib.unified_diff(exp_xml, got_xml, f"expected/{name}", f"got/{name}",
                                         n=context, lineterm="")
            diffs.append(f"{name}: XML differs\n" + "\n".join(lines))
    return diffs


def assert_xlsx_equal(got: Source, expected: Source, max_lines: int = 60, **kwargs) -> None:
    """AssertionError with the (truncated) differences unless the packages are equal."""
    diffs = compare_xlsx(got, expected, **kwargs)
    if diffs:
        lines = "\n".join(diffs).splitlines()
        if len(lines) > max_lines:
            lines = lines[:max_lines] + [f"... ({len(lines) - max_lines} more lines)"]
        raise AssertionError("xlsx packages differ:\n" + "\n".join(lines))
