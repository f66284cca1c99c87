"""What kind of file is this, and is it safe to open?

Returned files come from Excel, WPS and LibreOffice, and from clerks renaming PDFs to .xlsx.
Everything here looks at bytes only: magic numbers, the zip central directory (sizes, names,
flags are checked there, before anything is decompressed) and the OLE directory. Nothing is
trusted; every problem becomes a ``ReadProblem`` carrying a finding code from ``xlflow.findings``.

A zip is refused when two readers could see different files in it: two members with the same
name (OPC part names ignore case), a member whose local header names another file, or paths
that climb out (``../``) or start at the root. Parts are inflated here, not by ``zipfile``'s
reader, so that a part can never produce more bytes than the directory declared (a lying
directory is the classic zip bomb) and so that reading the few parts we look at costs a
fraction of what ``ZipFile.read`` costs.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

# Generous for a form of a few hundred cells (a normal return is < 100 KB), far below what
# would hurt a clerk's PC when 10,000 files are checked.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_PART_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, for parts above RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_ENTRIES = 5000

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_WORKBOOK_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
_SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".et", ".csv")
_DRIVE = re.compile(r"^[A-Za-z]:")
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then name and extra lengths at offset 26

_MAGIC_NAMES = [
    (b"%PDF", "PDF 文件"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"{\\rtf", "RTF 文档"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
]


class ReadProblem(Exception):
    """The file cannot be read; ``code`` is a finding code, ``params`` fill its message."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class Sniffed:
    kind: str  # "xlsx" | "xlsm" | "xls" | "ods"
    zip: zipfile.ZipFile | None = None
    names: set[str] = field(default_factory=set)
    data: bytes = b""
    infos: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    _parts: dict[str, bytes] = field(default_factory=dict, repr=False)

    def size(self, name: str) -> int:
        """Declared uncompressed size of a part (0 when absent)."""
        info = self.infos.get(name)
        return info.file_size if info is not None else 0

    def read(self, name: str) -> bytes | None:
        """A part's bytes (inflated once, then kept), or None when the archive has no such part."""
        if name not in self.names:
            return None
        hit = self._parts.get(name)
        if hit is None:
            info = self.infos.get(name)
            hit = self._zip_read(name) if info is None else inflate(self.data, info)
            self._parts[name] = hit
        return hit

    def _zip_read(self, name: str) -> bytes:
        try:
            return self.zip.read(name)
        except Exception as exc:  # zipfile and zlib errors alike
            raise ReadProblem("file-corrupt", what=f"部件 {name} 无法解压：{exc}") from None


