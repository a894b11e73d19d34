"""Accepting a register whose control totals do not tie (docs/WORKBENCH.md, «accept a register»).

A register whose footer disagrees with its lines is quarantined whole (REGISTER_TOTAL_MISMATCH,
``domain.totals``). A senior accountant who has checked the lines against the agent may accept it
with a reason: the next night reads the file again and posts its lines as they are, and the
difference between the footer and the lines is recorded (a REGISTER_ACCEPTED line of that night,
informational, and the acceptance row). Pure rules and texts, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.codes import Code
from domain.money import format_ru
from domain.roles import Role
from domain.statuses import RegisterStatus


class AcceptanceStatus(StrEnum):
    """Where an acceptance stands (``register_acceptance.status``)."""

    ACCEPTED = "accepted"  # recorded; the next night reads the file again and posts its lines
    POSTED = "posted"  # the night posted its lines


def acceptance_refusal(role: str, code: str, register_status: str | None, accepted_before: bool) -> str | None:
    """Why a user of ``role`` may not accept the register of a case with ``code`` whose register
    stands in ``register_status`` (Russian), or None when allowed."""
    if role != Role.SENIOR:
        return "принять реестр с несходящимися итогами может только старший бухгалтер"
    if code != Code.REGISTER_TOTAL_MISMATCH:
        return "принять так можно только реестр, итоги которого не сходятся"
    if accepted_before:
        return "реестр уже принят: его строки разносит ближайшая ночь"
    if register_status != RegisterStatus.QUARANTINED:
        return "реестр не в карантине: принимать нечего"
    return None


@dataclass(frozen=True)
class Totals:
    """A register's figures: as its footer declares them (None: not declared) and as its lines sum."""

    declared_count: int | None
    declared_amount: int | None
    lines: int
    amount: int

    def difference(self) -> str:
        """The footer against the lines, in words (Russian): what the acceptance records."""
        parts = []
        if self.declared_count is not None and self.declared_count != self.lines:
            parts.append(f"строк в итогах {self.declared_count}, в файле {self.lines} "
                         f"(разница {self.declared_count - self.lines:+d})")  # fmt: skip
        if self.declared_amount is not None and self.declared_amount != self.amount:
            parts.append(f"сумма в итогах {format_ru(self.declared_amount)}, по строкам {format_ru(self.amount)} "
                         f"(разница {format_ru(self.declared_amount - self.amount)})")  # fmt: skip
        return "; ".join(parts) or "итоги по строкам и в файле совпадают, расходятся прочие итоги"


def acceptance_note(totals: Totals, accepted_by: str, accepted_on: date, reason: str) -> str:
    """The text of the night's REGISTER_ACCEPTED line and of the case's history."""
    return (f"реестр принят с расхождением итогов: {totals.difference()}; принял {accepted_by} "
            f"{accepted_on:%d.%m.%Y}: {reason}")  # fmt: skip
