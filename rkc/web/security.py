"""Sessions, CSRF, response headers and page rendering of the workbench: what every request passes through."""

from __future__ import annotations

import secrets

from fastapi import Request
from starlette.responses import Response

from rkc.users import SessionUser, session_of

SESSION_COOKIE = "rkc_session"
LOGIN_CSRF_COOKIE = "rkc_login_csrf"
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'",  # no script at all; the pages' only style is inline
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class NotLoggedIn(Exception):
    """The request has no live session."""


class BadCsrf(Exception):
    """A form came without its CSRF token, or with another."""


def current_user(request: Request) -> SessionUser:
    """The request's user, from its session cookie; ``NotLoggedIn`` without a live session."""
    token = request.cookies.get(SESSION_COOKIE)
    user = session_of(request.app.state.engine, token) if token else None
    if user is None:
        raise NotLoggedIn
    return user


def check_csrf(expected: str, given: object) -> None:
    """Refuse a form whose ``csrf_token`` is missing or not the session's."""
    if not isinstance(given, str) or not given or not secrets.compare_digest(expected.encode(), given.encode()):
        raise BadCsrf


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    """A Secure (unless configured off for plain-HTTP loopback), HTTP-only, same-site strict cookie."""
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=request.app.state.config.workbench.secure_cookies, path="/")  # fmt: skip


def page(request: Request, name: str, context: dict, status: int = 200) -> Response:
    """Render a page of the workbench."""
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status)
