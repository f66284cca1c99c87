"""The agency's pages, reached only through its private link /a/<token>: its status, its
template, the upload, the findings of each upload and its history. Every lookup is scoped to
the agency of the link; anything else is the same 404 as a bad link."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..export import file_entry
from .pages import annotated_download, download, forbidden, message, not_found, page, posted_form, run, today, ws
from .presenter import result_view, submission_view, verdict
from .security import SPREADSHEET_SUFFIXES, csrf_ok, plausible_token, safe_filename, suffix_of
from .words import REVIEW_ZH, VERDICT_ZH, days_left_words


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


async def _agency(request: Request, upload: bool = False):
    """(year, agency) of the link, or a response to return instead (404 / 429)."""
    token = request.path_params["token"]
    state = request.app.state
    client = request.client.host if request.client else "?"
    if not plausible_token(token):
        return None, _limited(state.bad_links.hit(client)) or not_found()
    key = _key(token)
    wait = state.link_requests.hit(key)  # a wait of 0.0 s is still a refusal: test for None
    if wait is None and upload:
        wait = state.link_uploads.hit(key)
    if wait is not None:
        return None, _too_many(request, wait)
    found = await run(ws(request).agency_for_token, token)
    if found is None:
        return None, _limited(state.bad_links.hit(client)) or not_found()
    return found, None


def _limited(wait):
    return None if wait is None else _too_many(None, wait)


def _too_many(request, wait: float) -> Response:
    text = f"操作太频繁，请 {int(wait) + 1} 秒后再试。"
    if request is not None and _wants_json(request):
        resp: Response = JSONResponse({"error": "rate-limited", "message": text}, status_code=429)
    else:
        resp = Response(text, status_code=429, media_type="text/plain; charset=utf-8")
    resp.headers["retry-after"] = str(int(wait) + 1)
    return resp


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _base(request: Request) -> str:
    return f"/a/{request.path_params['token']}"


async def home(request: Request) -> Response:
    found, refusal = await _agency(request)
    if refusal:
        return refusal
    year, agency = found
    w = ws(request)
    deadline = await run(w.deadline, year)
    subs = await run(w.submissions, year, agency.code)
    can, reason = await run(w.can_upload, agency.code, year)
    current = next((s for s in subs if s.current), None)
    return page(request, "agency.html", agency=agency, year=year, base=_base(request), deadline=deadline,
                days_left=days_left_words(deadline, today()), current=submission_view(current) if current else None,
                history=[submission_view(s) for s in subs], can_upload=can, reason=reason,
                accept=",".join(SPREADSHEET_SUFFIXES), max_mb=request.app.state.settings.max_upload_bytes // (1024 * 1024))


async def template(request: Request) -> Response:
    found, refusal = await _agency(request)
    if refusal:
        return refusal
    year, agency = found
    name, data = await run(ws(request).template_bytes, agency.code, year)
    return download(name, data)


async def upload(request: Request) -> Response:
    found, refusal = await _agency(request, upload=True)
    if refusal:
        return refusal
    year, agency = found
    json_wanted = _wants_json(request)
    w = ws(request)
    if json_wanted:
        form = await request.form(max_files=1, max_fields=20)
        # A machine client has no session; a browser form must carry its token.
        if "csrf_token" in form and not csrf_ok(request.session, form.get("csrf_token")):
            return JSONResponse({"error": "csrf", "message": "表单令牌无效。"}, status_code=403)
    else:
        form = await posted_form(request)
        if form is None:
            return forbidden()
    try:
        file = form.get("file")
        if file is None or isinstance(file, str):
            return _refuse(request, json_wanted, "no-file", "没有收到文件：请选择填报好的报表文件后再上传。", 400)
        filename = safe_filename(file.filename)
        if suffix_of(filename) not in SPREADSHEET_SUFFIXES:
            return _refuse(request, json_wanted, "not-spreadsheet",
                           f"“{filename}”不是电子表格文件：只接受 {'、'.join(SPREADSHEET_SUFFIXES)} 文件（请上传县里下发的填报模板）。", 400)
        data = await file.read()
    finally:
        await form.close()
    if not data:
        return _refuse(request, json_wanted, "empty", f"“{filename}”是空文件，请重新选择。", 400)
    can, reason = await run(w.can_upload, agency.code, year)
    if not can:
        return _refuse(request, json_wanted, "locked", reason, 409)
    outcome = await run(w.add_bytes, data, filename, year=year, agency_code=agency.code,
                        actor=f"agency:{agency.code}", source="portal")
    if outcome.foreign:
        return _refuse(request, json_wanted, "other-agency-file", outcome.message, 409)
    if json_wanted:
        entry = file_entry(w.form(year), outcome.result)
        entry["path"] = filename  # the name as received, never a path on the server
        v = verdict(outcome.result.status, outcome.result.warnings)
        entry.update({"submission_id": outcome.submission_id, "duplicate": outcome.duplicate, "current": outcome.current,
                      "late": outcome.late, "message": outcome.message, "verdict": v, "verdict_text": VERDICT_ZH[v]})
        return JSONResponse(entry)
    request.session["flash"] = outcome.message
    return RedirectResponse(f"{_base(request)}/s/{outcome.submission_id}", status_code=303)


def _refuse(request: Request, json_wanted: bool, code: str, text: str, status: int) -> Response:
    if json_wanted:
        return JSONResponse({"error": code, "message": text}, status_code=status)
    return message(request, "未能上传", text, status, back=_base(request))


async def _own_submission(request: Request):
    """(year, agency, submission) of the URL when the link is good and the submission is this
    agency's (same year); else (None, response): the link's refusal or the one 404."""
    found, refusal = await _agency(request)
    if refusal:
        return None, refusal
    year, agency = found
    try:
        sid = int(request.path_params["sid"])
    except ValueError:
        return None, not_found()
    subs = await run(ws(request).submissions, year, agency.code)
    sub = next((s for s in subs if s.id == sid and s.agency_code == agency.code), None)
    return ((year, agency, sub), None) if sub is not None else (None, not_found())


async def findings(request: Request) -> Response:
    own, refusal = await _own_submission(request)
    if refusal:
        return refusal
    year, agency, sub = own
    w = ws(request)
    result = await run(w.result, sub.id)
    return page(request, "findings.html", agency=agency, year=year, base=_base(request), sub=submission_view(sub),
                view=result_view(result, w.form(year)), review_words=REVIEW_ZH)


async def annotated(request: Request) -> Response:
    own, refusal = await _own_submission(request)
    if refusal:
        return refusal
    return await annotated_download(request, own[2])


routes = [
    Route("/a/{token}", home),
    Route("/a/{token}/template", template),
    Route("/a/{token}/upload", upload, methods=["POST"]),
    Route("/a/{token}/s/{sid}", findings),
    Route("/a/{token}/s/{sid}/annotated", annotated),
]
