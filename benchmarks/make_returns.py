"""Generate N distinct filled returns fast, by editing the XML of one stamped template.

    python benchmarks/make_returns.py --n 1000 --out benchmarks/_work/returns_1000

Laying out a workbook with xlsxwriter takes ~20 ms; 10,000 returns would take minutes. So one
filled return is built for a placeholder agency (``TemplateFactory.build(..., values=...)``),
and every other return is that workbook with different bytes in known places:

- the ``<v>`` of every numeric input cell, and the cached ``<v>`` of every derived cell and of
  the live-check cells under a table (recomputed with ``form.compute_derived`` and the rule
  expressions, so the file looks as if Excel had saved it);
- the agency's name and code, wherever the placeholder strings appear (shared strings, custom
  and core document properties).

Each part is cut into static and changing pieces once. Long static pieces are compressed once
and ended with a zlib full flush, so they can be concatenated with per-file compressed pieces
into one valid deflate stream: only the changing few kilobytes are compressed per file.
The result is byte-for-byte the same XML as laying the workbook out in full for that agency
and those values (``tests/test_benchmark_tools.py`` checks this).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import struct
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from values import ValuePool  # type: ignore[no-redef]
else:
    from .values import ValuePool

from xlflow.cells import a1
from xlflow.form import Form, load_form
from xlflow.template import META_SHEET, TemplateFactory, template_filename
from xlflow.template.live import VALUE, cached_number, meta_cell
from xlflow.template.cells_xml import sheet_parts

PH_NAME = "XLFLOWBENCHAGENCYNAMEPLACEHOLDER"
PH_CODE = "XLFLOWBENCHAGENCYCODEPLACEHOLDER"
STATIC_MIN = 2048  # static runs at least this long are compressed once and reused
_DOS_DATE = 1 << 5 | 1  # 1980-01-01, as the template packager writes


def agency(i: int) -> tuple[str, str]:
    """(code, name) of the i-th synthetic agency (0-based); distinct, plain text."""
    return f"{990000001 + i}", f"基准测试第{i + 1:05d}号单位"


@dataclass
class _Block:
    static: bool
    pieces: list  # bytes, or int (slot index); a static block has one bytes piece
    compressed: bytes = b""


@dataclass
class _Part:
    name: bytes
    blocks: list[_Block]
    size: int = 0  # only for fully static parts
    crc: int = 0


class ReturnFactory:
    """Filled returns of ``form`` for agency i = 0, 1, 2, ...: ``build(i) -> (file name, bytes)``."""

    def __init__(self, form: Form, year: int, pool_size: int = 64, seed: int = 2024, level: int = 6):
        self.form, self.year, self.level = form, year, level
        self.pool = ValuePool(form, year, pool_size, seed)
        base = self.pool.values(0)
        self.template = TemplateFactory(form, year)
        data = self.template.build(PH_NAME, PH_CODE, values={f.id: base[f.id] for f in form.input_fields})
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            parts = {n: zf.read(n) for n in zf.namelist()}
        self._slots: list[tuple[str, object]] = []  # (kind, field id | (func, side))
        cuts: dict[str, list[tuple[int, int, int]]] = {}  # part -> [(start, end, slot)]
        self._cell_slots(parts, base, cuts)
        self._identity_slots(parts, cuts)
        self._parts = [self._plan(name, data, sorted(cuts.get(name, []))) for name, data in parts.items()]

    # -- where the per-file bytes go ---------------------------------------------------------
    def _cell_slots(self, parts, base, cuts) -> None:
        sheets = sheet_parts(parts)
        targets: dict[str, list[tuple[str, str, object]]] = {}
        for f in self.form.fields.values():
            if f.stamp is None and f.type.numeric:
                targets.setdefault(f.sheet, []).append((f.cell, "formula" if f.derived else "number", f.id))
        for inst in self.form.rules:
            show = inst.rule.show
            if show is None or not inst.live:
                continue
            lhs, _, rhs = inst.expr.comparison()
            fl, fr = lhs.compile(), rhs.compile()
            r0, col = show.first_row - 1, self.form.fields[inst.anchor].col
            sheet = self.form.sheet(show.sheet).name
            # The four live-check rows as the template writer fills them: lhs, rhs, difference,
            # and a mark that applies the rule's own comparison.
            shown = (
                fl,
                fr,
                lambda v, p, fl=fl, fr=fr: fl(v, p) - fr(v, p),
                lambda v, p, rule=inst.func: "✓" if rule(v, p) else "✗",
            )
            for k, fn in enumerate(shown):
                targets.setdefault(sheet, []).append((a1(r0 + k, col), "formula", fn))
        for f in self.form.fields.values():
            # The live check's normalised value of every number (template/live.py, column G):
            # a correct return's value as it is; error flags and counts stay 0.
            if f.stamp is None and f.type.numeric:
                value = lambda v, p, fid=f.id: cached_number(v[fid])  # noqa: E731
                targets.setdefault(META_SHEET, []).append((meta_cell(self.form, f.id, VALUE), "formula", value))
        for sheet, cells in targets.items():
            part = sheets[sheet]
            xml = parts[part]
            for cell, kind, what in cells:
                found = list(re.finditer(rb'<c r="' + cell.encode() + rb'"[^>]*>(?:<f>[^<]*</f>)?<v>([^<]*)</v></c>', xml))
                if len(found) != 1:
                    raise RuntimeError(f"{part} 中找不到单元格 {cell} 的值")
                cuts.setdefault(part, []).append((found[0].start(1), found[0].end(1), len(self._slots)))
                self._slots.append((kind, what))
        # The template's own cached values must be what this generator computes for them.
        check = self._render(base, PH_NAME, PH_CODE)
        for part, items in cuts.items():
            for start, end, slot in items:
                if parts[part][start:end] != check[slot]:
                    raise RuntimeError(f"{part} 的缓存值与生成器算出的不一致（{self._slots[slot][1]}）")

    def _identity_slots(self, parts, cuts) -> None:
        for kind, ph in (("name", PH_NAME.encode()), ("code", PH_CODE.encode())):
            slot = len(self._slots)
            self._slots.append((kind, None))
            for part, xml in parts.items():
                for m in re.finditer(re.escape(ph), xml):
                    cuts.setdefault(part, []).append((m.start(), m.end(), slot))

    def _plan(self, name: str, xml: bytes, cuts: list[tuple[int, int, int]]) -> _Part:
        pieces: list = []
        pos = 0
        for start, end, slot in cuts:
            pieces.append(xml[pos:start])
            pieces.append(slot)
            pos = end
        pieces.append(xml[pos:])
        blocks: list[_Block] = []
        for piece in pieces:
            if isinstance(piece, bytes) and (len(piece) >= STATIC_MIN or not cuts):
                blocks.append(_Block(True, [piece]))
            elif blocks and not blocks[-1].static:
                blocks[-1].pieces.append(piece)
            else:
                blocks.append(_Block(False, [piece]))
        for k, block in enumerate(blocks):
            if block.static:
                block.compressed = self._deflate(block.pieces[0], last=k == len(blocks) - 1)
        part = _Part(name.encode("utf-8"), blocks)
        if not cuts:
            part.size, part.crc = len(xml), zlib.crc32(xml)
        return part

    def _deflate(self, data: bytes, last: bool) -> bytes:
        # A full flush ends on a byte boundary with an empty dictionary: what follows may come
        # from another compressor and the whole is still one valid raw deflate stream.
        comp = zlib.compressobj(self.level, zlib.DEFLATED, -15)
        return comp.compress(data) + comp.flush(zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH)

    # -- per file ----------------------------------------------------------------------------
    def _render(self, values: dict, name: str, code: str) -> list[bytes]:
        out = []
        for kind, what in self._slots:
            if kind == "number":
                out.append(f"{values[what]:.16G}".encode())
            elif kind == "formula":
                v = values[what] if isinstance(what, str) else what(values, {})
                out.append(str(v).encode("utf-8"))
            elif kind == "name":
                out.append(escape(name).encode())
            else:
                out.append(escape(code).encode())
        return out

    def values(self, i: int) -> dict[str, object]:
        """Every field's value in return i (inputs and derived; identity as stamped)."""
        code, name = agency(i)
        values = self.pool.values(i)
        for f in self.form.fields.values():
            if f.stamp:
                values[f.id] = self.year if f.stamp == "year" else {"agency_name": name, "agency_code": code}[f.stamp]
        return values

    def build(self, i: int) -> tuple[str, bytes]:
        code, name = agency(i)
        rendered = self._render(self.pool.values(i), name, code)
        out = io.BytesIO()
        central = []
        for part in self._parts:
            offset = out.tell()
            if len(part.blocks) == 1 and part.blocks[0].static:
                body, crc, size = part.blocks[0].compressed, part.crc, part.size
            else:
                chunks, crc, size = [], 0, 0
                for k, block in enumerate(part.blocks):
                    raw = block.pieces[0] if block.static else b"".join(p if isinstance(p, bytes) else rendered[p] for p in block.pieces)
                    crc = zlib.crc32(raw, crc)
                    size += len(raw)
                    chunks.append(block.compressed if block.static else self._deflate(raw, last=k == len(part.blocks) - 1))
                body = b"".join(chunks)
            header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, _DOS_DATE, crc, len(body), size, len(part.name), 0)
            out.write(header + part.name + body)
            central.append(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50, 20, 20, 0, 8, 0, _DOS_DATE, crc, len(body), size,
                    len(part.name), 0, 0, 0, 0, 0, offset,
                )
                + part.name
            )
        cd_start = out.tell()
        out.write(b"".join(central))
        cd_size = out.tell() - cd_start
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), cd_size, cd_start, 0))
        return template_filename(self.form, self.year, code, name), out.getvalue()


