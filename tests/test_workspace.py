"""The persistent workspace (issue 10), on SQLite and on a real PostgreSQL server.

Every test runs once per backend (``backend`` fixture): SQLite in the workspace folder, and a
throwaway PostgreSQL cluster started for the session (tests/support/postgres.py), one
database per test. Under CI=true a missing PostgreSQL fails the PostgreSQL half.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from tests.returned import CODE, FORM, NAME, ROSTER_CSV, build, clean_values
from tests.support.cli import xlflow
from tests.support.postgres import Cluster, missing
from xlflow.roster import load_roster
from xlflow.vocab import SHEET_COMPARE
from xlflow.workspace import Workspace, WorkspaceError
from xlflow.workspace import schema as t
from xlflow.workspace.config import CONFIG_NAME

ROOT = Path(__file__).resolve().parents[1]
ROSTER = load_roster(ROSTER_CSV)
A, B, C = ROSTER[0], ROSTER[1], ROSTER[2]


@pytest.fixture(scope="session")
def pg_cluster():
    try:
        cluster = Cluster()
    except (FileNotFoundError, RuntimeError) as exc:
        yield exc
        return
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, pg_cluster):
    """None (SQLite inside the workspace folder) or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    if isinstance(pg_cluster, Exception):
        missing(str(pg_cluster))
    return pg_cluster.new_database()


@pytest.fixture
def ws_dir(tmp_path, db_url):
    d = tmp_path / "嘉祥县"
    args = ["init", d, "--year", 2024, "--agencies", ROSTER_CSV] + (["--db", db_url] if db_url else [])
    res = xlflow(*args)
    assert res.returncode == 0, res.stdout + res.stderr
    return d


def ret(agency, year: int = 2024, **overrides) -> bytes:
    return build(clean_values(**overrides), name=agency.name, code=agency.code, year=year)


def put(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_bytes(data)
    return p


# -- init ------------------------------------------------------------------------------------------

def test_init_creates_the_workspace(ws_dir, db_url):
    doc = json.loads((ws_dir / CONFIG_NAME).read_text(encoding="utf-8"))
    assert doc["db"] == (db_url or "sqlite:///workspace.sqlite3")
    assert (ws_dir / "files").is_dir()
    templates = sorted((ws_dir / "templates" / "2024").iterdir())
    assert len(templates) == len(ROSTER) and A.code in templates[0].name
    with Workspace.open(ws_dir) as ws:
        assert ws.years() == [2024] and ws.current_year() == 2024
        assert (ws.unit_name, ws.unit_code) == ("嘉祥县", "3708290")
        assert [a.code for a in ws.roster()] == [a.code for a in ROSTER]
        assert ws.form().form_id == FORM.form_id
        secret = ws.secret()
        assert len(secret) == 32
        assert [e.action for e in ws.log()] == ["init"]
        name, data = ws.template_bytes(A.code)
        assert A.name in name and data[:2] == b"PK"
    with Workspace.open(ws_dir) as ws:
        assert ws.secret() == secret  # created once, kept
    res = xlflow("init", ws_dir, "--year", 2024)
    assert res.returncode == 1 and "已有 2024 年度" in res.stderr
    shared = db_url or f"sqlite:///{ws_dir / 'workspace.sqlite3'}"
    other = ws_dir.parent / "另一个"
    res = xlflow("init", other, "--year", 2024, "--agencies", ROSTER_CSV, "--db", shared)
    assert res.returncode == 1 and "已经属于另一个工作区" in res.stderr
    assert not (other / CONFIG_NAME).exists()


def test_open_refuses_a_folder_that_is_not_a_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match="不是工作区"):
        Workspace.open(tmp_path)
    put(tmp_path / "in", "a.xlsx", ret(A))
    res = xlflow("add", tmp_path, tmp_path / "in")
    assert res.returncode == 1 and "不是工作区" in res.stderr and "xlflow init" in res.stderr
    (tmp_path / "empty").mkdir()
    res = xlflow("add", tmp_path, tmp_path / "empty")
    assert res.returncode == 1 and "没有找到报表文件" in res.stderr


