"""Record accounting: every record of an input file is a payment, a declared non-payment or rejected.

A parser sees a file through its format's rules; ``parsers.census`` counts the same file's records
without them. The two must agree: a record the parser passed over without a word (a payment
dropped as a "header", a line lost between blocks) shows as a difference, and the register is
stopped as a bug instead of being posted short.

>>> RecordAccount(records=5, payments=3, non_payments={"header": 1, "footer": 1}, rejected=0).balanced
True
>>> print(RecordAccount(records=5, payments=2, non_payments={"header": 1, "footer": 1}).reason[:80])
учёт записей файла не сходится: записей в файле 5, а платежей 2 + прочих строк 2
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RecordAccount:
    """What became of a file's records: ``records`` counted independently, the rest by the parser."""

    records: int
    payments: int
    non_payments: Mapping[str, int] = field(default_factory=dict)
    rejected: int = 0

    @property
    def non_payment_lines(self) -> int:
        """Declared non-payment records of every kind."""
        return sum(self.non_payments.values())

    @property
    def balanced(self) -> bool:
        """Whether records = payments + non-payments + rejected."""
        return self.records == self.payments + self.non_payment_lines + self.rejected

    @property
    def reason(self) -> str:
        """Why the file is stopped (Russian, for the quarantine note and the report); "" when balanced."""
        if self.balanced:
            return ""
        accounted = self.payments + self.non_payment_lines + self.rejected
        return (f"учёт записей файла не сходится: записей в файле {self.records}, а платежей {self.payments} "
                f"+ прочих строк {self.non_payment_lines} + отклонено {self.rejected} = {accounted} "
                "(ошибка программы: файл не проведён)")  # fmt: skip
