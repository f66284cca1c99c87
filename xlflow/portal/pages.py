"""What every route uses: the templates, the one 404, downloads, running workspace calls off
the event loop, and the CSRF check of a posted form."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .security import content_disposition, csrf_ok, csrf_token
from .words import NOT_FOUND_TEXT

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {
    ".xlsx": XLSX, ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12", ".xls": "application/vnd.ms-excel",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet", ".csv": "text/csv; charset=utf-8",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".md": "text/markdown; charset=utf-8", ".html": "text/html; charset=utf-8",
}


def ws(request: Request):
    return request.app.state.ws


def settings(request: Request):
    return request.app.state.settings


def today() -> date:
    return date.today()


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("csrf", csrf_token(request.session))
    context.setdefault("unit_name", request.app.state.ws.unit_name)
    flash = request.session.pop("flash", None)
    context.setdefault("flash", flash)
    html = env.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code)


NOT_FOUND_HTML = env.get_template("notfound.html").render(text=NOT_FOUND_TEXT)


def not_found() -> HTMLResponse:
    """The one answer to a bad, revoked or foreign link or id: same status, same bytes."""
    return HTMLResponse(NOT_FOUND_HTML, status_code=404)


def download(filename: str, data: bytes) -> Response:
    suffix = Path(filename).suffix.lower()
    return Response(data, media_type=MEDIA.get(suffix, "application/octet-stream"),
                    headers={"content-disposition": content_disposition(filename)})


async def annotated_download(request: Request, sub) -> Response:
    """The annotated copy of submission ``sub`` (made under the workers' limits), or the 404."""
    data = await run(ws(request).annotated_bytes, sub.id)
    if data is None:
        return not_found()
    stem, _, suffix = sub.filename.rpartition(".")
    return download(f"{stem or sub.filename}_校验标注.{suffix or 'xlsx'}", data)


async def run(fn, *args, **kwargs):
    """A workspace call (database, worker pool, files) in a thread, off the event loop."""
    return await run_in_threadpool(fn, *args, **kwargs)


async def posted_form(request: Request):
    """The posted form when its CSRF token is right, else None (the route answers 403)."""
    form = await request.form(max_files=1, max_fields=20)
    if not csrf_ok(request.session, form.get("csrf_token")):
        await form.close()
        return None
    return form


def forbidden() -> HTMLResponse:
    return HTMLResponse(env.get_template("message.html").render(title="请求无效", text="表单已过期或来源不明，请返回上一页刷新后重试。"),
                        status_code=403)


def message(request: Request, title: str, text: str, status_code: int, back: str | None = None) -> HTMLResponse:
    return page(request, "message.html", status_code=status_code, title=title, text=text, back=back)
