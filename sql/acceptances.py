"""Registers accepted whose totals do not tie (``register_acceptance``): recorded in the workbench,
honoured by the next night's intake, marked posted by the posting of their lines."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, insert, select, update

from domain.acceptance import AcceptanceStatus
from domain.cases import EventKind
from sql.models import CaseEvent, Register, RegisterAcceptance


def register_figures(conn: Connection, register_id: int) -> dict | None:
    """A register's status, file, footer totals and lines' figures, as an acceptance records them."""
    r = Register.__table__.c
    query = select(r.id, r.file, r.channel, r.status, r.declared_count, r.declared_amount, r.declared_transfer,
                   r.declared_commission, r.lines, r.amount_total).where(r.id == register_id)  # fmt: skip
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def add_acceptance(conn: Connection, **values: object) -> int:
    """Record an acceptance (register_id, case_id, accepted_by, reason, note, the footer's and the
    lines' figures); its id. Status ``accepted``: the next night posts the lines."""
    row = {**values, "status": AcceptanceStatus.ACCEPTED.value}
    return int(conn.execute(insert(RegisterAcceptance).values(**row)).inserted_primary_key[0])


def acceptance_of(conn: Connection, register_id: int) -> dict | None:
    """The register's acceptance as a dict, or None."""
    query = select(RegisterAcceptance.__table__).where(RegisterAcceptance.register_id == register_id)
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def accepted_waiting(conn: Connection, register_id: int) -> dict | None:
    """The register's acceptance if its lines are still to be posted, else None (intake reads an
    accepted register again only then)."""
    found = acceptance_of(conn, register_id)
    return found if found is not None and found["status"] == AcceptanceStatus.ACCEPTED else None


def case_acceptance(conn: Connection, case_id: int) -> dict | None:
    """The acceptance made on a case, or None (the case page shows it)."""
    query = select(RegisterAcceptance.__table__).where(RegisterAcceptance.case_id == case_id)
    row = conn.execute(query.order_by(RegisterAcceptance.id.desc())).mappings().first()
    return dict(row) if row else None


def waiting(conn: Connection) -> list[dict]:
    """Acceptances whose lines are not posted yet, with their register's file, channel, sha256,
    status and stored path (where its run filed it: quarantine)."""
    a, r = RegisterAcceptance.__table__.c, Register.__table__.c
    query = (
        select(a.id, a.register_id, r.file, r.channel, r.sha256, r.status, r.stored_path)
        .join_from(RegisterAcceptance, Register, a.register_id == r.id)
        .where(a.status == AcceptanceStatus.ACCEPTED.value)
        .order_by(a.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def mark_posted(conn: Connection, register_id: int, posted_on: date, text: str, actor: str) -> bool:
    """Mark the register's acceptance posted on ``posted_on`` and write ``text`` into its case's
    history; False when the register had no acceptance waiting."""
    found = acceptance_of(conn, register_id)
    if found is None or found["status"] != AcceptanceStatus.ACCEPTED:
        return False
    conn.execute(update(RegisterAcceptance).where(RegisterAcceptance.id == found["id"])
                 .values(status=AcceptanceStatus.POSTED.value, posted_on=posted_on))  # fmt: skip
    conn.execute(insert(CaseEvent).values(case_id=found["case_id"], kind=EventKind.LINES_POSTED.value, actor=actor,
                                          text=text))  # fmt: skip
    return True
