"""A generated month worked through the workbench (issue #20, «done when»), on SQLite and PostgreSQL.

Three consecutive generated nights of one center (``generate(world_seed=…)``: one world, charges
imported once) are run by the nightly flow. Then the accountants work the queue over HTTP, as the
pages do (login, CSRF): every suspense payment goes where the generator's manifest says its payer
belongs (one split between that ПД and another, one written off — approved by a senior when above
the limit), each register whose totals do not tie is accepted by a senior, everything else is closed
as accepted with a reason. The next night posts the accepted registers, whose lines may open a few
cases of their own: those are worked too, and one more night is run. Then no case is left open, the
ledger balances and its checks pass, the chain verifies, every supplier's statement closes at its
ledger balance, and the audit log has exactly one row per action taken.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from domain.money import format_ru
from rkc.app import import_charges_files
from rkc.config import Config, init_home, load_config
from rkc.statements import statement_data, write_statements
from rkc.users import add_user
from rkc.verify import verify
from sql.engine import make_engine
from sql.entries import suspense_amount
from sql.ledger_queries import balances, check_ledger
from synthetic import generate
from tests.webutil import PASSWORD, Night, csrf_of, drop_database, fresh_database, logged_in

FIRST = date(2026, 11, 20)
NIGHTS = 3
USERS = {"petrova": "accountant", "smirnov": "senior", "ivanova": "accountant"}
# What the accountants write when they close a case as accepted, by code.
REASONS = {
    "UNDERPAYMENT": "недоплата: долг остаётся на ЛС, поставщики видят его в выписке",
    "OVERPAYMENT": "переплата: аванс в счёт следующего периода",
    "PERIOD_MISSING": "период не указан: разнесено на последний ПД, плательщик согласен",
    "DUPLICATE_PAYMENT": "повтор операции не проведён: деньги в реестре один раз",
    "DUPLICATE_CROSS_CHANNEL": "платёж пришёл через два канала: проведён один раз",
    "MALFORMED_LINE": "строка с ошибкой: агент пришлёт исправление отдельным реестром",
    "REGISTER_MISSING": "п/п по реестру, принятому с расхождением итогов: привязан после разнесения",
    "TRANSFER_MISSING": "п/п портала приходит на следующий день, сверка по выписке",
    "UNKNOWN_OUTGOING": "списание по договору, оформлено вручную",
    "UNVERIFIED_REGISTER": "уведомления ГИС ЖКХ идут без итогов: принято по договору",
    "CASH_BRIDGE_MISMATCH": "остаток выписки проверен по банку: расхождение из-за тестовых выписок",
}


def _home(root: Path) -> Config:
    """A home whose channels the generator can write several days for: without the online service,
    whose operation ids start again every day (the generator's, not the center's, limit)."""
    config, _ = init_home(root / "home")
    settings = yaml.safe_load((config.home / "rkc.yaml").read_text(encoding="utf-8"))
    del settings["channels"]["online"]
    settings["workbench"] = {"informational_tolerance": {"UNDERPAYMENT": "150,00", "OVERPAYMENT": "150,00"}}
    (config.home / "rkc.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return load_config(config.home)


class Desk:
    """The accountants at work: a logged-in client per user, and every action taken (actor, audit
    action, subject) for the audit log to be checked against."""

    def __init__(self, night: Night, payer_of: dict[str, str]) -> None:
        self.night, self.payer_of = night, payer_of
        self.clients = {login: logged_in(night, login) for login in USERS}
        self.tokens = {login: csrf_of(c.get("/cases").text) for login, c in self.clients.items()}
        self.done: list[tuple[str, str, str]] = []
        self.unknown_seen = 0

    def post(self, login: str, path: str, data: dict, audit: str, subject: str) -> None:
        answer = self.clients[login].post(path, data={"csrf_token": self.tokens[login], **data})
        assert answer.status_code == 303, (path, data, answer.status_code, _alert(answer.text))
        self.done.append((login, audit, subject))

    def queue(self) -> list[int]:
        """Every active case, as the queue's pages list them."""
        c, ids, page = self.clients["petrova"], [], 1
        while True:
            html = c.get("/cases", params={"page": page}).text
            ids += [int(i) for i in re.findall(r'href="/cases/(\d+)"', html)]
            if 'rel="next"' not in html:
                return list(dict.fromkeys(ids))
            page += 1

    def work(self) -> Counter:
        """Resolve or close every active case; how many of each code."""
        worked: Counter = Counter()
        for case in self.queue():
            code, payment, operation = _one(self.night, "SELECT w.code, w.payment_id, w.operation_id FROM work_case w"
                                                        " WHERE w.id = :i", i=case)  # fmt: skip
            worked[code] += 1
            subject = f"case:{case}"
            if code == "REGISTER_TOTAL_MISMATCH":
                self.post("smirnov", f"/cases/{case}/accept_register",
                          {"reason": "агент подтвердил строки реестра, итоговая строка ошибочна"},
                          "case_accept_register", subject)  # fmt: skip
            elif code == "UNKNOWN_ACCOUNT":
                self._suspense(case, int(payment), str(operation))
            else:
                self.post("ivanova" if case % 2 else "petrova", f"/cases/{case}/accept",
                          {"reason": REASONS.get(code, f"проверено: {code}")}, "case_accept", subject)  # fmt: skip
        return worked

    def _suspense(self, case: int, payment: int, operation: str) -> None:
        """Where the manifest says the payer belongs; the first payment split with another ПД, the
        second written off (a senior approves it above the limit)."""
        self.unknown_seen += 1
        account = self.payer_of[operation]
        subject = f"case:{case}"
        if self.unknown_seen == 1:
            with self.night.engine.connect() as conn:
                held = suspense_amount(conn, payment)
            other = _one(self.night, "SELECT MIN(account) FROM payment_document WHERE account <> :a", a=account)[0]
            half = held // 2
            self.post("petrova", f"/cases/{case}/split",
                      {"target": [account, other, ""], "amount": [_money(half), _money(held - half), ""]},
                      "case_split", subject)  # fmt: skip
        elif self.unknown_seen == 2:
            self.post("petrova", f"/cases/{case}/write_off", {"reason": "плательщик не найден, срок истёк"},
                      "case_write_off", subject)  # fmt: skip
            pending = re.findall(r"/write-offs/(\d+)/approve", self.clients["smirnov"].get("/write-offs").text)
            for request in pending:
                self.post("smirnov", f"/write-offs/{request}/approve", {}, "write_off_approve", subject)
        else:
            self.post("petrova", f"/cases/{case}/assign", {"target": account}, "case_assign", subject)