# -- add -------------------------------------------------------------------------------------------

def test_add_clean_invalid_and_duplicate(ws_dir, tmp_path):
    inbox = tmp_path / "回收"
    good = put(inbox, "good.xlsx", ret(A))
    res = xlflow("add", ws_dir, good)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "已登记为第 1 号，通过" in res.stdout
    bad = put(tmp_path / "更正", "bad.xlsx", ret(B, **{"t3.new.natural": 6}))
    res = xlflow("add", ws_dir, bad)
    assert res.returncode == 1 and "未通过" in res.stdout
    before = good.read_bytes()
    res = xlflow("add", ws_dir, good)
    assert res.returncode == 0 and "内容完全相同，未重复登记" in res.stdout and "1 个与已收到的文件相同" in res.stdout
    assert good.read_bytes() == before  # inputs are never written
    with Workspace.open(ws_dir) as ws:
        subs = ws.submissions()
        assert [s.id for s in subs] == [2, 1]  # newest first, the duplicate not registered
        assert subs[1].agency_code == A.code and subs[1].status == "valid" and subs[1].current
        assert subs[0].status == "invalid" and subs[0].errors > 0
        assert ws.file_bytes(1) == before
        assert ws.result(2).status == "invalid" and ws.result(2).path.name == "bad.xlsx"
        marked = ws.annotated_bytes(2)
        assert marked[:2] == b"PK" and marked != ws.file_bytes(2) and ws.annotated_bytes(1) is None
        assert [e.action for e in ws.log()] == ["init", "ingest", "ingest", "duplicate"]
        again = ws.add_bytes(before, "again.xlsx", agency_code=A.code, actor="单位")
        assert again.duplicate and again.submission_id == 1 and "未重复登记" in again.message


def test_add_bytes_for_an_agency_never_changes_another_agencys_state(ws_dir):
    with Workspace.open(ws_dir) as ws:
        own = ws.add_bytes(ret(A), "a.xlsx", agency_code=A.code, actor="门户")
        other = ws.add_bytes(ret(A, **{"t2.licensing": 121}), "b.xlsx", agency_code=B.code, actor="门户")
        assert own.current and own.result.status == "valid"
        assert other.result.status == "invalid" and "upload-other-agency" in {f.rule for f in other.result.findings}
        assert ws.submission(other.submission_id).agency_code == B.code
        rows = {r.code: r for r in ws.status_rows()}
        assert rows[A.code].state == "ok" and rows[A.code].file == "a.xlsx"
        assert rows[B.code].state == "fail" and rows[B.code].file == "b.xlsx"
        assert [u.code for u in ws.consolidation().units] == [A.code]
        with pytest.raises(WorkspaceError, match="没有单位代码"):
            ws.add_bytes(ret(A), "x.xlsx", agency_code="999", actor="门户")


def test_one_workspace_shared_by_threads(ws_dir):
    """The portal calls one Workspace from several threads: uploads and readers at once."""
    from concurrent.futures import ThreadPoolExecutor

    uploads = [(a, ret(a, **{"t2.licensing": 100 + k})) for k in range(2) for a in ROSTER[:6]]
    with Workspace.open(ws_dir) as ws:
        def upload(item):
            agency, data = item
            out = ws.add_bytes(data, f"{agency.code}.xlsx", agency_code=agency.code, actor="门户")
            ws.status_rows()
            ws.submissions(agency_code=agency.code)
            return out

        with ThreadPoolExecutor(4) as pool:
            outcomes = list(pool.map(upload, uploads))
        assert len({o.submission_id for o in outcomes}) == len(uploads) and not any(o.duplicate for o in outcomes)
        assert all(o.result.status == "valid" for o in outcomes)
        subs = ws.submissions()
        assert len(subs) == len(uploads)
        assert sorted(s.agency_code for s in subs if s.current) == sorted(a.code for a in ROSTER[:6])
        assert ws.check().ok


