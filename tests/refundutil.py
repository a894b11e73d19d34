"""Helpers for the refund tests: payments split to several suppliers (or in suspense), users,
payers' accounts."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from domain.identifiers import bank_account
from rkc.config import Config
from rkc.refunds import RefundAsk
from rkc.users import SessionUser, acting_user, add_user
from sql import append_only
from sql.models import Base
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import new_register, payment_frame, split_frame
from tests.payoututil import BIC

PASSWORD = "верный-пароль-123"
USERS = {"petrova": "accountant", "ivanova": "accountant", "smirnov": "senior", "orlov": "senior", "audit": "viewer"}


def payer_account(serial: int) -> str:
    """A payer's account (40817, a person's) whose control key passes with ``BIC``."""
    return bank_account.with_key(f"40817810{serial:012d}", BIC)


def pay(engine: sa.Engine, split: list[tuple[str, str, int]] | None, *, amount: int | None = None, op: str = "1",
        payer: str = "Иванов Иван Иванович", paid: str = "2026-03-15") -> int:  # fmt: skip
    """Post one payment in a register of its own: split over (supplier ИНН, service, kopecks), or to
    suspense (``split`` None, ``amount`` given); returns the payment's id."""
    total = amount if split is None else sum(a for _, _, a in split)
    rows = [{"operation_id": op, "amount": total, "paid_date": paid, "payer": payer}]
    splits = split_frame([(0, inn, service, a) for inn, service, a in split or []])
    with UnitOfWork(engine) as uow:
        rid = new_register(uow.conn, f"reg-{op}.txt")
        uow.conn.execute(sa.text("UPDATE register SET status = 'posted' WHERE id = :id"), {"id": rid})
        post_payments(uow.conn, rid, payment_frame(rows), splits)
        uow.commit()
        return int(uow.conn.execute(sa.text("SELECT id FROM payment WHERE register_id = :r"), {"r": rid}).scalar_one())


def empty(engine: sa.Engine) -> None:
    """Every table emptied for the next hypothesis example: the ledger's and the audit log's
    append-only triggers set aside on SQLite (PostgreSQL's TRUNCATE does not fire them)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            return
        guarded = (*append_only.TABLES, "audit_log")
        append_only.drop(conn, guarded)
        for table in tables:
            conn.execute(sa.text(f"DELETE FROM {table}"))
        append_only.create(conn, guarded)


def users(engine: sa.Engine) -> dict[str, SessionUser]:
    """Workbench users of every role, as the use cases receive them."""
    for login, role in USERS.items():
        add_user(engine, login, role, PASSWORD)
    return {login: acting_user(engine, login) for login in USERS}


def limited(config: Config, limit: int) -> Config:
    """``config`` with ``workbench.refund_limit`` = ``limit`` kopecks."""
    return dataclasses.replace(config, workbench=dataclasses.replace(config.workbench, refund_limit=limit))


def ask(payment_id: int, amount: int | None, serial: int = 1, **more: object) -> RefundAsk:
    """A refund request to payer ``serial``'s valid account."""
    fields = {"name": "Иванов Иван Иванович", "account": payer_account(serial), "bic": BIC, "inn": "",
              "reason": "ошибочный платёж", **more}  # fmt: skip
    return RefundAsk(payment_id, amount, **fields)  # type: ignore[arg-type]
