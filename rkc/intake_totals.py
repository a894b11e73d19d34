"""A register's control totals from a separate totals file beside it (``channels.<name>.totals_file``).

``rkc.inbox`` pairs the files by name; here the totals file is read and its count and amount join
the register's intake as its declared totals. A totals file that cannot be read, or that says
otherwise than the register's own totals, leaves the register unverifiable: ``totals_error`` sends
it to quarantine (``rkc.decide``), with the totals file beside it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from domain.money import format_ru
from domain.records import DeclaredTotals
from parsers.base import BadFile, file_sha256
from parsers.totals_file import read_totals_file
from rkc.config import Config
from rkc.intake import PARSED, Intake, declared_as_dict


def attach_totals(config: Config, intake: Intake, totals_path: Path) -> Intake:
    """``intake`` with the totals file named and, for a parsed register, its totals declared."""
    spec = config.channels[intake.channel].totals_file
    intake = replace(intake, totals_path=str(totals_path), totals_sha256=file_sha256(totals_path))
    if spec is None or intake.status != PARSED or intake.accepted:  # accepted: its lines stand, not its totals
        return intake
    try:
        found = read_totals_file(totals_path, spec.content, spec.encoding)
    except (BadFile, OSError) as exc:
        reason = exc.reason if isinstance(exc, BadFile) else str(exc)
        return replace(intake, totals_error=f"файл итогов {totals_path.name} не прочитан: {reason}")
    own = intake.declared_totals() or DeclaredTotals()
    conflicts = [
        f"{label}: в реестре {show(mine)}, в файле итогов {show(theirs)}"
        for label, mine, theirs, show in (("строк", own.count, found.count, str),
                                          ("сумма", own.amount, found.amount, format_ru))
        if mine is not None and theirs is not None and mine != theirs
    ]  # fmt: skip
    if conflicts:
        return replace(intake, totals_error=f"итоги файла {totals_path.name} не совпадают с итогами реестра: "
                                            + "; ".join(conflicts))  # fmt: skip
    merged = replace(own, count=own.count if own.count is not None else found.count,
                     amount=own.amount if own.amount is not None else found.amount)  # fmt: skip
    return replace(intake, declared=declared_as_dict(merged))
