"""Refunds to payers (docs/WORKBENCH.md «Refunds», docs/LEDGER.md «Refunds to payers»): the use cases.

- ``request_refund``: an accountant asks to return a posted payment's money (in suspense, or split
  to suppliers), whole or in part, to the payer's account, with a reason. The payment and the
  details are judged by ``domain.refunds``; up to ``workbench.refund_limit`` the refund entry is
  posted at once (Dr suspense or the suppliers pro rata, Cr refunds_payable), above it the request
  waits for a senior accountant other than the one who asked;
- ``approve_refund`` / ``refuse_refund``: that senior's decision (the payment is judged again:
  its money may have moved since);
- ``cancel_refund``: an approved or prepared refund is undone by the reversal of its entry until
  the bank debits it; a prepared one's payouts files are written again without it;
- ``list_refunds``.

The payment orders are written by ``rkc payouts prepare`` (``rkc.refund_orders``) and settled by
the bank's debits (``rkc.refund_tie``). Each use case is one transaction under the exclusive
ledger lock, with a row in the audit log; a request made from a workbench case also writes the
case's history (``rkc.refund_cases``: resolved when nothing of the payment is left). Refusals are
``RefundRefused`` with a Russian message and the HTTP status the workbench answers with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection, Engine

from domain.cases import Action, EventKind, refusal
from domain.identifiers import row_id
from domain.money import format_ru
from domain.refunds import (
    HOLDING_COLUMNS,
    PaymentState,
    RefundStatus,
    cancel_refusal,
    check_details,
    decision_refusal,
    needs_approval,
    refund_parts,
    request_refusal,
)
from domain.roles import may_act
from rkc.config import Config
from rkc.refund_cases import after_posting, case_event, linked_case, reopen
from rkc.users import SessionUser
from rkc.workbench import ActionRefused, required_text
from sql import cases as case_store
from sql import refunds as store
from sql.bulk import lock_ledger
from sql.entries import LedgerError, reverse_entry
from sql.uow import UnitOfWork
from sql.users import audit


class RefundRefused(ActionRefused):
    """A refund action refused (Russian message; ``status`` is the HTTP answer)."""


@dataclass(frozen=True)
class RefundAsk:
    """What an accountant asks: ``amount`` kopecks (None: everything the payment has left) of
    ``payment_id`` back to the payer's account, with the reason; ``case_id`` when asked from a case."""

    payment_id: int
    amount: int | None
    name: str
    account: str
    bic: str
    inn: str
    reason: str
    case_id: int | None = None


@dataclass(frozen=True)
class RefundDone:
    """What an action did: the refund, its status, a Russian message, the entry it wrote."""

    refund_id: int
    status: str
    message: str
    entry_id: int | None = None
    case_id: int | None = None


def request_refund(config: Config, engine: Engine, user: SessionUser, ask: RefundAsk, *, on: date) -> RefundDone:
    """Ask for a refund; posted at once up to ``workbench.refund_limit`` (its entry dated ``on``, the
    business day it belongs to), else waiting for a senior."""
    _may_act(user)
    reason = _text(ask.reason, "причина возврата")
    if (bad := row_id.problem(ask.payment_id)) is not None:
        raise RefundRefused(bad[:1].upper() + bad[1:] + ".", 404)
    details, problem = check_details(ask.name, ask.account, ask.bic, ask.inn)
    if details is None:
        raise RefundRefused(str(problem), 422)
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        lock_ledger(conn)  # exclusive: the payment's money cannot move between judging and posting
        case = _case(conn, ask.case_id, ask.payment_id) if ask.case_id is not None else None
        state, payment = payment_state(conn, ask.payment_id)
        amount = state.left if ask.amount is None else ask.amount
        if (why := request_refusal(state, amount)) is not None:
            raise RefundRefused(why, 404 if not state.known else 409)
        waits = needs_approval(amount, config.workbench.refund_limit)
        refund_id = store.add_refund(
            conn, payment_id=ask.payment_id, case_id=ask.case_id, amount=amount, payer_name=details.name,
            account=details.account, bic=details.bic, inn=details.inn, reason=reason, requested_by=user.login,
            status=(RefundStatus.REQUESTED if waits else RefundStatus.APPROVED).value,
        )  # fmt: skip
        asked = {"payment_id": ask.payment_id, "amount": amount, "payer_name": details.name,
                 "account": details.account, "bic": details.bic, "inn": details.inn, "reason": reason,
                 "case_id": ask.case_id}  # fmt: skip
        if waits:
            audit(conn, user.login, "refund_request", f"refund:{refund_id}", None,
                  _json({**asked, "status": RefundStatus.REQUESTED.value}))  # fmt: skip
            limit = format_ru(config.workbench.refund_limit)
            case_event(conn, case, user.login, EventKind.REFUND_ASKED,
                        f"заявка на возврат № {refund_id}: {format_ru(amount)} (выше лимита {limit}), ждёт "
                        f"старшего бухгалтера; причина: {reason}", owner=user.login)  # fmt: skip
            uow.commit()
            return RefundDone(refund_id, RefundStatus.REQUESTED.value,
                              f"Заявка на возврат № {refund_id} ждёт утверждения старшего бухгалтера.",
                              case_id=ask.case_id)  # fmt: skip
        entry = _post(conn, refund_id, amount, state, payment, None, on)
        audit(conn, user.login, "refund_request", f"refund:{refund_id}", None,
              _json({**asked, "status": RefundStatus.APPROVED.value, "entry_id": entry}))  # fmt: skip
        after_posting(conn, case, user.login, refund_id, amount, state.held - amount, entry, None)
        uow.commit()
    return RefundDone(refund_id, RefundStatus.APPROVED.value,
                      f"Возврат № {refund_id} на {format_ru(amount)} проведён (проводка {entry}); платёжное "
                      "поручение — в следующем файле перечислений.", entry, ask.case_id)  # fmt: skip


