"""Moving a suspense payment's money to ПД: the whole of it to one ПД, or split across several with
an amount each (``domain.parts``). The one use case behind the resolutions workbook
(``rkc.resolve``) and the workbench's «assign» and «split» (``rkc.workbench``), in the caller's
transaction.

Each part is split over its ПД's service lines by the usual rule (``domain.splitting``) and posted
as a ``reclass`` entry of its own (Dr suspense the part, Cr the suppliers), recording the version of
the ПД it used; each part is a ``resolution`` row with its amount, ПД and entry. One entry per part
keeps every supplier leg with the ПД it was split by, for the statements and the corrections.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection

from domain.identifiers import row_id
from domain.identifiers.account import compact as compact_account
from domain.money import format_ru
from domain.parts import Part, amounts, parts_refusal
from domain.splitting import split_payments
from sql.corrections import current_lines
from sql.entries import reclassify_parts, suspense_amount
from sql.resolutions import add_resolution, document_exists, latest_documents, resolved_target


@dataclass(frozen=True)
class Refused:
    """Why an assignment is refused (Russian); ``asked_wrong``: the parts asked break a rule
    (``domain.parts``), rather than the payment's state (not in suspense, resolved already)."""

    reason: str
    asked_wrong: bool = False


def assign_parts(
    conn: Connection, payment_id: int, asked: Sequence[tuple[str, int | None]], *, resolved_by: str, source: str,
    description: str, on: date,
) -> list[tuple[str, int, int]] | Refused:  # fmt: skip
    """Move payment ``payment_id``'s suspense money to the ПД named in ``asked`` (target as typed,
    amount in kopecks or None for the whole), dated ``on``; return (УИП, kopecks, entry id) per
    part, or why it is refused (nothing written)."""
    if (bad := row_id.problem(payment_id)) is not None:  # never hand a driver an id beyond BIGINT
        return Refused(bad)
    if (previous := resolved_target(conn, payment_id)) is not None:
        return Refused(f"уже разнесён на ПД {previous}")
    held = suspense_amount(conn, payment_id)
    if held <= 0:
        return Refused("платёж не найден среди невыясненных (нет такого ID или уже разнесён)")
    parts = [Part(target.strip(), target_document(conn, target), amount) for target, amount in asked]
    if (why := parts_refusal(parts, held)) is not None:
        return Refused(why, asked_wrong=True)
    sums = amounts(parts, held)
    split = len(parts) > 1
    entries = []
    for n, (part, amount) in enumerate(zip(parts, sums, strict=True), 1):  # a handful of parts, not rows of data
        charges = current_lines(conn, str(part.uip))  # the version the split uses is recorded with the entry
        matched = pd.DataFrame({"payment_id": [payment_id], "uip": [part.uip], "amount": [amount]})
        lines = split_payments(matched, charges).parts[["supplier_inn", "service", "amount"]]
        text = description + (f"; часть {n} из {len(parts)}: {format_ru(amount)} на ПД {part.uip}" if split else "")
        entries.append((lines, int(charges["version"].iloc[0]), text))
    written = reclassify_parts(conn, payment_id, entries, on=on)
    if written is None:
        return Refused("платёж уже разнесён проводкой, которая не сторнирована")
    for part, amount, entry in zip(parts, sums, written, strict=True):
        add_resolution(conn, payment_id=payment_id, target_uip=str(part.uip), resolved_by=resolved_by,
                       source_file=source, entry_id=entry, amount=amount)  # fmt: skip
    return [(str(p.uip), a, e) for p, a, e in zip(parts, sums, written, strict=True)]


def target_document(conn: Connection, target: str) -> str | None:
    """The ПД an accountant means: a УИП as typed, else the account's ПД of the latest period, as
    matching pass 3 (``account_latest``) would find it; several there are ambiguous: none."""
    target = target.strip()
    if not target:
        return None
    if document_exists(conn, target):
        return target
    latest = latest_documents(conn, compact_account(target))
    return latest[0] if len(latest) == 1 else None
