"""``check_ledger`` finds every violation of a ledger corrupted on purpose, not just the first."""

from __future__ import annotations

import sqlalchemy as sa

from sql.ledger_queries import check_ledger
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import behind_the_ledgers_back, new_register, payment_frame, split_frame


def test_corrupted_ledger_reports_each_violation(engine: sa.Engine) -> None:
    with UnitOfWork(engine) as uow:
        rid = new_register(uow.conn)
        payments = payment_frame(
            [{"operation_id": "1", "amount": 1000}, {"operation_id": "2", "amount": 2000}]
        )
        post_payments(uow.conn, rid, payments, split_frame([(0, "7707083893", "ЖКУ", 1000)]))
        uow.commit()
    with engine.begin() as conn, behind_the_ledgers_back(conn):
        first, second = conn.execute(sa.text("SELECT id FROM ledger_entry ORDER BY id")).scalars().all()
        # 1. an unbalanced entry: one leg changed behind the ledger's back
        conn.execute(
            sa.text(
                "UPDATE ledger_posting SET amount = amount + 1 WHERE entry_id = :e AND account = 'suspense'"
            ),
            {"e": second},
        )
        # 2. a double posting: a second payment entry for payment 1, copied leg for leg
        payment_id = conn.execute(
            sa.text("SELECT payment_id FROM ledger_entry WHERE id = :e"), {"e": first}
        ).scalar()
        conn.execute(
            sa.text(
                "INSERT INTO ledger_entry (kind, source_key, payment_id, value_date, batch, description)"
                " VALUES ('payment', 'forged', :p, '2026-03-15', 'x', '')"
            ),
            {"p": payment_id},
        )
        forged = conn.execute(sa.text("SELECT id FROM ledger_entry WHERE source_key = 'forged'")).scalar()
        conn.execute(
            sa.text(
                "INSERT INTO ledger_posting (entry_id, leg, account, amount, service, value_date)"
                " SELECT :f, leg, account, amount, service, value_date FROM ledger_posting WHERE entry_id = :e"
            ),
            {"f": forged, "e": first},
        )
    with engine.connect() as conn:
        found = {(v.kind, v.subject) for v in check_ledger(conn)}
    assert ("unbalanced_entry", f"entry {second}") in found
    assert ("double_posting", f"payment {payment_id}") in found
    assert ("balance_mismatch", "suspense") in found  # the stored balance no longer equals the postings
    assert ("balance_mismatch", "agent:sber") in found  # the forged entry was never added to balances
    assert len(found) == 5  # also supplier:7707083893


def test_clean_ledger_has_no_violations(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert check_ledger(conn) == []


def test_service_lines_without_their_document_or_supplier_are_reported(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO service_line (uip, line_no, supplier_inn, service, amount)"
                " VALUES ('U-GONE', 1, '7707083893', 'ЖКУ', 100), ('U-GONE', 2, '7707083893', 'ЖКУ', 200)"
            )
        )
    with engine.connect() as conn:
        found = {(v.kind, v.subject, v.detail) for v in check_ledger(conn)}
    assert found == {
        ("orphan_service_line", "ПД U-GONE", "2 service lines with no ПД version"),
        ("unknown_supplier", "supplier 7707083893", "2 service lines, not in the directory"),
    }


def test_reversal_of_an_entry_not_stored_is_reported(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO ledger_entry (kind, source_key, reverses_id, value_date, batch, description)"
                " VALUES ('reversal', 'reversal:gone', 987654, '2026-03-15', 'x', '')"
            )
        )
        reversal = conn.execute(sa.text("SELECT id FROM ledger_entry WHERE source_key = 'reversal:gone'")).scalar()
    with engine.connect() as conn:
        found = {(v.kind, v.subject, v.detail) for v in check_ledger(conn)}
    assert ("unknown_reversed_entry", f"entry {reversal}", "reverses entry 987654, not stored") in found
    assert ("empty_entry", f"entry {reversal}", "postings sum to 0 over 0 legs") in found
