"""A register without control totals (UNVERIFIED_REGISTER): accepted only where its channel allows.

Control totals are what proves the parser saw every payment of a register; a register that has
none (no footer, no Итого row, no totals file) cannot be checked. Its channel says whether such
registers are posted unchecked (``unverified: allow``, reported with their sum) or quarantined.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.codes import Code
from domain.money import format_ru
from domain.records import DeclaredTotals

NO_TOTALS_RU = "реестр без контрольных итогов"


@dataclass(frozen=True, slots=True)
class Unverified:
    """The verdict on a register without control totals: ``quarantine`` it, or post it reported."""

    quarantine: bool
    detail: str  # Russian, for the report and the quarantine note
    code: Code = Code.UNVERIFIED_REGISTER


def unverified_register(
    declared: DeclaredTotals | None, allowed: bool, lines: int, amount: int, channel: str
) -> Unverified | None:
    """None when the register declares a count or an amount; else the verdict for ``channel``
    (``lines`` records read, ``amount`` kopecks, rejected lines included)."""
    if declared is not None and (declared.count is not None or declared.amount is not None):
        return None
    what = f"{lines} строк на сумму {format_ru(amount)}"
    if allowed:
        return Unverified(False, f"{NO_TOTALS_RU}: {what} принято без сверки итогов (канал {channel} это разрешает)")
    return Unverified(True, f"{NO_TOTALS_RU}: {what}; канал {channel} не принимает реестры без итогов")
