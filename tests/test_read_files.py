"""Whatever arrives, each file gets one clear outcome and nothing crashes the run."""

import hashlib
import io
import struct
import zipfile

import pytest

from tests.returned import FORM, build, pack, parts, replace_part, write
from xlflow.read.archive import MAX_PART_BYTES, OLE_MAGIC
from xlflow.validate import validate_file


def outcome(tmp_path, data, name="return.xlsx", **kw):
    r = validate_file(write(tmp_path, data, name), FORM, **kw)
    return r.status, [f.rule for f in r.findings], r


def test_clean_return_is_valid_with_identity_and_application(tmp_path):
    status, rules, r = outcome(tmp_path, build())
    assert (status, rules) == ("valid", [])
    assert (r.agency_code, r.agency_name, r.year, r.scope) == ("370829014", "嘉祥县金融工作服务中心", 2024, "本级")
    assert r.application.startswith("Microsoft Excel")
    assert r.values["t3.total.total"] == 6 and r.values["t4.review.total"] == 1


@pytest.mark.parametrize(
    "data, what",
    [
        (b"%PDF-1.4\n...", "PDF"),
        (b"", "空文件"),
        ("单位,数字\n甲,1\n".encode(), "纯文本"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "网页"),
        (b"\x89PNG\r\n\x1a\n....", "PNG"),
    ],
)
def test_not_a_spreadsheet_whatever_the_extension(tmp_path, data, what):
    status, rules, r = outcome(tmp_path, data)
    assert (status, rules) == ("unreadable", ["file-not-spreadsheet"])
    assert what in r.findings[0].message and r.values is None


