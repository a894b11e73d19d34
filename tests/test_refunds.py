"""Refunds to payers end to end on SQLite and PostgreSQL: asked, posted pro rata at once or after a
second senior's approval, refused with a reason; carried by the payouts files (read back with the
project's own reader), settled by the bank's debit or flagged, cancelled until then; shown in the
suppliers' statements and acts; every step in the audit log and the ledger sound."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from domain.identifiers import bank_account
from parsers.statement_1c import parse_payment_orders
from reports.act import Party
from rkc.payouts import prepare
from rkc.refunds import RefundRefused, approve_refund, cancel_refund, refuse_refund, request_refund
from rkc.reverse import ReversalRefused, reverse_payment, reverse_register
from rkc.statements import write_acts, write_statements
from rkc.tie import tie_out
from sql.ledger_queries import check_ledger
from tests.payoututil import BIC, DAY, add_suppliers, balances, center, count, make_account, make_inn, rows, supplier
from tests.refundutil import ask, limited, pay, payer_account, users
from tests.test_payouts_statement import NEXT, debit, statement

A, B = make_inn(1), make_inn(2)


@pytest.fixture
def world(tmp_path: Path, engine: sa.Engine):  # type: ignore[no-untyped-def]
    """Two suppliers; payment 1 of 1 500,00 split A 900,00 / B 600,00; payment 2 of 250,00 in suspense."""
    add_suppliers(engine, [supplier(1), supplier(2)])
    split = pay(engine, [(A, "ЖКУ", 90000), (B, "ХВС", 60000)], op="5001")
    loose = pay(engine, None, amount=25000, op="5002", payer="Петров П.П.")
    return center(tmp_path), users(engine), split, loose


def _wrong_key(account: str) -> str:
    """``account`` with its control key (digit 9) off by one."""
    return account[:8] + str((int(account[8]) + 1) % 10) + account[9:]


def _sound(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert check_ledger(conn) == []


def _legs(engine: sa.Engine, entry: int) -> dict[str, int]:
    found = rows(engine, "SELECT account, amount FROM ledger_posting WHERE entry_id = :e", e=entry)
    return dict(zip(found["account"], found["amount"].astype(int), strict=True))


def test_under_the_limit_a_refund_is_posted_pro_rata_at_once(world, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    config, who, split, loose = world
    done = request_refund(config, engine, who["petrova"], ask(split, 50000), on=DAY)
    assert done.status == "approved" and done.entry_id is not None
    # 500,00 of 900/600: 300,00 from A, 200,00 from B
    assert _legs(engine, done.entry_id) == {f"supplier:{A}": 30000, f"supplier:{B}": 20000, "refunds_payable": -50000}
    entry = rows(engine, "SELECT kind, payment_id, source_key FROM ledger_entry WHERE id = :e", e=done.entry_id)
    assert entry.values.tolist() == [["refund", split, f"refund:{done.refund_id}"]]
    whole = request_refund(config, engine, who["petrova"], ask(loose, None, 2), on=DAY)  # all of a suspense payment
    assert _legs(engine, whole.entry_id) == {"suspense": 25000, "refunds_payable": -25000}
    money = balances(engine)
    assert (money[f"supplier:{A}"], money[f"supplier:{B}"], money["suspense"]) == (60000, 40000, 0)
    assert money["refunds_payable"] == 75000
    stored = rows(engine, "SELECT status, decided_by, amount, account, bic, requested_by FROM refund ORDER BY id")
    assert stored.values.tolist()[0] == ["approved", None, 50000, payer_account(1), BIC, "petrova"]
    audit = rows(engine, "SELECT actor, action, subject FROM audit_log WHERE action LIKE 'refund%' ORDER BY id")
    assert audit.values.tolist() == [["petrova", "refund_request", f"refund:{done.refund_id}"],
                                     ["petrova", "refund_request", f"refund:{whole.refund_id}"]]  # fmt: skip
    _sound(engine)


def test_above_the_limit_it_waits_for_a_senior_other_than_the_one_who_asked(world, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    config, who, split, _ = world
    strict = limited(config, 10000)
    asked = request_refund(strict, engine, who["smirnov"], ask(split, 10001), on=DAY)  # a senior asks
    assert asked.status == "requested" and asked.entry_id is None
    assert count(engine, "ledger_entry") == 2  # only the two payments
    for login, status in (("petrova", 403), ("smirnov", 403)):  # an accountant; the one who asked
        with pytest.raises(RefundRefused) as refused:
            approve_refund(strict, engine, who[login], asked.refund_id, on=DAY)
        assert refused.value.status == status
    # a waiting request holds its amount: no second request for more than is left
    with pytest.raises(RefundRefused, match="ждут утверждения"):
        request_refund(strict, engine, who["petrova"], ask(split, 150000 - 10001 + 1), on=DAY)
    done = approve_refund(strict, engine, who["orlov"], asked.refund_id, on=DAY)
    assert done.status == "approved" and sum(_legs(engine, done.entry_id).values()) == 0
    assert rows(engine, "SELECT decided_by FROM refund WHERE id = :i", i=asked.refund_id)["decided_by"][0] == "orlov"
    with pytest.raises(RefundRefused, match="уже рассмотрена") as again:
        approve_refund(strict, engine, who["orlov"], asked.refund_id, on=DAY)
    assert again.value.status == 409
    other = request_refund(strict, engine, who["petrova"], ask(split, 20000), on=DAY)
    with pytest.raises(RefundRefused) as empty_note:
        refuse_refund(engine, who["orlov"], other.refund_id, "  ")
    assert empty_note.value.status == 422
    refused = refuse_refund(engine, who["orlov"], other.refund_id, "плательщик не подтвердил счёт")
    assert refused.status == "refused"
    assert rows(engine, "SELECT status, entry_id, decision_note FROM refund WHERE id = :i", i=other.refund_id
                ).values.tolist() == [["refused", None, "плательщик не подтвердил счёт"]]  # fmt: skip
    actions = rows(engine, "SELECT actor, action FROM audit_log WHERE action LIKE 'refund%' ORDER BY id")
    assert actions.values.tolist() == [["smirnov", "refund_request"], ["orlov", "refund_approve"],
                                       ["petrova", "refund_request"], ["orlov", "refund_refuse"]]  # fmt: skip
    _sound(engine)


def test_refusals_say_why_and_change_nothing(world, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    config, who, split, loose = world
    cases = [
        (who["petrova"], ask(999999, 100), 404, "не найден"),
        (who["petrova"], ask(2**63, 100), 404, "ID платежа"),
        (who["audit"], ask(split, 100), 403, "Недостаточно прав"),
        (who["petrova"], ask(split, 150001), 409, "больше того, что можно вернуть"),
        (who["petrova"], ask(split, 0), 409, "больше нуля"),
        (who["petrova"], ask(split, 100, account=_wrong_key(payer_account(2))), 422, "контрольного ключа"),
        (who["petrova"], ask(split, 100, reason=" "), 422, "причина возврата"),
        (who["petrova"], ask(split, 100, name="Иванов ☃"), 422, "cp1251"),
    ]
    for user, request, status, why in cases:
        with pytest.raises(RefundRefused, match=why) as refused:
            request_refund(config, engine, user, request, on=DAY)
        assert refused.value.status == status, why
    assert count(engine, "refund") == 0 and count(engine, "ledger_entry") == 2
    request_refund(config, engine, who["petrova"], ask(loose, None), on=DAY)
    with pytest.raises(RefundRefused, match="уже возвращён полностью"):
        request_refund(config, engine, who["petrova"], ask(loose, None), on=DAY)
    reverse_payment(engine, split, "агент отозвал", DAY)
    with pytest.raises(RefundRefused, match="сторнирован"):
        request_refund(config, engine, who["petrova"], ask(split, 100), on=DAY)
    _sound(engine)


def test_approval_judges_the_payment_again(world, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    config, who, split, _ = world
    strict = limited(config, 0)
    waiting = request_refund(strict, engine, who["petrova"], ask(split, 100000), on=DAY)
    reverse_payment(engine, split, "агент отозвал", DAY)  # the money left the payment meanwhile
    with pytest.raises(RefundRefused, match=r"сторнирован.*Откажите"):
        approve_refund(strict, engine, who["smirnov"], waiting.refund_id, on=DAY)
    assert rows(engine, "SELECT status FROM refund")["status"].tolist() == ["requested"]


def _prepared(world, engine: sa.Engine):  # type: ignore[no-untyped-def]
    """Refund 1: 500,00 of the split payment; refund 2: the suspense payment's 250,00; then DAY prepared."""
    config, who, split, loose = world
    first = request_refund(config, engine, who["petrova"], ask(split, 50000), on=DAY)
    second = request_refund(config, engine, who["petrova"], ask(loose, None, 2, inn="500100732259", name="Петров П.П."),
                            on=DAY)  # fmt: skip
    return config, who, first, second, prepare(config, engine, DAY)


