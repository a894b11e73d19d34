"""The database itself refuses edits of the ledger: UPDATE and DELETE of entries, postings and
payments fail on SQLite and PostgreSQL; new rows go in as before. What someone with the database's
own powers does anyway (triggers set aside) is left for ``rkc ledger check`` to find."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from sql.ledger_queries import check_ledger
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import behind_the_ledgers_back, new_register, payment_frame, split_frame

EDITS = [
    ("UPDATE ledger_posting SET amount = amount + 1", "ledger_posting"),
    ("UPDATE ledger_posting SET account = 'supplier:7830002293' WHERE account LIKE 'supplier:%'", "ledger_posting"),
    ("DELETE FROM ledger_posting", "ledger_posting"),
    ("UPDATE ledger_entry SET kind = 'correction'", "ledger_entry"),
    ("DELETE FROM ledger_entry", "ledger_entry"),
    ("UPDATE payment SET amount = amount * 2", "payment"),
    ("DELETE FROM payment", "payment"),
]


def _posted(engine: sa.Engine) -> None:
    with UnitOfWork(engine) as uow:
        rid = new_register(uow.conn)
        payments = payment_frame([{"operation_id": "1", "amount": 1000}, {"operation_id": "2", "amount": 2000}])
        post_payments(uow.conn, rid, payments, split_frame([(0, "7707083893", "ЖКУ", 1000)]))
        uow.commit()


@pytest.mark.parametrize(("edit", "table"), EDITS, ids=[e for e, _ in EDITS])
def test_an_edit_of_the_ledger_is_refused(engine: sa.Engine, edit: str, table: str) -> None:
    _posted(engine)
    with pytest.raises(sa.exc.DBAPIError, match=f"rkc: {table} is append-only"), engine.begin() as conn:
        conn.execute(sa.text(edit))
    with engine.connect() as conn:
        assert check_ledger(conn) == []  # nothing changed
        assert conn.execute(sa.text("SELECT COUNT(*) FROM payment")).scalar() == 2


def test_new_entries_still_go_in(engine: sa.Engine) -> None:
    _posted(engine)
    with UnitOfWork(engine) as uow:
        rid = new_register(uow.conn, "second.txt")
        post_payments(uow.conn, rid, payment_frame([{"operation_id": "3", "amount": 500}]), split_frame([]))
        uow.commit()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM payment")).scalar() == 3
        assert check_ledger(conn) == []


def test_an_edit_behind_the_ledgers_back_is_found_by_the_check(engine: sa.Engine) -> None:
    _posted(engine)
    with engine.begin() as conn, behind_the_ledgers_back(conn):
        conn.execute(sa.text("UPDATE ledger_posting SET amount = amount + 1 WHERE account = 'suspense'"))
    with engine.connect() as conn:
        found = {v.kind for v in check_ledger(conn)}
    assert {"unbalanced_entry", "balance_mismatch"} <= found
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:  # and the triggers are back
        conn.execute(sa.text("DELETE FROM payment"))


@pytest.mark.postgres
def test_the_documented_application_role_posts_but_cannot_edit(pg_url: str, worker_id: str) -> None:
    """The grants docs/OPERATIONS.md gives, applied as written: the role posts a register, and an
    UPDATE or DELETE of the ledger is refused by privileges, before any trigger."""
    import re
    from pathlib import Path

    from sql.engine import make_engine
    from sql.partitions import adopt_default_months, default_months
    from tests.dbutil import empty_database

    doc = (Path(__file__).resolve().parents[1] / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    block = re.search(r"### The ledger cannot be edited.*?```sql\n(.*?)```", doc, re.S).group(1)
    role = f"rkc_app_{worker_id}"
    grants = [line.split("--")[0].strip().rstrip(";").replace("rkc_app", role)
              for line in block.splitlines() if line.strip() and "rkc_owner" not in line]  # fmt: skip
    admin = make_engine(pg_url)
    empty_database(admin)
    with admin.begin() as conn:
        if conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))  # left by an interrupted earlier run
            conn.execute(sa.text(f'DROP ROLE "{role}"'))
        for grant in grants:
            conn.execute(sa.text(grant))
    app = make_engine(pg_url.replace("postgres@", f"{role}@", 1))
    try:
        _posted(app)
        for edit, _ in EDITS:
            with pytest.raises(sa.exc.DBAPIError, match="permission denied"), app.begin() as conn:
                conn.execute(sa.text(edit))
        with app.connect() as conn:
            assert check_ledger(conn) == []
        with admin.begin() as conn:  # a leg of a month without a partition: only the owner may move it
            conn.execute(sa.text("INSERT INTO ledger_posting (entry_id, leg, account, amount, value_date)"
                                 " VALUES (99, 1, 'suspense', 5, '1999-01-05')"))  # fmt: skip
        with pytest.raises(sa.exc.DBAPIError, match="must be owner"), app.begin() as conn:
            adopt_default_months(conn)
        with admin.connect() as conn:
            assert default_months(conn) == [(date(1999, 1, 1), 1)]
    finally:
        app.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))
        admin.dispose()
