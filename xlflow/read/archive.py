"""What kind of file is this, and is it safe to open?

Returned files come from Excel, WPS and LibreOffice, and from clerks renaming PDFs to .xlsx.
Everything here looks at bytes only: magic numbers, the zip central directory (sizes are checked
there, before anything is decompressed) and the OLE directory. Nothing is trusted; every
problem becomes a ``ReadProblem`` carrying a finding code from ``xlflow.findings``.
"""

from __future__ import annotations

import io
import zipfile
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

    def read(self, name: str) -> bytes | None:
        if self.zip is None or name not in self.names:
            return None
        try:
            return self.zip.read(name)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            # zlib.error is a subclass of Exception only; catch it explicitly below.
            raise ReadProblem("file-corrupt", what=f"部件 {name} 无法解压：{exc}") from None
        except Exception as exc:  # zlib.error
            raise ReadProblem("file-corrupt", what=f"部件 {name} 无法解压：{exc}") from None


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
        return Sniffed("xls")
    raise ReadProblem("file-not-spreadsheet", what="Office 文档，但不是工作簿（可能是 Word .doc）")


def _sniff_zip(data: bytes) -> Sniffed:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ReadProblem("file-corrupt", what=f"压缩包不完整或已损坏：{exc}") from None
    if len(infos) > MAX_ENTRIES:
        raise ReadProblem("file-too-large", what=f"压缩包中有 {len(infos)} 个部件")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_PART_BYTES:
            raise ReadProblem("file-too-large", what=f"部件 {info.filename} 解压后 {info.file_size // 1024 // 1024} MB")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ReadProblem("file-too-large", what=f"部件 {info.filename} 的压缩比异常（疑似压缩炸弹）")
    if total > MAX_TOTAL_BYTES:
        raise ReadProblem("file-too-large", what=f"解压后共 {total // 1024 // 1024} MB")
    names = {i.filename for i in infos}
    sn = Sniffed("xlsx", zf, names)
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
    raise ReadProblem("file-not-spreadsheet", what="ZIP 压缩包")