def inflate(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """One member's bytes, checked against the central directory: where its local header says
    it is, no more bytes than declared, the declared CRC."""
    name = info.filename
    off = info.header_offset
    head = data[off : off + 30]
    if len(head) < 30:
        raise ReadProblem("file-corrupt", what=f"部件 {name} 的数据不完整")
    magic, name_len, extra_len = _LOCAL_HEADER.unpack(head)
    if magic != b"PK\x03\x04":
        raise ReadProblem("file-corrupt", what=f"部件 {name} 的位置无效")
    local_name = data[off + 30 : off + 30 + name_len]
    if local_name.decode("utf-8" if info.flag_bits & 0x800 else "cp437", "replace") != info.orig_filename:
        raise ReadProblem("file-zip-duplicate", what=f"部件 {name} 的目录项与数据中的文件名不同")
    start = off + 30 + name_len + extra_len
    raw = data[start : start + info.compress_size]
    if len(raw) < info.compress_size:
        raise ReadProblem("file-corrupt", what=f"部件 {name} 的数据不完整（文件被截断）")
    if info.compress_type == zipfile.ZIP_STORED:
        out = raw
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        d = zlib.decompressobj(-15)
        try:
            out = d.decompress(raw, info.file_size + 1)
        except zlib.error as exc:
            raise ReadProblem("file-corrupt", what=f"部件 {name} 无法解压：{exc}") from None
        if len(out) > info.file_size or d.unconsumed_tail:
            raise ReadProblem("file-too-large", what=f"部件 {name} 解压后超过了压缩包目录中声明的大小（疑似压缩炸弹）")
    else:
        raise ReadProblem("file-corrupt", what=f"部件 {name} 使用了不支持的压缩方式（{info.compress_type}）")
    if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
        raise ReadProblem("file-corrupt", what=f"部件 {name} 已损坏（大小或校验和不符）")
    return out


def sniff(data: bytes) -> Sniffed:
    if len(data) > MAX_FILE_BYTES:
        raise ReadProblem("file-too-large", what=f"文件大小 {len(data) // 1024 // 1024} MB，超过上限 {MAX_FILE_BYTES // 1024 // 1024} MB")
    if not data:
        raise ReadProblem("file-not-spreadsheet", what="空文件")
    if data.startswith(OLE_MAGIC):
        return _sniff_ole(data)
    if data.startswith(b"PK"):
        return _sniff_zip(data)
    raise ReadProblem("file-not-spreadsheet", what=_describe(data))


def _describe(data: bytes) -> str:
    for magic, name in _MAGIC_NAMES:
        if data.startswith(magic):
            return name
    head = data[:512].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype html")) or b"<table" in head:
        return "网页（HTML）文件，可能是从网页另存的“xls”"
    if head.startswith(b"<?xml"):
        return "XML 文件"
    try:
        data[:4096].decode("utf-8")
        return "纯文本文件（如 CSV）"
    except UnicodeDecodeError:
        return "无法识别的文件"


def _sniff_ole(data: bytes) -> Sniffed:
    # An encrypted .xlsx is an OLE container with an EncryptedPackage stream; the directory
    # entries hold stream names in UTF-16, so a byte search finds them without an OLE parser.
    if _ENCRYPTED_STREAM in data:
        raise ReadProblem("file-encrypted")
    if any(s in data for s in _WORKBOOK_STREAMS):
        return Sniffed("xls", data=data)
    raise ReadProblem("file-not-spreadsheet", what="Office 文档，但不是工作簿（可能是 Word .doc）")


def _declared_entries(data: bytes) -> int | None:
    """Entry count from the end-of-central-directory record, before ``zipfile`` builds an
    object per entry (a 50 MB directory could declare a million)."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65557))
    if at < 0 or at + 22 > len(data):
        return None
    count = struct.unpack("<H", data[at + 10 : at + 12])[0]
    if count == 0xFFFF:  # zip64: the count is in the zip64 end record the locator points to
        loc = data.rfind(b"PK\x06\x07", max(0, at - 20), at)
        if loc >= 0:
            end64 = struct.unpack("<Q", data[loc + 8 : loc + 16])[0]
            if data[end64 : end64 + 4] == b"PK\x06\x06":
                return struct.unpack("<Q", data[end64 + 32 : end64 + 40])[0]
    return count


def _check_entries(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise ReadProblem("file-too-large", what=f"压缩包中有 {len(infos)} 个部件")
    seen: dict[str, str] = {}
    total = 0
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts:
            raise ReadProblem("file-zip-path", what=name[:120])
        key = name.lower()
        if key in seen:
            same = seen[key] if seen[key] == name else f"{seen[key]} 与 {name}"
            raise ReadProblem("file-zip-duplicate", what=f"有两个名为 {same} 的部件")
        seen[key] = name
        if info.flag_bits & 0x1:
            raise ReadProblem("file-encrypted")
        total += info.file_size
        if info.file_size > MAX_PART_BYTES:
            raise ReadProblem("file-too-large", what=f"部件 {name} 解压后 {info.file_size // 1024 // 1024} MB")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ReadProblem("file-too-large", what=f"部件 {name} 的压缩比异常（疑似压缩炸弹）")
    if total > MAX_TOTAL_BYTES:
        raise ReadProblem("file-too-large", what=f"解压后共 {total // 1024 // 1024} MB")


def _sniff_zip(data: bytes) -> Sniffed:
    declared = _declared_entries(data)
    if declared is not None and declared > MAX_ENTRIES:
        raise ReadProblem("file-too-large", what=f"压缩包中有 {declared} 个部件")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ReadProblem("file-corrupt", what=f"压缩包不完整或已损坏：{exc}") from None
    _check_entries(infos)
    names = {i.filename for i in infos}
    sn = Sniffed("xlsx", zf, names, data, {i.filename: i for i in infos})
    if "xl/workbook.xml" in names:
        if "xl/vbaProject.bin" in names or b"macroEnabled" in (sn.read("[Content_Types].xml") or b""):
            sn.kind = "xlsm"
        return sn
    if "mimetype" in names:
        if (sn.read("mimetype") or b"").strip() == ODS_MIME:
            sn.kind = "ods"
            return sn
        raise ReadProblem("file-not-spreadsheet", what="OpenDocument 文件，但不是电子表格")
    if "word/document.xml" in names:
        raise ReadProblem("file-not-spreadsheet", what="Word 文档（.docx）")
    if "ppt/presentation.xml" in names:
        raise ReadProblem("file-not-spreadsheet", what="PowerPoint 演示文稿")
    if "[Content_Types].xml" in names or any(n.startswith("xl/") for n in names):
        raise ReadProblem("file-corrupt", what="Excel 文件缺少 xl/workbook.xml")
    inner = sorted(n for n in names if n.lower().endswith(_SPREADSHEET_SUFFIXES))
    if inner:
        shown = "、".join(n.rsplit("/", 1)[-1] for n in inner[:3]) + ("等" if len(inner) > 3 else "")
        raise ReadProblem("file-archive", count=len(inner), what=shown)
    raise ReadProblem("file-not-spreadsheet", what="ZIP 压缩包")
