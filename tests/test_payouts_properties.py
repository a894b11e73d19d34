"""Invariants of money going out, with hypothesis (SQLite and PostgreSQL): payouts never exceed
the amount due; preparing a date twice changes nothing; a reversal of a reversal is refused."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.statement_1c import parse_payment_orders
from rkc.config import init_home
from rkc.payouts import hold, prepare
from rkc.reverse import ReversalRefused, reverse_payment
from sql.entries import LedgerError, reverse_entry
from sql.uow import UnitOfWork
from tests.dbutil import empty_database
from tests.payoututil import DAY, add_suppliers, balances, make_inn, post, rows, supplier

SLOW = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
terms = st.fixed_dictionaries({
    "fee_percent": st.sampled_from(["0", "0.5", "1", "2.75", "10"]),
    "fee_min": st.sampled_from([0, 100, 50000]),
    "fee_max": st.sampled_from([None, 300, 100000]),
    "fee_services": st.sampled_from(["", "ХВС=0", "ХВС=5|ГВС=1.5"]),
}).filter(lambda t: t["fee_max"] is None or t["fee_max"] >= t["fee_min"])  # fmt: skip
parts = st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["ХВС", "ГВС", "ЖКУ"]), st.integers(1, 5_000_000)),
                 min_size=1, max_size=12)  # fmt: skip


def _center(engine: sa.Engine, home: Path, contracts: list[dict], money: list[tuple], held: list[bool]):  # type: ignore[no-untyped-def]
    empty_database(engine)
    config, _ = init_home(home)
    add_suppliers(engine, [supplier(i + 1, **t) for i, t in enumerate(contracts)])
    post(engine, [(make_inn(who % len(contracts) + 1), service, amount) for who, service, amount in money])
    for i, on_hold in enumerate(held[: len(contracts)]):
        if on_hold:
            hold(engine, make_inn(i + 1), "проверка")
    return config


@SLOW
@given(contracts=st.lists(terms, min_size=1, max_size=4), money=parts, more=parts,
       held=st.lists(st.booleans(), min_size=4, max_size=4))  # fmt: skip
def test_payouts_never_exceed_the_amount_due(engine: sa.Engine, contracts, money, more, held) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        config = _center(engine, Path(tmp), contracts, money, held)
        _paid_exactly_what_was_due(engine, prepare(config, engine, DAY))
        post(engine, [(make_inn(w % len(contracts) + 1), s, a) for w, s, a in more], name="b.txt", first=1000)
        _paid_exactly_what_was_due(engine, prepare(config, engine, DAY + timedelta(days=10)))  # March runs on
        collected = rows(engine, "SELECT supplier_inn AS inn, SUM(collected) AS c FROM fee_base GROUP BY supplier_inn")
        fee = rows(engine, "SELECT supplier_inn AS inn, SUM(accrued) AS f FROM fee_month GROUP BY supplier_inn")
        paid = rows(engine, "SELECT supplier_inn AS inn, SUM(amount) AS p FROM payout GROUP BY supplier_inn")
        money_now = balances(engine)
        # April: March's minimum fees may now exceed what March collected; still nothing is paid beyond
        # the balance, and a supplier left owing is not paid at all.
        _paid_exactly_what_was_due(engine, prepare(config, engine, DAY + timedelta(days=20)))
    due = collected.merge(fee, on="inn", how="left").merge(paid, on="inn", how="left").fillna(0)
    for r in due.itertuples():
        assert r.p <= r.c - r.f, r  # paid never beyond collected less the fee
        assert money_now.get(f"supplier:{r.inn}", 0) == r.c - r.f - r.p  # the rest is still owed
        if held[int(r.inn[2:9]) - 1]:
            assert r.p == 0
    assert money_now.get("payouts_in_transit", 0) == int(due["p"].sum())


def _paid_exactly_what_was_due(engine: sa.Engine, done) -> None:  # type: ignore[no-untyped-def]
    """Every supplier paid on the date is owed nothing more (paid its whole balance, never beyond),
    and the payouts in transit are the sum of the orders prepared."""
    money = balances(engine)
    paid = rows(engine, "SELECT supplier_inn, amount FROM payout WHERE pay_date = :d", d=done.day)
    assert all(a > 0 for a in paid["amount"])
    assert all(money[f"supplier:{inn}"] == 0 for inn in paid["supplier_inn"])
    in_transit = rows(engine, "SELECT COALESCE(SUM(amount), 0) AS s FROM payout")["s"][0]
    assert money.get("payouts_in_transit", 0) == int(in_transit)


@SLOW
@given(contracts=st.lists(terms, min_size=1, max_size=3), money=parts, late=parts)
def test_preparing_a_date_twice_changes_nothing(engine: sa.Engine, contracts, money, late) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        config = _center(engine, Path(tmp), contracts, money, [False] * 4)
        first = prepare(config, engine, DAY)
        files = first.orders_file.read_bytes()
        before = balances(engine), rows(engine, "SELECT * FROM payout ORDER BY id").to_dict("records")
        post(engine, [(make_inn(w % len(contracts) + 1), s, a) for w, s, a in late], name="late.txt", first=1000)
        after_late = balances(engine)
        again = prepare(replace(config, payouts=replace(config.payouts, first_number=900)), engine, DAY)
        assert again.again and again.orders_file.read_bytes() == files
        assert balances(engine) == after_late
        assert rows(engine, "SELECT * FROM payout ORDER BY id").to_dict("records") == before[1]
        assert len(parse_payment_orders(again.orders_file)) == first.payouts


@SLOW
@given(money=st.lists(st.integers(1, 100_000), min_size=1, max_size=6), data=st.data())
def test_a_reversal_of_a_reversal_is_refused(engine: sa.Engine, money, data) -> None:  # type: ignore[no-untyped-def]
    empty_database(engine)
    add_suppliers(engine, [supplier(1)])
    rid = post(engine, [(make_inn(1), "ЖКУ", a) for a in money])
    ids = rows(engine, "SELECT id FROM payment WHERE register_id = :r ORDER BY id", r=rid)["id"].tolist()
    chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    for pid in chosen:
        reverse_payment(engine, pid, "ошибка", DAY)
    reversals = rows(engine, "SELECT id, reverses_id FROM ledger_entry WHERE kind = 'reversal'")
    assert len(reversals) == len(chosen)
    for entry in reversals["id"]:
        with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="itself a reversal"):
            reverse_entry(uow.conn, int(entry), on=DAY, reason="сторно сторно")
    for pid in chosen:
        with pytest.raises(ReversalRefused, match="reversed already"):
            reverse_payment(engine, pid, "ещё раз", DAY)
    assert len(rows(engine, "SELECT id FROM ledger_entry WHERE kind = 'reversal'")) == len(chosen)
    assert balances(engine)[f"supplier:{make_inn(1)}"] == sum(a for a, p in zip(money, ids, strict=True)
                                                              if p not in chosen)  # fmt: skip
