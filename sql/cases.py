"""Storage of cases (``work_case``) and their history (``case_event``): the night's sightings, the
queue with its filters, one case with its payment and history."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, insert, or_, select, text, update

from domain.cases import CaseStatus
from sql.bulk import allocate_ids, bulk_insert, staged
from sql.engine import is_postgres
from sql.models import AppUser, CaseEvent, Discrepancy, Payment, Register, Resolution, WorkCase


def known_cases(conn: Connection, keys: list[str]) -> pd.DataFrame:
    """The cases already open under any of ``keys``: case_key, id, last_seen.

    The keys are staged and joined: IN lists of 500 against a table just filled (no statistics
    yet) were planned as scans, 440 of them for a night of 220,000 discrepancies (minutes)."""
    if not keys:
        return pd.DataFrame(columns=["case_key", "id", "last_seen"])
    unique = pd.DataFrame({"case_key": pd.unique(pd.Series(keys, dtype=object))})
    with staged(conn, "stage_case_key", unique, {"case_key": "TEXT"}):
        rows = conn.execute(
            text("SELECT w.case_key, w.id, w.last_seen FROM work_case w"
                 " JOIN stage_case_key s ON s.case_key = w.case_key")
        ).all()
    # By column: a frame built from the rows themselves took ~15 µs a row (pandas probes each Row).
    return pd.DataFrame({name: [r[i] for r in rows] for i, name in enumerate(["case_key", "id", "last_seen"])})


_CASE_COLUMNS = {
    "case_key": "VARCHAR(200)", "code": "VARCHAR(32)", "status": "VARCHAR(16)", "channel": "VARCHAR(64)",
    "payment_id": "BIGINT", "register_id": "BIGINT", "discrepancy_id": "BIGINT", "operation_id": "VARCHAR(64)",
    "account_raw": "VARCHAR(64)", "uip": "VARCHAR(32)", "payer": "TEXT", "amount": "BIGINT", "detail": "TEXT",
    "first_seen": "DATE", "last_seen": "DATE", "nights": "INTEGER",
}  # fmt: skip


def open_cases(conn: Connection, cases: pd.DataFrame, actor: str) -> int:
    """Insert the first sightings in ``cases`` (the ``work_case`` columns plus ``event_kind`` and
    ``event_text``, the history row each case starts with) in bulk; return how many. A night opens
    hundreds of thousands: one statement per row took minutes.

    The cases' ids are reserved first (only the night writes cases), so both tables are copied
    straight in: staging them and joining the history back by ``case_key`` took a third of the
    time at 225,000 cases (a hash join over every case ever opened)."""
    if cases.empty:
        return 0
    ids = np.fromiter(allocate_ids(conn, "work_case", len(cases)), dtype=np.int64, count=len(cases))
    bulk_insert(conn, "work_case", cases.assign(id=ids), ["id", *_CASE_COLUMNS])
    events = pd.DataFrame({"case_id": ids, "kind": cases["event_kind"].to_numpy(), "actor": actor,
                           "text": cases["event_text"].to_numpy()})  # fmt: skip
    bulk_insert(conn, "case_event", events, ["case_id", "kind", "actor", "text"])
    return len(cases)


def see_again(conn: Connection, sightings: pd.DataFrame, seen: date, actor: str) -> int:
    """Cases seen again on night ``seen`` (``case_id``, ``discrepancy_id`` of the latest sighting,
    ``event_text``): last night seen, one more night, and a history row each; return how many."""
    if sightings.empty:
        return 0
    columns = {"case_id": "BIGINT", "discrepancy_id": "BIGINT", "event_kind": "VARCHAR(16)", "event_text": "TEXT"}
    with staged(conn, "stage_seen_case", sightings, columns):
        conn.execute(
            text("UPDATE work_case SET last_seen = :seen, nights = work_case.nights + 1,"
                 " discrepancy_id = s.discrepancy_id FROM stage_seen_case s WHERE s.case_id = work_case.id"),
            {"seen": seen},
        )  # fmt: skip
        conn.execute(
            text("INSERT INTO case_event (case_id, kind, actor, text)"
                 " SELECT case_id, event_kind, :actor, event_text FROM stage_seen_case"),
            {"actor": actor},
        )  # fmt: skip
    return len(sightings)


def add_events(conn: Connection, rows: list[dict]) -> None:
    """Append history rows (case_id, kind, actor, text)."""
    if rows:
        conn.execute(insert(CaseEvent), rows)


# A ЛС, УИП (letters of either alphabet) or operation id: one word with a digit; a payer's name has none.
_IDENTIFIER = re.compile(r"\S*\d\S*")


OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.IN_WORK)  # a case someone still has to act on


@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters; None means no filter. Amounts in kopecks, age in days."""

    status: tuple[str, ...] = OPEN_STATUSES
    code: str | None = None
    channel: str | None = None
    owner: str | None = None
    min_age: int | None = None
    min_amount: int | None = None
    max_amount: int | None = None
    search: str | None = None  # ЛС, УИП, operation id or payer