def write_roster(path: Path, n: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "name"])
        for i in range(n):
            w.writerow(agency(i))
    return path


def write_returns(out: Path, n: int, form: Form | None = None, year: int = 2024, factory: ReturnFactory | None = None) -> list[Path]:
    """Write returns 0..n-1 into ``out`` (created); returns their paths."""
    factory = factory or ReturnFactory(form or load_form(), year)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        name, data = factory.build(i)
        path = out / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="生成 N 份互不相同、能通过校验的已填报表（基准测试用）。")
    ap.add_argument("--n", type=int, default=1000, help="份数")
    ap.add_argument("--out", type=Path, required=True, help="输出文件夹")
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--form", default="gov-info-annual-2021", help="报表定义编号或 YAML 路径")
    ap.add_argument("--roster", type=Path, help="同时写出这 N 个单位的名单 CSV")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    factory = ReturnFactory(load_form(args.form), args.year)
    setup = time.perf_counter() - started
    write_returns(args.out, args.n, factory=factory)
    if args.roster:
        write_roster(args.roster, args.n)
    total = time.perf_counter() - started
    print(f"已生成 {args.n} 份：{args.out}（准备 {setup:.2f} 秒，共 {total:.2f} 秒，每份 {(total - setup) * 1000 / max(args.n, 1):.2f} 毫秒）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
