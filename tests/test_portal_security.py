"""The portal's defences, through its HTTP interface: bad links all get the same 404, an agency
sees and changes nothing of another's, forms need their CSRF token, the upload limit holds
while the body streams, the rate limit answers 429, security headers on every response, file
names are never paths, and the JSON answer has the shape of ``xlflow validate --json``."""

from __future__ import annotations

import socket
import time

import pytest
from starlette.testclient import TestClient

from tests.support.portal import (
    A,
    B,
    PASSWORD,
    Server,
    bad_return,
    csrf_of,
    good_return,
    portal_workspace,
)
from xlflow.portal import Settings, create_app
from xlflow.portal.security import CSP


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    p = portal_workspace(tmp_path_factory.mktemp("portal"))
    yield p
    p.ws.close()


def client(portal, **settings) -> TestClient:
    return TestClient(create_app(portal.ws, Settings(**settings)))


def upload(c: TestClient, token: str, data: bytes, name: str = "报表.xlsx", **kw):
    page = c.get(f"/a/{token}")
    return c.post(f"/a/{token}/upload", data={"csrf_token": csrf_of(page.text)}, files={"file": (name, data)}, **kw)


def test_every_bad_link_is_the_same_404(portal):
    c = client(portal)
    revoked = portal.ws.issue_links(codes=["370829003"], actor="test")["370829003"]
    portal.ws.revoke_link("370829003", actor="test")
    answers = [c.get(path) for path in (
        "/a/" + "x" * 32, "/a/short", f"/a/{revoked}", f"/a/{revoked}/template", f"/a/{portal.tokens[A]}x",
        "/a/%2e%2e%2fetc%2fpasswd", "/no/such/page", f"/a/{portal.tokens[A][:-1]}", f"/a/{portal.tokens[A]}/s/99999",
    )]
    assert {r.status_code for r in answers} == {404}
    assert len({r.content for r in answers}) == 1
    assert "链接无效或已失效" in answers[0].text
    portal.ws.issue_links(codes=["370829003"], actor="test")  # (leave C with a live link)


def test_security_headers_on_every_response(portal):
    c = client(portal)
    for r in (c.get(f"/a/{portal.tokens[A]}"), c.get("/login"), c.get("/a/nope" + "x" * 30), c.get("/static/portal.css")):
        assert r.headers["content-security-policy"] == CSP
        assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
    assert c.get(f"/a/{portal.tokens[A]}").headers["cache-control"] == "no-store"
    page = c.get(f"/a/{portal.tokens[A]}").text
    assert "<script>" not in page and " on" + "click=" not in page and "style=" not in page


def test_session_cookie_is_httponly_and_samesite(portal):
    c = client(portal)
    r = c.get("/login")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    r = client(portal, secure_cookies=True).get("/login")
    assert "secure" in r.headers["set-cookie"].lower()


def test_forms_without_csrf_token_are_refused(portal):
    c = client(portal)
    token = portal.tokens[A]
    before = len(portal.ws.submissions())
    r = c.post(f"/a/{token}/upload", files={"file": ("报表.xlsx", good_return(A))})
    assert r.status_code == 403
    r = c.post(f"/a/{token}/upload", data={"csrf_token": "forged" * 8}, files={"file": ("报表.xlsx", good_return(A))})
    assert r.status_code == 403
    assert c.post("/login", data={"password": PASSWORD}).status_code == 403
    assert len(portal.ws.submissions()) == before
    # logged in, every clerk form needs it too
    page = c.get("/login")
    assert c.post("/login", data={"password": PASSWORD, "csrf_token": csrf_of(page.text)}, follow_redirects=False).status_code == 303
    assert c.post("/admin/deadline", data={"deadline": "2025-01-31"}).status_code == 403
    assert portal.ws.deadline() is None


