"""Refunds to payers (docs/LEDGER.md «Refunds to payers», docs/WORKBENCH.md): the pure rules.

A posted payment's money, in suspense or split to suppliers, may be returned to the payer, whole or
in part, to a bank account whose control key passes against its БИК:

- ``request_refusal``: why a payment cannot be refunded now (unknown, not posted, reversed,
  refunded already, nothing left of it) or why the amount is wrong; ``None`` when it can be;
- ``check_details``: the payer's name, account, БИК and optional ИНН as a payment order carries
  them (cp1251, 20 digits with the control key), or why not;
- ``refund_parts``: where the refunded money comes from: the payment's suspense money, or the
  suppliers it was split to, pro rata to what each still holds of it, to the kopeck by largest
  remainder (ties to the part that sorts first), so no part exceeds what its account holds;
- above ``workbench.refund_limit`` a request waits for a senior accountant other than the one who
  asked (``needs_approval`` is the write-offs' rule; ``decision_refusal`` the same four eyes);
- ``cancel_refusal``: an approved or prepared refund may be cancelled until the bank debits it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np
import pandas as pd

from domain.identifiers import bank_account, bic, inn
from domain.identifiers._base import InvalidIdentifier
from domain.money import format_ru
from domain.writeoff import four_eyes_refusal, needs_approval

__all__ = ["needs_approval"]  # re-exported: one limit rule for write-offs and refunds

PURPOSE = ("Возврат ошибочно/излишне уплаченных денежных средств за ЖКУ по платежу № {operation} "
           "от {day:%d.%m.%Y}, без НДС")  # fmt: skip
MAX_NAME = 160  # characters of the recipient's name a payment order carries
HOLDING_COLUMNS = ["account", "service", "amount"]


class RefundStatus(StrEnum):
    """Where a refund stands (``refund.status``; the database checks the same list)."""

    REQUESTED = "requested"  # above the limit: waits for a senior accountant
    APPROVED = "approved"  # its refund entry is posted; the next payouts file carries its order
    REFUSED = "refused"
    PREPARED = "prepared"  # its payment order is written (number and date given)
    SETTLED = "settled"  # the bank's debit of it was seen in a statement
    CANCELLED = "cancelled"  # its entry reversed before the bank debited it


REFUND_STATUS_RU: dict[str, str] = {
    RefundStatus.REQUESTED: "ждёт утверждения",
    RefundStatus.APPROVED: "утверждён, ждёт поручения",
    RefundStatus.REFUSED: "отказано",
    RefundStatus.PREPARED: "поручение подготовлено",
    RefundStatus.SETTLED: "списано банком",
    RefundStatus.CANCELLED: "отменён",
}
# Refunds whose entry stands: their money has left the payment (and is owed to the payer or paid).
POSTED = (RefundStatus.APPROVED, RefundStatus.PREPARED, RefundStatus.SETTLED)


@dataclass(frozen=True)
class PaymentState:
    """What the ledger says of one payment, for a refund of it.

    ``holdings``: ``HOLDING_COLUMNS``, where the payment's money is now (``suspense`` or
    ``supplier:<inn>`` with the service, credit positive, kopecks): the net of every entry naming
    the payment (its posting, reclassifications, write-offs, refunds, their reversals)."""

    payment_id: int
    known: bool  # a stored payment
    posted: bool  # an entry was written for it
    reversed: bool  # none of its payment or reclassification entries stands
    holdings: pd.DataFrame
    refunded: int = 0  # refunds posted and not cancelled
    pending: int = 0  # refunds requested and waiting for approval

    @property
    def held(self) -> int:
        """The payment's money still in suspense or with its suppliers."""
        return int(self.holdings["amount"].sum()) if len(self.holdings) else 0

    @property
    def left(self) -> int:
        """What a new request may still ask for: held less the requests waiting."""
        return self.held - self.pending


@dataclass(frozen=True)
class PayerDetails:
    """The refund's recipient as its payment order carries it (identifiers compact)."""

    name: str
    account: str
    bic: str
    inn: str  # "" when not given


def request_refusal(state: PaymentState, amount: int) -> str | None:
    """Why ``amount`` kopecks of the payment may not be refunded (Russian), or None."""
    pid = state.payment_id
    if not state.known:
        return f"Платёж {pid} не найден."
    if not state.posted:
        return f"Платёж {pid} не проведён: возвращать нечего."
    if state.reversed:
        return f"Платёж {pid} сторнирован: возвращать нечего."
    negative = state.holdings[state.holdings["amount"] < 0]
    if len(negative):
        return (f"Деньги платежа {pid} разнесены с отрицательной частью ({negative['account'].iloc[0]}): "
                "такой возврат не рассчитать, обратитесь к главному бухгалтеру.")  # fmt: skip
    if state.held <= 0:
        if state.refunded > 0:
            return f"Платёж {pid} уже возвращён полностью ({format_ru(state.refunded)})."
        return f"Денег платежа {pid} нет ни у поставщиков, ни в невыясненных (списан?): возвращать нечего."
    if state.left <= 0:
        return (f"По платежу {pid} уже есть заявки на возврат всей суммы ({format_ru(state.pending)}), "
                "ждущие утверждения.")  # fmt: skip
    if amount <= 0:
        return "Сумма возврата должна быть больше нуля."
    if amount > state.left:
        waiting = f", ещё {format_ru(state.pending)} ждут утверждения" if state.pending else ""
        return (f"Сумма возврата {format_ru(amount)} больше того, что можно вернуть по платежу {pid}: "
                f"{format_ru(state.left)}{waiting}.")  # fmt: skip
    return None