def test_assign_an_unreadable_file_to_its_agency(ws_dir, tmp_path):
    put(tmp_path / "in", "扫描件.xlsx", b"%PDF-1.4 a scan renamed")
    xlflow("add", ws_dir, tmp_path / "in")
    with Workspace.open(ws_dir) as ws:
        assert any(r.file == "扫描件.xlsx" and not r.code for r in ws.status_rows())
    res = xlflow("assign", ws_dir, 1, C.code)
    assert res.returncode == 0 and "是该单位的现用报表" in res.stdout, res.stdout + res.stderr
    with Workspace.open(ws_dir) as ws:
        rows = [r for r in ws.status_rows() if r.file == "扫描件.xlsx"]
        assert [(r.code, r.state) for r in rows] == [(C.code, "fail")]
        later = ws.add_bytes(ret(C), "c.xlsx", actor="x", agency_code=C.code)
        assert later.current and later.superseded == [1]
        assert [r for r in ws.status_rows() if r.file == "扫描件.xlsx"] == []
        assert ws.stale() == [] and "assign" in [e.action for e in ws.log()]
        with pytest.raises(WorkspaceError, match="声明的单位"):
            ws.assign(later.submission_id, A.code)


def test_supersession_rule_and_history(ws_dir):
    with Workspace.open(ws_dir) as ws:
        first = ws.add_bytes(ret(A, **{"t3.new.natural": 6}), "v1.xlsx", agency_code=A.code, actor="x")  # invalid
        second = ws.add_bytes(ret(A), "v2.xlsx", agency_code=A.code, actor="x")  # valid: replaces the invalid one
        assert first.current and second.current and second.superseded == [first.submission_id]
        third = ws.add_bytes(ret(A, **{"t2.licensing": 130}), "v3.xlsx", agency_code=A.code, actor="x")  # valid, same date: newer wins
        assert third.current and third.superseded == [second.submission_id]
        fourth = ws.add_bytes(ret(A, **{"t3.new.natural": 9}), "v4.xlsx", agency_code=A.code, actor="x")  # invalid: does not replace
        assert not fourth.current and fourth.superseded == [] and "仍以第 3 号为现用报表" in fourth.message
        older = ws.add_bytes(ret(A, **{"t2.licensing": 140, "s6.date": "2024-01-01"}), "v5.xlsx", agency_code=A.code, actor="x")
        subs = ws.submissions(agency_code=A.code)
        assert [s.id for s in subs] == [5, 4, 3, 2, 1]
    res = xlflow("history", ws_dir, "--agency", A.code)
    assert res.returncode == 0 and "共 5 份" in res.stdout and res.stdout.count("现用") == 1
    with Workspace.open(ws_dir) as ws:
        subs = ws.submissions(agency_code=A.code)
        assert [s.id for s in subs if s.current] == [older.submission_id if older.current else 3]
        assert [e.action for e in ws.log()].count("supersede") == 2 + (1 if older.current else 0)
        c = ws.consolidation()
        assert [u.code for u in c.units] == [A.code] and c.units[0].values["t2.licensing"] == (140 if older.current else 130)


# -- status, merge, report equal to the folder-based commands -----------------------------------------

