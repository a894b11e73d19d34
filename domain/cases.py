"""Cases: the rules that turn a night's discrepancies into the accountants' work items.

A case is one problem, whichever night sees it: its key names the problem, not the sighting, so a
TRANSFER_MISSING seen on three nights is one case three nights old. Keys by code:

- a payment's problem: the payment (``payment:<id>``), else its channel, operation id and date;
- a register's problem (totals, transfer, unverified, duplicate file, bad file): the file's sha256,
  else its channel and name;
- a transfer without a register: the transfer's identity (date, number, payer, amount);
- a rejected line: the file's sha256 (or name) and line number.

Informational codes (an under- or overpayment within the configured tolerance, a register
accepted with its totals' difference) close themselves: they are counted on the summary, never
queued. Pure: frames in, frames out.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from domain.codes import Code


class CaseStatus(StrEnum):
    """Where a case stands. ``informational`` cases were never work."""

    OPEN = "open"
    IN_WORK = "in_work"
    RESOLVED = "resolved"
    ACCEPTED = "accepted"
    INFORMATIONAL = "informational"


class EventKind(StrEnum):
    """What a case's history records."""

    OPENED = "opened"
    SEEN = "seen"
    TAKEN = "taken"
    COMMENT = "comment"
    RESOLVED = "resolved"
    ACCEPTED = "accepted"
    WRITE_OFF_ASKED = "write_off_asked"  # a write-off above the limit waits for a senior
    WRITE_OFF_REFUSED = "write_off_no"  # (the column holds 16 characters)
    UNDONE = "undone"  # a resolution reversed: the case is in work again
    REFUND_ASKED = "refund_asked"  # a refund above the limit waits for a senior
    REFUNDED = "refunded"  # a refund of the case's payment posted (part of it, or the rest)
    REFUND_REFUSED = "refund_no"
    LINES_POSTED = "lines_posted"  # an accepted register's lines posted by the night


class Action(StrEnum):
    """What a user can do to a case."""

    TAKE = "take"
    COMMENT = "comment"
    ASSIGN = "assign"  # move a suspense payment to a ПД
    SPLIT = "split"  # move a suspense payment to several ПД, an amount each
    ACCEPT = "accept"  # close as accepted, with a reason
    WRITE_OFF = "write_off"  # write a suspense payment's money off (four eyes above the limit)
    UNDO = "undo"  # reverse a resolution's entry: the case is in work again
    REFUND = "refund"  # return the case's payment (or part of it) to the payer (four eyes above the limit)
    ACCEPT_REGISTER = "accept_register"  # a register whose totals do not tie: post its lines (a senior)


STATUS_RU: dict[CaseStatus, str] = {
    CaseStatus.OPEN: "открыт",
    CaseStatus.IN_WORK: "в работе",
    CaseStatus.RESOLVED: "решён",
    CaseStatus.ACCEPTED: "закрыт (принято)",
    CaseStatus.INFORMATIONAL: "информационный",
}

EVENT_RU: dict[str, str] = {
    EventKind.OPENED: "открыт",
    EventKind.SEEN: "снова обнаружен",
    EventKind.TAKEN: "взят в работу",
    EventKind.COMMENT: "комментарий",
    EventKind.RESOLVED: "решён",
    EventKind.ACCEPTED: "закрыт (принято)",
    EventKind.WRITE_OFF_ASKED: "списание ждёт утверждения",
    EventKind.WRITE_OFF_REFUSED: "в списании отказано",
    EventKind.UNDONE: "решение отменено",
    EventKind.REFUND_ASKED: "возврат ждёт утверждения",
    EventKind.REFUNDED: "возврат плательщику",
    EventKind.REFUND_REFUSED: "в возврате отказано",
    EventKind.LINES_POSTED: "строки реестра разнесены",
}