def _alert(html: str) -> str:
    found = re.search(r'role="alert">([^<]*)<', html)
    return found.group(1) if found else html[:300]


def _money(kopecks: int) -> str:
    return format_ru(kopecks).replace("\xa0", " ")


def _one(night: Night, sql: str, **params: object):  # type: ignore[no-untyped-def]
    with night.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).first()


@pytest.mark.parametrize("dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_generated_month_worked_through_the_workbench(harness: None, dialect: str, tmp_path: Path) -> None:
    from flows.nightly import nightly

    name = f"rkc_month_{os.getpid()}"
    url = fresh_database(tmp_path, dialect, name)
    engine = None
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("RKC_DATABASE_URL", url)
            config = _home(tmp_path)
            payer_of: dict[str, str] = {}  # operation id → the account whose payer and address it carries
            for n in range(NIGHTS):
                day = generate(config.home, accounts=80, payments=200, seed=100 + n, world_seed=7,
                               run_date=FIRST + timedelta(days=n))  # fmt: skip
                unknown = json.loads(day.manifest.read_text(encoding="utf-8"))["defects"]["unknown_account"]
                payer_of |= {w["operation_id"]: a for w, a in zip(unknown["where"], unknown["payer_accounts"],
                                                                  strict=True)}  # fmt: skip
                if n == 0:
                    import_charges_files(config, day.charges_csv, day.suppliers_csv)
                nightly(home=str(config.home), run_date=day.run_date)
            engine = make_engine(url)
            for login, role in USERS.items():
                add_user(engine, login, role, PASSWORD)
            night = Night(config, url, engine, "")
            desk = Desk(night, payer_of)

            worked = desk.work()
            assert worked["REGISTER_TOTAL_MISMATCH"] == NIGHTS and worked["UNKNOWN_ACCOUNT"] == 2 * NIGHTS
            on = FIRST + timedelta(days=NIGHTS)
            after = nightly(home=str(config.home), run_date=on)
            assert len(after["posted_this_run"]) == NIGHTS  # the accepted registers, read again and posted
            rounds = 1
            while after["cases"]["opened"]:  # the accepted registers' own lines may open cases
                assert rounds < 3, f"the queue does not empty: {after['cases']}"
                desk.work()
                on += timedelta(days=1)
                after = nightly(home=str(config.home), run_date=on)
                rounds += 1
            _check(night, desk, desk.clients["smirnov"].get("/cases").text, tmp_path)
    finally:
        if engine is not None:
            engine.dispose()
        drop_database(dialect, name)


def _check(night: Night, desk: Desk, queue: str, tmp_path: Path) -> None:
    """No case open, a balanced and verified ledger, statements that close at the ledger's balances,
    one audit row per action, and every suspense payment and register where it was sent."""
    assert '<span id="total">0</span>' in queue
    with night.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM work_case WHERE status IN ('open', 'in_work')")).scalar() == 0
        assert conn.execute(sa.text("SELECT COALESCE(SUM(amount), 0) FROM ledger_posting")).scalar() == 0
        assert conn.execute(sa.text("SELECT COALESCE(SUM(balance), 0) FROM ledger_balance")).scalar() == 0
        assert check_ledger(conn) == []
        owed = balances(conn)
        periods = sorted({str(d)[:7] for (d,) in conn.execute(sa.text("SELECT DISTINCT value_date FROM ledger_entry"))})
        statements = {p: statement_data(conn, p).balances.set_index("inn") for p in periods}
        for earlier, later in itertools.pairwise(periods):  # each month opens where the last closed
            assert (statements[later]["opening"] == statements[earlier]["closing"].reindex(
                statements[later].index, fill_value=0)).all()  # fmt: skip
        closing = statements[periods[-1]]["closing"]
        suppliers = {a[len("supplier:"):]: b for a, b in owed.items() if a.startswith("supplier:")}
        assert {i: int(v) for i, v in closing.items() if v or suppliers.get(i)} == {
            i: v for i, v in suppliers.items() if v}  # fmt: skip
        for period in periods:  # the renderer refuses movements that do not add up to the balances
            assert write_statements(conn, period, tmp_path / "out")
        users = tuple(USERS)
        audited = conn.execute(sa.text("SELECT actor, action, subject FROM audit_log WHERE actor IN :u"
                                       " AND action NOT IN ('login', 'logout', 'user_add')")
                               .bindparams(sa.bindparam("u", expanding=True)), {"u": users}).all()  # fmt: skip
        assert Counter(tuple(r) for r in audited) == Counter(desk.done)
        suspense = conn.execute(sa.text("SELECT status FROM work_case WHERE code = 'UNKNOWN_ACCOUNT'")).scalars().all()
        assert suspense == ["resolved"] * 2 * NIGHTS and owed.get("suspense", 0) == 0
        moved = conn.execute(sa.text("SELECT p.operation_id, d.account FROM resolution r JOIN payment p ON"
                                     " p.id = r.payment_id JOIN payment_document d ON d.uip = r.target_uip"
                                     " ORDER BY r.id")).all()  # fmt: skip
        first_part = {op: account for op, account in reversed(moved)}  # a split's first part is the payer's
        assert all(desk.payer_of[op] == account for op, account in first_part.items()) and len(first_part) >= 2
        accepted = conn.execute(sa.text("SELECT status FROM register_acceptance")).scalars().all()
        assert accepted == ["posted"] * NIGHTS
        registers = conn.execute(sa.text("SELECT status, tie_status FROM register WHERE id IN"
                                         " (SELECT register_id FROM register_acceptance)")).all()  # fmt: skip
        assert all(s == "posted" and t == "tied" for s, t in registers)
    assert verify(night.config, night.engine).ok