def test_status_merge_report_from_the_workspace_equal_the_folder_commands(ws_dir, tmp_path):
    inbox = tmp_path / "回收"
    put(inbox, "a.xlsx", ret(A))
    put(inbox, "b.xlsx", ret(B, **{"t3.new.natural": 6}))
    put(inbox, "c.xlsx", ret(C, **{"t2.licensing": 7}))
    put(inbox, "scan.xlsx", b"not a workbook at all")
    put(inbox, "d.xlsx", ret(ROSTER[5], year=2023))
    assert xlflow("add", ws_dir, inbox).returncode == 1
    folder = xlflow("status", inbox, "--agencies", ROSTER_CSV, "--year", 2024)
    ws = xlflow("status", ws_dir)
    assert ws.returncode == folder.returncode == 1
    assert ws.stdout == folder.stdout
    out = tmp_path / "out"
    name = f"嘉祥县2024年{FORM.spec.title}汇总表.xlsx"  # the report names the summary it was made from
    f_sum, w_sum = out / "folder" / name, out / "ws" / name
    rf = xlflow("merge", inbox, "--agencies", ROSTER_CSV, "--year", 2024, "--out", f_sum, "-q")
    rw = xlflow("merge", ws_dir, "--out", w_sum)
    assert rf.returncode == rw.returncode == 1, rw.stdout + rw.stderr
    assert w_sum.read_bytes() == f_sum.read_bytes()
    rw = xlflow("merge", ws_dir, "--out", w_sum, "--csv", out / "ws" / "csv")
    rf = xlflow("merge", inbox, "--agencies", ROSTER_CSV, "--year", 2024, "--out", f_sum, "-q", "--csv", out / "folder" / "csv")
    [f_csv], [w_csv] = (list((out / side / "csv").iterdir()) for side in ("folder", "ws"))
    assert w_csv.read_bytes() == f_csv.read_bytes()
    res = xlflow("merge", ws_dir, "--out", w_sum, "--agencies", ROSTER_CSV)
    assert res.returncode == 2 and "不用 --agencies" in res.stderr
    for fmt in ("md", "docx"):
        f_rep, w_rep = out / "folder" / f"r.{fmt}", out / "ws" / f"r.{fmt}"
        assert xlflow("report", f_sum, "--out", f_rep).returncode == 0
        res = xlflow("report", ws_dir, "--out", w_rep)
        assert res.returncode == 0, res.stdout + res.stderr
        if fmt == "md":
            assert w_rep.read_bytes() == f_rep.read_bytes()
        else:
            assert _docx_text(w_rep) == _docx_text(f_rep)
    for suffix in (".xlsx", ".csv"):
        rf = xlflow("status", inbox, "--agencies", ROSTER_CSV, "--year", 2024, f"--{suffix[1:]}", out / "folder" / f"催报{suffix}")
        rw = xlflow("status", ws_dir, f"--{suffix[1:]}", out / "ws" / f"催报{suffix}")
        assert rf.returncode == rw.returncode == 1
        assert (out / "ws" / f"催报{suffix}").read_bytes() == (out / "folder" / f"催报{suffix}").read_bytes()
    with Workspace.open(ws_dir) as w:
        assert sum(1 for e in w.log() if e.action == "export") == 6
        w.chase(out / "ws" / "api.xlsx")
        assert (out / "ws" / "api.xlsx").read_bytes() == (out / "folder" / "催报.xlsx").read_bytes()


def _docx_text(path: Path) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml")


# -- audit log --------------------------------------------------------------------------------------

