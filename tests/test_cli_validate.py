"""xlflow validate: terminal output, exit codes, --json contract, --xlsx, --annotate."""

import hashlib
import json
import sys

import pytest
from openpyxl import load_workbook

from tests.returned import ROSTER_CSV, build, set_cell, write
from xlflow.cli import main


def run_cli(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["xlflow", "validate", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        main()
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


@pytest.fixture
def inbox(tmp_path):
    box = tmp_path / "回收"
    (box / "sub").mkdir(parents=True)
    write(box, build(), "good.xlsx")
    write(box / "sub", set_cell(build(), "t3.new.natural", "/"), "bad.xlsx")
    write(box, b"%PDF-1.4", "scan.xlsx")
    write(box, b"lock", "~$good.xlsx")
    write(box, b"notes", "readme.txt")
    return box


def test_exit_0_when_all_valid(monkeypatch, capsys, tmp_path):
    code, out, _ = run_cli(monkeypatch, capsys, write(tmp_path, build()), "--year", "2024")
    assert code == 0 and "合格 1，不合格 0，无法读取 0" in out


def test_folder_run_outputs_and_exit_1(monkeypatch, capsys, inbox, tmp_path):
    hashes = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in inbox.rglob("*") if p.is_file()}
    j, x, ann = tmp_path / "r.json", tmp_path / "r.xlsx", tmp_path / "退回"
    code, out, _ = run_cli(monkeypatch, capsys, inbox, "--year", "2024", "--agencies", ROSTER_CSV, "--json", j, "--xlsx", x, "--annotate", ann)
    assert code == 1
    assert "跳过" in out and "~$good.xlsx" in out
    assert "value-placeholder" in out and "file-not-spreadsheet" in out
    # Every file but the lock file gets a result: the text file is named as such, not skipped.
    assert "共 4 个文件：合格 1，不合格 1，无法读取 2（另跳过 1 个临时或系统文件）" in out
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in hashes} == hashes  # inputs untouched

    doc = json.loads(j.read_text(encoding="utf-8"))
    assert doc["form"] == "gov-info-annual-2021"
    files = {f["path"].rsplit("/", 1)[-1]: f for f in doc["files"]}
    assert {k: v["status"] for k, v in files.items()} == {"good.xlsx": "valid", "bad.xlsx": "invalid", "scan.xlsx": "unreadable",
                                                          "readme.txt": "unreadable"}
    assert "纯文本" in files["readme.txt"]["findings"][0]["message"]
    for f in doc["files"]:
        assert {"path", "agency_code", "agency_name", "year", "status", "findings"} <= set(f)
        for fd in f["findings"]:
            assert {"rule", "severity", "sheet", "cell", "field", "message", "expected", "actual"} <= set(fd)
    (bad,) = files["bad.xlsx"]["findings"]
    assert (bad["rule"], bad["cell"], bad["field"], bad["actual"], bad["basis"]) == ("value-placeholder", "D6", "t3.new.natural", "/", "R5")
    assert files["good.xlsx"]["agency_code"] == "370829014" and files["good.xlsx"]["year"] == 2024

    wb = load_workbook(x)
    ws = wb["问题清单"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    header = [c.value for c in ws[1]]
    assert header[:3] == ["文件", "单位代码", "单位名称"] and "问题说明" in header
    assert ws.max_row == 1 + 3  # one row per finding
    assert [p.name for p in ann.iterdir()] == ["bad_校验标注.xlsx"]


@pytest.mark.parametrize(
    "args",
    [["nosuch"], ["{f}", "--year", "99"], ["{f}", "--json", "out.txt"], ["{f}", "--previous", "nosuch"], ["{f}", "--bogus"]],
)
def test_usage_errors_exit_2(monkeypatch, capsys, tmp_path, args):
    f = write(tmp_path, build())
    code, out, err = run_cli(monkeypatch, capsys, *[a.format(f=f) for a in args])
    assert code == 2, out + err


def test_previous_option(monkeypatch, capsys, tmp_path):
    last = tmp_path / "last"
    last.mkdir()
    from tests.returned import clean_values

    write(last, build(clean_values(**{"t3.next.natural": 2, "t3.granted.natural": 3}), year=2023), "a.xlsx")
    code, out, _ = run_cli(monkeypatch, capsys, write(tmp_path, build()), "--previous", last)
    assert code == 0 and "S1" in out and "上一年度数据：1 个单位" in out


def test_jobs_option_gives_the_same_outputs(monkeypatch, capsys, inbox, tmp_path):
    runs = {}
    for jobs in ("1", "2"):
        j, x = tmp_path / f"r{jobs}.json", tmp_path / f"r{jobs}.xlsx"
        code, out, _ = run_cli(monkeypatch, capsys, inbox, "--year", "2024", "--json", j, "--xlsx", x, "--jobs", jobs, "--no-cache")
        doc = json.loads(j.read_text(encoding="utf-8"))
        rows = [[c.value for c in row] for ws in load_workbook(x).worksheets for row in ws.iter_rows()]
        runs[jobs] = (code, out.replace(str(j), "J").replace(str(x), "X"), doc, rows)
    assert runs["1"] == runs["2"]
    assert runs["1"][2]["counts"] == {"valid": 1, "invalid": 1, "unreadable": 2}


def test_jobs_must_be_a_positive_number(monkeypatch, capsys, tmp_path):
    code, _, _ = run_cli(monkeypatch, capsys, write(tmp_path, build()), "--jobs", "0")
    assert code == 2


def test_json_written_as_results_come_is_the_whole_document(tmp_path):
    """The streamed --json has the bytes of the document built in memory (the contract)."""
    from tests.returned import FORM
    from xlflow.export import JsonWriter, json_document, write_json
    from xlflow.validate import validate_paths

    write(tmp_path, build(), "a.xlsx")
    write(tmp_path, set_cell(build(), "t3.new.natural", "名单见附件\n“一”"), "b.xlsx")
    write(tmp_path, b"%PDF", "c.xlsx")
    results = list(validate_paths([tmp_path], FORM, year=2023))
    for subset in (results, results[:1], []):
        out = tmp_path / "out" / "r.json"
        write_json(out, FORM, subset)
        assert out.read_text(encoding="utf-8") == json.dumps(json_document(FORM, subset), ensure_ascii=False, indent=2, default=str)
    writer = JsonWriter(tmp_path / "out" / "never.json", FORM)
    writer.add(results[0])
    writer.discard()  # an interrupted run: no output, no temporary file
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["r.json"]


def test_interrupted_run_leaves_no_partial_outputs(monkeypatch, capsys, inbox, tmp_path):
    import xlflow.annotate

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(xlflow.annotate, "annotate_file", boom)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, _, _ = run_cli(monkeypatch, capsys, inbox, "--json", out_dir / "r.json", "--xlsx", out_dir / "r.xlsx", "--annotate", tmp_path / "ann")
    assert code == 130  # Ctrl-C half way
    assert list(out_dir.iterdir()) == []
