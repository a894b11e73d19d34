"""A small center for payout tests: suppliers with valid details and fee terms, posted payments."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from domain.identifiers import bank_account, inn
from domain.records import Supplier
from rkc.config import Config, init_home
from sql.charges import upsert_suppliers
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import new_register, payment_frame, split_frame

BIC = "044525225"


def make_inn(serial: int) -> str:
    """A valid 10-digit ИНН of an organisation."""
    body = f"77{serial:07d}"
    return body + inn.calc_check_digits(body)


def make_account(serial: int) -> str:
    """A settlement account whose control key passes with ``BIC``."""
    return bank_account.with_key(f"40702810{serial:012d}", BIC)


def supplier(serial: int, **terms: object) -> Supplier:
    """Supplier ``serial`` with valid details, contract ``Д-<serial>`` and the given fee terms."""
    return Supplier(make_inn(serial), f"ООО «Поставщик {serial}»", "770101001", make_account(serial), BIC,
                    contract_no=f"Д-{serial}", **terms)  # type: ignore[arg-type]  # fmt: skip


def center(tmp_path: Path) -> Config:
    """A working directory made by ``rkc init`` (the database is the test's engine)."""
    config, _ = init_home(tmp_path / "home")
    return config


def add_suppliers(engine: sa.Engine, suppliers: list[Supplier]) -> None:
    """Store the suppliers directory."""
    with UnitOfWork(engine) as uow:
        upsert_suppliers(uow.conn, suppliers)
        uow.commit()


def post(engine: sa.Engine, parts: list[tuple[str, str, int]], *, name: str = "r.txt", paid: str = "2026-03-15",
         first: int = 1) -> int:  # fmt: skip
    """Post one register: a payment per (supplier ИНН, service, kopecks) part; returns its id."""
    rows = [{"operation_id": str(first + i), "amount": amount, "paid_date": paid} for i, (_, _, amount) in
            enumerate(parts)]  # fmt: skip
    splits = split_frame([(i, who, service, amount) for i, (who, service, amount) in enumerate(parts)])
    with UnitOfWork(engine) as uow:
        rid = new_register(uow.conn, name)
        uow.conn.execute(sa.text("UPDATE register SET status = 'posted' WHERE id = :id"), {"id": rid})
        post_payments(uow.conn, rid, payment_frame(rows), splits)
        uow.commit()
    return rid


def balances(engine: sa.Engine) -> dict[str, int]:
    """The ledger's balances in natural sign."""
    from sql.ledger_queries import balances as read

    with engine.connect() as conn:
        return read(conn)


def count(engine: sa.Engine, table: str) -> int:
    """Rows of ``table``."""
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def rows(engine: sa.Engine, query: str, **params: object) -> pd.DataFrame:
    """A query's rows as a frame."""
    with engine.connect() as conn:
        return pd.read_sql_query(sa.text(query), conn, params=params)


DAY = date(2026, 3, 16)
