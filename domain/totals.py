"""A register's control totals (footer or "Итого" row) against the lines the file really holds.

Every line counts, rejected ones included: the line count always, the amount as far as it could
be read (``LineError.amount``). A mismatch quarantines the whole register (REGISTER_TOTAL_MISMATCH);
a rejected line alone does not. The transfer and commission totals are compared only when no line
was rejected (a rejected line's commission is unknown, so a difference there would be noise) and
when the format carries commissions. The check returns a value; it never raises on data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.codes import Code
from domain.money import format_ru
from domain.records import DeclaredTotals, LineError


@dataclass(frozen=True, slots=True)
class TotalsCheck:
    """Outcome of ``check_register_totals``: ``ok``, and when not, the code and Russian reasons."""

    ok: bool
    lines: int  # every line of the file, rejected included
    amount: int  # kopecks: accepted lines plus rejected lines whose amount was readable
    unreadable: int  # rejected lines whose amount could not be read
    reasons: tuple[str, ...] = ()

    @property
    def code(self) -> Code | None:
        """REGISTER_TOTAL_MISMATCH when the totals do not tie, else None."""
        return None if self.ok else Code.REGISTER_TOTAL_MISMATCH

    @property
    def reason(self) -> str:
        """All reasons in one line, for the report and the quarantine note."""
        return "; ".join(self.reasons)


def check_register_totals(
    payments: pd.DataFrame, errors: Sequence[LineError], declared: DeclaredTotals | None
) -> TotalsCheck:
    """Compare ``declared`` with ``payments`` (``amount``, ``commission``) plus the rejected ``errors``.

    Without declared totals there is nothing to compare and the result is ``ok``.
    """
    amounts = payments["amount"].to_numpy(dtype=np.int64)
    readable = [e.amount for e in errors if e.amount is not None]
    lines = len(amounts) + len(errors)
    amount = int(amounts.sum()) + sum(readable)
    unreadable = len(errors) - len(readable)
    reasons: list[str] = []
    if declared is None:
        return TotalsCheck(True, lines, amount, unreadable)
    if declared.count is not None and declared.count != lines:
        reasons.append(f"строк в файле {lines}, в итоговой строке {declared.count}")
    if declared.amount is not None and declared.amount != amount:
        note = f" (без {unreadable} строк с нечитаемой суммой)" if unreadable else ""
        reasons.append(
            f"сумма строк {format_ru(amount)}{note}, в итоговой строке {format_ru(declared.amount)}"
        )
    commission = pd.array(payments["commission"], dtype="Int64") if "commission" in payments else None
    has_commission = commission is not None and len(commission) > 0 and not commission.isna().any()
    if not errors and has_commission:
        comm = int(commission.sum())
        if declared.commission is not None and declared.commission != comm:
            reasons.append(
                f"комиссия по строкам {format_ru(comm)}, "
                f"в итоговой строке {format_ru(declared.commission)}"
            )
        transfer = int(amounts.sum()) - comm
        if declared.transfer is not None and declared.transfer != transfer:
            reasons.append(
                f"к перечислению по строкам {format_ru(transfer)}, "
                f"в итоговой строке {format_ru(declared.transfer)}"
            )
    return TotalsCheck(not reasons, lines, amount, unreadable, tuple(reasons))
