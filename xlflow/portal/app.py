"""``create_app(workspace, settings)``: the Starlette application of ``xlflow serve``."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import admin, agency, clerk
from .pages import STATIC, not_found
from .security import BodyLimit, RateLimiter, SecurityHeaders
from .settings import Settings
from .words import too_large

SESSION_COOKIE = "xlflow_session"


async def _root(request: Request) -> Response:
    return RedirectResponse("/login", status_code=303)


def create_app(workspace, settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        if status == 404:
            return not_found()
        if status == 413:
            return PlainTextResponse(too_large(settings.max_upload_bytes), status_code=413, headers={"connection": "close"})
        if status == 405:
            return PlainTextResponse("不支持的请求方式。", status_code=405)
        return PlainTextResponse("请求无效。", status_code=status)

    app = Starlette(
        routes=[Route("/", _root), Mount("/static", StaticFiles(directory=STATIC), name="static"),
                *agency.routes, *clerk.routes, *admin.routes],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(BodyLimit, limit=settings.max_upload_bytes + 64 * 1024),  # multipart framing beyond the file itself
            Middleware(SessionMiddleware, secret_key=workspace.secret().hex(), session_cookie=SESSION_COOKIE,
                       max_age=settings.session_max_age, same_site="lax", https_only=settings.secure_cookies),
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.state.ws = workspace
    app.state.settings = settings
    app.state.link_requests = RateLimiter(settings.link_requests, settings.rate_window)
    app.state.link_uploads = RateLimiter(settings.link_uploads, settings.rate_window)
    app.state.bad_links = RateLimiter(settings.link_requests, settings.rate_window)
    app.state.login_failures = RateLimiter(settings.login_failures, 300.0)
    app.state.new_links = {}
    return app
