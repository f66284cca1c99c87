"""xlflow links / admin-password / serve on a real workspace: links work in the portal and are
stored only hashed, re-issue and revoke, the password is scrypt-hashed, serve answers."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
import urllib.request

import openpyxl
import sqlalchemy as sa

from tests.support.cli import xlflow
from tests.support.portal import A, B, PASSWORD, free_port, make_workspace
from xlflow.workspace import Workspace


def _links_csv(path):
    with open(path, encoding="utf-8-sig") as f:
        return {row["单位代码"]: row for row in csv.DictReader(f)}


def test_links_issue_reissue_revoke(tmp_path):
    ws = make_workspace(tmp_path)
    root = ws.root
    ws.close()
    out = tmp_path / "链接.csv"
    r = xlflow("links", root, "--base-url", "http://192.168.1.10:8000/", "--out", out)
    assert r.returncode == 0, r.stderr
    rows = _links_csv(out)
    assert len(rows) == 3 and all(row["填报链接"].startswith("http://192.168.1.10:8000/a/") for row in rows.values())
    token_a = rows[A]["填报链接"].rsplit("/", 1)[1]
    assert len(token_a) >= 32  # 24 random bytes
    # only hashes are stored
    with Workspace.open(root) as w:
        with w.engine.connect() as conn:
            dump = " ".join(str(v) for row in conn.execute(sa.text("SELECT * FROM links")) for v in row)
            dump += " ".join(str(v) for row in conn.execute(sa.text("SELECT * FROM audit")) for v in row)
        assert token_a not in dump
        assert w.agency_for_token(token_a)[1].code == A
    # a second run leaves live links alone; --reissue replaces one; --revoke stops one
    xlsx = tmp_path / "链接.xlsx"
    r = xlflow("links", root, "--base-url", "http://x:8000", "--out", xlsx, "--reissue", A)
    assert r.returncode == 0, r.stderr
    sheet = openpyxl.load_workbook(xlsx).active
    cells = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert cells[A][2].startswith("http://x:8000/a/") and not cells[B][2]
    new_a = cells[A][2].rsplit("/", 1)[1]
    r = xlflow("links", root, "--revoke", B)
    assert r.returncode == 0 and "已作废" in r.stdout
    with Workspace.open(root) as w:
        assert w.agency_for_token(token_a) is None
        assert w.agency_for_token(new_a)[1].code == A
        assert w.agency_for_token(rows[B]["填报链接"].rsplit("/", 1)[1]) is None
        actions = [e.action for e in w.log()]
        assert actions.count("link-issue") == 4 and actions.count("link-revoke") == 1
    assert xlflow("links", root, "--out", tmp_path / "x.txt", "--base-url", "http://x").returncode == 2


def test_admin_password_is_salted_scrypt(tmp_path):
    ws = make_workspace(tmp_path)
    root = ws.root
    ws.close()
    r = xlflow("admin-password", root, "--password-stdin", input_text=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    with Workspace.open(root) as w:
        assert w.check_admin_password(PASSWORD) and not w.check_admin_password(PASSWORD + "x")
        with w.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT hash FROM admin_password")).scalar()
        assert stored.startswith("scrypt$") and PASSWORD not in stored
        assert "admin-password" in [e.action for e in w.log()]
    assert xlflow("admin-password", root, "--password-stdin", input_text="short\n").returncode == 1


def test_review_locks_and_reopens(tmp_path):
    from tests.support.portal import good_return

    ws = make_workspace(tmp_path)
    try:
        out = ws.add_bytes(good_return(A), "a.xlsx", agency_code=A, actor="test")
        ws.review(out.submission_id, "accept", actor="clerk")
        assert ws.can_upload(A)[0] is False and "已锁定" in ws.can_upload(A)[1]
        assert ws.submissions(agency_code=A)[0].review == "accepted"
        ws.review(out.submission_id, "reopen", actor="clerk")
        assert ws.can_upload(A) == (True, "")
        ws.review(out.submission_id, "return", "请补充第五部分。", actor="clerk")
        s = ws.submissions(agency_code=A)[0]
        assert (s.review, s.review_comment) == ("returned", "请补充第五部分。")
        assert [e.action for e in ws.log()][-3:] == ["review-accept", "review-reopen", "review-return"]
    finally:
        ws.close()


def test_serve_answers(tmp_path):
    ws = make_workspace(tmp_path)
    root = ws.root
    ws.close()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "xlflow", "serve", str(root), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as resp:
                    assert resp.status == 200 and "管理员登录" in resp.read().decode("utf-8")
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() is not None else "timeout"
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(10)


def test_init_sets_the_admin_password_from_stdin(tmp_path):
    from tests.returned import ROSTER_CSV

    d = tmp_path / "ws"
    r = xlflow("init", d, "--year", 2024, "--agencies", ROSTER_CSV, "--password-stdin", input_text=PASSWORD + "\n")
    assert r.returncode == 0 and "管理密码已设置" in r.stdout, r.stdout + r.stderr
    with Workspace.open(d) as w:
        assert w.check_admin_password(PASSWORD)
    # without a password, init says how to set one and how to start the portal
    r = xlflow("init", tmp_path / "ws2", "--year", 2024, "--agencies", ROSTER_CSV)
    assert r.returncode == 0 and "xlflow admin-password" in r.stdout and "xlflow serve" in r.stdout
    # a password too short: the workspace stands, the clerk is told to set it again
    r = xlflow("init", tmp_path / "ws3", "--year", 2024, "--agencies", ROSTER_CSV, "--password-stdin", input_text="short\n")
    assert r.returncode == 0 and "管理密码未设置" in r.stderr
    with Workspace.open(tmp_path / "ws3") as w:
        assert not w.has_admin_password()