def test_audit_log_records_and_is_append_only(ws_dir, tmp_path):
    put(tmp_path / "in", "a.xlsx", ret(A))
    xlflow("add", ws_dir, tmp_path / "in", "--actor", "张三")
    assert xlflow("deadline", ws_dir, "2099年1月31日").returncode == 0
    xlflow("merge", ws_dir, "--out", tmp_path / "s.xlsx")
    with Workspace.open(ws_dir) as ws:
        ws.audit("login", actor="管理员", detail="登录")
        log = ws.log()
        assert [e.action for e in log] == ["init", "ingest", "deadline", "export", "login"]
        assert log[1].actor == "张三" and log[1].agency_code == A.code and log[1].at.tzinfo is not None
        assert ws.log(limit=2) == log[-2:]
        assert str(ws.deadline()) == "2099-01-31"
        assert not ws.submissions()[0].late
        ws.set_deadline(date(2020, 1, 31), actor="x")  # a deadline already past: everything received is late
        assert ws.submissions()[0].late and "1 份逾期" in ws.log()[-1].detail
        late = ws.add_bytes(ret(B), "late.xlsx", agency_code=B.code, actor="x")
        assert late.late and "逾期" in late.message
        ws.set_deadline(None, actor="x")
        assert not any(s.late for s in ws.submissions())
        for stmt in (t.audit.update().values(detail="改"), t.audit.delete()):
            with pytest.raises(sa.exc.DatabaseError):
                with ws.engine.begin() as conn:
                    conn.execute(stmt)
        assert len(ws.log()) == 8
    res = xlflow("log", ws_dir)
    assert res.returncode == 0 and "张三" in res.stdout and "ingest" in res.stdout and "登录" in res.stdout


# -- roster ------------------------------------------------------------------------------------------

def test_roster_changes_have_history_and_revalidate(ws_dir, tmp_path):
    new_code, new_name = "370829099", "嘉祥县医疗保障局"
    newcomer = type(A)(new_code, new_name, 0)
    put(tmp_path / "in", "new.xlsx", ret(newcomer))
    put(tmp_path / "in", "c.xlsx", ret(C))
    assert xlflow("add", ws_dir, tmp_path / "in").returncode == 1  # not on the roster yet
    res = xlflow("roster", "add", ws_dir, new_code, new_name)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "未通过 → 通过" in res.stdout and "已新增" in res.stdout
    res = xlflow("roster", "rename", ws_dir, C.code, "嘉祥县教育局")
    assert res.returncode == 0 and "通过 → 通过" in res.stdout  # a new name: now a warning (name differs)
    res = xlflow("roster", "merge", ws_dir, C.code, B.code)
    assert res.returncode == 0, res.stderr
    res = xlflow("roster", "remove", ws_dir, ROSTER[15].code)
    assert res.returncode == 0
    with Workspace.open(ws_dir) as ws:
        codes = [a.code for a in ws.roster()]
        assert new_code in codes and C.code not in codes and ROSTER[15].code not in codes and len(codes) == 15
        rows = {r.code: r for r in ws.status_rows()}
        assert rows[new_code].state == "ok" and C.code not in rows
        assert [e.action for e in ws.log() if e.action.startswith("roster")] == ["roster-add", "roster-rename", "roster-merge", "roster-remove"]
        assert len(ws.submissions(agency_code=C.code)) == 1  # kept in the history
        templates = ws_dir / "templates" / "2024"
        assert templates.joinpath(f"{new_code}_{new_name}_2024年{FORM.spec.title}.xlsx").is_file()
        assert sorted(p.name.split("_")[0] for p in templates.iterdir()) == sorted(codes)
    res = xlflow("roster", "rename", ws_dir, "nope", "x")
    assert res.returncode == 1 and "没有" in res.stderr


# -- re-validation ------------------------------------------------------------------------------------

def test_form_version_change_revalidates_stored_results(tmp_path, db_url):
    form_file = tmp_path / "form.yaml"
    shutil.copy(ROOT / "workbook_templates" / "gov-info-annual-2021.yaml", form_file)
    d = tmp_path / "ws"
    res = xlflow("init", d, "--year", 2024, "--agencies", ROSTER_CSV, "--form", form_file, *(["--db", db_url] if db_url else []))
    assert res.returncode == 0, res.stderr
    put(tmp_path / "in", "a.xlsx", ret(A))
    assert xlflow("add", d, tmp_path / "in").returncode == 0
    text = form_file.read_text(encoding="utf-8")
    # The new version makes S3-like soft checks hard: here, the rule every return passes stays, and
    # the licensing count gets an upper bound the return breaks.
    form_file.write_text(text.replace('version: "2021.1"', 'version: "2021.2"', 1), encoding="utf-8")
    with Workspace.open(d) as ws:
        assert ws.stale() == [1]
    res = xlflow("status", d)
    assert "重新校验" in res.stdout and "第 1 号 a.xlsx" in res.stdout, res.stdout
    with Workspace.open(d) as ws:
        assert ws.stale() == []
        assert "template-outdated" in {f.rule for f in ws.result(1).findings}
        assert any(e.action == "revalidate" for e in ws.log())


