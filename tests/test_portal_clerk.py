"""The clerk's pages through HTTP on a real workspace: exports, roster changes, links re-issued
and revoked from the agency page, deadline, audit log."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from starlette.testclient import TestClient

from tests.support.portal import A, B, PASSWORD, csrf_of, good_return, portal_workspace
from xlflow.portal import create_app


@pytest.fixture()
def desk(tmp_path):
    p = portal_workspace(tmp_path)
    c = TestClient(create_app(p.ws))
    page = c.get("/login")
    assert c.post("/login", data={"password": PASSWORD, "csrf_token": csrf_of(page.text)}, follow_redirects=False).status_code == 303
    yield p, c
    p.ws.close()


def post(c, path, **data):
    token = csrf_of(c.get("/admin").text)
    return c.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def test_exports(desk):
    p, c = desk
    p.ws.add_bytes(good_return(A), "a.xlsx", agency_code=A, actor="test")
    for name in ("summary.xlsx", "chase.xlsx", "report.docx"):
        r = c.get(f"/admin/export/{name}")
        assert r.status_code == 200, (name, r.text[:300])
        assert zipfile.is_zipfile(io.BytesIO(r.content)), name
        assert "filename*=UTF-8''" in r.headers["content-disposition"]
    r = c.get("/admin/export/chase.csv")
    assert r.status_code == 200 and "嘉祥县发展和改革局" in r.content.decode("utf-8-sig")
    assert c.get("/admin/export/summary.xlsx?accepted=1").status_code == 200
    # only the named exports: another name, or an encoded path, reaches the handler and is refused
    for name in ("secret.xlsx", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2fworkspace.json"):
        assert c.get(f"/admin/export/{name}").status_code == 404, name


def test_roster_links_deadline_log(desk):
    p, c = desk
    assert post(c, "/admin/roster/add", code="370829099", name="嘉祥县新设局").status_code == 303
    assert "嘉祥县新设局" in c.get("/admin/roster").text
    assert post(c, "/admin/roster/rename", code=B, name="嘉祥县发展改革局").status_code == 303
    assert p.ws.agency(B).name == "嘉祥县发展改革局"
    assert post(c, "/admin/roster/remove", code="370829099").status_code == 303
    assert p.ws.agency("370829099") is None
    # re-issue A's link: the new one shown once, the old one dead
    old = p.tokens[A]
    assert post(c, f"/admin/links/{A}/reissue").status_code == 303
    page = c.get(f"/admin/agency/{A}").text
    new = re.search(r'<code id="new-link">[^<]*/a/([A-Za-z0-9_-]+)</code>', page).group(1)
    assert p.ws.agency_for_token(old) is None and p.ws.agency_for_token(new)[1].code == A
    assert 'id="new-link"' not in c.get(f"/admin/agency/{A}").text  # only once
    assert post(c, f"/admin/links/{A}/revoke").status_code == 303
    assert p.ws.agency_for_token(new) is None
    assert post(c, "/admin/deadline", deadline="2025-01-31").status_code == 303
    assert str(p.ws.deadline()) == "2025-01-31"
    log = c.get("/admin/log").text
    for action in ("roster-add", "roster-rename", "roster-remove", "link-issue", "link-revoke", "deadline", "login"):
        assert action in log, action
    assert new not in log and old not in log