def check_details(name: str, account: str, bic_code: str, inn_code: str = "") -> tuple[PayerDetails | None, str | None]:
    """The payer's details made compact and checked: ``(details, None)``, or ``(None, why)`` (Russian)."""
    name = " ".join((name or "").split())
    if not name:
        return None, "Укажите получателя возврата (ФИО плательщика)."
    if len(name) > MAX_NAME:
        return None, f"Имя получателя длиннее {MAX_NAME} знаков."
    try:
        name.encode("cp1251")
    except UnicodeEncodeError as exc:
        return None, f"В имени получателя знак {name[exc.start]!r}, которого нет в кодировке банка (cp1251)."
    try:
        bic_code = bic.validate(bic_code or "")
    except InvalidIdentifier:
        return None, f"БИК «{bic_code}» неверен: нужно 9 цифр."
    try:
        account = bank_account.validate_format(account or "")
    except InvalidIdentifier:
        return None, f"Счёт получателя «{account}» неверен: нужно 20 цифр."
    if not bank_account.check_key(account, bic_code):
        return None, f"Счёт {account} не проходит проверку контрольного ключа с БИК {bic_code}: проверьте счёт и БИК."
    inn_code = inn.compact(inn_code or "")
    if inn_code and not inn.is_valid(inn_code):
        return None, f"ИНН «{inn_code}» неверен (контрольные цифры не сходятся)."
    return PayerDetails(name, account, bic_code, inn_code), None


def refund_parts(amount: int, holdings: pd.DataFrame) -> pd.DataFrame:
    """Split ``amount`` over ``holdings`` (``HOLDING_COLUMNS``, all positive) pro rata to their
    amounts, to the kopeck by largest remainder; ties go to the holding that sorts first by
    (account, service). Parts of 0 are left out. ValueError when ``amount`` is not within
    1..sum(holdings) or a holding is not positive."""
    frame = holdings.assign(service=holdings["service"].astype(object).where(holdings["service"].notna(), None))
    frame = frame.sort_values(["account", "service"], key=lambda s: s.fillna(""), kind="stable").reset_index(drop=True)
    weights = frame["amount"].to_numpy(dtype=object)  # exact: Python integers, a handful of rows
    total = int(weights.sum()) if len(weights) else 0
    if len(weights) == 0 or any(int(w) <= 0 for w in weights):
        raise ValueError(f"holdings must be positive: {frame['amount'].tolist()}")
    if not 0 < amount <= total:
        raise ValueError(f"refund of {amount} outside 1..{total}")
    base = weights * amount // total
    remainder = weights * amount % total
    short = amount - int(base.sum())
    order = np.lexsort((np.arange(len(frame)), -remainder.astype(np.float64)))
    # Remainders below ``total`` are exact in a float64 while total < 2**53 kopecks (9·10¹³ rubles).
    base[order[:short]] += 1
    frame["amount"] = base.astype(np.int64)
    return frame[frame["amount"] > 0].reset_index(drop=True)[HOLDING_COLUMNS]


def decision_refusal(role: str, requested_by: str, decider: str, status: str) -> str | None:
    """Why ``decider`` (of ``role``) may not approve or refuse a refund asked by ``requested_by``
    standing in ``status`` (Russian), or None. Four eyes, as for write-offs: never one's own."""
    if status != RefundStatus.REQUESTED:
        return f"заявка на возврат уже рассмотрена ({REFUND_STATUS_RU.get(status, status)})"
    return four_eyes_refusal(role, requested_by, decider, "возвраты", "на возврат")


def cancel_refusal(status: str) -> str | None:
    """Why a refund in ``status`` cannot be cancelled (Russian), or None: an approved or prepared
    one can, until the bank debits it."""
    if status in (RefundStatus.APPROVED, RefundStatus.PREPARED):
        return None
    return {
        RefundStatus.SETTLED: "возврат уже списан банком: отменить нельзя",
        RefundStatus.CANCELLED: "возврат уже отменён",
        RefundStatus.REQUESTED: "заявка ещё не утверждена: откажите в ней",
        RefundStatus.REFUSED: "в возврате отказано: отменять нечего",
    }.get(status, f"возврат в состоянии {status}: отменить нельзя")


def purpose(operation_id: str, paid: date) -> str:
    """The refund's payment order НазначениеПлатежа: which payment of which date is returned."""
    return PURPOSE.format(operation=" ".join(str(operation_id).split()), day=paid)
