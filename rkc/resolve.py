"""Accountants' resolutions: suspense payments moved to the supplier by a new ledger entry.

A workbook dropped into ``inbox/resolutions/`` names, for some suspense payments, the right ЛС or
УИП. Each resolution is checked (the payment is still in suspense, the target is a known ПД or an
account with ПД) and applied as a reclassification entry split over that ПД's lines; one that
names an unknown account is rejected with a reason and changes nothing. Who resolved what, from
which file, is recorded in ``resolution``.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import Connection, Engine, insert, text

from domain.identifiers.account import compact as compact_account
from domain.splitting import split_payments
from rkc.config import Config
from rkc.filing import file_away
from sql.entries import reclassify, suspense_amount
from sql.models import Resolution
from sql.uow import UnitOfWork


@dataclass(frozen=True)
class ResolutionSummary:
    """What the night did with the accountants' workbooks (JSON-able)."""

    files: int = 0
    applied: int = 0
    rejected: list[str] = field(default_factory=list)


def apply_resolutions(config: Config, engine: Engine, run_date: date) -> ResolutionSummary:
    """Apply every workbook in ``inbox/resolutions`` and file it away with a note of rejections."""
    from reports.resolutions import read_resolutions

    folder = config.resolutions_inbox
    # Regular .xlsx files only: an upload in progress (``.name``) waits, a link is never followed.
    books = sorted(
        p for p in folder.iterdir()
        if p.suffix.lower() == ".xlsx" and not p.name.startswith(".") and stat.S_ISREG(p.lstat().st_mode)
    ) if folder.is_dir() else []  # fmt: skip
    applied, rejected = 0, []
    for book in books:
        requests, errors = read_resolutions(book)
        notes = [f"{book.name}:{e.line_no}: {e.reason}" for e in errors]
        for request in requests:
            with UnitOfWork(engine) as uow:
                reason = _apply_one(uow.conn, request, book.name, run_date)
                if reason is None:
                    uow.commit()
                    applied += 1
                else:
                    notes.append(f"{book.name}:{request.row}: payment {request.payment_id}: {reason}")
        rejected += notes
        file_away(book, config.archive / run_date.isoformat() / "resolutions", "\n".join(notes) or None)
    return ResolutionSummary(len(books), applied, rejected)


def _apply_one(conn: Connection, request, source: str, run_date: date) -> str | None:  # type: ignore[no-untyped-def]
    """Apply one resolution; return the reason it was rejected, or None when applied."""
    done = conn.execute(text("SELECT target_uip FROM resolution WHERE payment_id = :p"), {"p": request.payment_id})
    if (previous := done.scalar()) is not None:
        return f"already resolved to ПД {previous}"
    held = suspense_amount(conn, request.payment_id)
    if held <= 0:
        return "the payment is not in suspense"
    uip = _target_document(conn, request.target)
    if uip is None:
        return f"no ПД has УИП or ЛС {request.target!r}"
    charges = pd.read_sql_query(
        text(
            "SELECT l.uip, d.account_raw, d.account, d.period, l.supplier_inn, l.service, l.amount, d.payer,"
            " d.address FROM service_line l JOIN payment_document d ON d.uip = l.uip WHERE l.uip = :u"
            " ORDER BY l.line_no"
        ),
        conn,
        params={"u": uip},
    )
    matched = pd.DataFrame({"payment_id": [request.payment_id], "uip": [uip], "amount": [held]})
    parts = split_payments(matched, charges).parts
    description = f"разнесено бухгалтером {request.resolved_by} ({source}, строка {request.row})"
    entry = reclassify(conn, request.payment_id, parts[["supplier_inn", "service", "amount"]], on=run_date,
                       description=description)  # fmt: skip
    conn.execute(
        insert(Resolution).values(
            payment_id=request.payment_id,
            target_uip=uip,
            resolved_by=request.resolved_by,
            source_file=source,
            entry_id=entry,
        )
    )
    return None


def _target_document(conn: Connection, target: str) -> str | None:
    """The ПД an accountant means: a УИП as typed, else the account's ПД of the latest period."""
    target = target.strip()
    if conn.execute(text("SELECT 1 FROM payment_document WHERE uip = :u"), {"u": target}).first():
        return target
    account = compact_account(target)
    rows = conn.execute(
        text("SELECT uip, period FROM payment_document WHERE account = :a ORDER BY period DESC"), {"a": account}
    ).all()
    if not rows:
        return None
    latest = [uip for uip, period in rows if period == rows[0][1]]
    return latest[0] if len(latest) == 1 else None
