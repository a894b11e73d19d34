"""Payouts to suppliers: who is paid how much, and how the bank's debits tie to what was prepared.

Pure rules over small frames (one row per supplier or per document; a center has hundreds):

- ``amount_due``: each supplier's amount due is its ledger balance (what the center owes it, after
  the fee; payouts already prepared have left the balance). A supplier is paid that amount when it
  is positive, it is not on hold and its bank details are complete and pass the account's control
  key against the БИК; otherwise it is skipped with the reason (listed in the payouts register),
  never dropped silently.
- ``tie_debits``: an outgoing document of the center's statement (``ДатаСписано``) pays a prepared
  payout when its number and date are the payout's; then its amount and recipient account must be
  the payout's too, else PAYOUT_MISMATCH. A debit that names no prepared payout is
  UNKNOWN_OUTGOING; a payout not debited ``missing_days`` days after its date is PAYOUT_MISSING.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import pandas as pd

from domain.codes import Code
from domain.identifiers import bank_account, bic, inn
from domain.money import format_ru

PURPOSE = ("Перечисление денежных средств, принятых от населения за ЖКУ, за {day:%d.%m.%Y} "
           "по договору № {contract}, без НДС")  # fmt: skip


class PayoutStatus(StrEnum):
    """Where a prepared payout stands (``payout.status``)."""

    PREPARED = "prepared"  # in transit: the payment order is written, the bank has not debited it
    SETTLED = "settled"  # its debit was seen in a statement
    CANCELLED = "cancelled"  # reversed before the bank debited it


class SkipReason(StrEnum):
    """Why a supplier with money owed is not paid today (Russian: shown in the payouts register)."""

    HOLD = "приостановлено бухгалтером"
    NO_DETAILS = "нет банковских реквизитов"
    BAD_DETAILS = "реквизиты не прошли проверку"
    NOTHING_DUE = "нет суммы к перечислению"


DUE_COLUMNS = ["inn", "name", "kpp", "bank_account", "bic", "contract_no", "balance", "hold_reason"]


@dataclass(frozen=True)
class Due:
    """What ``amount_due`` decided: ``pay`` (inn, name, kpp, bank_account, bic, contract_no,
    amount; in ИНН order) and ``skipped`` (inn, name, balance, reason)."""

    pay: pd.DataFrame
    skipped: pd.DataFrame


def purpose(day: date, contract_no: str) -> str:
    """The payment order's НазначениеПлатежа for the money accepted for ``day`` under a contract."""
    return PURPOSE.format(day=day, contract=contract_no.strip() or "б/н")


def details_problem(account: str, bic_code: str, inn_code: str, name: str = "") -> str | None:
    """Why a supplier's bank details cannot carry a payment order (None: they can): the file for the
    bank is cp1251, so the name must be writable in it too."""
    if not account or not bic_code:
        return SkipReason.NO_DETAILS.value
    try:
        name.encode("cp1251")
    except UnicodeEncodeError as exc:
        return f"{SkipReason.BAD_DETAILS.value}: в наименовании знак {name[exc.start]!r}, которого нет в cp1251"
    if not (bic.is_valid(bic_code) and bank_account.is_valid(account, bic_code) and inn.is_valid(inn_code)):
        return f"{SkipReason.BAD_DETAILS.value}: счёт {account}, БИК {bic_code}"
    return None


