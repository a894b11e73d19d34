"""The workbench's ASGI application: login, the night's summary, and (``rkc.web.cases``) the queue
and the case pages. Built at run time from a config and an engine (``create_app``)."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from domain.cases import EVENT_RU, STATUS_RU
from domain.codes import TITLES_RU, Code
from domain.money import format_ru
from domain.refunds import REFUND_STATUS_RU
from domain.roles import ROLE_RU, may_act
from domain.statuses import RegisterStatus
from domain.writeoff import WRITE_OFF_STATUS_RU
from rkc.config import Config
from rkc.summary import bridge_lines, discrepancy_counts
from rkc.users import LoginRefused, log_in, log_out
from rkc.web import cases, refunds, resolutions, runs, suppliers, write_offs
from rkc.web.security import (
    HEADERS,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    BadCsrf,
    NotLoggedIn,
    check_csrf,
    current_user,
    page,
    set_cookie,
)
from sql import cases as store
from sql.registers import night_registers
from sql.users import audit_rows

TEMPLATES = Path(__file__).parent / "templates"


def _date_ru(value: object) -> str:
    if value is None or value == "":
        return ""
    text = str(value)[:10]
    return f"{text[8:10]}.{text[5:7]}.{text[0:4]}"


# A register's status (``register.status``) as the summary shows it.
REGISTER_STATUS_RU = {RegisterStatus.RECEIVED: "получен", RegisterStatus.POSTED: "разнесён",
                      RegisterStatus.QUARANTINED: "в карантине", RegisterStatus.BAD_FILE: "нечитаемый",
                      RegisterStatus.DUPLICATE: "повторный"}  # fmt: skip


def _code_ru(code: str) -> str:
    return TITLES_RU.get(Code(code), code) if code in Code.__members__ else code


def templates() -> Jinja2Templates:
    """The pages' templates with the Russian formats: ``money`` (``1 234,56``), ``ddmmyyyy``."""
    t = Jinja2Templates(directory=str(TEMPLATES))
    t.env.filters["money"] = lambda v: "" if v is None else format_ru(int(v))
    t.env.filters["ddmmyyyy"] = _date_ru
    t.env.filters["code_ru"] = _code_ru
    t.env.filters["register_status_ru"] = lambda v: REGISTER_STATUS_RU.get(v, v)
    t.env.globals.update(STATUS_RU=STATUS_RU, EVENT_RU=EVENT_RU, ROLE_RU=ROLE_RU, may_act=may_act,
                         WRITE_OFF_STATUS_RU=WRITE_OFF_STATUS_RU, REFUND_STATUS_RU=REFUND_STATUS_RU)  # fmt: skip
    return t


def create_app(config: Config, engine: Engine) -> FastAPI:
    """The workbench over ``engine`` (migrated) with ``config``'s settings."""
    app = FastAPI(title="rkc: рабочее место бухгалтера", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config, app.state.engine, app.state.templates = config, engine, templates()
    app.include_router(cases.router)
    app.include_router(write_offs.router)
    app.include_router(refunds.router)
    app.include_router(resolutions.router)
    app.include_router(runs.router)
    app.include_router(suppliers.router)

    @app.middleware("http")
    async def headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.update(HEADERS)
        return response

    def anonymous(request: Request) -> Response | None:
        # Without a live session the answer is the way to the login page, whatever was asked.
        try:
            current_user(request)
        except NotLoggedIn:
            if request.method == "GET":
                return RedirectResponse("/login", status_code=303)
            return page(request, "error.html", {"message": "Сессия истекла или не начата: войдите снова."}, 401)
        return None

    @app.exception_handler(NotLoggedIn)
    async def to_login(request: Request, exc: NotLoggedIn) -> Response:
        return anonymous(request) or RedirectResponse("/login", status_code=303)

    @app.exception_handler(BadCsrf)
    async def bad_csrf(request: Request, exc: BadCsrf) -> Response:
        return page(request, "error.html", {"message": "Форма устарела или пришла не со страницы (CSRF). "
                                                       "Обновите страницу и повторите."}, 403)  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, exc: RequestValidationError) -> Response:
        return anonymous(request) or page(
            request, "error.html", {"message": "Неверный запрос: проверьте адрес и поля формы."}, 422
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = "Страница не найдена." if exc.status_code == 404 else f"Ошибка {exc.status_code}."
        return anonymous(request) or page(request, "error.html", {"message": message}, exc.status_code)

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/login")
    def login_form(request: Request) -> Response:
        # The browser's token is kept while it lives: a second login page (another tab, a request
        # the browser makes by itself that ends here) must not invalidate the form already shown.
        token = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
        token = token if len(token) == 43 and token.replace("-", "").replace("_", "").isalnum() else ""
        token = token or secrets.token_urlsafe(32)
        response = page(request, "login.html", {"csrf_token": token})
        set_cookie(response, request, LOGIN_CSRF_COOKIE, token, 3600)
        return response

    @app.post("/login")
    def login(request: Request, username: str = Form(""), password: str = Form(""),
              csrf_token: str = Form("")) -> Response:  # fmt: skip
        check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE) or "", csrf_token)
        address = request.client.host if request.client else "unknown"
        try:
            token, _ = log_in(engine, config.workbench, username.strip(), password, address)
        except LoginRefused as exc:
            fresh = secrets.token_urlsafe(32)
            response = page(request, "login.html", {"csrf_token": fresh, "error": str(exc)},
                            429 if exc.throttled else 401)  # fmt: skip
            set_cookie(response, request, LOGIN_CSRF_COOKIE, fresh, 3600)
            return response
        response = RedirectResponse("/", status_code=303)
        set_cookie(response, request, SESSION_COOKIE, token, config.workbench.session_minutes * 60)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    @app.post("/logout")
    def logout(request: Request, csrf_token: str = Form("")) -> Response:
        user = current_user(request)
        check_csrf(user.csrf, csrf_token)
        log_out(engine, request.cookies[SESSION_COOKIE], user.login)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/")
    def summary(request: Request, night: date | None = None) -> Response:
        user = current_user(request)
        with engine.connect() as conn:
            night = night or store.latest_night(conn)
            registers = night_registers(conn, night) if night else []
            counts = store.status_counts(conn)
        discrepancies = discrepancy_counts(engine, night) if night else {}
        return page(request, "summary.html", {"user": user, "night": night, "bridge": bridge_lines(registers),
                                              "discrepancies": discrepancies, "statuses": counts})  # fmt: skip

    @app.get("/audit")
    def audit_page(request: Request, subject: Annotated[str, Query(max_length=64)] = "") -> Response:
        user = current_user(request)
        with engine.connect() as conn:
            rows = audit_rows(conn, subject or None)
        return page(request, "audit.html", {"user": user, "rows": rows, "subject": subject})

    return app
