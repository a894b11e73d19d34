"""Payouts to suppliers: accrue the center's fee, prepare payment orders, cancel, hold and release.

``prepare`` (one transaction, under the exclusive ledger lock): the collections posted since the
last preparation are added to the fee's base; each supplier's monthly fee is brought to what its
contract says (a ``fee`` entry for the difference); then every supplier owed money, not on hold
and with valid bank details gets a payment order for its whole balance (a ``payout`` entry), every
approved refund to a payer without an order gets one (``rkc.refund_orders``: its entry was posted
when it was approved) and the batch of the date is recorded. The files are written after the
commit from what is stored, so preparing a date again writes the same files and posts nothing
(docs/REPORTS.md).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Connection, Engine

from domain.fee import FeeTermsError, month_fee, parse_terms
from domain.ledger import EntryKind, fee_postings, payout_postings
from domain.money import format_amount
from domain.payouts import DUE_COLUMNS, PayoutStatus, amount_due, purpose
from reports import payment_orders, payouts_xlsx
from reports.payout_notice import write_notices
from rkc import refund_orders
from rkc.config import Config
from sql import payouts as store
from sql.bulk import lock_ledger
from sql.entries import LedgerError, NewEntry, post_entries, reverse_entry
from sql.uow import UnitOfWork


class PayoutError(Exception):
    """A request about payouts the current state does not allow (the message says why, in English)."""


@dataclass(frozen=True)
class Prepared:
    """What ``prepare`` did: the date's payouts (new or already there), the files, the skipped."""

    day: date
    again: bool  # the date was prepared before: nothing posted, the files written again
    payouts: int
    total: int
    fee_entries: int
    skipped: list[dict]
    orders_file: Path
    register_file: Path
    refunds: int = 0  # refunds to payers with an order of the date, not cancelled
    refund_total: int = 0


def payouts_dir(config: Config, day: date) -> Path:
    """``out/<D>/payouts/``."""
    return config.out / day.isoformat() / "payouts"


def prepare(config: Config, engine: Engine, day: date) -> Prepared:
    """Prepare ``day``'s payouts (once) and write its payment orders and register."""
    fee_entries = 0
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        lock_ledger(conn)  # exclusive: no posting runs while the fee's base and balances are read
        again = store.batch_of(conn, day) is not None
        if not again:
            through = store.last_entry_id(conn)
            fee_entries = _accrue_fees(conn, day, through)
            _prepare_orders(conn, day, through, config)
        uow.commit()
    paths = write_files(config, engine, day)
    with engine.connect() as conn:
        batch = store.batch_of(conn, day)
        rows = store.payouts_of(conn, day)
        refunds = refund_orders.orders(refund_orders.refunds_of(conn, day))
    live = rows[rows["status"] != PayoutStatus.CANCELLED.value]
    return Prepared(day, again, len(live), int(live["amount"].sum()) if len(live) else 0, fee_entries,
                    batch["skipped"] if batch else [], *paths, len(refunds),
                    sum(o.amount for o in refunds))  # fmt: skip


def _period_end(period: str) -> date:
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, calendar.monthrange(year, month)[1])


def _accrue_fees(conn: Connection, day: date, through: int) -> int:
    """Count the collections of entries up to ``through`` not counted yet into the fee's base and
    post each month's fee difference; how many fee entries were posted."""
    store.add_to_fee_base(conn, store.collections(conn, store.counted_through(conn), through))
    base = store.fee_base(conn)
    terms = {}
    for row in store.supplier_terms(conn).itertuples():  # hundreds of suppliers
        try:
            terms[row.inn] = parse_terms(row.fee_percent, _rubles(row.fee_min), _rubles(row.fee_max),
                                         row.fee_services or "")  # fmt: skip
        except FeeTermsError as exc:
            raise PayoutError(f"supplier {row.inn}: fee terms: {exc}") from exc
    fees, accrued = [], []
    for (inn, period), group in base.groupby(["inn", "period"], sort=True):
        if inn not in terms:
            continue  # not in the directory: `rkc ledger check` names it (unknown_supplier)
        closed = day > _period_end(period)
        target = month_fee(dict(zip(group["service"], group["collected"], strict=True)), terms[inn], closed=closed)
        delta = target - int(group["accrued"].iloc[0])
        if delta == 0:
            continue
        fees.append(NewEntry(EntryKind.FEE.value, f"fee:{inn}:{period}:{day.isoformat()}",
                             min(day, _period_end(period)), fee_postings(inn, delta),
                             f"вознаграждение РКЦ за {period[5:]}.{period[:4]}"))  # fmt: skip
        accrued.append((inn, period, delta))
    # one batch: hundreds of suppliers' fees written as one entry each would pay a round trip each
    written = post_entries(conn, fees)
    store.add_accrued(conn, [a for a, entry in zip(accrued, written, strict=True) if entry is not None])
    return sum(entry is not None for entry in written)


def _rubles(kopecks: object) -> str:
    """Kopecks (or None/NaN) as the rubles text ``parse_terms`` reads; "" for none."""
    if kopecks is None or pd.isna(kopecks):
        return ""
    return format_amount(int(kopecks))


def _now(config: Config) -> datetime:
    """The time on the center's clock (naive, to the second): the file's ДатаСоздания/ВремяСоздания."""
    return datetime.now(ZoneInfo(config.timezone)).replace(tzinfo=None, microsecond=0)


