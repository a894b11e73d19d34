"""The workbench over HTTP on a generated night (SQLite and PostgreSQL): nothing without a session
but the login page, CSRF on every form, throttled logins, expired sessions, bad ids and filters,
a viewer refused, and the actions (take, comment, accept, assign to a ПД) with their audit rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from rkc.users import add_user
from sql.ledger_queries import check_ledger
from tests.webutil import PASSWORD, Night, client, csrf_of, generated_night, logged_in


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def night(harness: None, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Night]:
    yield from generated_night(tmp_path_factory.mktemp(f"web_{request.param}"), request.param)


def _one(night: Night, sql: str, **params: object):  # type: ignore[no-untyped-def]
    with night.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).first()


def _open_case(night: Night, code: str | None = None) -> int:
    where = "status = 'open'" + (" AND code = :c" if code else "")
    return int(_one(night, f"SELECT id FROM work_case WHERE {where} ORDER BY id", c=code)[0])


def test_the_night_made_cases(night: Night) -> None:
    """Every discrepancy of the night is one case or counted as informational: an under- or
    overpayment within the tolerance, and only those."""
    summary = json.loads(next((night.config.out).glob("*/run-summary.json")).read_text(encoding="utf-8"))
    cases = summary["cases"]
    assert cases["discrepancies"] == sum(summary["discrepancies"].values())
    assert cases["opened"] + cases["informational"] + cases["same_night"] == cases["discrepancies"]
    with night.engine.connect() as conn:
        small = conn.execute(sa.text(
            "SELECT COUNT(*) FROM discrepancy d JOIN payment p ON p.id = d.payment_id"
            " WHERE d.code IN ('UNDERPAYMENT', 'OVERPAYMENT')"
            " AND ABS(p.amount - (SELECT SUM(l.amount) FROM service_line l WHERE l.uip = p.matched_uip)) <= 15000"
        )).scalar()  # fmt: skip
        closed = conn.execute(sa.text("SELECT code, COUNT(*) FROM work_case WHERE status = 'informational'"
                                      " GROUP BY code")).all()  # fmt: skip
    assert 0 < small == cases["informational"] == sum(n for _, n in closed)
    assert {c for c, _ in closed} <= {"UNDERPAYMENT", "OVERPAYMENT"}


ANONYMOUS_GETS = [
    "/",
    "/audit",
    "/cases",
    "/cases/1",
    "/cases/abc",
    "/cases?age=x",
    "/no-such-page",
    "/?night=2026-99-99",
]


@pytest.mark.parametrize("path", ANONYMOUS_GETS)
def test_nothing_but_login_without_session(night: Night, path: str) -> None:
    answer = client(night).get(path)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


@pytest.mark.parametrize("action", ["take", "comment", "assign", "accept"])
def test_actions_refused_without_session(night: Night, action: str) -> None:
    case = _open_case(night)
    answer = client(night).post(f"/cases/{case}/{action}", data={"csrf_token": "x", "text": "t", "reason": "r"})
    assert answer.status_code == 401
    assert _one(night, "SELECT status FROM work_case WHERE id = :i", i=case)[0] == "open"


def test_login_page_and_its_csrf(night: Night) -> None:
    c = client(night)
    page = c.get("/login")
    assert page.status_code == 200
    for field in ('name="username"', 'name="password"', 'name="csrf_token"'):
        assert field in page.text
    assert "HttpOnly" in page.headers["set-cookie"] and "Secure" in page.headers["set-cookie"]
    missing = c.post("/login", data={"username": "petrova", "password": PASSWORD})
    assert missing.status_code == 403
    wrong = c.post("/login", data={"username": "petrova", "password": PASSWORD, "csrf_token": "forged"})
    assert wrong.status_code == 403
    ok = c.post("/login", data={"username": "petrova", "password": PASSWORD, "csrf_token": csrf_of(page.text)})
    assert ok.status_code == 303
    cookie = ok.headers["set-cookie"]
    assert "rkc_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie and "Max-Age=" in cookie
    assert c.get("/cases").status_code == 200


def test_login_throttled(night: Night) -> None:
    from fastapi.testclient import TestClient

    from rkc.web.app import create_app

    add_user(night.engine, "throttled", "accountant", PASSWORD)
    c = TestClient(create_app(night.config, night.engine), base_url="https://testserver", follow_redirects=False,
                   client=("10.9.9.9", 5000))  # fmt: skip
    statuses = []
    for password in ["nope"] * night.config.workbench.login_failures + [PASSWORD]:
        token = csrf_of(c.get("/login").text)
        statuses.append(c.post("/login", data={"username": "throttled", "password": password, "csrf_token": token})
                        .status_code)  # fmt: skip
    assert statuses == [401] * night.config.workbench.login_failures + [429]
    assert "Слишком много" in c.post("/login", data={"username": "throttled", "password": PASSWORD,
                                                     "csrf_token": csrf_of(c.get("/login").text)}).text  # fmt: skip


def test_expired_session(night: Night) -> None:
    c = logged_in(night, "petrova")
    token = csrf_of(c.get("/cases").text)
    with night.engine.begin() as conn:
        conn.execute(sa.text("UPDATE app_session SET expires_at = :t WHERE csrf = :c"),
                     {"t": "2000-01-01 00:00:00", "c": token})  # fmt: skip
    assert c.get("/cases").headers.get("location") == "/login"
    case = _open_case(night)
    assert c.post(f"/cases/{case}/take", data={"csrf_token": token}).status_code == 401


BAD_INPUT = [
    ("get", "/cases/999999999", 404),
    ("get", "/cases/abc", 422),
    ("get", "/cases/0", 422),
    ("get", "/cases/99999999999999999999999", 422),
    ("get", "/cases?age=abc", 422),
    ("get", "/cases?age=-1", 422),
    ("get", "/cases?page=0", 422),
    ("get", "/cases?status=bogus", 422),
    ("get", "/cases?min_amount=сто", 422),
    ("get", "/cases?q=" + "x" * 101, 422),
    ("get", "/?night=2026-13-45", 422),
    ("get", "/no-such-page", 404),
    ("post", "/cases/999999999/take", 404),
    ("post", "/cases/abc/take", 422),
    ("post", "/cases/999999999/accept", 404),
]


@pytest.mark.parametrize(("method", "path", "status"), BAD_INPUT)
def test_bad_input(night: Night, method: str, path: str, status: int) -> None:
    c = logged_in(night, "petrova")
    token = csrf_of(c.get("/cases").text)
    answer = c.get(path) if method == "get" else c.post(path, data={"csrf_token": token, "reason": "r"})
    assert answer.status_code == status
    assert "Traceback" not in answer.text


@pytest.mark.parametrize("action", ["take", "comment", "accept"])
def test_csrf_required_on_actions(night: Night, action: str) -> None:
    c = logged_in(night, "petrova")
    case = _open_case(night)
    for data in ({"text": "t", "reason": "r"}, {"text": "t", "reason": "r", "csrf_token": "forged"}):
        assert c.post(f"/cases/{case}/{action}", data=data).status_code == 403
    assert _one(night, "SELECT status, owner FROM work_case WHERE id = :i", i=case) == ("open", None)


@pytest.mark.parametrize("action", ["take", "comment", "accept", "assign"])
def test_viewer_refused(night: Night, action: str) -> None:
    c = logged_in(night, "audit")
    case = _open_case(night, "UNKNOWN_ACCOUNT")
    page = c.get(f"/cases/{case}")
    assert page.status_code == 200 and "/take" not in page.text  # no action forms for a viewer
    before = _one(night, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'case_%'")[0]
    data = {"csrf_token": csrf_of(page.text), "text": "t", "reason": "r", "target": night.known_account}
    answer = c.post(f"/cases/{case}/{action}", data=data)
    assert answer.status_code == 403 and "Недостаточно прав" in answer.text
    assert _one(night, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'case_%'")[0] == before
    assert _one(night, "SELECT status FROM work_case WHERE id = :i", i=case)[0] == "open"


def test_summary_in_russian(night: Night) -> None:
    page = logged_in(night, "audit").get("/").text
    night_date = str(_one(night, "SELECT MAX(run_date) FROM register")[0])[:10]
    assert f"Сводка ночи {night_date[8:10]}.{night_date[5:7]}.{night_date[:4]}" in page
    assert "разнесён" in page and ">posted<" not in page
    total = _one(night, "SELECT SUM(amount_total) FROM register WHERE run_date = :d", d=night_date)[0]
    rub, kop = divmod(int(total), 100)
    assert f"{rub:,}".replace(",", "\u00a0") + f",{kop:02d}" in page  # 1 234,56 with a no-break space


def test_queue_filters_search_and_pages(night: Night) -> None:
    c = logged_in(night, "petrova")
    total = lambda html: int(html.split('<span id="total">')[1].split("<")[0])  # noqa: E731
    active = _one(night, "SELECT COUNT(*) FROM work_case WHERE status IN ('open', 'in_work')")[0]
    assert total(c.get("/cases").text) == active > 0
    unknown = _one(night, "SELECT COUNT(*) FROM work_case WHERE status IN ('open', 'in_work') AND code = :c",
                   c="UNKNOWN_ACCOUNT")[0]  # fmt: skip
    page = c.get("/cases", params={"code": "UNKNOWN_ACCOUNT"}).text
    assert total(page) == unknown > 0 and "Не найден ПД" in page
    op, pid, amount = _one(night, "SELECT operation_id, id, amount FROM work_case WHERE operation_id IS NOT NULL"
                                  " AND status = 'open' ORDER BY id")  # fmt: skip
    found = c.get("/cases", params={"q": op}).text
    assert f'href="/cases/{pid}"' in found
    uip, with_uip = _one(night, "SELECT uip, id FROM work_case WHERE uip IS NOT NULL AND status = 'open' ORDER BY id")
    by_uip = c.get("/cases", params={"q": uip}).text
    assert f'href="/cases/{with_uip}"' in by_uip and total(by_uip) >= 1
    payer, with_payer = _one(night, "SELECT payer, id FROM work_case WHERE payer IS NOT NULL AND status = 'open'"
                                    " ORDER BY id")  # fmt: skip
    assert f'href="/cases/{with_payer}"' in c.get("/cases", params={"q": payer.split()[0]}).text
    rub = f"{amount // 100},{amount % 100:02d}"
    exact = c.get("/cases", params={"min_amount": rub, "max_amount": rub}).text
    assert f'href="/cases/{pid}"' in exact
    assert total(exact) == _one(night, "SELECT COUNT(*) FROM work_case WHERE status IN ('open', 'in_work')"
                                       " AND amount = :a", a=amount)[0]  # fmt: skip
    informational = _one(night, "SELECT COUNT(*) FROM work_case WHERE status = 'informational'")[0]
    assert total(c.get("/cases", params={"status": "informational"}).text) == informational
    if active > 50:
        second = c.get("/cases", params={"page": 2}).text
        assert 'rel="prev"' in second and "Страница 2" in second


def test_take_comment_accept(night: Night) -> None:
    c = logged_in(night, "petrova")
    case = _open_case(night, "OVERPAYMENT")  # the night's two suspense payments are for the tests below
    token = csrf_of(c.get(f"/cases/{case}").text)
    assert c.post(f"/cases/{case}/take", data={"csrf_token": token}).status_code == 303
    assert _one(night, "SELECT status, owner FROM work_case WHERE id = :i", i=case) == ("in_work", "petrova")
    assert c.post(f"/cases/{case}/comment", data={"csrf_token": token, "text": "звонила агенту"}).status_code == 303
    assert c.post(f"/cases/{case}/accept", data={"csrf_token": token, "reason": " "}).status_code == 422
    assert (
        c.post(f"/cases/{case}/accept", data={"csrf_token": token, "reason": "возврат плательщику"}).status_code == 303
    )
    assert c.post(f"/cases/{case}/accept", data={"csrf_token": token, "reason": "ещё раз"}).status_code == 409
    page = c.get(f"/cases/{case}").text
    for text in ("звонила агенту", "возврат плательщику", "закрыт (принято)", "petrova"):
        assert text in page
    with night.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT action, actor, before, after FROM audit_log WHERE subject = :s"
                                    " ORDER BY id"), {"s": f"case:{case}"}).all()  # fmt: skip
    assert [r[0] for r in rows] == ["case_take", "case_comment", "case_accept"]
    assert json.loads(rows[2][2])["status"] == "in_work" and json.loads(rows[2][3])["status"] == "accepted"
    audit_page = logged_in(night, "audit").get("/audit", params={"subject": f"case:{case}"})
    assert audit_page.status_code == 200 and audit_page.text.count("<tr>") == 4  # a header and three rows
    assert "case_accept" in audit_page.text and "возврат плательщику" in audit_page.text
    assert logged_in(night, "audit").get("/audit", params={"subject": "x" * 65}).status_code == 422
    with night.engine.connect() as conn, pytest.raises(sa.exc.DBAPIError):
        conn.execute(sa.text("UPDATE audit_log SET actor = 'someone' WHERE subject = :s"), {"s": f"case:{case}"})


def test_assign_suspense_to_a_document(night: Night) -> None:
    c = logged_in(night, "smirnov")
    case = _open_case(night, "UNKNOWN_ACCOUNT")
    payment = _one(night, "SELECT payment_id FROM work_case WHERE id = :i", i=case)[0]
    token = csrf_of(c.get(f"/cases/{case}").text)
    refused = c.post(f"/cases/{case}/assign", data={"csrf_token": token, "target": "000000000000"})
    assert refused.status_code == 409 and "нет ПД" in refused.text
    assert _one(night, "SELECT COUNT(*) FROM resolution WHERE payment_id = :p", p=payment)[0] == 0
    done = c.post(f"/cases/{case}/assign", data={"csrf_token": token, "target": night.known_account})
    assert done.status_code == 303
    status, resolution = _one(night, "SELECT status, resolution FROM work_case WHERE id = :i", i=case)
    entry = _one(night, "SELECT entry_id, resolved_by FROM resolution WHERE payment_id = :p", p=payment)
    assert status == "resolved" and str(entry[0]) in resolution and entry[1] == "smirnov"
    assert _one(night, "SELECT kind FROM ledger_entry WHERE id = :e", e=entry[0])[0] == "reclass"
    with night.engine.connect() as conn:
        assert check_ledger(conn) == []
    assert f"проводка {entry[0]}" in c.get(f"/cases/{case}").text


def test_workbook_resolution_closes_its_case(night: Night) -> None:
    """A payment moved by the Excel round trip (the same use case) resolves its case at the next sync."""
    from datetime import timedelta

    from reports.resolutions import ResolutionRequest
    from rkc.cases import sync_cases
    from rkc.resolve import resolve_payment

    case = _open_case(night, "UNKNOWN_ACCOUNT")
    payment = _one(night, "SELECT payment_id FROM work_case WHERE id = :i", i=case)[0]
    night_date = _one(night, "SELECT MAX(run_date) FROM register")[0]
    with night.engine.begin() as conn:
        request = ResolutionRequest(payment, night.known_account, "Петрова А. А.", "book.xlsx", 2)
        assert resolve_payment(conn, request, "book.xlsx", night.config.today()) is None
    summary = sync_cases(night.config, night.engine, date.fromisoformat(str(night_date)[:10]) + timedelta(days=1))
    assert summary.resolved_by_workbook == 1
    status, resolution = _one(night, "SELECT status, resolution FROM work_case WHERE id = :i", i=case)
    assert status == "resolved" and "book.xlsx" in resolution and "Петрова А. А." in resolution
    assert _one(night, "SELECT actor FROM audit_log WHERE subject = :s", s=f"case:{case}")[0] == "night"
    assert sync_cases(night.config, night.engine, date.fromisoformat(str(night_date)[:10])).resolved_by_workbook == 0


def test_logout_ends_the_session(night: Night) -> None:
    c = logged_in(night, "petrova")
    token = csrf_of(c.get("/cases").text)
    assert c.post("/logout", data={}).status_code == 403
    assert c.post("/logout", data={"csrf_token": token}).status_code == 303
    assert c.get("/cases").headers.get("location") == "/login"


def test_users_cli(night: Night) -> None:
    from rkc.cli import app

    runner = CliRunner()
    env = {"RKC_DATABASE_URL": night.url}
    home = ["--home", str(night.config.home)]
    added = runner.invoke(app, [*home, "users", "add", "ivanova", "--role", "viewer", "--password-stdin"],
                          input=PASSWORD + "\n", env=env)  # fmt: skip
    assert added.exit_code == 0, added.output
    again = runner.invoke(app, [*home, "users", "add", "ivanova", "--role", "viewer", "--password-stdin"],
                          input=PASSWORD + "\n", env=env)  # fmt: skip
    assert again.exit_code == 2 and "exists" in again.output
    bad_role = runner.invoke(app, [*home, "users", "add", "x1", "--role", "admin", "--password-stdin"],
                             input=PASSWORD + "\n", env=env)  # fmt: skip
    assert bad_role.exit_code == 2
    short = runner.invoke(app, [*home, "users", "add", "x2", "--role", "viewer", "--password-stdin"],
                          input="short\n", env=env)  # fmt: skip
    assert short.exit_code == 2
    c = logged_in(night, "ivanova")
    assert runner.invoke(app, [*home, "users", "disable", "ivanova"], env=env).exit_code == 0
    assert c.get("/cases").headers.get("location") == "/login"  # sessions ended
    token = csrf_of(c.get("/login").text)
    assert c.post("/login", data={"username": "ivanova", "password": PASSWORD, "csrf_token": token}).status_code == 401
    assert _one(night, "SELECT role FROM app_user WHERE login = 'ivanova'")[0] == "viewer"
    assert "argon2" in _one(night, "SELECT password_hash FROM app_user WHERE login = 'ivanova'")[0]


def test_rkc_serve_answers_on_loopback(night: Night) -> None:
    """`rkc serve` as an operator starts it: the login page, and nothing else without a session."""
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RKC_DATABASE_URL": night.url}
    rkc = str(Path(sys.executable).parent / "rkc")  # the console script, as an operator runs it
    server = subprocess.Popen([rkc, "--home", str(night.config.home), "serve",
                               "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        base, deadline, login = f"http://127.0.0.1:{port}", time.monotonic() + 60, None
        while time.monotonic() < deadline and login is None:
            try:
                login = httpx.get(base + "/login")
            except httpx.ConnectError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                time.sleep(0.2)
        assert login is not None and login.status_code == 200 and 'name="csrf_token"' in login.text
        assert login.headers["content-security-policy"].startswith("default-src 'none'")
        queue = httpx.get(base + "/cases")
        assert queue.status_code == 303 and queue.headers["location"] == "/login"
    finally:
        server.terminate()
        server.wait(timeout=20)
