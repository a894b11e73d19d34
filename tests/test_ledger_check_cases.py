"""``check_ledger`` on a small ledger corrupted in each way it knows, case by case (SQLite and PostgreSQL).

Each case edits a clean ledger of three payments (two in March, one in April) behind the ledger's
back and lists, in order, every violation the whole check must report and those of March and of
April checked alone. The lists were those of the check before it read each month in one pass
(three queries a month, session 12); the one-pass check must give them to the character.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa

from sql import ledger_queries
from sql.ledger_queries import check_ledger
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import behind_the_ledgers_back, new_register, payment_frame, split_frame

SUPPLIER = "7707083893"
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


def _ledger(engine: sa.Engine) -> dict[str, int]:
    """Three payments: 1000 on 10 March to the supplier, 2000 on 20 March to suspense, 3000 on
    5 April to the supplier. Returns their entries' ids as ``a``, ``b``, ``c`` and payments' as ``pa``…"""
    rows = [
        {"operation_id": "a", "amount": 1000, "paid_date": "2026-03-10"},
        {"operation_id": "b", "amount": 2000, "paid_date": "2026-03-20"},
        {"operation_id": "c", "amount": 3000, "paid_date": "2026-04-05"},
    ]
    with UnitOfWork(engine) as uow:
        rid = new_register(uow.conn)
        post_payments(uow.conn, rid, payment_frame(rows), split_frame([(0, SUPPLIER, "ЖКУ", 1000),
                                                                       (2, SUPPLIER, "ЖКУ", 3000)]))  # fmt: skip
        uow.commit()
    with engine.connect() as conn:
        found = conn.execute(sa.text(
            "SELECT p.operation_id, e.id, p.id FROM ledger_entry e JOIN payment p ON p.id = e.payment_id"
        )).all()  # fmt: skip
    ids = {op: entry for op, entry, _ in found}
    return ids | {f"p{op}": payment for op, _, payment in found}


def _run(conn: sa.Connection, sql: str, **params: object) -> None:
    conn.execute(sa.text(sql), params)


def _entry(conn: sa.Connection, kind: str, key: str, day: str, payment: int | None = None,
           reverses: int | None = None) -> int:  # fmt: skip
    """An entry inserted as is (no legs); its id."""
    _run(conn, "INSERT INTO ledger_entry (kind, source_key, payment_id, reverses_id, value_date, batch, description)"
               " VALUES (:k, :s, :p, :r, :d, 'x', '')", k=kind, s=key, p=payment, r=reverses, d=day)  # fmt: skip
    return int(conn.execute(sa.text("SELECT id FROM ledger_entry WHERE source_key = :s"), {"s": key}).scalar_one())


def _legs(conn: sa.Connection, entry: int, day: str, *legs: tuple[str, int]) -> None:
    """Legs inserted as is, numbered from 1."""
    for n, (account, amount) in enumerate(legs, 1):
        _run(conn, "INSERT INTO ledger_posting (entry_id, leg, account, amount, value_date)"
                   " VALUES (:e, :n, :a, :m, :d)", e=entry, n=n, a=account, m=amount, d=day)  # fmt: skip


def unbalanced(conn: sa.Connection, ids: dict[str, int]) -> None:
    _run(conn, "UPDATE ledger_posting SET amount = amount + 1 WHERE entry_id = :e AND account = 'suspense'", e=ids["b"])


def one_leg_deleted(conn: sa.Connection, ids: dict[str, int]) -> None:
    _run(conn, "DELETE FROM ledger_posting WHERE entry_id = :e AND account = 'agent:sber'", e=ids["a"])


def no_legs(conn: sa.Connection, ids: dict[str, int]) -> None:
    _entry(conn, "transfer", "bare", "2026-04-07")


def stray_legs(conn: sa.Connection, ids: dict[str, int]) -> None:  # no entry; May has no entry at all
    _legs(conn, 9001, "2026-03-12", ("suspense", 5), ("suspense", -5))
    _legs(conn, 9002, "2026-05-02", ("suspense", 7), ("agent:sber", -7))


def leg_another_day(conn: sa.Connection, ids: dict[str, int]) -> None:
    _run(conn, "UPDATE ledger_posting SET value_date = '2026-03-25' WHERE entry_id = :e AND leg = 2", e=ids["b"])


def leg_another_month(conn: sa.Connection, ids: dict[str, int]) -> None:
    _run(conn, "UPDATE ledger_posting SET value_date = '2026-04-02' WHERE entry_id = :e AND leg = 2", e=ids["a"])


def legs_before_their_entry(conn: sa.Connection, ids: dict[str, int]) -> None:  # both legs, in February
    _run(conn, "UPDATE ledger_posting SET value_date = '2026-02-27' WHERE entry_id = :e", e=ids["c"])


def balance_changed(conn: sa.Connection, ids: dict[str, int]) -> None:
    _run(conn, "UPDATE ledger_balance SET balance = balance - 10 WHERE account = 'suspense'")


def balance_lost_and_invented(conn: sa.Connection, ids: dict[str, int]) -> None:
    _run(conn, "DELETE FROM ledger_balance WHERE account = 'agent:sber'")
    _run(conn, "INSERT INTO ledger_balance (account, balance) VALUES ('bank:9', 42)")


def posted_twice(conn: sa.Connection, ids: dict[str, int]) -> None:
    forged = _entry(conn, "payment", "forged", "2026-03-10", payment=ids["pa"])
    _legs(conn, forged, "2026-03-10", ("agent:sber", 1000), (f"supplier:{SUPPLIER}", -1000))


def posted_twice_then_reversed(conn: sa.Connection, ids: dict[str, int]) -> None:  # net once: no violation
    forged = _entry(conn, "payment", "forged", "2026-03-10", payment=ids["pa"])
    _legs(conn, forged, "2026-03-10", ("agent:sber", 1000), (f"supplier:{SUPPLIER}", -1000))
    undo = _entry(conn, "reversal", "undo", "2026-03-11", payment=ids["pa"], reverses=forged)
    _legs(conn, undo, "2026-03-11", ("agent:sber", -1000), (f"supplier:{SUPPLIER}", 1000))


def posted_three_times_reversal_of_a_non_payment(conn: sa.Connection, ids: dict[str, int]) -> None:
    for key, amount in (("forged1", 5), ("forged2", -5)):  # the balances still hold
        forged = _entry(conn, "payment", key, "2026-04-05", payment=ids["pc"])
        _legs(conn, forged, "2026-04-05", ("agent:sber", amount), (f"supplier:{SUPPLIER}", -amount))
    other = _entry(conn, "transfer", "other", "2026-04-05")
    _legs(conn, other, "2026-04-05", ("suspense", 1), ("suspense", -1))
    undo = _entry(conn, "reversal", "undo", "2026-04-06", payment=ids["pc"], reverses=other)  # not a payment's
    _legs(conn, undo, "2026-04-06", ("suspense", -1), ("suspense", 1))


def unknown_payment(conn: sa.Connection, ids: dict[str, int]) -> None:
    _run(conn, "UPDATE ledger_entry SET payment_id = 424242 WHERE id = :e", e=ids["b"])


def unknown_reversed_entry(conn: sa.Connection, ids: dict[str, int]) -> None:
    gone = _entry(conn, "reversal", "gone", "2026-04-09", reverses=987654)
    _legs(conn, gone, "2026-04-09", ("suspense", 3), ("suspense", -3))


def service_lines_unknown(conn: sa.Connection, ids: dict[str, int]) -> None:
    _run(conn, "INSERT INTO service_line (uip, line_no, supplier_inn, service, amount) VALUES"
               " ('U-GONE', 1, :s, 'ЖКУ', 100), ('U-GONE', 2, '7700000001', 'ЖКУ', 200)", s=SUPPLIER)  # fmt: skip


def everything(conn: sa.Connection, ids: dict[str, int]) -> None:
    for corrupt in (unbalanced, no_legs, stray_legs, leg_another_month, posted_twice, unknown_payment,
                    unknown_reversed_entry, service_lines_unknown, balance_changed):  # fmt: skip
        corrupt(conn, ids)


Expected = list[tuple[str, str, str]]
M = "2026-03"
# (corruption, the whole check, March alone, April alone); {a} {b} {c} {new} are entry ids, {pa}… payments'
CASES: list[tuple[Callable[[sa.Connection, dict[str, int]], None], Expected, Expected, Expected]] = [
    (lambda conn, ids: None, [], [], []),
    (unbalanced,
     [("unbalanced_entry", "entry {b}", "postings sum to 1 over 2 legs"),
      ("balance_mismatch", "suspense", "stored balance -2000 != sum of postings -1999")],
     [("unbalanced_entry", "entry {b}", "postings sum to 1 over 2 legs")], []),
    (one_leg_deleted,
     [("unbalanced_entry", "entry {a}", "postings sum to -1000 over 1 legs"),
      ("balance_mismatch", "agent:sber", "stored balance 6000 != sum of postings 5000")],
     [("unbalanced_entry", "entry {a}", "postings sum to -1000 over 1 legs")], []),
    (no_legs, [("empty_entry", "entry {new}", "postings sum to 0 over 0 legs")],
     [], [("empty_entry", "entry {new}", "postings sum to 0 over 0 legs")]),
    (stray_legs,
     [("orphan_posting", "entry 9001", "2 postings with no entry"),
      ("orphan_posting", "entry 9002", "2 postings with no entry"),
      ("balance_mismatch", "agent:sber", "stored balance 6000 != sum of postings 5993"),
      ("balance_mismatch", "suspense", "stored balance -2000 != sum of postings -1993")],
     [("orphan_posting", "entry 9001", "2 postings with no entry")], []),
    (leg_another_day,
     [("posting_date_mismatch", "entry {b}", f"1 postings dated in {M}, the entry 2026-03-20")],
     [("posting_date_mismatch", "entry {b}", f"1 postings dated in {M}, the entry 2026-03-20")], []),
    (leg_another_month,
     [("unbalanced_entry", "entry {a}", "postings sum to -1000 over 1 legs"),
      ("posting_date_mismatch", "entry {a}", "1 postings dated in 2026-04, the entry 2026-03-10")],
     [("unbalanced_entry", "entry {a}", "postings sum to -1000 over 1 legs")],
     [("posting_date_mismatch", "entry {a}", "1 postings dated in 2026-04, the entry 2026-03-10")]),
    (legs_before_their_entry,
     [("posting_date_mismatch", "entry {c}", "2 postings dated in 2026-02, the entry 2026-04-05"),
      ("empty_entry", "entry {c}", "postings sum to 0 over 0 legs")],
     [], [("empty_entry", "entry {c}", "postings sum to 0 over 0 legs")]),
    (balance_changed, [("balance_mismatch", "suspense", "stored balance -2010 != sum of postings -2000")], [], []),
    (balance_lost_and_invented,
     [("balance_mismatch", "agent:sber", "stored balance 0 != sum of postings 6000"),
      ("balance_mismatch", "bank:9", "stored balance 42 != sum of postings 0")], [], []),
    (posted_twice,
     [("balance_mismatch", "agent:sber", "stored balance 6000 != sum of postings 7000"),
      ("balance_mismatch", f"supplier:{SUPPLIER}", "stored balance -4000 != sum of postings -5000"),
      ("double_posting", "payment {pa}", "posted 2 times")], [], []),
    (posted_twice_then_reversed, [], [], []),
    (posted_three_times_reversal_of_a_non_payment, [("double_posting", "payment {pc}", "posted 3 times")], [], []),
    (unknown_payment, [("unknown_payment", "entry {b}", "names payment 424242, not stored")], [], []),
    (unknown_reversed_entry, [("unknown_reversed_entry", "entry {new}", "reverses entry 987654, not stored")],
     [], []),
    (service_lines_unknown,
     [("orphan_service_line", "ПД U-GONE", "2 service lines with no ПД version"),
      ("unknown_supplier", "supplier 7700000001", "1 service lines, not in the directory"),
      ("unknown_supplier", f"supplier {SUPPLIER}", "1 service lines, not in the directory")], [], []),
    (everything,
     [("unbalanced_entry", "entry {a}", "postings sum to -1000 over 1 legs"),
      ("unbalanced_entry", "entry {b}", "postings sum to 1 over 2 legs"),
      ("orphan_posting", "entry 9001", "2 postings with no entry"),
      ("empty_entry", "entry {bare}", "postings sum to 0 over 0 legs"),
      ("posting_date_mismatch", "entry {a}", "1 postings dated in 2026-04, the entry 2026-03-10"),
      ("orphan_posting", "entry 9002", "2 postings with no entry"),
      ("balance_mismatch", "agent:sber", "stored balance 6000 != sum of postings 6993"),
      ("balance_mismatch", f"supplier:{SUPPLIER}", "stored balance -4000 != sum of postings -5000"),
      ("balance_mismatch", "suspense", "stored balance -2010 != sum of postings -1992"),
      ("double_posting", "payment {pa}", "posted 2 times"),
      ("unknown_payment", "entry {b}", "names payment 424242, not stored"),
      ("unknown_reversed_entry", "entry {gone}", "reverses entry 987654, not stored"),
      ("orphan_service_line", "ПД U-GONE", "2 service lines with no ПД version"),
      ("unknown_supplier", "supplier 7700000001", "1 service lines, not in the directory"),
      ("unknown_supplier", f"supplier {SUPPLIER}", "1 service lines, not in the directory")],
     [("unbalanced_entry", "entry {a}", "postings sum to -1000 over 1 legs"),
      ("unbalanced_entry", "entry {b}", "postings sum to 1 over 2 legs"),
      ("orphan_posting", "entry 9001", "2 postings with no entry")],
     [("empty_entry", "entry {bare}", "postings sum to 0 over 0 legs"),
      ("posting_date_mismatch", "entry {a}", "1 postings dated in 2026-04, the entry 2026-03-10")]),
]  # fmt: skip


@pytest.mark.parametrize(("corrupt", "whole", "march", "april"), CASES, ids=lambda c: getattr(c, "__name__", None))
def test_each_corruption_gives_exactly_its_violations(engine: sa.Engine, corrupt, whole, march, april) -> None:  # type: ignore[no-untyped-def]
    ids = _ledger(engine)
    with engine.begin() as conn, behind_the_ledgers_back(conn):
        corrupt(conn, ids)
        made = conn.execute(sa.text("SELECT source_key, id FROM ledger_entry WHERE source_key NOT LIKE 'payment:%'"))
        ids |= {key: entry for key, entry in made}
    ids.setdefault("new", next((v for k, v in ids.items() if k in ("bare", "gone")), 0))

    def listed(expected: Expected) -> list[tuple[str, str, str]]:
        return [(kind, subject.format(**ids), detail) for kind, subject, detail in expected]

    with engine.connect() as conn:
        assert [(v.kind, v.subject, v.detail) for v in check_ledger(conn)] == listed(whole)
        assert [(v.kind, v.subject, v.detail) for v in check_ledger(conn, [MARCH])] == listed(march)
        assert [(v.kind, v.subject, v.detail) for v in check_ledger(conn, [APRIL])] == listed(april)


def test_the_check_sees_what_its_own_transaction_wrote(engine: sa.Engine) -> None:
    """No second connection reads months for a transaction that has written (it would not see it)."""
    ids = _ledger(engine)
    with engine.begin() as conn, behind_the_ledgers_back(conn):
        unbalanced(conn, ids)
        leg_another_month(conn, ids)
        found = [(v.kind, v.subject) for v in check_ledger(conn)]
    assert found == [("unbalanced_entry", f"entry {ids['a']}"), ("unbalanced_entry", f"entry {ids['b']}"),
                     ("posting_date_mismatch", f"entry {ids['a']}"), ("balance_mismatch", "suspense")]  # fmt: skip


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in (posted_twice, posted_twice_then_reversed,
                                  posted_three_times_reversal_of_a_non_payment, unknown_payment, everything)],
                         ids=lambda c: c[0].__name__)  # fmt: skip
def test_many_suspect_payments_are_read_whole_with_the_same_result(engine: sa.Engine, case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Past ``_SUSPECTS_MAX`` suspects the payments' rules read every entry instead: same violations."""
    monkeypatch.setattr(ledger_queries, "_SUSPECTS_MAX", 0)
    corrupt, whole, _, _ = case
    ids = _ledger(engine)
    with engine.begin() as conn, behind_the_ledgers_back(conn):
        corrupt(conn, ids)
        ids |= dict(
            conn.execute(sa.text("SELECT source_key, id FROM ledger_entry WHERE source_key NOT LIKE 'payment:%'")).all()
        )
    with engine.connect() as conn:
        found = [(v.kind, v.subject, v.detail) for v in check_ledger(conn)]
    assert found == [(kind, subject.format(**ids), detail) for kind, subject, detail in whole]
