"""The hostile corpus (tests/corpus.py): one test per case, the file-system cases, and all of
them in one returns folder through the real CLI (validate, then merge), with clean returns of
other agencies summed exactly."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.corpus import CASES, far_note
from tests.returned import FORM, YEAR, build, clean_values, write
from xlflow.validate import validate_file, validate_paths

CLEAN_AGENCIES = [(f"3708290{i:02d}", f"测试单位{i:02d}") for i in range(1, 9)]


def xlflow(*args, env=None):
    return subprocess.run([sys.executable, "-m", "xlflow", *map(str, args)], capture_output=True, text=True, env=env)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", sorted(CASES), ids=str)
def test_case(case, tmp_path):
    c = CASES[case]
    path = write(tmp_path, c.build(), c.name)
    before = sha(path)
    r = validate_file(path, FORM, year=YEAR)
    assert (r.status, tuple(sorted(f.rule for f in r.findings))) == (c.status, c.codes), [f.message for f in r.findings]
    for fid, value in c.values.items():
        assert r.values[fid] == value, fid
    assert sha(path) == before  # the input is never written


# -- the file system ---------------------------------------------------------------------------

def _statuses(folder: Path, **kw):
    return {r.path.name: (r.status, [f.rule for f in r.findings]) for r in validate_paths([folder], FORM, year=YEAR, **kw)}


def test_symlinks_in_a_folder_are_reported_not_followed(tmp_path):
    box = tmp_path / "回收"
    box.mkdir()
    outside = write(tmp_path, build(), "outside.xlsx")
    (box / "link.xlsx").symlink_to(outside)
    (box / "dangling.xlsx").symlink_to(tmp_path / "gone.xlsx")
    (box / "linked-folder").symlink_to(tmp_path)
    got = _statuses(box)
    assert got == {"dangling.xlsx": ("unreadable", ["file-symlink"]), "link.xlsx": ("unreadable", ["file-symlink"]),
                   "linked-folder": ("unreadable", ["file-symlink"])}
    (r,) = validate_paths([box / "link.xlsx"], FORM, year=YEAR)  # named on the command line: followed
    assert r.status == "valid"


def test_subfolders_are_walked_and_litter_is_skipped(tmp_path):
    box = tmp_path / "回收"
    (box / "乡镇" / "二级").mkdir(parents=True)
    (box / "__MACOSX").mkdir()
    write(box / "乡镇" / "二级", build(), "a.xlsx")
    write(box / "__MACOSX", b"\x00\x05\x16\x07", "._a.xlsx")
    write(box, b"\x00\x05\x16\x07", "._b.xlsx")
    write(box, b"lock", "~$a.xlsx")
    write(box, b"", "Thumbs.db")
    assert _statuses(box) == {"a.xlsx": ("valid", [])}


def test_a_pipe_is_not_read(tmp_path):
    """Reading a named pipe would wait forever: it is refused before it is opened."""
    box = tmp_path / "回收"
    box.mkdir()
    os.mkfifo(box / "pipe.xlsx")
    write(box, build(), "a.xlsx")
    got = _statuses(box, limits=None)
    assert got["pipe.xlsx"] == ("unreadable", ["file-io-error"]) and got["a.xlsx"] == ("valid", [])


def test_a_file_that_vanishes_mid_run(tmp_path):
    box = tmp_path / "回收"
    box.mkdir()
    for name in ("a.xlsx", "b.xlsx", "c.xlsx"):
        write(box, build(), name)
    results = validate_paths([box], FORM, year=YEAR)
    first = next(results)
    (box / "c.xlsx").unlink()  # listed, then gone before it was read
    rest = list(results)
    assert [first.status, *(r.status for r in rest)] == ["valid", "valid", "unreadable"]
    (gone,) = rest[1].findings
    assert gone.rule == "file-io-error" and "不存在" in gone.message


def test_a_file_that_cannot_be_read(tmp_path, monkeypatch):
    path = write(tmp_path, build())
    real_open = open

    def denied(p, *a, **k):
        if Path(p) == path:
            raise PermissionError(13, "Permission denied", str(p))
        return real_open(p, *a, **k)

    monkeypatch.setattr("xlflow.validate.engine.open", denied, raising=False)
    r = validate_file(path, FORM)
    assert (r.status, [f.rule for f in r.findings]) == ("unreadable", ["file-io-error"])
    assert "没有读取权限" in r.findings[0].message


# -- everything in one folder, through the real CLI ---------------------------------------------

@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """The whole corpus (all declaring agency 370829014, which the roster does not list, so none
    of it may be counted) plus clean returns of eight listed agencies."""
    root = tmp_path_factory.mktemp("mixed")
    box = root / "回收"
    (box / "corpus").mkdir(parents=True)
    for name, c in CASES.items():
        write(box / "corpus", c.build(), f"{name}-{c.name}")
    os.mkfifo(box / "corpus" / "pipe.xlsx")
    (box / "corpus" / "link.xlsx").symlink_to(box / "corpus" / f"wps-saved-{CASES['wps-saved'].name}")
    clean = {}
    for i, (code, name) in enumerate(CLEAN_AGENCIES):
        values = clean_values(**{"t2.licensing": 10 * i + 1, "t2.penalty": i, "t2.fees": 0.25 * i})
        clean[code] = values
        write(box, build(values, code=code, name=name), f"{code}.xlsx")
    roster = root / "名单.csv"
    roster.write_text("单位代码,单位名称\n" + "".join(f"{c},{n}\n" for c, n in CLEAN_AGENCIES), encoding="utf-8")
    hashes = {p: sha(p) for p in box.rglob("*") if p.is_file() and not p.is_symlink()}
    return box, roster, clean, hashes, root


def test_mixed_folder_validates_then_merges_from_the_cache(mixed):
    box, roster, clean, hashes, root = mixed
    env = {**os.environ, "XLFLOW_CACHE_DIR": str(root / "cache")}
    j = root / "结果.json"
    res = xlflow("validate", box, "--year", YEAR, "--agencies", roster, "--json", j, "--quiet", env=env)
    assert res.returncode == 1, res.stdout[-2000:] + res.stderr
    doc = json.loads(j.read_text(encoding="utf-8"))
    entries = {Path(f["path"]).name: f for f in doc["files"]}
    listed = {p.name for p in box.rglob("*") if not p.is_dir() or p.is_symlink()}
    assert set(entries) == listed  # one entry for every file, the pipe and the link included
    for name, c in CASES.items():
        e = entries[f"{name}-{c.name}"]
        rules = {f["rule"] for f in e["findings"]}
        assert set(c.codes) <= rules, (name, rules)
        if c.status == "valid":  # readable, but its agency is not on this roster
            assert e["status"] == "invalid" and "unknown-agency" in rules, name
        else:
            assert e["status"] == c.status, name
    assert entries["pipe.xlsx"]["findings"][0]["rule"] == "file-io-error"
    assert entries["link.xlsx"]["findings"][0]["rule"] == "file-symlink"
    for code in clean:
        assert (entries[f"{code}.xlsx"]["status"], entries[f"{code}.xlsx"]["findings"]) == ("valid", [])

    out = root / "汇总.xlsx"
    res = xlflow("merge", box, "--year", YEAR, "--agencies", roster, "--out", out, "--quiet", env=env)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr  # every listed agency reported, validly
    assert f"其中 {len(entries) - 2} 个文件沿用了上次的校验结果" in res.stdout  # all but the pipe and the link
    from tests.test_merge_e2e import total_sheet_values

    totals = total_sheet_values(FORM, out)
    for fid in ("t2.licensing", "t2.penalty", "t3.new.natural", "t3.total.total"):
        expected = sum(v.get(fid, 0) for v in clean.values()) if fid != "t3.total.total" else 6 * len(clean)
        assert totals[fid] == expected, fid
    assert totals["t2.fees"] == pytest.approx(sum(v["t2.fees"] for v in clean.values()), abs=1e-9)
    assert {p: sha(p) for p in hashes} == hashes  # not one input byte changed


def test_the_xfd1048576_crash_case_through_the_cli(tmp_path):
    """A note typed at XFD1048576 used to abort the process for every agency."""
    box = tmp_path / "回收"
    box.mkdir()
    write(box, far_note()(), "note.xlsx")
    write(box, build(code="370829001", name="嘉祥县人民政府办公室"), "other.xlsx")
    j = tmp_path / "r.json"
    res = xlflow("validate", box, "--year", YEAR, "--json", j)
    assert res.returncode == 0, res.stdout + res.stderr
    files = {Path(f["path"]).name: f for f in json.loads(j.read_text(encoding="utf-8"))["files"]}
    assert files["other.xlsx"]["status"] == "valid"
    (note,) = files["note.xlsx"]["findings"]
    assert files["note.xlsx"]["status"] == "valid" and note["rule"] == "cell-out-of-range"
    assert "工作表“三、依申请公开”的 XFD1048576 单元格有内容，超出了报表范围" in note["message"]
