"""FileResult.to_record / from_record: what caches and workspaces store must come back equal."""

import json
from datetime import date, datetime
from pathlib import Path

from xlflow.results import FileResult, Finding, decode_value, encode_value


def _result() -> FileResult:
    return FileResult(
        path=Path("回收/甲单位.xlsx"),
        status="invalid",
        findings=[
            Finding("R1", "error", "合计不符", sheet="三、依申请公开", cell="D6", field="apply_total",
                    expected=12, actual=11.5, row_label="本年新收", col_label="自然人"),
            Finding("value-date", "error", "不是数字", actual=date(2024, 1, 2)),
        ],
        agency_code="370829001",
        agency_name="甲单位",
        year=2024,
        scope="本级",
        members=["a", "b"],
        values={"n": 3, "x": 1.0, "t": "文本", "d": date(2024, 3, 31), "dt": datetime(2024, 3, 31, 8, 5), "none": None},
        sha256="ab" * 32,
        application="Microsoft Excel 16.0300",
    )


def test_record_survives_json_and_keeps_types():
    r = _result()
    back = FileResult.from_record(json.loads(json.dumps(r.to_record(), ensure_ascii=False)))
    assert back == r
    assert type(back.values["n"]) is int and type(back.values["x"]) is float
    assert back.values["d"] == date(2024, 3, 31) and type(back.values["dt"]) is datetime


def test_unreadable_result_without_values():
    r = FileResult(path=Path("x.pdf"), status="unreadable", findings=[Finding("file-not-spreadsheet", "error", "m")])
    back = FileResult.from_record(json.loads(json.dumps(r.to_record())))
    assert back == r and back.values is None


def test_plain_values_are_themselves():
    for v in (None, 0, 1.5, "=1+1", True):
        assert encode_value(v) == v and decode_value(encode_value(v)) == v
