"""One ПД (payment_document) by its УИП, for what is printed from it (the receipt's QR code)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class Document:
    """A stored ПД: its УИП, the account as printed, the period ``YYYY-MM``, the total in kopecks."""

    uip: str
    account_raw: str
    period: str
    total: int
    payer: str
    address: str


def find_document(conn: Connection, uip: str) -> Document | None:
    """The ПД of ``uip``, or None when there is none."""
    row = conn.execute(
        text("SELECT uip, account_raw, period, total, payer, address FROM payment_document WHERE uip = :u"),
        {"u": uip},
    ).first()
    return None if row is None else Document(row[0], row[1], row[2], int(row[3]), row[4] or "", row[5] or "")