def test_wrong_password_and_clerk_pages_need_login(portal):
    c = client(portal)
    assert c.get("/admin", follow_redirects=False).headers["location"] == "/login"
    assert c.get("/admin/export/summary.xlsx", follow_redirects=False).status_code == 303
    page = c.get("/login")
    r = c.post("/login", data={"password": "wrong", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 401 and "密码不正确" in r.text
    assert c.get("/admin", follow_redirects=False).status_code == 303


def test_agency_cannot_see_or_change_another_agency(portal):
    c = client(portal)
    r = upload(c, portal.tokens[B], bad_return(B), follow_redirects=False)
    b_id = int(r.headers["location"].rsplit("/", 1)[1])
    a = portal.tokens[A]
    # B's submission through A's link: the same 404 as a bad link
    for path in (f"/a/{a}/s/{b_id}", f"/a/{a}/s/{b_id}/annotated"):
        assert c.get(path).status_code == 404
    assert "嘉祥县发展和改革局" not in c.get(f"/a/{a}").text
    # A uploads a file that declares itself B's: it stays A's upload, B's state is untouched
    b_before = [(s.id, s.current, s.status) for s in portal.ws.submissions(agency_code=B)]
    r = upload(c, a, good_return(B), name="别人的.xlsx")
    assert r.status_code == 200
    assert [(s.id, s.current, s.status) for s in portal.ws.submissions(agency_code=B)] == b_before
    mine = portal.ws.submissions(agency_code=A)[0]
    assert mine.agency_code == A and mine.filename == "别人的.xlsx"


def test_another_agencys_exact_file_is_refused_and_tells_nothing_of_it(portal):
    c = client(portal)
    theirs = good_return(A, **{"t2.penalty": 77})
    assert upload(c, portal.tokens[A], theirs, name="办公室报表-终稿.xlsx").status_code == 200
    a_before = [(s.id, s.current, s.status) for s in portal.ws.submissions(agency_code=A)]
    b_before = [s.id for s in portal.ws.submissions(agency_code=B)]
    for json_wanted in (False, True):
        headers = {"accept": "application/json"} if json_wanted else {}
        r = upload(c, portal.tokens[B], theirs, name="我的.xlsx", headers=headers)
        assert r.status_code == 409
        text = r.text
        assert "另一单位" in text and "未登记" in text
        for secret in ("办公室报表-终稿", "嘉祥县人民政府办公室", A):
            assert secret not in text
    assert [s.id for s in portal.ws.submissions(agency_code=B)] == b_before
    assert [(s.id, s.current, s.status) for s in portal.ws.submissions(agency_code=A)] == a_before
    # the clerk's log says which file it matched
    assert any(e.action == "duplicate" and e.agency_code == B and A in e.detail for e in portal.ws.log())


def test_json_upload_has_the_shape_of_validate_json(portal):
    c = client(portal)
    r = c.post(f"/a/{portal.tokens[A]}/upload", headers={"accept": "application/json"},
               files={"file": ("../../etc/报表.xlsx", bad_return(A))})
    assert r.status_code == 200
    entry = r.json()
    for key in ("path", "agency_code", "agency_name", "year", "scope", "status", "sha256", "application", "kind", "findings", "members"):
        assert key in entry
    assert entry["path"] == "报表.xlsx"  # the last component only, never a path
    assert entry["status"] == "invalid" and entry["verdict_text"] == "未通过"
    f = entry["findings"][0]
    for key in ("rule", "severity", "sheet", "cell", "field", "message", "expected", "actual", "row_label", "col_label", "basis"):
        assert key in f
    assert f["cell"] and f["sheet"] == "三、依申请公开"
    # the bad-link answer to a program is the same 404
    r = c.post("/a/" + "y" * 32 + "/upload", headers={"accept": "application/json"}, files={"file": ("x.xlsx", b"x")})
    assert r.status_code == 404


def test_file_names_are_never_paths(portal, tmp_path):
    c = client(portal)
    # a path keeps its last component; a name that is nothing but dots has no spreadsheet suffix left
    expected = {"..\\..\\windows\\报表.xlsx": (200, "报表.xlsx"), "/etc/passwd.xlsx": (200, "passwd.xlsx"),
                "\x00\x07控制.xlsx": (200, None), "...xlsx": (400, None)}
    for name, (status, kept) in expected.items():
        r = c.post(f"/a/{portal.tokens[A]}/upload", headers={"accept": "application/json"}, files={"file": (name, good_return(A, **{"t2.penalty": len(name)}))})
        assert r.status_code == status, (name, r.text)
        if status == 200:
            stored = portal.ws.submissions(agency_code=A)[0].filename
            assert "/" not in stored and "\\" not in stored and "\x00" not in stored and not stored.startswith(".")
            assert kept is None or stored == kept
    r = c.post(f"/a/{portal.tokens[A]}/upload", headers={"accept": "application/json"}, files={"file": ("报表.pdf", b"%PDF-1.4")})
    assert r.status_code == 400 and "不是电子表格" in r.json()["message"]


def test_rate_limit_per_link(portal):
    c = client(portal, link_requests=5)
    codes = [c.get(f"/a/{portal.tokens[A]}").status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    assert c.get(f"/a/{portal.tokens[B]}").status_code == 200  # another link is not slowed down
    r = c.get(f"/a/{portal.tokens[A]}")
    assert int(r.headers["retry-after"]) >= 1


def test_oversized_upload_is_refused_before_it_is_read(portal):
    c = client(portal, max_upload_bytes=200_000)
    before = len(portal.ws.submissions())
    r = upload(c, portal.tokens[A], b"PK" + b"\0" * 400_000)
    assert r.status_code == 413 and "文件太大" in r.text
    assert len(portal.ws.submissions()) == before


def _raw_request(port: int, head: bytes, chunks, chunk: bytes) -> tuple[bytes, int]:
    """Send ``head`` then up to ``chunks`` chunks; stop when the server answers. Returns the
    answer and how many chunks were sent."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head)
        s.setblocking(False)
        answer = b""
        for _ in range(chunks):
            try:
                answer += s.recv(65536)
            except BlockingIOError:
                pass
            if answer:
                break
            try:
                s.sendall(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
            sent += 1
            time.sleep(0.002)
        s.setblocking(True)
        s.settimeout(10)
        try:
            while b"\r\n\r\n" not in answer:
                more = s.recv(65536)
                if not more:
                    break
                answer += more
        except (ConnectionResetError, TimeoutError):
            pass
    return answer, sent


def test_upload_limit_holds_while_streaming(portal):
    """A real server: a declared 100 MB body is refused at once; a chunked body without a
    length is refused once it passes the limit, long before the client has sent it all."""
    app = create_app(portal.ws, Settings(max_upload_bytes=1_000_000))
    token = portal.tokens[A]
    with Server(app) as srv:
        head = (f"POST /a/{token}/upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                f"Content-Length: {100 * 1024 * 1024}\r\n\r\n").encode()
        answer, _ = _raw_request(srv.port, head, 0, b"")
        assert answer.startswith(b"HTTP/1.1 413")
        head = (f"POST /a/{token}/upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                f"Transfer-Encoding: chunked\r\n\r\n").encode()
        part = b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.xlsx"\r\n\r\n'
        head += f"{len(part):x}\r\n".encode() + part + b"\r\n"
        piece = b"a" * 65536
        chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        answer, sent = _raw_request(srv.port, head, 1600, chunk)  # 100 MB if all were sent
        assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
        assert sent < 200, sent  # refused after ~1 MB (plus socket buffers), not 100 MB


HOSTILE = ["zip-truncated", "zip-inflates-past-declared-size", "zip-encrypted-member", "zip-climbing-path", "far-note-xfd1048576",
           "too-many-cells", "deep-nesting", "dtd-in-sheet", "zip-of-returns", "pdf-renamed-xlsx"]


def test_hostile_files_are_findings_of_that_upload_only(portal):
    """Broken files, bombs, encrypted and far-cell files through C's link: each answered with
    its finding, stored as C's upload only; the server keeps serving the others."""
    from tests.corpus import CASES
    from tests.support.portal import C

    c = client(portal)
    token = portal.ws.issue_links(codes=[C], actor="test")[C]
    others = {code: [(s.id, s.current, s.status) for s in portal.ws.submissions(agency_code=code)] for code in (A, B)}
    for name in HOSTILE:
        case = CASES[name]
        r = c.post(f"/a/{token}/upload", headers={"accept": "application/json"}, files={"file": (f"{name}.xlsx", case.build())})
        assert r.status_code == 200, (name, r.text[:200])
        entry = r.json()
        if case.status == "unreadable":
            assert entry["status"] == "unreadable" and entry["verdict_text"] == "无法读取", name
        assert set(case.codes) <= {f["rule"] for f in entry["findings"]}, (name, [f["rule"] for f in entry["findings"]])
        assert portal.ws.submissions(agency_code=C)[0].filename == f"{name}.xlsx"
        assert c.get(f"/a/{portal.tokens[A]}").status_code == 200
    assert {code: [(s.id, s.current, s.status) for s in portal.ws.submissions(agency_code=code)] for code in (A, B)} == others


def test_failed_logins_are_rate_limited(portal):
    c = client(portal, login_failures=3)
    token = csrf_of(c.get("/login").text)
    codes = [c.post("/login", data={"password": f"guess{i}", "csrf_token": token}).status_code for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    # even the right password waits now
    assert c.post("/login", data={"password": PASSWORD, "csrf_token": token}, follow_redirects=False).status_code == 429


def test_annotated_copy_is_made_outside_the_server_process(portal, monkeypatch):
    import io

    import openpyxl

    import xlflow.workspace.core as core

    calls = []
    real = core.run_isolated
    monkeypatch.setattr(core, "run_isolated", lambda *a, **k: calls.append(a[0].__name__) or real(*a, **k))
    c = client(portal)
    r = upload(c, portal.tokens[A], bad_return(A), name="有错.xlsx", follow_redirects=False)
    page = r.headers["location"]
    got = c.get(page + "/annotated")
    assert got.status_code == 200 and calls == ["annotate_file"]
    sheet = openpyxl.load_workbook(io.BytesIO(got.content))["三、依申请公开"]
    assert sheet["D30"].comment is not None and "R1" in sheet["D30"].comment.text


def test_a_new_admin_password_ends_older_sessions(tmp_path):
    p = portal_workspace(tmp_path)
    try:
        c = TestClient(create_app(p.ws, Settings()))
        token = csrf_of(c.get("/login").text)
        assert c.post("/login", data={"password": PASSWORD, "csrf_token": token}, follow_redirects=False).status_code == 303
        assert c.get("/admin", follow_redirects=False).status_code == 200
        copied = dict(c.cookies)
        p.ws.set_admin_password(PASSWORD + "-新", actor="test")
        for cookies in (None, copied):  # the clerk's own browser and a copy of its cookie
            other = TestClient(create_app(p.ws, Settings()), cookies=cookies) if cookies else c
            r = other.get("/admin", follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/login"
    finally:
        p.ws.close()
