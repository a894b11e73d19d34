"""Delivery of supplier statements through the outbox against real servers on loopback (aiosmtpd
with STARTTLS and AUTH, asyncssh's SFTP server): a letter in Russian with Russian attachment names,
sent once, retried after a «try later», re-sent only on purpose; the delivery report lists it all."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import trustme
from openpyxl import load_workbook

from domain.records import Supplier
from reports.act import Party
from rkc.deliver import deliver, utcnow
from rkc.statements import write_acts, write_statements
from sql.charges import upsert_suppliers
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import new_register, payment_frame, split_frame
from tests.servers_sftp import sftp_server
from tests.servers_smtp import SmtpServer, smtp_server
from tests.transportutil import make_home

A, B, C = "7707083893", "500100732259", "7728168971"
PERIOD = "2026-03"


def statements(engine: sa.Engine, out: Path) -> None:
    """A March ledger: A (two addresses) and B (by SFTP) and C (no address) are paid; their statements written."""
    with UnitOfWork(engine) as uow:
        upsert_suppliers(uow.conn, [Supplier(A, "УК «Ромашка»", email="buh@romashka.example; dir@romashka.example"),
                                    Supplier(B, "ООО «Водоканал»", email="vk@vodokanal.example"),
                                    Supplier(C, "ТСЖ «Берёзка»")])  # fmt: skip
        march = payment_frame([{"operation_id": "1", "amount": 150000, "paid_date": "2026-03-15"},
                               {"operation_id": "2", "amount": 30000, "paid_date": "2026-03-16"}])  # fmt: skip
        post_payments(uow.conn, new_register(uow.conn), march,
                      split_frame([(0, A, "ЖКУ", 100000), (0, B, "ХВС", 50000), (1, C, "ЖКУ", 30000)]))  # fmt: skip
        uow.commit()
    write_statements(engine, PERIOD, out)


@pytest.fixture
def mail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with smtp_server(tmp_path / "smtp", trustme.CA()) as running:
        monkeypatch.setenv("RKC_SMTP_USER", running.user)
        monkeypatch.setenv("RKC_SMTP_PASSWORD", running.password)
        yield running


def smtp_settings(server: SmtpServer) -> dict:
    return {"host": server.host, "port": server.port, "sender": "rkc@rkc.example", "sender_name": "РКЦ Ипатово",
            "ca_file": str(server.ca_file)}  # fmt: skip


def outbox_rows(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT supplier_inn, transport, status, attempts, generation FROM outbox"
                                    " ORDER BY supplier_inn, generation")).all()  # fmt: skip


def test_statements_are_mailed_once_in_russian_with_russian_attachment_names(
    mail: SmtpServer, tmp_path: Path, engine: sa.Engine, db_url: str
) -> None:
    config = make_home(tmp_path / "home", db_url, delivery={"smtp": smtp_settings(mail)})
    statements(engine, config.out)
    run = deliver(config, engine, PERIOD)
    assert len(run.sent) == 2 and run.pending == [] and run.failed == []
    assert run.unaddressed == [f"{C}: в справочнике поставщиков нет адреса эл. почты, SFTP не задан"]
    by_to = {tuple(rcpt): message for rcpt, message in mail.mailroom.received}
    assert set(by_to) == {("buh@romashka.example", "dir@romashka.example"), ("vk@vodokanal.example",)}
    letter = by_to[("vk@vodokanal.example",)]
    assert letter["Subject"] == "Выписка по расчётам за март 2026 г. — РКЦ"
    assert "ООО «Водоканал» (ИНН 500100732259) за март 2026 г." in letter.get_body().get_content()
    assert str(letter["From"]) == "РКЦ Ипатово <rkc@rkc.example>"
    attachments = {part.get_filename(): part.get_payload(decode=True) for part in letter.iter_attachments()}
    xlsx, csv = f"Выписка за март 2026 г. ИНН {B}.xlsx", f"Реестр проводок за март 2026 г. ИНН {B}.csv"
    assert set(attachments) == {xlsx, csv}
    folder = config.out / "statements" / PERIOD / B
    assert attachments[csv] == (folder / f"register-{PERIOD}-{B}.csv").read_bytes()
    assert attachments[xlsx] == (folder / f"statement-{PERIOD}-{B}.xlsx").read_bytes()
    raw = bytes(letter)
    raw.decode("ascii")  # every header 7-bit: the names travel encoded
    assert raw.count(b"filename*0*=utf-8''%D0%92%D1%8B%D0%BF") == 1  # RFC 2231: «Вып…», in continuations

    again = deliver(config, engine, PERIOD)
    assert again.sent == [] and again.queued == 0 and len(mail.mailroom.received) == 2
    assert outbox_rows(engine) == [(B, "email", "sent", 1, 1), (A, "email", "sent", 1, 1)]

    resent = deliver(config, engine, PERIOD, resend=True)
    assert len(resent.sent) == 2 and len(mail.mailroom.received) == 4
    assert "Повторная отправка" in mail.mailroom.received[-1][1].get_body().get_content()
    assert [r[-1] for r in outbox_rows(engine)] == [1, 2, 1, 2]

    sheet = load_workbook(resent.report).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:6] == ["ИНН", "Поставщик", "Способ", "Получатель", "Файлы", "Статус"]
    assert [(v[0], v[5], v[8]) for v in values[1:]] == [
        (B, "отправлено", 1), (B, "отправлено", 2), (A, "отправлено", 1), (A, "отправлено", 2), (C, "нет адреса", 0),
        ("Итого", "отправлено: 4, нет адреса: 1", None)]  # fmt: skip
    assert values[1][2] == "электронная почта" and values[1][3] == "vk@vodokanal.example"


def test_a_try_later_is_retried_within_the_run_and_then_by_later_runs(
    mail: SmtpServer, tmp_path: Path, engine: sa.Engine, db_url: str
) -> None:
    config = make_home(tmp_path / "home", db_url, delivery={"smtp": smtp_settings(mail), "retry_minutes": 30,
                                                            "max_attempts": 2})  # fmt: skip
    statements(engine, config.out)
    mail.mailroom.refuse_next = 1  # the first letter is refused once, then accepted on the retry
    run = deliver(config, engine, PERIOD)
    assert len(run.sent) == 2 and len(mail.mailroom.received) == 2

    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM outbox"))
    mail.mailroom.received.clear()
    mail.mailroom.refuse_next = 100  # down for a while: every attempt of this run is refused
    now = utcnow()
    failing = deliver(config, engine, PERIOD, now=now)
    assert failing.sent == [] and len(failing.pending) == 2 and "451" in failing.pending[0]
    assert {r[2:4] for r in outbox_rows(engine)} == {("pending", 1)}
    assert deliver(config, engine, PERIOD, now=now + timedelta(minutes=10)).pending == []  # not due yet

    mail.mailroom.refuse_next = 100
    given_up = deliver(config, engine, PERIOD, now=now + timedelta(minutes=31))
    assert len(given_up.failed) == 2 and {r[2:4] for r in outbox_rows(engine)} == {("failed", 2)}

    mail.mailroom.refuse_next = 0
    assert deliver(config, engine, PERIOD, now=now + timedelta(days=1)).sent == []  # given up: not on its own
    assert len(deliver(config, engine, PERIOD, resend=True).sent) == 2
    assert len(mail.mailroom.received) == 2


def test_a_wrong_password_is_refused(
    mail: SmtpServer, tmp_path: Path, engine: sa.Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RKC_SMTP_PASSWORD", "wrong")
    config = make_home(tmp_path / "home", db_url, delivery={"smtp": smtp_settings(mail)})
    statements(engine, config.out)
    run = deliver(config, engine, PERIOD)
    assert run.sent == [] and len(run.pending) == 2 and "SMTPAuthenticationError" in run.pending[0]
    assert mail.mailroom.received == []


def test_a_supplier_with_an_sftp_directory_gets_its_files_there(tmp_path: Path, engine: sa.Engine,
                                                                db_url: str) -> None:  # fmt: skip
    with sftp_server(tmp_path / "sftp") as server:
        (server.root / "in").mkdir()
        target = {"host": server.host, "port": server.port, "user": server.user, "path": "/in",
                  "host_key": server.host_key, "key_file": str(server.client_key)}  # fmt: skip
        config = make_home(tmp_path / "home", db_url, delivery={"sftp": {B: target}})
        statements(engine, config.out)
        run = deliver(config, engine, PERIOD)
        assert len(run.sent) == 1 and len(run.unaddressed) == 2  # A and C: no SMTP configured, no address
        names = sorted(p.name for p in (server.root / "in").iterdir())
        assert names == [f"register-{PERIOD}-{B}.csv", f"statement-{PERIOD}-{B}.xlsx"]
        folder = config.out / "statements" / PERIOD / B
        assert (server.root / "in" / names[0]).read_bytes() == (folder / names[0]).read_bytes()
        assert deliver(config, engine, PERIOD).sent == []


@pytest.mark.parametrize("server", ["without STARTTLS", "certificate of another CA"])
def test_nothing_goes_in_the_clear_or_to_an_unverified_server(
    server: str, tmp_path: Path, engine: sa.Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(tmp_path / "smtp", trustme.CA(), starttls=server != "without STARTTLS") as plain:
        monkeypatch.setenv("RKC_SMTP_USER", plain.user)
        monkeypatch.setenv("RKC_SMTP_PASSWORD", plain.password)
        settings = smtp_settings(plain)
        if server == "certificate of another CA":
            trustme.CA().cert_pem.write_to_path(str(tmp_path / "other-ca.pem"))
            settings["ca_file"] = str(tmp_path / "other-ca.pem")
        config = make_home(tmp_path / "home", db_url, delivery={"smtp": settings})
        statements(engine, config.out)
        run = deliver(config, engine, PERIOD)
        expected = "SMTPNotSupportedError" if server == "without STARTTLS" else "CERTIFICATE_VERIFY_FAILED"
        assert run.sent == [] and len(run.pending) == 2 and expected in run.pending[0]
        assert plain.mailroom.received == []


def test_the_act_of_reconciliation_goes_with_the_statement(mail: SmtpServer, tmp_path: Path, engine: sa.Engine,
                                                            db_url: str) -> None:  # fmt: skip
    config = make_home(tmp_path / "home", db_url, delivery={"smtp": smtp_settings(mail)})
    statements(engine, config.out)
    write_acts(engine, PERIOD, config.out, Party("РКЦ", ""))
    deliver(config, engine, PERIOD)
    letter = {tuple(rcpt): message for rcpt, message in mail.mailroom.received}[("vk@vodokanal.example",)]
    attachments = {part.get_filename() for part in letter.iter_attachments()}
    act = f"Акт сверки за март 2026 г. ИНН {B}.xlsx"
    assert act in attachments and len(attachments) == 3
    assert f"«{act}»: акт сверки взаимных расчётов" in letter.get_body().get_content()


def test_payout_notices_are_mailed_to_the_suppliers_paid(mail: SmtpServer, tmp_path: Path, engine: sa.Engine,
                                                          db_url: str) -> None:  # fmt: skip
    from rkc.payouts import prepare
    from tests.payoututil import DAY, add_suppliers, make_inn, post, supplier

    config = make_home(tmp_path / "home", db_url, delivery={"smtp": smtp_settings(mail)})
    paid = make_inn(1)
    add_suppliers(engine, [replace(supplier(1), email="buh@paid.example"), replace(supplier(2), email="x@y.example")])
    post(engine, [(paid, "ЖКУ", 50_000)])  # the second supplier has nothing due: no notice, no letter
    prepare(config, engine, DAY)
    notice = config.out / DAY.isoformat() / "payouts" / paid / f"payout-{DAY.isoformat()}-{paid}.xlsx"
    rows = [tuple(r) for r in load_workbook(notice).active.iter_rows(values_only=True)]
    assert rows[0][0] == f"Уведомление о перечислении денежных средств за {DAY:%d.%m.%Y}"
    assert any(r[0] == "Итого перечислено" and r[2] == 500 for r in rows)

    run = deliver(config, engine, DAY.isoformat(), payouts_of=DAY)
    assert len(run.sent) == 1 and run.unaddressed == []
    [(to, letter)] = mail.mailroom.received
    assert tuple(to) == ("buh@paid.example",)
    assert letter["Subject"] == f"Перечисление денежных средств от {DAY:%d.%m.%Y} — РКЦ"
    assert {p.get_filename() for p in letter.iter_attachments()} == {
        f"Уведомление о перечислении {DAY:%d.%m.%Y} ИНН {paid}.xlsx"}
    again = deliver(config, engine, DAY.isoformat(), payouts_of=DAY)
    assert (again.queued, again.sent) == (0, [])  # sent once
