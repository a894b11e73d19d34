"""A month of one center, night by night, with money going out (issue #18, «done when»).

``run_month`` generates ``days`` consecutive days of one world (``generate(world_seed=…)``, the
charges imported once) and runs each night through the callable it is given (the nightly flow).
After each night it prepares the day's payouts (``rkc.payouts.prepare``); the next day's bank
statement carries the debits of those payment orders, read back from the day's
``payment-orders-<D>.txt`` with the project's own reader (number, date, amount, recipient exactly
as prepared; ``ДатаСписано`` the next day), and yesterday's late п/п. The statement opens at the
previous one's closing balance (the first at zero, where the ledger's bank account starts), so the
cash bridge ties. Every generated day has a register with a spoilt footer whose п/п is in that
day's statement (quarantined: the money waits in ``agent_unallocated``). Besides, after night 1
a payer is refunded (``request_refund`` as ``user``, dated that night) and an agent recalls a posted register
(``reverse_register``); before night 2 the agent's corrected copy arrives, and so does a ГИС ЖКХ
cancellation of a payment notified the day before (``synthetic.month_events``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine

from domain.records import BankTransfer
from parsers.statement_1c import parse_payment_orders
from rkc.app import import_charges_files
from rkc.config import Config
from rkc.payouts import Prepared, prepare
from synthetic.core import GeneratedDay, generate
from synthetic.month_events import (
    Recall,
    cancel_gis_payment,
    gis_orders,
    recall_register,
    refund_a_payer,
    send_corrected,
)
from synthetic.statement import BankDay, Transfer

MIN_DAYS = 4  # the events of nights 1 and 2, and a night after them to debit their orders
EVENT_NIGHT = 1  # the refund and the recall, after this night; the copy and the cancellation before the next


@dataclass
class Month:
    """What a generated month did: its days, the nights' results, the preparations, the events."""

    days: list[GeneratedDay] = field(default_factory=list)
    nights: list[dict] = field(default_factory=list)
    prepared: list[Prepared] = field(default_factory=list)
    debits: list[list[Transfer]] = field(default_factory=list)  # per day, the debits its statement carries
    refund_id: int | None = None
    recall: Recall | None = None
    corrected: Path | None = None  # the corrected copy put in the inbox
    cancelled_order: str | None = None  # the OrderID of the ГИС ЖКХ payment cancelled

    @property
    def closing(self) -> int:
        """The last statement's closing balance, kopecks."""
        return self.days[-1].closing


def debit_of(order: BankTransfer, debited: date) -> Transfer:
    """The bank's debit of a payment order as prepared, on ``debited``."""
    payer = (order.payer_name, order.payer_inn, order.payer_account)
    recipient = (order.recipient_name, order.recipient_inn, order.recipient_account)
    return Transfer(order.number, order.date, order.amount, False, payer, recipient, order.purpose,
                    order.recipient_bic, debited)  # fmt: skip


def run_month(config: Config, engine: Engine, first: date, days: int, night: Callable[[date], dict], *,
              user: str, accounts: int = 80, payments: int = 300, seed: int = 100,
              world_seed: int = 7) -> Month:  # fmt: skip
    """Generate and run ``days`` nights from ``first`` (see the module doc); ``night(run_date)``
    runs one night and returns its result; ``user`` (an accountant) asks for the refund."""
    if days < MIN_DAYS:
        raise ValueError(f"a month needs at least {MIN_DAYS} days for its events to settle, got {days}")
    month = Month()
    bank = BankDay(0)
    notified: list[str] = []  # the clean ГИС ЖКХ OrderIDs of the events' day
    for n in range(days):
        run = first + timedelta(days=n)
        day = generate(config.home, accounts=accounts, payments=payments, seed=seed + n, world_seed=world_seed,
                       run_date=run, bank=bank)  # fmt: skip
        month.days.append(day)
        month.debits.append([t for t in bank.transfers if not t.incoming])
        if n == EVENT_NIGHT:
            notified = gis_orders(day)
        if n == 0:
            import_charges_files(config, day.charges_csv, day.suppliers_csv)
        if n == EVENT_NIGHT + 1:
            month.corrected = send_corrected(config, month.recall)
            month.cancelled_order = cancel_gis_payment(config, engine, notified, run)
        month.nights.append(night(run))
        if n == EVENT_NIGHT:
            month.refund_id = refund_a_payer(config, engine, notified, user, run)
            month.recall = recall_register(engine, run)
        prepared = prepare(config, engine, run)
        month.prepared.append(prepared)
        debited = run + timedelta(days=1)
        carried = [day.late_transfer] if day.late_transfer is not None else []
        orders = parse_payment_orders(prepared.orders_file) if prepared.orders_file.is_file() else ()
        bank = BankDay(day.closing, (*carried, *(debit_of(o, debited) for o in orders)))
    return month