def approve_refund(config: Config, engine: Engine, user: SessionUser, refund_id: int, *, on: date) -> RefundDone:
    """Approve a waiting refund (a senior accountant, not the one who asked): its entry is posted,
    dated ``on``."""
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        lock_ledger(conn)
        refund = _decidable(conn, user, refund_id)
        state, payment = payment_state(conn, int(refund["payment_id"]), less_pending=int(refund["amount"]))
        if (why := request_refusal(state, int(refund["amount"]))) is not None:
            raise RefundRefused(f"Утвердить заявку № {refund_id} нельзя: {why} Откажите в заявке.")
        amount = int(refund["amount"])
        entry = _post(conn, refund_id, amount, state, payment, user.login, on)
        audit(conn, user.login, "refund_approve", f"refund:{refund_id}",
              _json({"status": refund["status"], "requested_by": refund["requested_by"]}),
              _json({"status": RefundStatus.APPROVED.value, "amount": amount, "entry_id": entry}))  # fmt: skip
        case = linked_case(conn, refund)
        after_posting(conn, case, user.login, refund_id, amount, state.held - amount, entry, user.login)
        uow.commit()
    return RefundDone(refund_id, RefundStatus.APPROVED.value,
                      f"Возврат № {refund_id} утверждён и проведён (проводка {entry}).", entry,
                      refund["case_id"])  # fmt: skip


def refuse_refund(engine: Engine, user: SessionUser, refund_id: int, note: str) -> RefundDone:
    """Refuse a waiting refund with ``note`` (a senior accountant, not the one who asked)."""
    note = _text(note, "причина отказа")
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        refund = _decidable(conn, user, refund_id)
        store.decide(conn, refund_id, status=RefundStatus.REFUSED.value, decided_by=user.login, decision_note=note)
        audit(conn, user.login, "refund_refuse", f"refund:{refund_id}", _json({"status": refund["status"]}),
              _json({"status": RefundStatus.REFUSED.value, "note": note}))  # fmt: skip
        case_event(conn, linked_case(conn, refund), user.login, EventKind.REFUND_REFUSED,
                    f"заявка на возврат № {refund_id}: {note}")  # fmt: skip
        uow.commit()
    return RefundDone(refund_id, RefundStatus.REFUSED.value, f"В возврате по заявке № {refund_id} отказано.",
                      case_id=refund["case_id"])  # fmt: skip


def cancel_refund(config: Config, engine: Engine, user: SessionUser, refund_id: int, reason: str, *,
                  on: date) -> RefundDone:  # fmt: skip
    """Cancel an approved or prepared refund before the bank debits it: its entry is reversed on ``on`` (the
    money is back with the payment's suppliers or in suspense); a prepared one's day's payouts files
    are written again without its order."""
    _may_act(user)
    reason = _text(reason, "причина отмены")
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        lock_ledger(conn)
        refund = _refund(conn, refund_id)
        if (why := cancel_refusal(refund["status"])) is not None:
            raise RefundRefused(f"Возврат № {refund_id}: {why}.")
        try:
            entry = reverse_entry(conn, int(refund["entry_id"]), on=on,
                                  reason=f"отмена возврата № {refund_id}: {reason}")  # fmt: skip
        except LedgerError as exc:
            raise RefundRefused(f"Проводку возврата № {refund_id} сторнировать нельзя: {exc}.") from exc
        if entry is None:
            raise RefundRefused(f"Проводка возврата № {refund_id} уже сторнирована.")
        store.decide(conn, refund_id, status=RefundStatus.CANCELLED.value, cancel_entry_id=entry,
                     decision_note=f"отменён {user.login}: {reason}")  # fmt: skip
        audit(conn, user.login, "refund_cancel", f"refund:{refund_id}",
              _json({"status": refund["status"], "order_number": refund["order_number"]}),
              _json({"status": RefundStatus.CANCELLED.value, "reversal_entry_id": entry,
                     "reason": reason}))  # fmt: skip
        reopen(conn, linked_case(conn, refund), user.login, f"возврат № {refund_id} отменён (сторно {entry}): {reason}")
        uow.commit()
    if refund["status"] == RefundStatus.PREPARED and refund["order_date"] is not None:
        from rkc.payouts import write_files  # the day's files, now without this order

        write_files(config, engine, refund["order_date"])
    return RefundDone(refund_id, RefundStatus.CANCELLED.value, f"Возврат № {refund_id} отменён: сторно {entry}.",
                      entry, refund["case_id"])  # fmt: skip