def test_another_xlflow_version_makes_every_result_stale(ws_dir, tmp_path, monkeypatch):
    import xlflow.validate.dependencies as deps

    put(tmp_path / "in", "a.xlsx", ret(A))
    put(tmp_path / "in", "b.xlsx", ret(B, **{"t3.new.natural": 6}))
    xlflow("add", ws_dir, tmp_path / "in")
    with Workspace.open(ws_dir) as ws:
        assert ws.stale() == []
        monkeypatch.setattr(deps, "code_version", lambda: "9.9.9+upgraded")
        assert ws.stale() == [1, 2]
        assert ws.revalidate(actor="升级") == []  # same verdicts: nothing to tell the clerk
        assert ws.stale() == []
        assert ws.log()[-1].action == "revalidate" and "重新校验 2 份" in ws.log()[-1].detail


# -- faults and concurrency -----------------------------------------------------------------------------

def _factory(seed: int):
    from benchmarks.make_returns import ReturnFactory

    return ReturnFactory(FORM, 2024, seed=seed)


def _bench_ws(tmp_path: Path, db_url: str | None, n: int) -> Path:
    from benchmarks.make_returns import write_roster

    roster = write_roster(tmp_path / "名单.csv", n)
    d = tmp_path / "ws"
    res = xlflow("init", d, "--year", 2024, "--agencies", roster, *(["--db", db_url] if db_url else []))
    assert res.returncode == 0, res.stderr
    return d


def _spawn(*args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "xlflow", *map(str, args)], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_kill_during_ingest_then_check_is_clean(tmp_path, db_url):
    d = _bench_ws(tmp_path, db_url, 60)
    f = _factory(1)
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i in range(60):
        name, data = f.build(i)
        (inbox / name).write_bytes(data)
    proc = _spawn("add", d, inbox)
    with Workspace.open(d) as ws:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(ws.submissions()) < 5 and proc.poll() is None:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
        got = len(ws.submissions())
        assert 5 <= got < 60
    res = xlflow("check", d)
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{got} 条报送记录" in res.stdout
    res = xlflow("add", d, inbox)
    assert res.returncode == 0 and f"{got} 个与已收到的文件相同" in res.stdout, res.stdout
    assert xlflow("check", d, "--prune").returncode == 0
    with Workspace.open(d) as ws:
        subs = ws.submissions()
        assert len(subs) == 60 and len({s.sha256 for s in subs}) == 60 and all(s.current for s in subs)
        assert not [p for _, p in ws.blobs.walk() if p.name.startswith(".")]


def test_check_names_a_changed_or_missing_file(ws_dir, tmp_path):
    put(tmp_path / "in", "a.xlsx", ret(A))
    put(tmp_path / "in", "b.xlsx", ret(B))
    assert xlflow("add", ws_dir, tmp_path / "in").returncode == 0
    with Workspace.open(ws_dir) as ws:
        first, second = (ws.blobs.path(s.sha256) for s in sorted(ws.submissions(), key=lambda s: s.id))
    first.chmod(0o644)
    first.write_bytes(first.read_bytes() + b"x")
    second.unlink()
    res = xlflow("check", ws_dir)
    assert res.returncode == 1
    assert "第 1 号（" in res.stdout and "SHA-256 不符" in res.stdout
    assert "第 2 号（" in res.stdout and "文件不存在" in res.stdout


