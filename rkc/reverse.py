"""Reversals a user asks for: a register its agent recalled, or one payment (docs/LEDGER.md).

Nothing is edited: every payment and reclassification entry still standing is undone by a
reversal entry pointing at it (``sql.entries.reverse_entry``), all in one transaction, and the
request is recorded with its reason. Reversing the same register or payment twice is refused with
what was done the first time; a payment already undone by its register's recall has nothing left.
A recalled register's file may come again corrected: it is read as a new register and its
payments are posted anew (``rkc.decide``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine

from domain.direct import REGISTER_FORMAT as DIRECT_FORMAT
from domain.statuses import RegisterStatus
from sql import reversals as store
from sql.bulk import lock_ledger
from sql.entries import reverse_entry
from sql.uow import UnitOfWork


class ReversalRefused(Exception):
    """A reversal that cannot be made; the message says why."""


@dataclass(frozen=True)
class Reversed:
    """What a reversal did."""

    subject: str
    subject_id: int
    entries: int


def reverse_register(engine: Engine, register_id: int, reason: str, on: date) -> Reversed:
    """Reverse every entry of a register's payments (its agent recalled it); the register is
    marked recalled."""
    return _reverse(engine, "register", register_id, reason, on)


def reverse_payment(engine: Engine, payment_id: int, reason: str, on: date) -> Reversed:
    """Reverse a payment's entries (its posting and any reclassification of it)."""
    return _reverse(engine, "payment", payment_id, reason, on)


def _reverse(engine: Engine, subject: str, subject_id: int, reason: str, on: date) -> Reversed:
    if not reason.strip():
        raise ReversalRefused("a reversal needs a reason (--reason)")
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        lock_ledger(conn)
        earlier = store.earlier_request(conn, subject, subject_id)
        if earlier is not None:
            raise ReversalRefused(
                f"{subject} {subject_id} was reversed already on {earlier['value_date']:%d.%m.%Y} "
                f"(reason: {earlier['reason']}); a reversal is never made twice"
            )
        if subject == "register":
            register = store.register_row(conn, subject_id)
            if register is None:
                raise ReversalRefused(f"no register {subject_id}")
            _refuse_payers_own(register, f"register {subject_id} ({register['file']})")
            if register["status"] != RegisterStatus.POSTED:
                raise ReversalRefused(f"register {subject_id} ({register['file']}) is {register['status']}, "
                                      "not posted: there is nothing of it in the ledger to reverse")  # fmt: skip
            entries = store.live_entries(conn, register_id=subject_id)
        else:
            register_id = store.payment_register(conn, subject_id)
            if register_id is None:
                raise ReversalRefused(f"no payment {subject_id}")
            _refuse_payers_own(store.register_row(conn, register_id) or {}, f"payment {subject_id}")
            entries = store.live_entries(conn, payment_id=subject_id)
            if not entries:
                raise ReversalRefused(f"payment {subject_id} has no entry left to reverse "
                                      "(its register was recalled, or it was reversed already)")  # fmt: skip
        _refuse_over_refunds(conn, subject, subject_id)
        text = f"сторно: {reason.strip()}"
        written = sum(reverse_entry(conn, entry, on=on, reason=text) is not None for entry in entries)
        if subject == "register":
            store.set_recalled(conn, subject_id, reason.strip())
        store.record_request(conn, subject, subject_id, reason.strip(), written, on)
        uow.commit()
    return Reversed(subject, subject_id, written)


def _refuse_payers_own(register: dict, what: str) -> None:
    """Payers' own п/п (a register of format ``statement``, rkc/direct.py) are not reversed. No
    agent recalls them or sends a corrected copy, and each п/п's receipt (Dr bank, Cr agent:direct)
    stands: reversing the payment would leave the payer's money on ``agent:direct``, owed to nobody,
    and the next night would tie the п/п to the reversed register again. Money that must go back
    to the payer is a refund, which keeps the payment and takes the money from where it was split."""
    if register.get("format") == DIRECT_FORMAT:
        raise ReversalRefused(f"{what} is a payer's own п/п (channel {register['channel']}): its money was "
                              "received from the payer and no agent recalls it, so it is not reversed; "
                              "to return the money to the payer, request a refund (rkc refunds request)")  # fmt: skip


def _refuse_over_refunds(conn: Connection, subject: str, subject_id: int) -> None:
    """A payment with a refund standing (approved, prepared or paid) is not reversed: its
    refund entry already took the money from suspense or its suppliers, so reversing the payment
    whole would drive them negative. The refund is cancelled first, or the recall is settled with
    the agent outside the ledger's automatic path."""
    key = "register_id" if subject == "register" else "payment_id"
    standing = store.standing_refunds(conn, **{key: subject_id})
    if standing:
        listed = ", ".join(f"refund {r['id']} of payment {r['payment_id']} ({r['status']})" for r in standing[:5])
        more = f" and {len(standing) - 5} more" if len(standing) > 5 else ""
        raise ReversalRefused(f"{subject} {subject_id} has refunds standing: {listed}{more}; cancel them first "
                              "(rkc refunds cancel): a refund already paid is not undone by a reversal")  # fmt: skip
