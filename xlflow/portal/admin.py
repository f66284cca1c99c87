"""The clerk's tools beside the dashboard: downloads (催报 list, summary, county report draft),
the deadline, the roster, the agencies' links and the audit log."""

from __future__ import annotations

import secrets
import tempfile
from datetime import date
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..errors import XlflowError
from .clerk import clerk_only
from .pages import download, forbidden, message, not_found, page, posted_form, run, ws
from .presenter import when

EXPORTS = {
    "chase.xlsx": ("chase", "催报名单"),
    "chase.csv": ("chase", "催报名单"),
    "summary.xlsx": ("merge", "汇总"),
    "report.docx": ("report", "年度报告草稿"),
}


def _export(w, kind: str, suffix: str, accepted_only: bool) -> bytes:
    with tempfile.TemporaryDirectory(prefix="xlflow-portal-") as tmp:
        out = Path(tmp) / f"out{suffix}"
        if kind == "merge":
            w.merge(out, accepted_only=accepted_only)
        else:
            getattr(w, kind)(out)
        return out.read_bytes()


@clerk_only
async def export(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in EXPORTS:
        return not_found()
    kind, title = EXPORTS[name]
    accepted = request.query_params.get("accepted") == "1"
    w = ws(request)
    try:
        data = await run(_export, w, kind, Path(name).suffix, accepted)
    except XlflowError as exc:
        return message(request, "无法导出", str(exc), 409, back="/admin")
    year = w.current_year()
    label = f"{title}（仅已确认）" if accepted else title
    return download(f"{w.unit_name}{year}年{label}{Path(name).suffix}", data)


@clerk_only
async def set_deadline(request: Request) -> Response:
    form = await posted_form(request)
    if form is None:
        return forbidden()
    try:
        due = date.fromisoformat(str(form.get("deadline", "")))
    except ValueError:
        return message(request, "日期无效", "请按 2025-01-31 的格式填写截止日期。", 400, back="/admin")
    await run(ws(request).set_deadline, due, actor="clerk")
    request.session["flash"] = f"截止日期已设为 {due.isoformat()}"
    return RedirectResponse("/admin", status_code=303)


@clerk_only
async def roster(request: Request) -> Response:
    w = ws(request)
    year = await run(w.current_year)
    agencies = await run(w.roster, year)
    return page(request, "roster.html", admin=True, year=year, agencies=agencies)


@clerk_only
async def roster_change(request: Request) -> Response:
    form = await posted_form(request)
    if form is None:
        return forbidden()
    op = request.path_params["op"]
    w = ws(request)
    code = str(form.get("code", "")).strip()
    name = str(form.get("name", "")).strip()
    try:
        if op == "add":
            if not code or not name:
                return message(request, "请填写完整", "新增单位需要单位代码和单位名称。", 400, back="/admin/roster")
            await run(w.roster_add, code, name, group=str(form.get("group", "")).strip(), actor="clerk")
            done = f"已新增单位：{code} {name}"
        elif op == "rename":
            await run(w.roster_rename, code, name, actor="clerk")
            done = f"已更名：{code} → {name}"
        elif op == "remove":
            await run(w.roster_remove, code, actor="clerk")
            done = f"已从名单中移除：{code}"
        else:
            return not_found()
    except XlflowError as exc:
        return message(request, "未能修改名单", str(exc), 409, back="/admin/roster")
    request.session["flash"] = done
    return RedirectResponse("/admin/roster", status_code=303)


@clerk_only
async def link_change(request: Request) -> Response:
    form = await posted_form(request)
    if form is None:
        return forbidden()
    op, code = request.path_params["op"], request.path_params["code"]
    w = ws(request)
    year = await run(w.current_year)
    agency = await run(w.agency, code, year)
    if agency is None or op not in ("revoke", "reissue"):
        return not_found()
    if op == "revoke":
        await run(w.revoke_link, code, year, actor="clerk")
        request.session["flash"] = f"已作废 {agency.name} 的填报链接。"
    else:
        tokens = await run(w.issue_links, year, [code], actor="clerk")
        url = str(request.base_url).rstrip("/") + f"/a/{tokens[code]}"
        # Shown once on the next page (only the hash is stored): kept in server memory, never in the cookie.
        nonce = secrets.token_urlsafe(16)
        request.app.state.new_links[nonce] = {"code": code, "url": url}
        request.session["new_link"] = nonce
        request.session["flash"] = f"已为 {agency.name} 重新生成填报链接，旧链接已失效。"
    return RedirectResponse(f"/admin/agency/{code}", status_code=303)


@clerk_only
async def audit_log(request: Request) -> Response:
    w = ws(request)
    entries = await run(w.log, None, 500)
    rows = [{"at": when(e.at), "actor": e.actor, "action": e.action, "agency": e.agency_code or "", "detail": e.detail}
            for e in reversed(entries)]
    return page(request, "log.html", admin=True, rows=rows)


routes = [
    Route("/admin/export/{name}", export),
    Route("/admin/deadline", set_deadline, methods=["POST"]),
    Route("/admin/roster", roster),
    Route("/admin/roster/{op}", roster_change, methods=["POST"]),
    Route("/admin/links/{code}/{op}", link_change, methods=["POST"]),
    Route("/admin/log", audit_log),
]