def test_the_payouts_file_carries_the_refunds_read_back_by_our_reader(world, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    config, _, _, _, done = _prepared(world, engine)
    assert (done.payouts, done.total, done.refunds, done.refund_total) == (2, 60000 + 40000, 2, 75000)
    docs = parse_payment_orders(done.orders_file)
    assert [(d.number, d.recipient_account, d.amount) for d in docs] == [
        ("1", make_account(1), 60000), ("2", make_account(2), 40000),
        ("3", payer_account(1), 50000), ("4", payer_account(2), 25000)]  # fmt: skip
    for d in docs:  # every recipient account passes the control key against its БИК
        assert bank_account.is_valid(d.recipient_account, d.recipient_bic), d
        assert d.payer_account == config.center_account and not d.incoming and d.date == DAY
    refund = docs[2]
    assert (refund.recipient_name, refund.recipient_inn, refund.recipient_kpp) == ("Иванов Иван Иванович", "", "")
    assert refund.purpose == ("Возврат ошибочно/излишне уплаченных денежных средств за ЖКУ по платежу № 5001 "
                              "от 15.03.2026, без НДС")  # fmt: skip
    assert docs[3].recipient_inn == "500100732259"
    assert "Получатель=Иванов Иван Иванович\r\n" in done.orders_file.read_bytes().decode("cp1251")
    stored = rows(engine, "SELECT status, order_number, order_date FROM refund ORDER BY id")
    assert stored["status"].tolist() == ["prepared", "prepared"] and stored["order_number"].tolist() == ["3", "4"]
    values = list(load_workbook(done.register_file).active.iter_rows(values_only=True))
    texts = [str(v) for row in values for v in row if v is not None]
    assert "Возвраты плательщикам" in texts and "Итого возвратов (без отменённых)" in texts
    refund_rows = [row for row in values if row[1] in ("3", "4")]
    assert [(r[3], r[6], float(r[9]), r[10]) for r in refund_rows] == [
        ("Иванов Иван Иванович", payer_account(1), 500.0, "поручение подготовлено"),
        ("Петров П.П.", payer_account(2), 250.0, "поручение подготовлено")]  # fmt: skip
    assert count(engine, "audit_log WHERE action = 'refund_prepare'") == 2


def test_preparing_twice_changes_nothing_and_a_later_refund_waits_for_the_next_date(world, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    config, who, _, _, done = _prepared(world, engine)
    files = done.orders_file.read_bytes(), done.register_file.read_bytes()
    before = balances(engine), rows(engine, "SELECT * FROM refund ORDER BY id").to_dict("records")
    extra = pay(engine, None, amount=7000, op="5003")
    later = request_refund(config, engine, who["petrova"], ask(extra, None, 3), on=DAY)
    after_request = balances(engine)
    again = prepare(config, engine, DAY)
    assert again.again and (again.refunds, again.refund_total) == (2, 75000)
    assert again.orders_file.read_bytes() == files[0]
    sheet = lambda data: list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))  # noqa: E731
    assert sheet(again.register_file.read_bytes()) == sheet(files[1])
    assert balances(engine) == after_request and after_request != before[0]
    kept = rows(engine, "SELECT * FROM refund WHERE id <> :i ORDER BY id", i=later.refund_id)
    assert kept.to_dict("records") == before[1]
    nxt = prepare(config, engine, DAY + timedelta(days=1))  # numbered on from the last order of any kind
    assert [(d.number, d.amount) for d in parse_payment_orders(nxt.orders_file)] == [("5", 7000)]