def _where(f: QueueFilter, today: date) -> list:  # type: ignore[type-arg]
    c = WorkCase.__table__.c
    where = [c.status.in_(f.status)]
    if f.code:
        where.append(c.code == f.code)
    if f.channel:
        where.append(c.channel == f.channel)
    if f.owner:
        where.append(c.owner == f.owner)
    if f.min_age is not None:
        where.append(c.first_seen <= date.fromordinal(today.toordinal() - f.min_age))
    if f.min_amount is not None:
        where.append(c.amount >= f.min_amount)
    if f.max_amount is not None:
        where.append(c.amount <= f.max_amount)
    if f.search:
        term = f.search.strip()
        if _IDENTIFIER.fullmatch(term):
            # ЛС, УИП or operation id: exact, each by its own index (a BitmapOr on PostgreSQL).
            where.append(or_(c.account_raw == term, c.uip == term, c.operation_id == term))
        else:
            # A payer's name by its beginning, as typed.
            where.append(c.payer.like(term.replace("%", "").replace("_", "") + "%"))
    return where


def queue_page(conn: Connection, f: QueueFilter, today: date, page: int, size: int) -> tuple[list[dict], int]:
    """One page of the queue, oldest first, and the number of cases the filter selects."""
    table = WorkCase.__table__
    where = _where(f, today)
    total = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    rows = conn.execute(
        select(table).where(*where).order_by(table.c.first_seen, table.c.id).limit(size).offset((page - 1) * size)
    ).mappings().all()  # fmt: skip
    return [dict(r) for r in rows], int(total)


def get_case(conn: Connection, case_id: int, *, lock: bool = False) -> dict | None:
    """One case as a dict, or None. ``lock`` takes a row lock (PostgreSQL) for an action."""
    query = select(WorkCase.__table__).where(WorkCase.id == case_id)
    if lock and is_postgres(conn):
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def set_case(conn: Connection, case_id: int, **values: object) -> None:
    """Change a case's status, owner or resolution (its history is written by the caller)."""
    conn.execute(update(WorkCase).where(WorkCase.id == case_id).values(**values, updated_at=func.current_timestamp()))


def case_events(conn: Connection, case_id: int) -> list[dict]:
    """A case's history, oldest first."""
    rows = conn.execute(select(CaseEvent.__table__).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
    return [dict(r) for r in rows.mappings()]


def case_sources(conn: Connection, case: dict) -> dict:
    """What the case page shows beside the case: its latest discrepancy (raw line, file), the
    payment and its register's file."""
    disc = conn.execute(select(Discrepancy.__table__).where(Discrepancy.id == case["discrepancy_id"])).mappings()
    payment = None
    if case["payment_id"] is not None:
        payment = conn.execute(select(Payment.__table__).where(Payment.id == case["payment_id"])).mappings().first()
    register = None
    rid = (payment or {}).get("register_id") or case["register_id"]
    if rid is not None:
        register = conn.execute(select(Register.__table__).where(Register.id == rid)).mappings().first()
    return {"discrepancy": dict(disc.first() or {}), "payment": dict(payment) if payment else None,
            "register": dict(register) if register else None}  # fmt: skip


def status_counts(conn: Connection) -> dict[str, int]:
    """Cases by status."""
    c = WorkCase.__table__.c
    return {s: int(n) for s, n in conn.execute(select(c.status, func.count()).group_by(c.status))}


def owners(conn: Connection) -> list[str]:
    """The logins that may own a case (the queue's owner filter): the users, not a scan of the cases."""
    u = AppUser.__table__.c
    return [v for (v,) in conn.execute(select(u.login).order_by(u.login))]


def resolution_of(conn: Connection, payment_id: int):  # type: ignore[no-untyped-def]
    """The resolution of a payment (``entry_id``, ``target_uip``), or None."""
    r = Resolution.__table__.c
    return conn.execute(select(r.entry_id, r.target_uip).where(r.payment_id == payment_id)).first()


def latest_night(conn: Connection) -> date | None:
    """The latest night that received registers, or None."""
    value = conn.execute(select(func.max(Register.run_date))).scalar()
    return date.fromisoformat(str(value)[:10]) if value is not None else None


def resolved_elsewhere(conn: Connection) -> list[dict]:
    """Open or in-work cases whose payment has been resolved meanwhile (the accountants' workbook
    of the Excel round trip): case id, status, owner, resolution, and the resolution's author,
    file, target and entry."""
    c, r = WorkCase.__table__.c, Resolution.__table__.c
    query = (
        select(c.id, c.status, c.owner, c.resolution, r.resolved_by, r.source_file, r.target_uip, r.entry_id)
        .join_from(WorkCase, Resolution, c.payment_id == r.payment_id)
        .where(c.status.in_(OPEN_STATUSES))
        .order_by(c.id, r.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]
