"""The portal in a real browser (Debian's chromium driven by Playwright; nothing downloaded):
an agency opens its link, downloads its template, uploads a return with a mistake, sees the
finding naming the cell, uploads the corrected file by drag and drop and sees 通过; the clerk
logs in, watches the dashboard update without reloading, accepts one return and sends another
back, the agency sees the comment; the clerk downloads the summary and the 催报 list. Every
page is photographed into tests/artifacts/portal/ (the docs' pictures are copied from there).

Under CI=true a missing chromium fails the test; elsewhere it is skipped."""

from __future__ import annotations

import base64
import io
import os
import shutil
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.support.portal import A, B, C, NAMES, PASSWORD, Server, bad_return, good_return, portal_workspace
from xlflow.portal import Settings, create_app

CHROMIUM = os.environ.get("XLFLOW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent / "artifacts" / "portal"


def _browser_or_fail():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"chromium not found at {CHROMIUM} (.ci/install-browser.sh installs it)")
        pytest.skip("chromium not installed (CI=true makes this a failure)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("playwright (Python package) not installed")
        pytest.skip("playwright not installed")
    return sync_playwright


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    p = portal_workspace(tmp_path_factory.mktemp("portal-e2e"))
    p.ws.set_deadline(date.today() + timedelta(days=20), actor="test")
    app = create_app(p.ws, Settings(poll_seconds=1))
    with Server(app) as srv:
        yield p, srv
    p.ws.close()


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _browser_or_fail()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--lang=zh-CN"])
        yield b
        b.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"portal-{name}.png"), full_page=True)


def context(browser):
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 800}, locale="zh-CN")
    ctx.set_default_timeout(int(os.environ.get("PW_TIMEOUT", "30000")))
    return ctx


def drop_file(page, selector: str, name: str, data: bytes) -> None:
    """What the browser does when a file is dragged onto the drop zone."""
    dt = page.evaluate_handle(
        """([name, b64]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, {type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}));
            return dt;
        }""", [name, base64.b64encode(data).decode()])
    page.dispatch_event(selector, "drop", {"dataTransfer": dt})