def test_two_concurrent_ingests_of_200_files_lose_and_duplicate_nothing(tmp_path, db_url):
    n = 200
    d = _bench_ws(tmp_path, db_url, n)
    first, second = _factory(1), _factory(2)
    inbox_a, inbox_b = tmp_path / "a", tmp_path / "b"
    inbox_a.mkdir()
    inbox_b.mkdir()
    shared = set(range(0, n, 10))  # the same bytes in both folders: registered once
    for i in range(n):
        name, data = first.build(i)
        (inbox_a / name).write_bytes(data)
        name, other = second.build(i)
        (inbox_b / name).write_bytes(data if i in shared else other)
    started = time.monotonic()
    procs = [_spawn("add", d, inbox_a), _spawn("add", d, inbox_b)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert time.monotonic() - started < 120
    with Workspace.open(d) as ws:
        subs = ws.submissions()
        assert len(subs) == 2 * n - len(shared)
        assert len({s.sha256 for s in subs}) == len(subs)
        by_code: dict[str, list] = {}
        for s in subs:
            by_code.setdefault(s.agency_code, []).append(s)
        assert len(by_code) == n
        for code, group in by_code.items():
            current = [s for s in group if s.current]
            assert len(current) == 1, code
            assert current[0].received_at == max(s.received_at for s in group)
        log = ws.log()
        assert sum(e.action == "ingest" for e in log) == len(subs)
        assert sum(e.action == "duplicate" for e in log) == len(shared)
        assert ws.check().ok
        spans = [[s.received_at for s in subs if Path(s.filename).parent.name == side] for side in ("a", "b")]
        assert min(spans[0]) < max(spans[1]) and min(spans[1]) < max(spans[0]), "the two ingests did not overlap"
        assert len(ws.status_rows()) == n and all(r.state == "ok" for r in ws.status_rows())


# -- year over year ---------------------------------------------------------------------------------------

LAST_YEAR_A = {"t3.partial.business": 2, "t3.next.business": 0}  # carries 1 natural, 0 business
THIS_YEAR = {"t2.norms.in_force": 14}  # 12 + 3 issued - 1 repealed


def test_two_year_workspace_runs_the_carry_over_check(tmp_path, db_url):
    d = tmp_path / "ws"
    res = xlflow("init", d, "--year", 2023, "--agencies", ROSTER_CSV, *(["--db", db_url] if db_url else []))
    assert res.returncode == 0, res.stderr
    put(tmp_path / "2023", "a.xlsx", ret(A, year=2023, **LAST_YEAR_A))
    put(tmp_path / "2023", "b.xlsx", ret(B, year=2023))  # carries 1 natural, 1 business
    assert xlflow("add", d, tmp_path / "2023").returncode == 0
    res = xlflow("init", d, "--year", 2024)
    assert res.returncode == 0 and "2023、2024" in res.stdout, res.stdout + res.stderr
    put(tmp_path / "2024", "a.xlsx", ret(A, **THIS_YEAR))
    put(tmp_path / "2024", "b.xlsx", ret(B, **THIS_YEAR))  # carried business 0, last year said 1
    assert xlflow("add", d, tmp_path / "2024").returncode == 0
    with Workspace.open(d) as ws:
        assert ws.previous(2024).year == 2023
        rules = {s.agency_code: {f.rule for f in ws.result(s.id).findings} for s in ws.submissions(2024)}
        assert rules[A.code] == set()
        assert rules[B.code] == {"S1"}
        finding = next(f for f in ws.result(ws.submissions(2024, B.code)[0].id).findings if f.rule == "S1")
        assert (finding.field, finding.actual, finding.expected) == ("t3.carried.business", 0, 1)
        # last year stands beside this year in the summary, from the stored results alone
        out = tmp_path / "汇总.xlsx"
        ws.merge(out, 2024)
        new = "t3.new.total"
        last_sum = sum(ws.result(s.id).values[new] for s in ws.submissions(2023))
        this_sum = sum(ws.result(s.id).values[new] for s in ws.submissions(2024))
        rows = list(openpyxl.load_workbook(out, read_only=True)[SHEET_COMPARE].iter_rows(values_only=True))
        county = next(r for r in rows if r[1] == ws.unit_name and str(r[2]).startswith("本年新收政府信息公开申请"))
        assert county[3:5] == (last_sum, this_sum)
        # last year's return corrected: this year's result is stale and re-validated
        ws.add_bytes(ret(B, year=2023, **LAST_YEAR_A), "b2.xlsx", year=2023, agency_code=B.code, actor="x")
        changes_ids = ws.stale(2024)
        assert changes_ids == [ws.submissions(2024, B.code)[0].id]
        ws.revalidate(2024)
        assert {f.rule for f in ws.result(ws.submissions(2024, B.code)[0].id).findings} == set()


def test_import_year_from_a_summary_feeds_the_carry_over_check(tmp_path, db_url):
    last = tmp_path / "2023"
    put(last, "a.xlsx", ret(A, year=2023, **LAST_YEAR_A))
    put(last, "b.xlsx", ret(B, year=2023))
    summary = tmp_path / "汇总2023.xlsx"
    assert xlflow("merge", last, "--year", 2023, "--agencies", ROSTER_CSV, "--out", summary, "-q").returncode == 1
    d = tmp_path / "ws"
    assert xlflow("init", d, "--year", 2024, "--agencies", ROSTER_CSV, *(["--db", db_url] if db_url else [])).returncode == 0
    res = xlflow("import-year", d, summary, "--year", 2023)
    assert res.returncode == 0 and "2 个单位" in res.stdout, res.stdout + res.stderr
    put(tmp_path / "2024", "a.xlsx", ret(A, **THIS_YEAR))
    put(tmp_path / "2024", "b.xlsx", ret(B, **THIS_YEAR))
    assert xlflow("add", d, tmp_path / "2024").returncode == 0
    with Workspace.open(d) as ws:
        assert ws.years() == [2023, 2024]
        rules = {s.agency_code: {f.rule for f in ws.result(s.id).findings} for s in ws.submissions(2024)}
        assert rules == {A.code: set(), B.code: {"S1"}}


def test_import_year_from_a_folder_of_returns(tmp_path, db_url):
    last = tmp_path / "2023"
    put(last, "a.xlsx", ret(A, year=2023, **LAST_YEAR_A))
    put(last, "bad.xlsx", ret(B, year=2023, **{"t3.new.natural": 6}))  # invalid: not last year's data
    d = tmp_path / "ws"
    assert xlflow("init", d, "--year", 2024, "--agencies", ROSTER_CSV, *(["--db", db_url] if db_url else [])).returncode == 0
    res = xlflow("import-year", d, last, "--year", 2023)
    assert res.returncode == 0 and "1 个单位" in res.stdout, res.stdout + res.stderr
    with Workspace.open(d) as ws:
        assert set(ws.previous(2024).by_agency) == {A.code}


def test_missing_postgresql_fails_under_ci(monkeypatch):
    import tests.support.postgres as pg

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI 必须运行"):
        pg.missing("找不到 initdb")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        pg.missing("找不到 initdb")


def test_migrations_from_the_first_schema(tmp_path, db_url):
    from xlflow.workspace.db import current_revision, head_revision, make_engine, upgrade

    url = db_url or f"sqlite:///{tmp_path / 'm.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    names = set(sa.inspect(engine).get_table_names())
    assert {"meta", "years", "agencies", "submissions", "imported", "audit"} <= names
    engine.dispose()


def test_a_workspace_from_a_newer_xlflow_is_refused(ws_dir):
    with Workspace.open(ws_dir) as ws:
        with ws.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(WorkspaceError, match="比这个 xlflow 新"):
        Workspace.open(ws_dir)


assert CODE and NAME  # the fixture identity of tests.returned stays importable
