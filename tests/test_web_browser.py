"""The workbench in a real browser: Debian's Chromium driven by Playwright against the app served
on loopback by the test. An accountant logs in, filters the queue, opens a suspense payment's case
and assigns it to a ПД; the reclassification entry is posted; she undoes it and splits the payment
across two ПД with the split form (more rows asked for by its link: the page has no script). A
write-off above the limit waits until a senior accountant approves it, and so does a refund to the
payer. A viewer sees no actions and is refused one; a form without its CSRF token is refused. Skips
without Chromium, fails under CI."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from sql.ledger_queries import check_ledger
from tests.webutil import PASSWORD, Night, generated_night

CHROMIUM = os.environ.get("RKC_CHROMIUM", "/usr/bin/chromium")
# Headless, no sandbox (root in a container), and nothing that talks to the network by itself.
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability"]  # fmt: skip


def _need_chromium() -> None:
    if shutil.which(CHROMIUM) is None:
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def night(harness: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Night]:
    _need_chromium()
    yield from generated_night(tmp_path_factory.mktemp("browser"), "sqlite")


@pytest.fixture(scope="module")
def base_url(night: Night) -> Iterator[str]:
    """The workbench served by uvicorn in a thread on a free loopback port (plain HTTP; Chromium keeps
    Secure cookies for loopback addresses, so the configuration is the production one)."""
    import uvicorn

    from rkc.web.app import create_app

    # Every write-off and every refund waits for a senior: the limits are 0,00.
    config = dataclasses.replace(night.config, workbench=dataclasses.replace(night.config.workbench, write_off_limit=0,
                                                                             refund_limit=0))  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(config, night.engine), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(base_url: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def _login(browser, base_url: str, login: str):  # type: ignore[no-untyped-def]
    page = browser.new_context(locale="ru-RU").new_page()
    page.goto(base_url + "/cases")
    assert page.url == base_url + "/login"  # no session: the login page
    page.fill("input[name=username]", login)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == base_url + "/", page.content()
    return page


def test_accountant_assigns_suspense_to_a_document_then_splits_it(night: Night, browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page = _login(browser, base_url, "petrova")
    assert "Сводка ночи" in page.inner_text("h1")
    page.click("text=Очередь случаев")
    page.select_option("select[name=code]", "UNKNOWN_ACCOUNT")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r".*code=UNKNOWN_ACCOUNT.*"))
    codes = page.locator("table.queue tr td:nth-child(2)").all_inner_texts()
    assert codes and set(codes) == {"Не найден ПД / лицевой счёт"}, page.url + page.inner_text("main")[:3000]
    page.locator("table.queue tr td:first-child a").first.click()
    case_id = int(page.url.rsplit("/", 1)[1])
    assert "открыт" in page.inner_text("#status")
    page.fill("form[action$='/assign'] input[name=target]", night.known_account)
    with page.expect_navigation():
        page.click("form[action$='/assign'] button[type=submit]")
    assert page.inner_text("#status") == "решён"
    resolution = page.inner_text("#resolution")
    entry = int(re.search(r"проводка (\d+)", resolution).group(1))
    with night.engine.connect() as conn:
        kind = conn.execute(sa.text("SELECT kind FROM ledger_entry WHERE id = :e"), {"e": entry}).scalar()
        who = conn.execute(sa.text("SELECT resolved_by FROM resolution WHERE entry_id = :e"), {"e": entry}).scalar()
        audit = conn.execute(sa.text("SELECT actor FROM audit_log WHERE subject = :s AND action = 'case_assign'"),
                             {"s": f"case:{case_id}"}).scalar()  # fmt: skip
        assert check_ledger(conn) == []
    assert (kind, who, audit) == ("reclass", "petrova", "petrova")
    # A form posted without its CSRF token is refused, even with the session cookie.
    other = page.request.post(f"{base_url}/cases/{case_id}/comment", form={"text": "без токена"})
    assert other.status == 403
    _undo_then_split(night, page, base_url, case_id)
    page.context.close()


def _undo_then_split(night: Night, page, base_url: str, case_id: int) -> None:  # type: ignore[no-untyped-def]
    """The assignment undone from the case page, then the payment split across two ПД through the
    split form, with more rows asked for by its link (the page has no script)."""
    page.fill("form[action$='/undo'] input[name=reason]", "плательщик оплатил две квартиры")
    with page.expect_navigation():
        page.click("form[action$='/undo'] button[type=submit]")
    assert page.inner_text("#status") == "в работе"
    with night.engine.connect() as conn:
        payment = conn.execute(sa.text("SELECT payment_id FROM work_case WHERE id = :i"), {"i": case_id}).scalar()
        held = -conn.execute(sa.text("SELECT SUM(p.amount) FROM ledger_posting p JOIN ledger_entry e ON"
                                     " e.id = p.entry_id WHERE e.payment_id = :p AND p.account = 'suspense'"),
                             {"p": payment}).scalar()  # fmt: skip
        account, uip = conn.execute(sa.text("SELECT account, MIN(uip) FROM payment_document GROUP BY account"
                                            " HAVING COUNT(*) = 1 ORDER BY account")).first()  # fmt: skip
        other = conn.execute(sa.text("SELECT MIN(uip) FROM payment_document WHERE account <> :a"),
                             {"a": account}).scalar()  # fmt: skip
    assert page.locator("form.split input[name=amount]").count() == 3
    page.click("form.split a")  # «ещё строки»: the page again with more rows
    rows = page.locator("form.split div.part")
    assert rows.count() == 5
    first = held // 4
    for row, (target, amount) in enumerate(((account, first), (other, held - first))):
        rows.nth(row).locator("input[name=target]").fill(target)
        rows.nth(row).locator("input[name=amount]").fill(f"{amount // 100},{amount % 100:02d}")
    with page.expect_navigation():
        page.click("form.split button[type=submit]")
    assert page.inner_text("#status") == "решён", page.inner_text("main")[:2000]
    resolution = page.inner_text("#resolution")
    assert resolution.startswith("разделён между ПД") and uip in resolution and other in resolution
    with night.engine.connect() as conn:
        parts = conn.execute(sa.text("SELECT target_uip, amount FROM resolution WHERE payment_id = :p ORDER BY id"),
                             {"p": payment}).all()  # fmt: skip
        assert check_ledger(conn) == []
    assert [tuple(p) for p in parts] == [(uip, first), (other, held - first)]


def test_write_off_above_the_limit_waits_for_a_senior(night: Night, browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    with night.engine.connect() as conn:
        case_id = conn.execute(sa.text("SELECT MAX(id) FROM work_case WHERE code = 'UNKNOWN_ACCOUNT'"
                                       " AND status = 'open' AND payment_id IS NOT NULL")).scalar()  # fmt: skip
    page = _login(browser, base_url, "petrova")
    page.goto(f"{base_url}/cases/{case_id}")
    page.fill("form[action$='/write_off'] input[name=reason]", "плательщик не найден")
    with page.expect_navigation():
        page.click("form[action$='/write_off'] button[type=submit]")
    assert page.inner_text("#status") == "в работе"
    assert "ждёт утверждения" in page.inner_text("table.write-offs")
    assert page.locator("form[action$='/approve']").count() == 0  # not for the one who asked
    request_id = int(page.inner_text("table.write-offs tr:nth-child(2) td:first-child"))
    csrf = page.locator("header input[name=csrf_token]").get_attribute("value")
    own = page.request.post(f"{base_url}/write-offs/{request_id}/approve", form={"csrf_token": csrf})
    assert own.status == 403 and "только старший" in own.text()
    with night.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM ledger_entry WHERE kind = 'write_off'")).scalar() == 0
    page.context.close()

    senior = _login(browser, base_url, "smirnov")
    senior.click("header a[href='/write-offs']")
    senior.click(f"table.write-offs a[href='/cases/{case_id}']")
    with senior.expect_navigation():
        senior.click("form[action$='/approve'] button[type=submit]")
    assert senior.inner_text("#status") == "решён"
    resolution = senior.inner_text("#resolution")
    assert "утвердил smirnov" in resolution
    entry = int(re.search(r"проводка (\d+)", resolution).group(1))
    with night.engine.connect() as conn:
        kind = conn.execute(sa.text("SELECT kind FROM ledger_entry WHERE id = :e"), {"e": entry}).scalar()
        assert check_ledger(conn) == []
    assert kind == "write_off"
    senior.context.close()


def test_viewer_sees_no_actions_and_is_refused(night: Night, browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page = _login(browser, base_url, "audit")
    page.goto(base_url + "/cases")
    page.locator("table.queue tr td:first-child a").first.click()
    assert page.locator("form[action$='/take']").count() == 0
    csrf = page.locator("header input[name=csrf_token]").get_attribute("value")
    case_id = page.url.rsplit("/", 1)[1]
    answer = page.request.post(f"{base_url}/cases/{case_id}/take", form={"csrf_token": csrf})
    assert answer.status == 403 and "Недостаточно прав" in answer.text()
    page.context.close()


def test_refund_above_the_limit_is_approved_by_a_senior(night: Night, browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    from tests.payoututil import BIC
    from tests.refundutil import payer_account

    with night.engine.connect() as conn:
        case_id = conn.execute(sa.text("SELECT MIN(c.id) FROM work_case c JOIN payment p ON p.id = c.payment_id"
                                       " WHERE c.status = 'open' AND p.matched_uip IS NOT NULL")).scalar()  # fmt: skip
    assert case_id is not None, "the generated night has an open case of a payment split to its suppliers"
    page = _login(browser, base_url, "petrova")
    page.goto(f"{base_url}/cases/{case_id}")
    form = "form[action$='/refund']"
    page.fill(f"{form} input[name=name]", "Иванов Иван Иванович")
    page.fill(f"{form} input[name=account]", payer_account(5))
    page.fill(f"{form} input[name=bic]", BIC)
    page.fill(f"{form} input[name=reason]", "оплачено не тому РКЦ")
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    assert page.inner_text("#status") == "в работе"
    assert "ждёт утверждения" in page.inner_text("table.refunds")
    assert page.locator("form[action^='/refunds/'][action$='/approve']").count() == 0  # not for the one who asked
    page.context.close()

    senior = _login(browser, base_url, "smirnov")
    senior.click("header a[href='/write-offs']")
    with senior.expect_navigation():
        senior.click("table.refunds form[action$='/approve'] button[type=submit]")
    assert senior.url == f"{base_url}/cases/{case_id}"
    assert senior.inner_text("#status") == "решён"  # the whole payment went back (no amount: all of it)
    assert "утвердил smirnov" in senior.inner_text("#resolution")
    with night.engine.connect() as conn:
        kinds = conn.execute(sa.text("SELECT e.kind FROM ledger_entry e JOIN refund r ON r.entry_id = e.id"
                                     " WHERE r.case_id = :c"), {"c": case_id}).scalars().all()  # fmt: skip
        assert check_ledger(conn) == []
    assert kinds == ["refund"]
    senior.context.close()
