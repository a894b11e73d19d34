"""Payouts end to end on SQLite and PostgreSQL: fee, payment orders read back, twice, hold, cancel."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from domain.identifiers import bank_account
from domain.records import Supplier
from parsers.statement_1c import parse_payment_orders
from rkc.payouts import PayoutError, cancel, hold, prepare, release
from tests.payoututil import BIC, DAY, add_suppliers, balances, center, count, make_inn, post, rows, supplier

A, B, C = make_inn(1), make_inn(2), make_inn(3)


@pytest.fixture
def month(tmp_path: Path, engine: sa.Engine):  # type: ignore[no-untyped-def]
    """Three suppliers (A: 2 % fee; B: 1 % on ХВС, 3 % on the rest, at most 5,00 a month; C: no fee)
    and one register paying them."""
    add_suppliers(engine, [supplier(1, fee_percent="2"), supplier(2, fee_percent="3", fee_max=500,
                                                                  fee_services="ХВС=1"),
                           supplier(3)])  # fmt: skip
    post(engine, [(A, "ЖКУ", 100000), (B, "ХВС", 20000), (B, "Отопление", 30000), (C, "ЖКУ", 12345)])
    return center(tmp_path)


def test_payment_orders_read_back_by_the_statement_reader(month, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    done = prepare(month, engine, DAY)

    # A: 2 % of 1 000,00 = 20,00; B: 1 % of 200,00 + 3 % of 300,00 = 11,00, capped at 5,00; C: none
    assert balances(engine)["fee:rkc"] == 2000 + 500
    assert (done.payouts, done.total, done.fee_entries, done.again) == (3, 98000 + 49500 + 12345, 2, False)
    assert done.orders_file == month.out / DAY.isoformat() / "payouts" / f"payment-orders-{DAY}.txt"
    docs = parse_payment_orders(done.orders_file)
    assert [(d.number, d.recipient_inn, d.amount) for d in docs] == [("1", A, 98000), ("2", B, 49500),
                                                                     ("3", C, 12345)]  # fmt: skip
    for d in docs:
        assert bank_account.is_valid(d.recipient_account, d.recipient_bic), d
        assert d.recipient_bic == BIC and d.recipient_kpp == "770101001" and not d.incoming
        assert d.payer_account == month.center_account and d.payer_inn == month.center_inn
        assert d.date == DAY
    assert docs[1].purpose == ("Перечисление денежных средств, принятых от населения за ЖКУ, за 16.03.2026 "
                               "по договору № Д-2, без НДС")  # fmt: skip
    raw = done.orders_file.read_bytes()
    assert raw.decode("cp1251").startswith("1CClientBankExchange\r\n") and b"\xd0\x9f" not in raw  # not UTF-8
    assert "ВидОплаты=01\r\nОчередность=5\r\n" in raw.decode("cp1251")
    after = balances(engine)
    assert (after[f"supplier:{A}"], after[f"supplier:{B}"], after[f"supplier:{C}"]) == (0, 0, 0)
    assert after["payouts_in_transit"] == done.total


def test_preparing_a_date_twice_writes_the_same_files_and_posts_nothing(month, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    first = prepare(month, engine, DAY)
    text, xlsx = first.orders_file.read_bytes(), first.register_file.read_bytes()
    entries = count(engine, "ledger_entry")
    post(engine, [(A, "ЖКУ", 5000)], name="late.txt", first=100)  # money of the next night: not today's

    again = prepare(month, engine, DAY)

    assert again.again and (again.payouts, again.total) == (first.payouts, first.total)
    assert count(engine, "ledger_entry") == entries + 1  # only the late register's payment
    assert again.orders_file.read_bytes() == text
    before = list(load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))
    assert list(load_workbook(again.register_file).active.iter_rows(values_only=True)) == before
    nxt = prepare(month, engine, DAY + timedelta(days=1))  # the next date pays the late money, numbered on
    assert [(d.number, d.amount) for d in parse_payment_orders(nxt.orders_file)] == [("4", 5000 - 100)]


def test_register_xlsx_is_print_ready_and_lists_who_was_not_paid(month, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    assert hold(engine, B, "спор по акту сверки")
    done = prepare(month, engine, DAY)
    ws = load_workbook(done.register_file).active
    values = list(ws.iter_rows(values_only=True))
    assert values[0][0] == "Реестр перечислений поставщикам за 16.03.2026"
    assert values[3][:4] == ("№", "№ п/п", "Дата п/п", "Поставщик")
    total = next(r for r in values if r[3] and str(r[3]).startswith("Итого"))
    assert float(total[9]) == pytest.approx(980.00 + 123.45)
    skipped = next(r for r in values if r[4] == B)
    assert "приостановлено бухгалтером: спор по акту сверки" in skipped[6]
    assert any(r[3] and "Главный бухгалтер" in str(r[3]) for r in values)
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$4:$4"


def test_a_held_supplier_is_skipped_until_released(month, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    assert hold(engine, A, "претензия по качеству") and not hold(engine, A, "ещё раз")
    done = prepare(month, engine, DAY)
    assert [s["inn"] for s in done.skipped] == [A] and done.payouts == 2
    assert balances(engine)[f"supplier:{A}"] == 98000  # owed still, fee taken
    assert release(engine, A, "претензия снята") and not release(engine, A, "ещё раз")
    nxt = prepare(month, engine, DAY + timedelta(days=1))
    assert [(d.recipient_inn, d.amount) for d in parse_payment_orders(nxt.orders_file)] == [(A, 98000)]
    with pytest.raises(PayoutError, match="not in the suppliers directory"):
        hold(engine, "7707083893", "нет такого")


def test_cancel_reverses_the_payout_until_the_bank_debits_it(month, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    done = prepare(month, engine, DAY)
    entry = cancel(month, engine, DAY, "2", "ошибка в реквизитах", DAY)
    assert entry > 0
    assert balances(engine)[f"supplier:{B}"] == 49500  # owed again
    assert [d.number for d in parse_payment_orders(done.orders_file)] == ["1", "3"]  # rewritten without it
    with pytest.raises(PayoutError, match="cancelled already"):
        cancel(month, engine, DAY, "2", "ещё раз", DAY)
    with pytest.raises(PayoutError, match="no payment order № 9"):
        cancel(month, engine, DAY, "9", "нет такого", DAY)
    statuses = rows(engine, "SELECT number, status FROM payout ORDER BY number")
    assert statuses.values.tolist() == [["1", "prepared"], ["2", "cancelled"], ["3", "prepared"]]


def test_a_supplier_without_valid_details_is_not_paid_and_says_why(tmp_path: Path, engine: sa.Engine) -> None:
    good = supplier(4)
    wrong_key = Supplier(good.inn, good.name, good.kpp, good.bank_account[:8] + "0" + good.bank_account[9:], BIC)
    if bank_account.is_valid(wrong_key.bank_account, BIC):  # the key happened to be 0: take another digit
        wrong_key = Supplier(good.inn, good.name, good.kpp, good.bank_account[:8] + "1" + good.bank_account[9:], BIC)
    add_suppliers(engine, [wrong_key, Supplier(make_inn(6), "Без реквизитов")])
    post(engine, [(good.inn, "ЖКУ", 1000), (make_inn(6), "ЖКУ", 700)])
    done = prepare(center(tmp_path), engine, DAY)
    assert done.payouts == 0
    reasons = {s["inn"]: s["reason"] for s in done.skipped}
    assert reasons[good.inn].startswith("реквизиты не прошли проверку: счёт")
    assert reasons[make_inn(6)] == "нет банковских реквизитов"
    assert "СекцияДокумент" not in done.orders_file.read_text(encoding="cp1251")


def test_first_number_comes_from_the_configuration(month, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from rkc.config import PayoutSettings

    config = replace(month, payouts=PayoutSettings(first_number=1201))
    done = prepare(config, engine, DAY)
    assert [d.number for d in parse_payment_orders(done.orders_file)] == ["1201", "1202", "1203"]


def test_the_minimum_fee_is_taken_once_the_month_is_over(tmp_path: Path, engine: sa.Engine) -> None:
    add_suppliers(engine, [supplier(5, fee_percent="1", fee_min=30000)])
    who = make_inn(5)
    post(engine, [(who, "ЖКУ", 100000)])
    config = center(tmp_path)
    prepare(config, engine, DAY)
    assert balances(engine)["fee:rkc"] == 1000  # the month runs: 1 % so far
    prepare(config, engine, date(2026, 4, 1))
    assert balances(engine)["fee:rkc"] == 30000  # March is over: its minimum, 300,00
    assert balances(engine)[f"supplier:{who}"] == -29000  # the fee beyond the money: owed by the supplier


def test_a_reversed_payment_takes_its_fee_back_on_the_next_preparation(month, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    from rkc.reverse import reverse_payment

    prepare(month, engine, DAY)
    first = int(rows(engine, "SELECT MIN(id) AS id FROM payment")["id"][0])  # A's 1 000,00
    reverse_payment(engine, first, "ошибочный платёж", DAY)
    nxt = prepare(month, engine, DAY + timedelta(days=1))
    assert balances(engine)["fee:rkc"] == 500  # A's 20,00 given back: its month collected nothing
    assert balances(engine)[f"supplier:{A}"] == -98000  # paid out before the reversal: owed back
    assert nxt.payouts == 0 and nxt.fee_entries == 1


@pytest.mark.parametrize("catch_up", [False, True], ids=["daily", "catch-up"])
def test_a_long_range_is_counted_alike_and_leaves_the_planner_as_it_was(  # type: ignore[no-untyped-def]
    month, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, catch_up: bool
) -> None:
    """The collections of a range longer than ``CATCH_UP_ENTRIES`` (planned by hashing on
    PostgreSQL) are the same money, and the transaction's settings are back after the query."""
    from sql import payouts as store

    if catch_up:
        monkeypatch.setattr(store, "CATCH_UP_ENTRIES", 0)
    with engine.begin() as conn:
        before = [conn.execute(sa.text(f"SHOW {s}")).scalar() for s in ("work_mem", "enable_nestloop", "enable_sort")] \
            if engine.dialect.name == "postgresql" else []  # fmt: skip
        got = store.collections(conn, 0, store.last_entry_id(conn))
        after = [conn.execute(sa.text(f"SHOW {s}")).scalar() for s in ("work_mem", "enable_nestloop", "enable_sort")] \
            if engine.dialect.name == "postgresql" else []  # fmt: skip
    assert before == after
    assert dict(zip(zip(got["inn"], got["service"], strict=True), got["collected"], strict=True)) == {
        (A, "ЖКУ"): 100000, (B, "ХВС"): 20000, (B, "Отопление"): 30000, (C, "ЖКУ"): 12345}  # fmt: skip