def test_word_document_renamed_to_xlsx(tmp_path):
    docx = pack({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    status, rules, r = outcome(tmp_path, docx)
    assert (status, rules) == ("unreadable", ["file-not-spreadsheet"]) and "Word" in r.findings[0].message


def test_truncated_zip_is_corrupt(tmp_path):
    data = build()
    status, rules, _ = outcome(tmp_path, data[: len(data) // 2])
    assert (status, rules) == ("unreadable", ["file-corrupt"])


def test_damaged_part_is_corrupt(tmp_path):
    data = bytearray(build())
    info = next(i for i in zipfile.ZipFile(io.BytesIO(bytes(data))).infolist() if i.filename.endswith("sheet5.xml"))
    start = info.header_offset + 30 + len(info.filename.encode()) + 10
    data[start : start + 200] = b"\x00" * 200  # deflate stream garbage, CRC no longer matches
    status, rules, _ = outcome(tmp_path, bytes(data))
    assert (status, rules) == ("unreadable", ["file-corrupt"])


def test_encrypted_ole_container(tmp_path):
    # What Excel writes for "Encrypt with password": an OLE file with an EncryptedPackage stream.
    data = OLE_MAGIC + b"\x00" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 50 + "EncryptedPackage".encode("utf-16-le")
    status, rules, _ = outcome(tmp_path, data)
    assert (status, rules) == ("unreadable", ["file-encrypted"])


def test_ole_that_is_not_a_workbook(tmp_path):
    data = OLE_MAGIC + b"\x00" * 504 + "WordDocument".encode("utf-16-le")
    status, rules, _ = outcome(tmp_path, data, "report.xls")
    assert (status, rules) == ("unreadable", ["file-not-spreadsheet"])


def test_zip_bomb_rejected_from_the_directory_without_decompressing(tmp_path):
    # A part that claims 1 GB in the central directory: refused before any decompression.
    data = bytearray(build())
    eocd = data.rfind(b"PK\x05\x06")
    cd = struct.unpack("<I", data[eocd + 16 : eocd + 20])[0]
    assert data[cd : cd + 4] == b"PK\x01\x02"
    data[cd + 24 : cd + 28] = struct.pack("<I", MAX_PART_BYTES * 16)
    status, rules, r = outcome(tmp_path, bytes(data))
    assert (status, rules) == ("unreadable", ["file-too-large"])


def test_high_compression_ratio_is_refused(tmp_path):
    p = parts(build())
    p["xl/media/image1.png"] = b"\x00" * (3 * 1024 * 1024)
    status, rules, r = outcome(tmp_path, pack(p))
    assert (status, rules) == ("unreadable", ["file-too-large"]) and "压缩" in r.findings[0].message


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"><property name="xlflow_form_id">&lol3;</property></Properties>"""


def test_hostile_xml_in_metadata_is_refused(tmp_path):
    status, rules, r = outcome(tmp_path, replace_part(build(), "docProps/custom.xml", BILLION_LAUGHS))
    assert (status, rules) == ("unreadable", ["file-hostile-xml"])
    assert "docProps/custom.xml" in r.findings[0].message


def test_hostile_xml_in_app_xml_is_refused(tmp_path):
    status, rules, _ = outcome(tmp_path, replace_part(build(), "docProps/app.xml", BILLION_LAUGHS.replace(b"Properties", b"Properties")))
    assert (status, rules) == ("unreadable", ["file-hostile-xml"])


def test_hostile_sheet_xml_does_not_crash_or_expand(tmp_path):
    p = parts(build())
    sheet = p["xl/worksheets/sheet5.xml"]
    p["xl/worksheets/sheet5.xml"] = sheet.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>', 1)
    status, _, r = outcome(tmp_path, pack(p))
    # calamine's parser does not expand DTD entities: the values still read, or the sheet is refused.
    assert status in ("valid", "unreadable")


def test_wps_saved_xlsx_is_read_and_application_reported(tmp_path):
    p = parts(build())
    p["docProps/app.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/extended-properties"><Application>WPS \xe8\xa1\xa8\xe6\xa0\xbc</Application><AppVersion>12.0000</AppVersion></Properties>'
    )
    status, rules, r = outcome(tmp_path, pack(p))
    assert (status, rules) == ("valid", []) and r.application.startswith("WPS 表格")


def test_xlsm_with_macros_reads_values_and_notes_macros(tmp_path):
    p = parts(build())
    p["xl/vbaProject.bin"] = b"not executed"
    status, rules, _ = outcome(tmp_path, pack(p), "return.xlsm")
    assert (status, rules) == ("valid", ["file-macros"])


def test_missing_file_is_a_finding_not_an_exception(tmp_path):
    r = validate_file(tmp_path / "nope.xlsx", FORM)
    assert r.status == "unreadable" and [f.rule for f in r.findings] == ["file-io-error"]


def test_input_bytes_unchanged_by_validation(tmp_path):
    path = write(tmp_path, build())
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    r = validate_file(path, FORM, year=2024)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before == r.sha256


_CUSTOM_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
)


def _prop(name: bytes, value: bytes, tag: bytes = b"lpwstr", end: bytes | None = None) -> bytes:
    return (b'<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="' + name + b'"><vt:' + tag + b">"
            + value + b"</vt:" + (end or tag) + b"></property>")


@pytest.mark.parametrize(
    "body, expected",
    [
        (_prop(b"xlflow_form_id", b" gov-info-annual-2021 ") + _prop("xlflow_agency_name".encode(), "嘉祥县财政局".encode()),
         {"xlflow_form_id": "gov-info-annual-2021", "xlflow_agency_name": "嘉祥县财政局"}),
        (_prop(b"", b"x") + _prop(b"a", b"") + _prop(b"n", b"12", b"i4"), {"a": "", "n": "12"}),
        (_prop(b"a", b"x &amp; y"), {"a": "x & y"}),  # an entity: the parser decodes it
        (_prop(b"a", b"x") + b"<!-- note -->", {"a": "x"}),
        (_prop(b"a", b"x", end=b"i4"), "file-corrupt"),  # mismatched end tag: not well-formed
        (_prop(b"a", b"\xff\xfe"), "file-corrupt"),  # not UTF-8
        (_prop(b"a", b"x\x0cy"), "file-corrupt"),  # not an XML character
    ],
)
def test_custom_properties_are_parsed_as_xml(body, expected):
    """docProps/custom.xml always goes through the XML parser (defusedxml): entities and
    comments are read as XML reads them, anything not well-formed is a corrupt file."""
    from xlflow.read import meta
    from xlflow.read.archive import ReadProblem, sniff

    sn = sniff(pack({"xl/workbook.xml": b"<workbook/>", "docProps/custom.xml": _CUSTOM_HEAD + body + b"</Properties>"}))
    if isinstance(expected, str):
        with pytest.raises(ReadProblem) as exc:
            meta.custom_properties(sn)
        assert exc.value.code == expected
    else:
        assert meta.custom_properties(sn) == expected
