"""The county clerk's pages: login, the live dashboard, each agency's detail and history, and
the review of a return (确认 / 退回 with a comment / 重新开放)."""

from __future__ import annotations

import functools
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..errors import XlflowError
from .pages import annotated_download, download, forbidden, message, not_found, page, posted_form, run, today, ws
from .presenter import dashboard_rows, result_view, submission_view
from .words import REVIEW_ACTIONS, REVIEW_ZH, days_left_words

ADMIN = "admin"
GENERATION = "pw"  # the admin password's stamp at login


def clerk_only(handler):
    @functools.wraps(handler)
    async def guarded(request: Request) -> Response:
        # a session is the clerk's while the password it logged in with is still the one set:
        # a new password ends every session made before it (a copied cookie included)
        if request.session.get(ADMIN) is not True or \
                request.session.get(GENERATION) != await run(ws(request).admin_password_stamp):
            if request.method == "GET" and not request.headers.get("hx-request"):
                return RedirectResponse("/login", status_code=303)
            return Response("请先登录。", status_code=401, media_type="text/plain; charset=utf-8")
        return await handler(request)
    return guarded


async def login_page(request: Request) -> Response:
    if request.session.get(ADMIN) is True:
        return RedirectResponse("/admin", status_code=303)
    has = await run(ws(request).has_admin_password)
    return page(request, "login.html", has_password=has, error=None)


async def login(request: Request) -> Response:
    form = await posted_form(request)
    if form is None:
        return forbidden()
    client = request.client.host if request.client else "?"
    limiter = request.app.state.login_failures
    # every attempt counts before the (slow) password check, so guesses sent at once cannot
    # all pass a check made before any of them was counted
    if limiter.hit(client) is not None:
        return message(request, "请稍后再试", "密码错误次数过多，请几分钟后再试。", 429, back="/login")
    w = ws(request)
    ok = await run(w.check_admin_password, str(form.get("password", "")))
    if not ok:
        has = await run(w.has_admin_password)
        return page(request, "login.html", status_code=401, has_password=has, error="密码不正确。")
    request.session.clear()  # a fresh session (and CSRF token) after login
    request.session[ADMIN] = True
    request.session[GENERATION] = await run(w.admin_password_stamp)
    request.session["csrf"] = secrets.token_urlsafe(32)
    await run(w.audit, "login", actor="clerk", detail=f"管理员从 {client} 登录门户")
    return RedirectResponse("/admin", status_code=303)


async def logout(request: Request) -> Response:
    form = await posted_form(request)
    if form is None:
        return forbidden()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _dashboard_context(w):
    year = w.current_year()
    deadline = w.deadline(year)
    rows = dashboard_rows(w.status_rows(year), w.submissions(year), deadline, today())
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.state_text] = counts.get(r.state_text, 0) + 1
    reviews = {text: sum(1 for r in rows if r.review_text == text) for text in REVIEW_ZH.values()}
    late = sum(1 for r in rows if r.late_text)
    return {"year": year, "deadline": deadline, "days_left": days_left_words(deadline, today()), "rows": rows,
            "counts": counts, "reviews": reviews, "late": late, "total": len(rows)}


@clerk_only
async def dashboard(request: Request) -> Response:
    ctx = await run(_dashboard_context, ws(request))
    return page(request, "dashboard.html", admin=True, poll=request.app.state.settings.poll_seconds, **ctx)


@clerk_only
async def dashboard_table(request: Request) -> Response:
    ctx = await run(_dashboard_context, ws(request))
    return page(request, "_dashboard_table.html", poll=request.app.state.settings.poll_seconds, **ctx)


@clerk_only
async def agency_detail(request: Request) -> Response:
    w = ws(request)
    year = await run(w.current_year)
    agency = await run(w.agency, request.path_params["code"], year)
    if agency is None:
        return not_found()
    subs = await run(w.submissions, year, agency.code)
    linked = await run(w.link_codes, year)
    nonce = request.session.pop("new_link", None)
    new_link = request.app.state.new_links.pop(nonce, None) if isinstance(nonce, str) else None
    return page(request, "agency_detail.html", admin=True, agency=agency, year=year, history=[submission_view(s) for s in subs],
                has_link=agency.code in linked, new_link=new_link if new_link and new_link.get("code") == agency.code else None)


async def _submission(request: Request):
    w = ws(request)
    try:
        sid = int(request.path_params["sid"])
    except ValueError:
        return None
    year = await run(w.current_year)
    subs = await run(w.submissions, year)
    return next((s for s in subs if s.id == sid), None)


@clerk_only
async def submission(request: Request) -> Response:
    sub = await _submission(request)
    if sub is None:
        return not_found()
    w = ws(request)
    result = await run(w.result, sub.id)
    agency = await run(w.agency, sub.agency_code, sub.year)
    return page(request, "submission.html", admin=True, sub=submission_view(sub), agency=agency,
                view=result_view(result, w.form(sub.year)), actions=REVIEW_ACTIONS)


@clerk_only
async def submission_file(request: Request) -> Response:
    sub = await _submission(request)
    if sub is None:
        return not_found()
    return download(sub.filename, await run(ws(request).file_bytes, sub.id))


@clerk_only
async def submission_annotated(request: Request) -> Response:
    sub = await _submission(request)
    if sub is None:
        return not_found()
    return await annotated_download(request, sub)


@clerk_only
async def review(request: Request) -> Response:
    form = await posted_form(request)
    if form is None:
        return forbidden()
    sub = await _submission(request)
    if sub is None:
        return not_found()
    decision = str(form.get("decision", ""))
    comment = str(form.get("comment", "")).strip()[:2000]
    if decision not in REVIEW_ACTIONS:
        return message(request, "无法处理", "未知的审核操作。", 400, back=f"/admin/s/{sub.id}")
    if decision == "return" and not comment:
        return message(request, "请填写退回意见", "退回时请写明需要单位修改的内容，单位会在填报页面看到。", 400, back=f"/admin/s/{sub.id}")
    try:
        await run(ws(request).review, sub.id, decision, comment, actor="clerk")
    except XlflowError as exc:  # WorkspaceError: a Chinese sentence (e.g. reviewing a superseded return)
        return message(request, "无法处理", str(exc), 409, back=f"/admin/s/{sub.id}")
    request.session["flash"] = f"已{REVIEW_ACTIONS[decision]}：{sub.filename}"
    return RedirectResponse(f"/admin/agency/{sub.agency_code}", status_code=303)


routes = [
    Route("/login", login_page),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/admin", dashboard),
    Route("/admin/table", dashboard_table),
    Route("/admin/agency/{code}", agency_detail),
    Route("/admin/s/{sid}", submission),
    Route("/admin/s/{sid}/file", submission_file),
    Route("/admin/s/{sid}/annotated", submission_annotated),
    Route("/admin/s/{sid}/review", review, methods=["POST"]),
]
