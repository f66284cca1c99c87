"""Validate once: the result cache, its dependency digest, and what it does when things go wrong."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.returned import CODE, FORM, NAME, YEAR, build, clean_values, set_cell, write
from xlflow.roster import Agency
from xlflow.validate import cache as cache_mod
from xlflow.validate import dependencies as deps_mod
from xlflow.validate import engine, validate_paths
from xlflow.validate.cache import ResultCache, dependencies, is_current
from xlflow.validate.isolation import ValidationPool
from xlflow.validate.previous import Previous

ROSTER = [Agency(CODE, NAME, 2), Agency("370829001", "嘉祥县人民政府办公室", 3)]


@pytest.fixture
def box(tmp_path):
    folder = tmp_path / "回收"
    folder.mkdir()
    write(folder, build(), "a.xlsx")
    write(folder, set_cell(build(), "t3.new.natural", "/"), "b.xlsx")
    write(folder, b"%PDF-1.4", "c.pdf")
    return folder


def records(results):
    return [{**r.to_record(), "path": Path(r.path).name} for r in results]


def run(box, tmp_path, **kw):
    with ResultCache(tmp_path / "cache") as c:
        got = list(validate_paths([box], FORM, year=YEAR, roster=kw.pop("roster", ROSTER), cache=c, **kw))
    return got, c


def test_an_unchanged_file_is_never_read_twice(box, tmp_path, monkeypatch):
    first, c1 = run(box, tmp_path)
    assert (c1.hits, c1.misses) == (0, 0)  # an empty cache is not even asked
    assert c1.info()["entries"] == 3
    monkeypatch.setattr(ValidationPool, "_start", lambda self: pytest.fail("a file was read again"))
    second, c2 = run(box, tmp_path)
    assert (c2.hits, c2.misses) == (3, 0)
    assert records(second) == records(first)


def test_a_changed_file_is_read_again(box, tmp_path):
    run(box, tmp_path)
    write(box, build(clean_values(**{"t2.penalty": 9})), "a.xlsx")
    got, c = run(box, tmp_path)
    assert (c.hits, c.misses) == (2, 1) and got[0].values["t2.penalty"] == 9


def test_what_the_result_depends_on(box, tmp_path):
    (r,) = validate_paths([box / "a.xlsx"], FORM, year=YEAR, roster=ROSTER)
    base = dependencies(r, FORM, YEAR, ROSTER, None)
    assert is_current(base, r, FORM, YEAR, list(ROSTER), None)  # an equal roster, another list
    renamed = [Agency(CODE, "嘉祥县金融服务中心", 2), ROSTER[1]]
    others = [ROSTER[0], Agency("370829001", "别的名字", 9), Agency("370829099", "新单位", 10)]
    prev = Previous(by_agency={CODE: {"t3.next.natural": 1}})
    prev2 = Previous(by_agency={CODE: {"t3.next.natural": 2}})
    unrelated_prev = Previous(by_agency={"370829001": {"t3.next.natural": 5}})
    assert not is_current(base, r, FORM, 2023, ROSTER, None)
    assert not is_current(base, r, FORM, YEAR, renamed, None)  # this agency's entry changed
    assert not is_current(base, r, FORM, YEAR, None, None)  # no roster: no roster check
    assert not is_current(base, r, FORM, YEAR, [ROSTER[1]], None)  # the agency left the roster
    assert is_current(base, r, FORM, YEAR, others, None)  # only other agencies changed
    assert not is_current(base, r, FORM, YEAR, ROSTER, prev)
    assert dependencies(r, FORM, YEAR, ROSTER, prev) != dependencies(r, FORM, YEAR, ROSTER, prev2)
    assert is_current(base, r, FORM, YEAR, ROSTER, unrelated_prev)  # validates as without previous data


def test_the_run_context_picks_the_entry(box, tmp_path):
    run(box, tmp_path)
    _, c = run(box, tmp_path, roster=[Agency(CODE, "改了名的单位", 2)])
    assert c.misses == 2 and c.hits == 1  # the PDF declares no agency: its result does not change
    _, c = run(box, tmp_path)
    assert c.hits == 3  # both contexts are kept side by side


def test_a_new_xlflow_never_trusts_old_entries(box, tmp_path, monkeypatch):
    run(box, tmp_path)
    monkeypatch.setattr(deps_mod, "code_version", lambda: "9.9.9+other")
    monkeypatch.setattr(deps_mod, "_statics", {})
    _, c = run(box, tmp_path)
    assert c.hits == 0 and c.info()["entries"] == 6  # stored again, beside the old ones


def test_a_damaged_entry_is_read_afresh(box, tmp_path):
    first, _ = run(box, tmp_path)
    db = sqlite3.connect(tmp_path / "cache" / cache_mod.DB_NAME)
    blob = bytearray(db.execute("SELECT record FROM results_v1 LIMIT 1").fetchone()[0])
    blob[len(blob) // 2] ^= 0xFF
    db.execute("UPDATE results_v1 SET record = ?", (bytes(blob),))  # every entry damaged the same way
    db.commit()
    db.close()
    second, c = run(box, tmp_path)
    assert c.misses == 3 and records(second) == records(first)
    _, c = run(box, tmp_path)
    assert c.hits == 3  # and stored again


def test_a_damaged_database_is_rebuilt(box, tmp_path):
    first, _ = run(box, tmp_path)
    path = tmp_path / "cache" / cache_mod.DB_NAME
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    second, c = run(box, tmp_path)
    assert records(second) == records(first) and c.note is None
    _, c = run(box, tmp_path)
    assert c.hits == 3


def test_an_unusable_folder_means_no_cache_not_a_crash(box, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with ResultCache(blocker / "cache") as c:
        got = list(validate_paths([box], FORM, cache=c))
    assert len(got) == 3 and c.note and "缓存" in c.note


def test_never_inside_the_returns_folder(box, tmp_path):
    c = cache_mod.for_inputs([box], box / ".cache")
    got = list(validate_paths([box], FORM, cache=c))
    c.close()
    assert len(got) == 3 and "回收文件夹" in c.note and not (box / ".cache").exists()


def test_crashes_are_not_cached(box, tmp_path, monkeypatch):
    real = engine.validate_file

    def crash(path, form, **kw):
        if Path(path).name == "a.xlsx":
            os.abort()
        return real(path, form, **kw)

    monkeypatch.setattr(engine, "validate_file", crash)
    got, _ = run(box, tmp_path)
    assert got[0].findings[0].rule == "file-reader-crashed"
    monkeypatch.setattr(engine, "validate_file", real)
    got, c = run(box, tmp_path)
    assert got[0].status == "valid" and c.misses == 1


def test_concurrent_runs_share_the_cache(box, tmp_path):
    for i in range(12):
        write(box, build(clean_values(**{"t2.penalty": 100 + i})), f"n{i:02d}.xlsx")
    env = {**os.environ, "XLFLOW_CACHE_DIR": str(tmp_path / "shared")}
    cmd = [sys.executable, "-m", "xlflow", "validate", str(box), "--year", str(YEAR), "--quiet"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [1, 1, 1], outs
    db = sqlite3.connect(tmp_path / "shared" / cache_mod.DB_NAME)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT COUNT(*) FROM results_v1").fetchone()[0] == 15
    db.close()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert "其中 15 个文件未改动，沿用了上次的校验结果" in res.stdout


def test_merge_after_validate_reads_nothing(box, tmp_path, monkeypatch):
    from xlflow.cli import main

    roster = tmp_path / "名单.csv"
    roster.write_text(f"单位代码,单位名称\n{CODE},{NAME}\n", encoding="utf-8")
    for args in (["validate", box, "--year", YEAR, "--agencies", roster],
                 ["merge", box, "--year", YEAR, "--agencies", roster, "--out", tmp_path / "汇总.xlsx"]):
        monkeypatch.setattr(sys, "argv", ["xlflow", *map(str, args)])
        with pytest.raises(SystemExit):
            main()
        monkeypatch.setattr(ValidationPool, "_start", lambda self: pytest.fail("merge read a file again"))
    assert (tmp_path / "汇总.xlsx").is_file()


def test_no_cache_reads_every_file(box, tmp_path, monkeypatch, capsys):
    from xlflow.cli import main

    for _ in range(2):
        monkeypatch.setattr(sys, "argv", ["xlflow", "validate", str(box), "--no-cache"])
        with pytest.raises(SystemExit):
            main()
        assert "沿用了上次的校验结果" not in capsys.readouterr().out
    assert not (Path(os.environ["XLFLOW_CACHE_DIR"]) / cache_mod.DB_NAME).exists()


def test_cache_info_and_clear(box):
    with ResultCache() as c:
        list(validate_paths([box], FORM, cache=c))
    env = dict(os.environ)
    info = subprocess.run([sys.executable, "-m", "xlflow", "cache", "info"], capture_output=True, text=True, env=env)
    assert info.returncode == 0 and os.environ["XLFLOW_CACHE_DIR"] in info.stdout, info.stderr
    assert "条目：3 个" in info.stdout
    cleared = subprocess.run([sys.executable, "-m", "xlflow", "cache", "clear"], capture_output=True, text=True, env=env)
    assert cleared.returncode == 0 and "3 个条目" in cleared.stdout
    assert ResultCache().info()["entries"] == 0