def test_agency_uploads_until_it_passes_and_clerk_reviews(served, browser, tmp_path):
    portal, srv = served
    agency = context(browser)
    page = agency.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # -- the agency's page
    page.goto(f"{srv.url}/a/{portal.tokens[A]}")
    assert page.locator("h1").inner_text() == NAMES[A]
    assert "2024 年度" in page.inner_text(".facts") and "还剩 20 天" in page.inner_text(".facts")
    assert "未提交" in page.inner_text(".facts")
    shot(page, "agency")

    # -- its own stamped template
    with page.expect_download() as d:
        page.click("a:has-text('下载填报模板')")
    template = Path(d.value.path()).read_bytes()
    assert d.value.suggested_filename.endswith(".xlsx") and NAMES[A] in d.value.suggested_filename
    assert "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(template)).namelist()

    # -- a return with a mistake, through the plain file input
    wrong = tmp_path / "报表（有错）.xlsx"
    wrong.write_bytes(bad_return(A))
    page.set_input_files("#file", str(wrong))
    page.click("button:has-text('上传并校验')")
    page.wait_for_url("**/s/*")
    assert page.inner_text(".verdict-word") == "未通过"
    first = page.locator(".finding").first
    assert first.locator(".cell").inner_text() == "D30"
    assert "三、依申请公开" in first.inner_text() and "自然人" in first.inner_text()
    assert "四、结转下年度继续办理" in first.inner_text()
    shot(page, "findings-fail")
    with page.expect_download() as d:
        page.click("a:has-text('下载标注了问题的文件')")
    assert zipfile.is_zipfile(d.value.path())

    # -- corrected, dragged onto the drop zone
    page.click("a:has-text('改正后重新上传')")
    page.wait_for_selector("#drop")
    drop_file(page, "#drop", "报表（已改正）.xlsx", good_return(A))
    page.wait_for_url("**/s/*")
    assert page.inner_text(".verdict-word") == "通过"
    assert page.locator(".finding").count() == 0
    shot(page, "findings-pass")
    page.click("a:has-text('返回填报页面')")
    assert page.locator("table.grid tbody tr").count() == 2
    assert "已被替代" in page.inner_text("table.grid")
    shot(page, "agency-history")

    # -- the clerk
    clerk = context(browser)
    desk = clerk.new_page()
    desk.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    desk.goto(f"{srv.url}/admin")
    assert desk.url.endswith("/login")
    shot(desk, "login")
    desk.fill("input[name=password]", PASSWORD)
    desk.click("button:has-text('登录')")
    desk.wait_for_url("**/admin")
    assert "已提交且通过" in desk.inner_text(f"tr[data-code='{A}']")
    assert "未提交" in desk.inner_text(f"tr[data-code='{B}']")
    desk.evaluate("window.__stayed = true")  # gone if the page reloads

    # B uploads while the clerk watches: the table changes by itself
    b_page = agency.new_page()
    b_page.goto(f"{srv.url}/a/{portal.tokens[B]}")
    b_file = tmp_path / "发改局.xlsx"
    b_file.write_bytes(bad_return(B))
    b_page.set_input_files("#file", str(b_file))
    b_page.click("button:has-text('上传并校验')")
    b_page.wait_for_url("**/s/*")
    from playwright.sync_api import expect

    expect(desk.locator(f"tr[data-code='{B}']")).to_contain_text("未通过", timeout=15_000)
    assert desk.evaluate("window.__stayed === true")
    shot(desk, "dashboard")

    # accept A's return
    desk.click(f"tr[data-code='{A}'] a")
    desk.wait_for_url(f"**/admin/agency/{A}")
    shot(desk, "agency-detail")
    desk.click("table.grid a:has-text('查看') >> nth=0")
    desk.wait_for_url("**/admin/s/*")
    shot(desk, "review")
    desk.click("button:has-text('确认（锁定）')")
    desk.wait_for_url(f"**/admin/agency/{A}")
    assert "已确认" in desk.inner_text("table.grid")
    # A is locked now
    page.goto(f"{srv.url}/a/{portal.tokens[A]}")
    assert "已锁定" in page.inner_text(".locked") and page.locator("#file").count() == 0

    # send B's back with a comment; B sees it
    desk.goto(f"{srv.url}/admin/agency/{B}")
    desk.click("table.grid a:has-text('查看') >> nth=0")
    desk.fill("textarea[name=comment]", "表三“自然人”列不平衡，请核对本年新收的申请数。")
    desk.click("button:has-text('退回')")
    desk.wait_for_url(f"**/admin/agency/{B}")
    b_page.goto(f"{srv.url}/a/{portal.tokens[B]}")
    assert "请核对本年新收的申请数" in b_page.inner_text(".returned")
    shot(b_page, "agency-returned")

    # deadline passed: C, who never reported, is marked late
    desk.goto(f"{srv.url}/admin")
    desk.fill("input[name=deadline]", (date.today() - timedelta(days=1)).isoformat())
    desk.click("form[action='/admin/deadline'] button")
    desk.wait_for_url("**/admin")
    assert "逾期未报" in desk.inner_text(f"tr[data-code='{C}']")
    assert "已退回" in desk.inner_text(f"tr[data-code='{B}']") and "已确认" in desk.inner_text(f"tr[data-code='{A}']")
    shot(desk, "dashboard-late")

    # -- downloads
    with desk.expect_download() as d:
        desk.click("a:has-text('下载汇总表')")
    summary = zipfile.ZipFile(d.value.path())
    assert "xl/workbook.xml" in summary.namelist() and "汇总" in d.value.suggested_filename
    with desk.expect_download() as d:
        desk.click("a:has-text('下载催报名单（.xlsx）')")
    chase = zipfile.ZipFile(d.value.path())
    strings = chase.read("xl/sharedStrings.xml").decode("utf-8") if "xl/sharedStrings.xml" in chase.namelist() else ""
    strings += "".join(chase.read(n).decode("utf-8") for n in chase.namelist() if n.startswith("xl/worksheets/"))
    assert NAMES[C] in strings and NAMES[B] in strings

    desk.goto(f"{srv.url}/admin/roster")
    shot(desk, "roster")
    desk.goto(f"{srv.url}/admin/log")
    assert "review-accept" in desk.inner_text("table")
    shot(desk, "log")
    assert not errors, errors  # no CSP violation, no script error on any page
    agency.close()
    clerk.close()