def _prepare_orders(conn: Connection, day: date, through: int, config: Config) -> None:
    """A payout entry and a numbered payment order per supplier due, then an order per approved
    refund (one sequence of numbers); the batch recorded."""
    due = amount_due(store.supplier_terms(conn)[DUE_COLUMNS])
    number = max(store.last_number(conn) or 0, refund_orders.last_number(conn), config.payouts.first_number - 1)
    pay = due.pay.reset_index(drop=True)
    numbers = [str(number + k) for k in range(1, len(pay) + 1)]
    number += len(pay)
    entries = post_entries(conn, [
        NewEntry(EntryKind.PAYOUT.value, f"payout:{day.isoformat()}:{p.inn}", day,
                 payout_postings(p.inn, int(p.amount)), f"п/п № {n} от {day:%d.%m.%Y}")
        for p, n in zip(pay.itertuples(), numbers, strict=True)
    ])  # fmt: skip
    rows = []
    for p, n, entry in zip(pay.itertuples(), numbers, entries, strict=True):
        if entry is None:
            raise PayoutError(f"payout of {p.inn} for {day} is already in the ledger without its batch")
        rows.append({"pay_date": day.isoformat(), "number": n, "supplier_inn": p.inn,
                     "amount": int(p.amount), "recipient_name": p.name, "recipient_kpp": p.kpp or "",
                     "recipient_account": p.bank_account, "recipient_bic": p.bic, "contract_no": p.contract_no or "",
                     "purpose": purpose(day, p.contract_no or ""), "entry_id": entry})  # fmt: skip
    if rows:
        store.add_payouts(conn, pd.DataFrame(rows))
    refund_orders.prepare_refunds(conn, day, number)
    store.add_batch(conn, day, _now(config), through, due.pay, due.skipped)


def write_files(config: Config, engine: Engine, day: date) -> tuple[Path, Path]:
    """Write ``payment-orders-<D>.txt`` (the payouts and refunds not cancelled) and
    ``payouts-<D>.xlsx`` of a prepared date from the stored payouts and refunds."""
    with engine.connect() as conn:
        batch = store.batch_of(conn, day)
        rows = store.payouts_of(conn, day)
        refunds = refund_orders.refunds_of(conn, day)
    if batch is None:
        raise PayoutError(f"payouts for {day} are not prepared")
    live = rows[rows["status"] != PayoutStatus.CANCELLED.value]
    orders = [
        payment_orders.Order(r.number, r.pay_date, int(r.amount), r.recipient_name, r.supplier_inn,
                             r.recipient_kpp, r.recipient_account, r.recipient_bic, r.purpose)
        for r in live.itertuples()
    ] + refund_orders.orders(refunds)  # fmt: skip
    payer = payment_orders.Payer(config.center_name, config.center_inn, config.center_kpp, config.center_account,
                                 config.center_bic, config.center_bank_name, config.center_corresp_account)  # fmt: skip
    folder = payouts_dir(config, day)
    txt = payment_orders.write(folder / f"payment-orders-{day.isoformat()}.txt", orders, payer, day,
                               batch["prepared_at"])  # fmt: skip
    xlsx = payouts_xlsx.write(folder / f"payouts-{day.isoformat()}.xlsx", rows, batch, payer.name, refunds)
    by_inn: dict[str, list[dict]] = {}  # each supplier's orders of the day, in number order
    for r in rows.to_dict("records"):
        by_inn.setdefault(str(r["supplier_inn"]), []).append(r)
    # written again with the day's files
    write_notices(((notice_path(config, day, inn), mine) for inn, mine in sorted(by_inn.items())), day, payer.name)
    return txt, xlsx


def notice_path(config: Config, day: date, inn: str) -> Path:
    """Where a supplier's notice of ``day``'s payouts goes: ``out/<D>/payouts/<inn>/payout-<D>-<inn>.xlsx``."""
    return payouts_dir(config, day) / inn / f"payout-{day.isoformat()}-{inn}.xlsx"


def cancel(config: Config, engine: Engine, day: date, number: str, reason: str, on: date) -> int:
    """Cancel payment order ``number`` of ``day`` before the bank debits it: its entry reversed, the
    day's files written again without it. Returns the reversal entry's id."""
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        lock_ledger(conn)
        payout_id = store.find_payout(conn, day, number)
        if payout_id is None:
            raise PayoutError(f"no payment order № {number} of {day}")
        row = store.payout(conn, payout_id)
        if row["status"] != PayoutStatus.PREPARED.value:
            said = "debited by the bank already" if row["status"] == PayoutStatus.SETTLED.value else "cancelled already"
            raise PayoutError(f"payment order № {number} of {day} is {said}; nothing to cancel")
        try:
            entry = reverse_entry(conn, int(row["entry_id"]), on=on, reason=f"отмена п/п № {number}: {reason}")
        except LedgerError as exc:
            raise PayoutError(str(exc)) from exc
        if entry is None:
            raise PayoutError(f"payment order № {number} of {day}: its entry is reversed already")
        store.set_payout(conn, payout_id, status=PayoutStatus.CANCELLED.value, cancel_entry_id=entry)
        uow.commit()
    write_files(config, engine, day)
    return entry


def hold(engine: Engine, inn: str, reason: str) -> bool:
    """Hold a supplier's payouts; False when a hold is already in force."""
    if not reason.strip():
        raise PayoutError("a hold needs a reason")
    with UnitOfWork(engine) as uow:
        if not store.supplier_known(uow.conn, inn):
            raise PayoutError(f"supplier {inn} is not in the suppliers directory")
        done = store.hold(uow.conn, inn, reason.strip()) is not None
        uow.commit()
    return done


def release(engine: Engine, inn: str, reason: str) -> bool:
    """Release a supplier's hold; False when none is in force."""
    with UnitOfWork(engine) as uow:
        done = store.release(uow.conn, inn, reason.strip(), datetime.now().replace(microsecond=0))  # audit time
        uow.commit()
    return done
