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
    texts: dict[str, pd.Series] = {}

    def s(col: str) -> pd.Series:  # each column as text ("" for none), once
        if col not in texts:
            texts[col] = frame[col].astype("string").fillna("")
        return texts[col]

    code, pid = s("code"), frame["payment_id"]
    # Which rule keys each row (the first that applies); each rule's text is then built only for its
    # own rows: built for every row and chosen among, they took ~4 s of a 1M night's 220,000 rows.
    rule = np.select(
        [
            (code == Code.UNKNOWN_METHOD.value).to_numpy(),
            code.isin(_REGISTER_CODES).to_numpy(),
            (code == Code.REGISTER_MISSING.value).to_numpy(),
            pid.notna().to_numpy(),
            (code == Code.MALFORMED_LINE.value).to_numpy(),
        ],
        [1, 2, 3, 4, 5],
        default=0,
    )
    keys = np.empty(len(frame), dtype=object)
    for which in np.unique(rule):
        rows = np.flatnonzero(rule == which)
        t = lambda col, rows=rows: s(col).iloc[rows]  # noqa: E731
        c = t("code")
        if which in (1, 2, 5):  # the register's file: its sha256, else channel and name
            sha = t("sha256")
            file_id = sha.where(sha != "", "file:" + t("channel") + ":" + t("file"))
        if which == 1:  # a method value a register's channel does not know: one case per register and
            # value (the value opens the detail: «способ оплаты «X» …»)
            detail = t("detail") if "detail" in frame.columns else pd.Series("", index=c.index, dtype="string")
            key = c + ":register:" + file_id + ":" + detail.str.split(":").str[0]
        elif which == 2:
            key = c + ":register:" + file_id
        elif which == 3:
            key = (c + ":transfer:" + t("paid_date") + ":" + t("operation_id") + ":" + t("payer") + ":"
                   + frame["amount"].iloc[rows].astype("Int64").astype("string").fillna(""))  # fmt: skip
        elif which == 4:
            key = c + ":payment:" + pid.iloc[rows].astype("Int64").astype("string").fillna("")
        elif which == 5:
            key = c + ":line:" + file_id + ":" + t("line_no")
        else:
            key = c + ":op:" + t("channel") + ":" + t("operation_id") + ":" + t("paid_date") + ":" + t("line_no")
        keys[rows] = key.str.slice(0, 200).to_numpy(dtype=object)
    return pd.Series(keys, index=frame.index, dtype=object)


def informational(frame: pd.DataFrame, tolerance: dict[str, int]) -> pd.Series:
    """Whether each row closes itself: its code has a tolerance and |paid − billed| is within it,
    or its code is ``ALWAYS_INFORMATIONAL``. ``difference`` is paid minus the ПД's total (NA when
    unknown: then it is work)."""
    limit = frame["code"].map(tolerance)
    diff = frame["difference"].astype("Int64").abs()
    within = (limit.notna() & diff.notna() & (diff <= limit)).fillna(False).astype(bool)
    return within | frame["code"].isin([c.value for c in ALWAYS_INFORMATIONAL]).to_numpy()