ACTIVE = (CaseStatus.OPEN, CaseStatus.IN_WORK)
# Under/overpayments may close themselves when the difference is small; the other codes are work.
TOLERATED = (Code.UNDERPAYMENT, Code.OVERPAYMENT)
# Codes that only record what was decided already: informational whatever the amount.
ALWAYS_INFORMATIONAL = (Code.REGISTER_ACCEPTED,)
# Codes whose case is a suspense payment that can be moved to a ПД.
ASSIGNABLE = (Code.UNKNOWN_ACCOUNT, Code.AMBIGUOUS_MATCH, Code.ACCOUNT_CONFLICT, Code.PERIOD_MISSING)
_REGISTER_CODES = frozenset(
    c.value for c in (Code.REGISTER_TOTAL_MISMATCH, Code.TRANSFER_MISMATCH, Code.TRANSFER_MISSING,
                      Code.UNVERIFIED_REGISTER, Code.DUPLICATE_FILE, Code.BAD_FILE, Code.COMMISSION_MISMATCH,
                      Code.FOREIGN_STATEMENT, Code.REGISTER_ACCEPTED)
)  # fmt: skip


def refusal(status: str, action: Action, code: str) -> str | None:
    """Why ``action`` is refused on a case in ``status`` with ``code`` (Russian), or None when allowed."""
    if action is Action.UNDO:  # the one action on a closed case
        return None if status == CaseStatus.RESOLVED else "отменить можно только решение решённого случая"
    if status not in ACTIVE:
        return f"случай уже закрыт ({STATUS_RU[CaseStatus(status)]})"
    if action is Action.TAKE and status == CaseStatus.IN_WORK:
        return None  # taking over a case from a colleague is allowed and recorded
    if action in (Action.ASSIGN, Action.SPLIT) and code not in {c.value for c in ASSIGNABLE}:
        return "разнести на ПД можно только невыясненный платёж"
    if action is Action.WRITE_OFF and code not in {c.value for c in ASSIGNABLE}:
        return "списать можно только невыясненный платёж"
    if action is Action.ACCEPT_REGISTER and code != Code.REGISTER_TOTAL_MISMATCH:
        return "принять так можно только реестр, итоги которого не сходятся"
    return None


def case_keys(frame: pd.DataFrame) -> pd.Series:
    """The case key of each discrepancy row (columns of ``discrepancy`` plus ``sha256`` of its register)."""
    s = lambda col: frame[col].astype("string").fillna("")  # noqa: E731
    code, pid = s("code"), frame["payment_id"]
    file_id = s("sha256").where(s("sha256") != "", "file:" + s("channel") + ":" + s("file"))
    by_payment = code + ":payment:" + pid.astype("Int64").astype("string").fillna("")
    by_operation = code + ":op:" + s("channel") + ":" + s("operation_id") + ":" + s("paid_date") + ":" + s("line_no")
    by_register = code + ":register:" + file_id
    by_transfer = (code + ":transfer:" + s("paid_date") + ":" + s("operation_id") + ":" + s("payer") + ":"
                   + frame["amount"].astype("Int64").astype("string").fillna(""))  # fmt: skip
    by_line = code + ":line:" + file_id + ":" + s("line_no")
    # A method value a register's channel does not know: one case per register and value (the value
    # opens the detail: «способ оплаты «X» …»).
    detail = s("detail") if "detail" in frame.columns else pd.Series("", index=frame.index, dtype="string")
    by_value = by_register + ":" + detail.str.split(":").str[0]
    keys = np.select(
        [
            (code == Code.UNKNOWN_METHOD.value).to_numpy(),
            code.isin(_REGISTER_CODES).to_numpy(),
            (code == Code.REGISTER_MISSING.value).to_numpy(),
            pid.notna().to_numpy(),
            (code == Code.MALFORMED_LINE.value).to_numpy(),
        ],
        [by_value, by_register, by_transfer, by_payment, by_line],
        default=by_operation,
    )
    return pd.Series(keys, index=frame.index, dtype=object).str.slice(0, 200)


def informational(frame: pd.DataFrame, tolerance: dict[str, int]) -> pd.Series:
    """Whether each row closes itself: its code has a tolerance and |paid − billed| is within it,
    or its code is ``ALWAYS_INFORMATIONAL``. ``difference`` is paid minus the ПД's total (NA when
    unknown: then it is work)."""
    limit = frame["code"].map(tolerance)
    diff = frame["difference"].astype("Int64").abs()
    within = (limit.notna() & diff.notna() & (diff <= limit)).fillna(False).astype(bool)
    return within | frame["code"].isin([c.value for c in ALWAYS_INFORMATIONAL]).to_numpy()