def amount_due(suppliers: pd.DataFrame) -> Due:
    """Split the suppliers (``DUE_COLUMNS``: ``balance`` in kopecks, ``hold_reason`` None unless
    held) into those paid today and those skipped, each with its reason."""
    frame = suppliers.sort_values("inn", kind="stable").reset_index(drop=True)
    reasons = []
    for row in frame.itertuples():  # hundreds of suppliers; the checks are per identifier
        if row.balance <= 0:
            reasons.append(SkipReason.NOTHING_DUE.value if row.balance == 0 else
                           f"{SkipReason.NOTHING_DUE.value}: сальдо {format_ru(row.balance)}")  # fmt: skip
        elif isinstance(row.hold_reason, str):
            reasons.append(f"{SkipReason.HOLD.value}: {row.hold_reason}")
        else:
            reasons.append(details_problem(row.bank_account or "", row.bic or "", row.inn, row.name or ""))
    reason = pd.Series(reasons, index=frame.index, dtype=object)
    paid = reason.isna()
    pay = frame.loc[paid, ["inn", "name", "kpp", "bank_account", "bic", "contract_no"]].assign(
        amount=frame.loc[paid, "balance"].astype("int64")
    )
    # A supplier with nothing owed is not news; it is left out of the skipped list (counted apart).
    owed = frame["balance"] != 0
    skipped = frame.loc[~paid & owed, ["inn", "name", "balance"]].assign(reason=reason[~paid & owed])
    return Due(pay.reset_index(drop=True), skipped.reset_index(drop=True))


class DebitOutcome(StrEnum):
    """How one outgoing document of a statement ties to the prepared payouts."""

    SETTLED = "settled"
    MISMATCH = Code.PAYOUT_MISMATCH.value
    UNKNOWN = Code.UNKNOWN_OUTGOING.value


PAYOUT_COLUMNS = ["payout_id", "number", "pay_date", "amount", "bank_account"]
DEBIT_COLUMNS = ["debit_id", "number", "date", "amount", "recipient_account"]


def tie_debits(payouts: pd.DataFrame, debits: pd.DataFrame) -> pd.DataFrame:
    """Each debit (``DEBIT_COLUMNS``) with ``payout_id`` (the prepared payout (``PAYOUT_COLUMNS``)
    of its number and date, else NA), ``outcome`` (``DebitOutcome``) and ``detail`` (Russian)."""
    keyed = debits.merge(
        payouts.rename(columns={"pay_date": "date", "amount": "want", "bank_account": "want_account"}),
        on=["number", "date"], how="left",
    )  # fmt: skip
    keyed = keyed.drop_duplicates("debit_id")  # a number is used once a day: one payout per key
    found = keyed["payout_id"].notna()
    same = found & (keyed["amount"] == keyed["want"]) & (keyed["recipient_account"] == keyed["want_account"])
    outcome = pd.Series(DebitOutcome.UNKNOWN.value, index=keyed.index, dtype=object)
    outcome[found] = DebitOutcome.MISMATCH.value
    outcome[same] = DebitOutcome.SETTLED.value
    detail = [
        _detail(o, r) for o, r in zip(outcome, keyed.itertuples(), strict=True)
    ]
    return pd.DataFrame({
        "debit_id": keyed["debit_id"].to_numpy(), "payout_id": keyed["payout_id"].astype("Int64").to_numpy(),
        "outcome": outcome.to_numpy(), "detail": detail,
    })  # fmt: skip


def _detail(outcome: str, row: object) -> str:
    where = f"п/п № {row.number} от {row.date:%d.%m.%Y} на {format_ru(int(row.amount))}, счёт {row.recipient_account}"
    if outcome == DebitOutcome.SETTLED:
        return ""
    if outcome == DebitOutcome.UNKNOWN:
        return f"{where}: такое перечисление РКЦ не готовил"
    return f"{where}: подготовлено {format_ru(int(row.want))} на счёт {row.want_account}"


def missing_payouts(payouts: pd.DataFrame, today: date, missing_days: int) -> pd.DataFrame:
    """Prepared payouts (``PAYOUT_COLUMNS``) not debited ``missing_days`` days after their date:
    ``payout_id``, ``detail``."""
    late = payouts[payouts["pay_date"] + timedelta(days=missing_days) <= today]
    detail = [
        f"п/п № {r.number} от {r.pay_date:%d.%m.%Y} на {format_ru(int(r.amount))} нет в выписке "
        f"{(today - r.pay_date).days} дн."
        for r in late.itertuples()
    ]
    return pd.DataFrame({"payout_id": late["payout_id"].to_numpy(), "detail": detail})