def test_the_banks_debit_settles_a_refund_and_a_wrong_one_is_flagged(world, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    config, who, first, _, _ = _prepared(world, engine)
    docs = [debit("3", DAY, "500.00", payer_account(1), ""),  # the refund as ordered
            debit("4", DAY, "249.00", payer_account(2), "")]  # the amount differs
    (config.statements_inbox / "st.txt").write_bytes(statement(config.center_account, docs, 50000 + 24900))
    summary = tie_out(config, engine, NEXT)
    assert (summary.payouts_settled, summary.payouts_mismatched, summary.debits_unknown) == (1, 1, 0)
    assert rows(engine, "SELECT status FROM refund ORDER BY id")["status"].tolist() == ["settled", "prepared"]
    settled = rows(engine, "SELECT id, kind, value_date, payment_id FROM ledger_entry WHERE kind = 'refund_settled'")
    assert str(settled["value_date"][0])[:10] == NEXT.isoformat()
    assert _legs(engine, int(settled["id"][0])) == {"refunds_payable": 50000, f"bank:{config.center_account}": -50000}
    money = balances(engine)
    assert money["refunds_payable"] == 25000 and money[f"bank:{config.center_account}"] == -50000
    flags = rows(engine, "SELECT code, operation_id, detail FROM discrepancy WHERE run_date = :d"
                 " AND code LIKE 'PAYOUT%' ORDER BY code", d=NEXT)  # fmt: skip
    assert flags[["code", "operation_id"]].values.tolist() == [["PAYOUT_MISMATCH", "4"]]
    assert flags["detail"][0].startswith("Возврат плательщику: п/п № 4")
    with pytest.raises(RefundRefused, match="списан банком"):
        cancel_refund(config, engine, who["petrova"], first.refund_id, "поздно", on=DAY)
    assert tie_out(config, engine, NEXT).payouts_settled == 0  # the night again: nothing twice
    assert count(engine, "ledger_entry WHERE kind = 'refund_settled'") == 1
    assert count(engine, "audit_log WHERE action = 'refund_settle'") == 1
    late = DAY + timedelta(days=3)
    assert tie_out(config, engine, late).payouts_missing == 3  # the two payouts and refund № 4
    missing = rows(engine, "SELECT operation_id, detail FROM discrepancy WHERE run_date = :d"
                   " AND code = 'PAYOUT_MISSING' ORDER BY operation_id", d=late)  # fmt: skip
    said = dict(zip(missing["operation_id"], missing["detail"], strict=True))
    assert said["4"].startswith("Возврат плательщику: п/п № 4") and not said["1"].startswith("Возврат")
    _sound(engine)


def test_a_prepared_refund_is_cancelled_until_the_bank_debits_it(world, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    config, who, first, _, done = _prepared(world, engine)
    with pytest.raises(RefundRefused, match="Недостаточно прав"):
        cancel_refund(config, engine, who["audit"], first.refund_id, "нет", on=DAY)
    cancelled = cancel_refund(config, engine, who["ivanova"], first.refund_id, "плательщик передумал", on=DAY)
    assert cancelled.status == "cancelled"
    assert _legs(engine, cancelled.entry_id) == {f"supplier:{A}": -30000, f"supplier:{B}": -20000,
                                                 "refunds_payable": 50000}  # fmt: skip
    assert [d.number for d in parse_payment_orders(done.orders_file)] == ["1", "2", "4"]  # written again without it
    assert balances(engine)["refunds_payable"] == 25000
    with pytest.raises(RefundRefused, match="уже отменён"):
        cancel_refund(config, engine, who["ivanova"], first.refund_id, "ещё раз", on=DAY)
    with pytest.raises(RefundRefused, match="не найдена") as unknown:
        cancel_refund(config, engine, who["ivanova"], 424242, "нет такой", on=DAY)
    assert unknown.value.status == 404
    again = request_refund(config, engine, who["petrova"], ask(world[2], 150000), on=DAY)  # the money is back: all
    assert again.status == "requested"  # above the limit
    audit = rows(engine, "SELECT actor, action FROM audit_log WHERE subject = :s ORDER BY id",
                 s=f"refund:{first.refund_id}")  # fmt: skip
    assert audit["action"].tolist() == ["refund_request", "refund_prepare", "refund_cancel"]
    _sound(engine)


def test_statements_and_acts_show_refunds_tied_to_the_ledger(world, engine: sa.Engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, first, _, _ = _prepared(world, engine)
    period = DAY.strftime("%Y-%m")  # refunds are dated the business day they are asked on (``on``)
    with engine.connect() as conn:
        written = write_statements(conn, period, tmp_path)
        acts = write_acts(conn, period, tmp_path, Party("РКЦ", "7707083893"))
    legs = rows(engine, "SELECT p.account, -SUM(p.amount) AS amount FROM ledger_posting p JOIN ledger_entry e"
                " ON e.id = p.entry_id WHERE e.kind = 'refund' AND p.account LIKE 'supplier:%'"
                " GROUP BY p.account")  # fmt: skip
    refunded = dict(zip(legs["account"].str.removeprefix("supplier:"), legs["amount"].astype(int), strict=True))
    assert refunded == {A: -30000, B: -20000}
    for inn, amount in refunded.items():
        xlsx = next(p for p in written if p.name == f"statement-{period}-{inn}.xlsx")
        book = load_workbook(xlsx)
        summary = {r[0]: r for r in book["Выписка"].iter_rows(values_only=True)}
        assert round(float(summary["Возвращено плательщикам"][3]) * 100) == amount
        sheet = list(book["Возвраты плательщикам"].iter_rows(values_only=True))
        assert round(float(sheet[-1][5]) * 100) == amount and sheet[1][1] == "5001"
        html = xlsx.with_suffix(".html").read_text(encoding="utf-8")
        assert "Возвраты плательщикам" in html
        act = next(p for p in acts if p.name == f"act-{period}-{inn}.xlsx")
        lines = [r for r in load_workbook(act).active.iter_rows(values_only=True) if r[1] and "возврат" in str(r[1])]
        assert len(lines) == 1 and round(float(lines[0][2]) * 100) == -amount  # a debit of the center's side
        assert f"возврат № {first.refund_id} плательщику по платежу № 5001 от 15.03.2026" == lines[0][1]


def test_a_payment_with_a_refund_standing_is_not_reversed_until_it_is_cancelled(world, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    config, who, split, _ = world
    done = request_refund(config, engine, who["petrova"], ask(split, 50000), on=DAY)
    register = int(rows(engine, "SELECT register_id FROM payment WHERE id = :p", p=split).iloc[0, 0])
    before = balances(engine)
    with pytest.raises(ReversalRefused, match=f"refund {done.refund_id} of payment {split} \\(approved\\)"):
        reverse_payment(engine, split, "агент отозвал платёж", DAY)
    with pytest.raises(ReversalRefused, match="refunds standing"):
        reverse_register(engine, register, "агент отозвал реестр", DAY)
    assert balances(engine) == before  # refused whole: nothing written
    cancel_refund(config, engine, who["ivanova"], done.refund_id, "сначала отзыв", on=DAY)
    assert reverse_payment(engine, split, "агент отозвал платёж", DAY).entries == 1
    money = balances(engine)
    assert (money[f"supplier:{A}"], money[f"supplier:{B}"], money["refunds_payable"]) == (0, 0, 0)
    _sound(engine)
