"""A refund's workbench case (``refund.case_id``, when it was asked from a case page): its history
and state follow the refund. Called inside the refund use cases' transactions (``rkc.refunds``)."""

from __future__ import annotations

from sqlalchemy import Connection

from domain.cases import ACTIVE, CaseStatus, EventKind
from domain.money import format_ru
from sql import cases as case_store


def after_posting(conn: Connection, case: dict | None, actor: str, refund_id: int, amount: int, left: int,
                  entry: int, approver: str | None) -> None:  # fmt: skip
    """The case's history after a refund of its payment was posted; resolved when nothing is left."""
    if case is None or case["status"] not in {s.value for s in ACTIVE}:
        return
    who = f", утвердил {approver}" if approver else ""
    text = f"возвращено плательщику {format_ru(amount)} по заявке № {refund_id} (проводка {entry}{who})"
    if left > 0:
        case_event(conn, case, actor, EventKind.REFUNDED, f"{text}; осталось {format_ru(left)}")
        return
    case_store.set_case(conn, int(case["id"]), status=CaseStatus.RESOLVED.value, resolution=text)
    case_store.add_events(conn, [{"case_id": case["id"], "kind": EventKind.RESOLVED.value, "actor": actor,
                                  "text": text}])  # fmt: skip


def case_event(conn: Connection, case: dict | None, actor: str, kind: EventKind, text: str,
               owner: str | None = None) -> None:  # fmt: skip
    """A line in the history of the refund's case (if any); ``owner``: the case goes in work, theirs."""
    if case is None:
        return
    if owner is not None and case["status"] in {s.value for s in ACTIVE}:
        case_store.set_case(conn, int(case["id"]), status=CaseStatus.IN_WORK.value, owner=owner)
    case_store.add_events(conn, [{"case_id": case["id"], "kind": kind.value, "actor": actor, "text": text}])


def linked_case(conn: Connection, refund: dict) -> dict | None:
    """The case a refund was asked from, locked, or None."""
    return case_store.get_case(conn, int(refund["case_id"]), lock=True) if refund["case_id"] is not None else None


def reopen(conn: Connection, case: dict | None, actor: str, text: str) -> None:
    """A refund of the case's payment cancelled: a case it resolved is in work again, the actor's."""
    if case is not None and case["status"] == CaseStatus.RESOLVED:
        case_store.set_case(conn, int(case["id"]), status=CaseStatus.IN_WORK.value, owner=actor, resolution=None)
    case_event(conn, case, actor, EventKind.UNDONE, text)
