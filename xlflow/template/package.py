"""Deterministic packaging of a template's zip parts, with workbook structure protection.

xlsxwriter has no API for ``<workbookProtection lockStructure="1">``, so every template goes
through this packager: it patches ``xl/workbook.xml`` and writes the zip itself, with fixed
timestamps and a cache of compressed parts. The cache is what makes stamping 1,000 agency
copies cheap: only the few parts that carry the agency's name are compressed again.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

_DOS_DATE = (1980 - 1980) << 9 | 1 << 5 | 1  # 1980-01-01, as Excel itself writes
_DOS_TIME = 0


def legacy_password_hash(password: str) -> str:
    """The 16-bit hash Excel uses for sheet/workbook protection passwords (ECMA-376 Part 4)."""
    h = 0
    for ch in reversed(password):
        h = ((h >> 14) & 0x01) | ((h << 1) & 0x7FFF)
        h ^= ord(ch)
    h = ((h >> 14) & 0x01) | ((h << 1) & 0x7FFF)
    h ^= len(password)
    h ^= 0xCE4B
    return f"{h:X}"


def unzip_parts(data: bytes) -> dict[str, bytes]:
    """Parts of an xlsx we wrote ourselves, in archive order."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def protect_structure(parts: dict[str, bytes], password: str) -> dict[str, bytes]:
    xml = parts["xl/workbook.xml"]
    if b"<workbookProtection" in xml:
        return parts
    tag = f'<workbookProtection workbookPassword="{legacy_password_hash(password)}" lockStructure="1"/>'.encode()
    # CT_Workbook order: ... workbookPr, workbookProtection, bookViews ...
    patched = xml.replace(b"<bookViews>", tag + b"<bookViews>", 1)
    if patched == xml:
        raise RuntimeError("xl/workbook.xml 中没有 <bookViews>，无法加结构保护")
    return {**parts, "xl/workbook.xml": patched}


class ZipPacker:
    """Writes parts into a zip; identical part bytes are compressed once per packer."""

    def __init__(self) -> None:
        self._cache: dict[bytes, tuple[bytes, int]] = {}

    def _deflate(self, data: bytes) -> tuple[bytes, int]:
        hit = self._cache.get(data)
        if hit is None:
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
            hit = (comp.compress(data) + comp.flush(), zlib.crc32(data))
            self._cache[data] = hit
        return hit

    def pack(self, parts: dict[str, bytes]) -> bytes:
        out = io.BytesIO()
        central = []
        for name, data in parts.items():
            body, crc = self._deflate(data)
            fname = name.encode("utf-8")
            offset = out.tell()
            out.write(
                struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, _DOS_TIME, _DOS_DATE, crc, len(body), len(data), len(fname), 0)
            )
            out.write(fname)
            out.write(body)
            central.append(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50, 20, 20, 0, 8, _DOS_TIME, _DOS_DATE, crc, len(body), len(data),
                    len(fname), 0, 0, 0, 0, 0, offset,
                )
                + fname
            )
        cd_start = out.tell()
        for entry in central:
            out.write(entry)
        cd_size = out.tell() - cd_start
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), cd_size, cd_start, 0))
        return out.getvalue()
