"""Invariants of refunds, with hypothesis (SQLite and PostgreSQL): a refund's parts sum to the
amount refunded and never exceed what a supplier held of the payment; per supplier, fee + payouts +
refunds + closing balance = collected; preparing a date twice changes nothing, refunds included."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.statement_1c import parse_payment_orders
from rkc.config import init_home
from rkc.payouts import prepare
from rkc.refunds import refundable, request_refund
from sql.ledger_queries import check_ledger
from tests.payoututil import DAY, add_suppliers, balances, make_inn, rows, supplier
from tests.refundutil import ask, empty, limited, pay, users

SLOW = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
terms = st.fixed_dictionaries({"fee_percent": st.sampled_from(["0", "1", "2.75"]),
                               "fee_min": st.sampled_from([0, 100])})  # fmt: skip
# a payment: its parts (supplier 1..3, service, kopecks); None parts: a payment in suspense
payments = st.lists(
    st.one_of(st.lists(st.tuples(st.integers(1, 3), st.sampled_from(["ХВС", "ГВС"]), st.integers(1, 2_000_000)),
                       min_size=1, max_size=4),
              st.integers(1, 2_000_000)),
    min_size=1, max_size=5,
)  # fmt: skip
# a refund: which payment, how much of what is left (per mille, at least a kopeck), before or after the payouts
refunds = st.lists(st.tuples(st.integers(0, 4), st.integers(1, 1000), st.booleans()), max_size=6)


def _world(engine: sa.Engine, home: Path, contracts: list[dict], money: list) -> tuple:  # type: ignore[type-arg]
    empty(engine)
    config, _ = init_home(home)
    add_suppliers(engine, [supplier(i + 1, **t) for i, t in enumerate(contracts)])
    ids, collected = [], {make_inn(i + 1): 0 for i in range(3)}
    for n, parts in enumerate(money):
        if isinstance(parts, int):
            ids.append(pay(engine, None, amount=parts, op=str(9000 + n)))
            continue
        ids.append(pay(engine, [(make_inn(who), s, a) for who, s, a in parts], op=str(9000 + n)))
        for who, _, a in parts:
            collected[make_inn(who)] += a
    return limited(config, 10**15), users(engine), ids, collected


def _refund(config, engine: sa.Engine, user, ids: list[int], which: int, share: int) -> None:  # type: ignore[no-untyped-def]
    """Refund ``share`` per mille (at least a kopeck) of what payment ``which`` has left, and check
    its parts against what each account held of it just before."""
    pid = ids[which % len(ids)]
    left = refundable(engine, pid)
    if left == 0:
        return
    held = _held(engine, pid)
    amount = max(1, left * share // 1000)
    done = request_refund(config, engine, user, ask(pid, amount), on=DAY)
    parts = rows(engine, "SELECT account, service, amount FROM ledger_posting WHERE entry_id = :e AND"
                 " account <> 'refunds_payable'", e=done.entry_id)  # fmt: skip
    assert int(parts["amount"].sum()) == amount  # the parts sum to the refund
    for r in parts.itertuples():
        assert 0 < r.amount <= held[(r.account, _service(r.service))], (r, held)  # never more than it held


def _held(engine: sa.Engine, pid: int) -> dict:  # type: ignore[type-arg]
    found = rows(engine, "SELECT p.account, p.service, -SUM(p.amount) AS held FROM ledger_posting p JOIN ledger_entry e"
                 " ON e.id = p.entry_id WHERE e.payment_id = :p AND p.account <> 'refunds_payable'"
                 " AND p.account NOT LIKE 'agent%' AND p.account NOT LIKE 'commission%' GROUP BY p.account, p.service",
                 p=pid)  # fmt: skip
    return {(r.account, _service(r.service)): int(r.held) for r in found.itertuples()}


def _service(value: object) -> str | None:
    """A leg's service as read (None or NaN when the leg has none)."""
    return value if isinstance(value, str) else None


@SLOW
@given(contracts=st.lists(terms, min_size=3, max_size=3), money=payments, wanted=refunds)
def test_fee_payouts_refunds_and_closing_add_up_to_collected(engine: sa.Engine, contracts, money, wanted) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        config, who, ids, collected = _world(engine, Path(tmp), contracts, money)
        for which, share, early in wanted:
            if early:
                _refund(config, engine, who["petrova"], ids, which, share)
        prepare(config, engine, DAY)
        for which, share, early in wanted:
            if not early:  # after the suppliers were paid: their balance may go below zero
                _refund(config, engine, who["petrova"], ids, which, share)
        prepare(config, engine, DAY + timedelta(days=1))
        money_now = balances(engine)
        fee = rows(engine, "SELECT supplier_inn AS inn, SUM(accrued) AS s FROM fee_month GROUP BY supplier_inn")
        paid = rows(engine, "SELECT supplier_inn AS inn, SUM(amount) AS s FROM payout GROUP BY supplier_inn")
        refunded = rows(engine, "SELECT SUBSTR(p.account, 10) AS inn, SUM(p.amount) AS s FROM ledger_posting p"
                        " JOIN ledger_entry e ON e.id = p.entry_id WHERE e.kind = 'refund'"
                        " AND p.account LIKE 'supplier:%' GROUP BY p.account")  # fmt: skip
        table = rows(engine, "SELECT COALESCE(SUM(amount), 0) AS s FROM refund")["s"][0]
        with engine.connect() as conn:
            assert check_ledger(conn) == []
    by = lambda frame: dict(zip(frame["inn"], frame["s"].astype(int), strict=True))  # noqa: E731
    fee, paid, refunded = by(fee), by(paid), by(refunded)
    for inn, total in collected.items():
        closing = money_now.get(f"supplier:{inn}", 0)
        assert fee.get(inn, 0) + paid.get(inn, 0) + refunded.get(inn, 0) + closing == total, inn
    assert money_now.get("refunds_payable", 0) == int(table)  # every refund posted, none debited yet
    assert money_now.get("suspense", 0) >= 0


@SLOW
@given(money=payments, wanted=refunds, late=refunds)
def test_preparing_a_date_twice_changes_nothing_refunds_included(engine: sa.Engine, money, wanted, late) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        config, who, ids, _ = _world(engine, Path(tmp), [{}, {}, {}], money)
        for which, share, _ in wanted:
            _refund(config, engine, who["petrova"], ids, which, share)
        first = prepare(config, engine, DAY)
        files = first.orders_file.read_bytes()
        stored = rows(engine, "SELECT * FROM refund ORDER BY id").to_dict("records")
        for which, share, _ in late:  # approved after the date was prepared: the next date's
            _refund(config, engine, who["petrova"], ids, which, share)
        after_late = balances(engine), rows(engine, "SELECT COUNT(*) AS n FROM ledger_entry")["n"][0]
        again = prepare(replace(config, payouts=replace(config.payouts, first_number=900)), engine, DAY)
        assert again.again and again.orders_file.read_bytes() == files
        assert (balances(engine), rows(engine, "SELECT COUNT(*) AS n FROM ledger_entry")["n"][0]) == after_late
        assert rows(engine, "SELECT * FROM refund ORDER BY id").to_dict("records")[: len(stored)] == stored
        waiting = rows(engine, "SELECT COUNT(*) AS n FROM refund WHERE order_number IS NULL")["n"][0]
        assert waiting == len(rows(engine, "SELECT id FROM refund")) - len(stored)
        if first.payouts + first.refunds:  # a file without orders is not read back (the reader refuses it)
            assert len(parse_payment_orders(again.orders_file)) == first.payouts + first.refunds
