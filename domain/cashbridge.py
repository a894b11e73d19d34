"""The cash bridge: the center's bank account told twice, by its statements and by the ledger.

Statements: the first statement's opening balance, plus every incoming п/п, minus every debit the
statements listed, must give the latest statement's closing balance; a difference means a
statement is missing from the sequence or a document was not stored. Ledger: ``bank:<account>``
must hold what the bank documents that were posted add up to (receipts from known agents, payouts
the bank debited as prepared); what was not posted is counted beside it, each document already
reported under its own code (REGISTER_MISSING, UNKNOWN_OUTGOING, PAYOUT_MISMATCH). Either
difference is a CASH_BRIDGE_MISMATCH (docs/LEDGER.md, "The cash bridge").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from domain.money import format_ru


@dataclass(frozen=True)
class BankFigures:
    """What the stored statements and the ledger say about one bank account; kopecks."""

    account: str
    first_date: date | None  # the first day of the earliest statement
    opening: int  # its opening balance: where the ledger's account starts
    last_date: date | None  # the last day of the latest statement
    closing: int  # its closing balance
    received: int  # every incoming п/п of the statements (stored once, however often listed)
    received_count: int
    paid_out: int  # every debit of the statements
    paid_out_count: int
    unposted_received: int  # incoming п/п with no ledger entry (no known agent)
    unposted_received_count: int
    unposted_paid_out: int  # debits not posted (not a prepared payout, or not as prepared)
    unposted_paid_out_count: int
    ledger_balance: int  # the ledger's ``bank:<account>`` balance


@dataclass(frozen=True)
class CashBridge:
    """The bridge of one account, its two differences and the lines the report shows."""

    figures: BankFigures

    @property
    def computed_closing(self) -> int:
        """Opening + received − paid out, by the statements' documents."""
        f = self.figures
        return f.opening + f.received - f.paid_out

    @property
    def statement_difference(self) -> int:
        """The documents' closing balance minus the latest statement's own."""
        return self.computed_closing - self.figures.closing

    @property
    def ledger_expected(self) -> int:
        """What ``bank:<account>`` must hold: the posted documents' receipts minus their debits."""
        f = self.figures
        return (f.received - f.unposted_received) - (f.paid_out - f.unposted_paid_out)

    @property
    def ledger_difference(self) -> int:
        """The ledger's balance minus what the posted documents add up to."""
        return self.figures.ledger_balance - self.ledger_expected

    def findings(self) -> list[tuple[str, int]]:
        """(detail for the accountant, amount) of each difference that is not zero."""
        f, out = self.figures, []
        if self.statement_difference:
            out.append((
                f"счёт {f.account}: входящий остаток {format_ru(f.opening)} на {_day(f.first_date)} + поступило "
                f"{format_ru(f.received)} − списано {format_ru(f.paid_out)} = {format_ru(self.computed_closing)}, "
                f"а исходящий остаток по выписке на {_day(f.last_date)} {format_ru(f.closing)}: "
                "не хватает выписки за часть дней или документа выписки",
                self.statement_difference,
            ))  # fmt: skip
        if self.ledger_difference:
            out.append((
                f"счёт {f.account}: остаток в учёте {format_ru(f.ledger_balance)}, а проведённые документы "
                f"выписок дают {format_ru(self.ledger_expected)}",
                self.ledger_difference,
            ))  # fmt: skip
        return out

    def lines(self) -> list[tuple[str, int | None, int]]:
        """(label, documents or None, kopecks) in the order the report prints them."""
        f = self.figures
        return [
            (f"Входящий остаток на {_day(f.first_date)} (первая выписка)", None, f.opening),
            ("Поступило по выпискам", f.received_count, f.received),
            ("Списано по выпискам", f.paid_out_count, f.paid_out),
            ("Остаток по документам выписок", None, self.computed_closing),
            (f"Исходящий остаток на {_day(f.last_date)} (последняя выписка)", None, f.closing),
            ("Расхождение: документы и остаток выписки", None, self.statement_difference),
            ("Поступления без проводки (нет реестра или плательщик не агент)", f.unposted_received_count,
             f.unposted_received),
            ("Списания без проводки (не по поручению РКЦ)", f.unposted_paid_out_count, f.unposted_paid_out),
            ("Остаток по проведённым документам", None, self.ledger_expected),
            (f"Остаток счёта bank:{f.account} в учёте", None, f.ledger_balance),
            ("Расхождение: учёт и документы", None, self.ledger_difference),
        ]  # fmt: skip

    def to_dict(self) -> dict:
        """JSON-able, for the run summary."""
        return {**asdict(self.figures), "first_date": _iso(self.figures.first_date),
                "last_date": _iso(self.figures.last_date), "computed_closing": self.computed_closing,
                "statement_difference": self.statement_difference, "ledger_expected": self.ledger_expected,
                "ledger_difference": self.ledger_difference}  # fmt: skip


def _day(day: date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else "—"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