def list_refunds(engine: Engine, statuses: tuple[str, ...] | None = None, payment_id: int | None = None) -> list[dict]:
    """Refunds, oldest first (of these statuses, of one payment)."""
    with engine.connect() as conn:
        return store.refunds(conn, statuses=statuses, payment_id=payment_id)


def payment_state(conn: Connection, payment_id: int, *, less_pending: int = 0) -> tuple[PaymentState, dict | None]:
    """What the ledger and the refunds say of a payment (``less_pending``: a waiting request's own
    amount, left out when that request is judged again for its approval), and its row."""
    payment = store.payment_row(conn, payment_id)
    if payment is None:
        return PaymentState(payment_id, False, False, False, pd.DataFrame(columns=HOLDING_COLUMNS)), None
    posted, standing = store.entry_facts(conn, payment_id)
    refunded, pending = store.amounts_by_status(conn, payment_id)
    state = PaymentState(payment_id, True, posted, posted and not standing, store.holdings(conn, payment_id),
                         refunded, pending - less_pending)  # fmt: skip
    return state, payment


def refundable(engine: Engine, payment_id: int) -> int:
    """What a new request may ask of a payment now (0 when it cannot be refunded)."""
    with engine.connect() as conn:
        state, _ = payment_state(conn, payment_id)
    return max(state.left, 0) if request_refusal(state, 1) is None else 0


def _post(conn: Connection, refund_id: int, amount: int, state: PaymentState, payment: dict | None,
          approver: str | None, on: date) -> int:  # fmt: skip
    """Post a refund's entry dated ``on`` (pro rata over what the payment holds) and mark it approved."""
    paid = payment["paid_date"] if payment else None
    when = f" от {paid:%d.%m.%Y}" if hasattr(paid, "strftime") else (f" от {str(paid)[:10]}" if paid else "")
    description = f"возврат № {refund_id} плательщику по платежу № {payment['operation_id'] if payment else ''}{when}"
    entry = store.post_refund(conn, refund_id, state.payment_id, refund_parts(amount, state.holdings),
                              on=on, description=description)  # fmt: skip
    if entry is None:
        raise RefundRefused(f"Возврат № {refund_id} уже проведён.")
    store.decide(conn, refund_id, status=RefundStatus.APPROVED.value, decided_by=approver, entry_id=entry)
    return entry


def _case(conn: Connection, case_id: int, payment_id: int) -> dict:
    """The active case a refund is asked from, locked; it must be about that payment."""
    case = case_store.get_case(conn, case_id, lock=True)
    if case is None:
        raise RefundRefused(f"Случай {case_id} не найден.", 404)
    if (why := refusal(case["status"], Action.REFUND, case["code"])) is not None:
        raise RefundRefused(why[:1].upper() + why[1:] + ".")
    if case["payment_id"] is None or int(case["payment_id"]) != payment_id:
        raise RefundRefused(f"Случай {case_id} не о платеже {payment_id}.", 422)
    return case


def _refund(conn: Connection, refund_id: int) -> dict:
    refund = store.get_refund(conn, refund_id, lock=True) if 1 <= refund_id <= row_id.MAX_ROW_ID else None
    if refund is None:
        raise RefundRefused(f"Заявка на возврат № {refund_id} не найдена.", 404)
    return refund


def _decidable(conn: Connection, user: SessionUser, refund_id: int) -> dict:
    """A waiting refund, locked, once ``user`` may decide it (four eyes)."""
    refund = _refund(conn, refund_id)
    if (why := decision_refusal(user.role, refund["requested_by"], user.login, refund["status"])) is not None:
        decided = refund["status"] != RefundStatus.REQUESTED
        raise RefundRefused(why[:1].upper() + why[1:] + ".", 409 if decided else 403)
    return refund


def _may_act(user: SessionUser) -> None:
    if not may_act(user.role):
        raise RefundRefused("Недостаточно прав: ваша роль только для просмотра.", 403)


def _text(value: str, what: str) -> str:
    return required_text(value, what, RefundRefused)


def _json(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
