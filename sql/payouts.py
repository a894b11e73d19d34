"""Storing payouts: the fee's base, batches of payment orders, holds, the bank's debits.

Every ledger entry goes through ``sql.entries.post_entry`` / ``reverse_entry`` (one per supplier:
a center has hundreds); this module holds the rest of the SQL of money going out.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Connection, bindparam, delete, insert, select, text, update

from domain.ledger import COLLECTING_KINDS, EntryKind
from domain.payouts import DebitOutcome, PayoutStatus
from sql.bulk import bulk_insert
from sql.models import BankDebit, BankStatementFile, FeeBase, FeeMonth, Payout, PayoutBatch, PayoutHold, Supplier
from sql.planner import planner_settings


def last_entry_id(conn: Connection) -> int:
    """The newest ledger entry's id (0 when the ledger is empty)."""
    return int(conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM ledger_entry")).scalar() or 0)


def counted_through(conn: Connection) -> int:
    """The last ledger entry whose collections the fee's base has counted."""
    return int(conn.execute(select(PayoutBatch.through_entry_id).order_by(
        PayoutBatch.through_entry_id.desc()).limit(1)).scalar() or 0)  # fmt: skip


COLLECTIONS_WORK_MEM = "64MB"  # PostgreSQL's memory per hash of the collections' join (docs/PERFORMANCE.md)
CATCH_UP_ENTRIES = 200_000  # a range of entries this long is hashed whatever the statistics say

# Both sides limited to the range by their primary keys: a day's preparation reads the day's entries,
# not the whole ledger; reversals (few) join the entry they undo for its kind.
_COLLECTIONS = text(
    "SELECT account, value_date, service, -SUM(amount) AS collected FROM ("
    " SELECT p.account, e.value_date, COALESCE(p.service, '') AS service, p.amount"
    " FROM ledger_entry e JOIN ledger_posting p ON p.entry_id = e.id"
    " WHERE e.id > :lo AND e.id <= :hi AND p.entry_id > :lo AND p.entry_id <= :hi"
    " AND p.account LIKE 'supplier:%' AND e.kind IN :kinds"
    " UNION ALL"
    " SELECT p.account, e.value_date, COALESCE(p.service, '') AS service, p.amount"
    " FROM ledger_entry e JOIN ledger_posting p ON p.entry_id = e.id JOIN ledger_entry o ON o.id = e.reverses_id"
    " WHERE e.id > :lo AND e.id <= :hi AND p.entry_id > :lo AND p.entry_id <= :hi"
    " AND p.account LIKE 'supplier:%' AND e.kind = :reversal AND o.kind IN :kinds"
    ") c GROUP BY account, value_date, service"
).bindparams(bindparam("kinds", expanding=True))


def collections(conn: Connection, after: int, through: int) -> pd.DataFrame:
    """Money credited to suppliers by entries ``after`` < id ≤ ``through`` of the collecting kinds
    (payments, reclassifications, and their reversals): ``inn``, ``period`` (YYYY-MM of the value
    date), ``service`` ("" when none), ``collected`` (kopecks). A range of the legs' primary key."""
    # A catch-up over a posted month hashes a million entries: it spilled to disk at the default
    # 4 MB; and right after a bulk load the tables may have no statistics yet, on which the planner
    # takes a large range for a few rows: it looped over the legs' index per entry and sorted two
    # million legs on disk to group them. A long range is joined and grouped by hashing.
    tuned = {"work_mem": COLLECTIONS_WORK_MEM}
    if through - after > CATCH_UP_ENTRIES:
        tuned |= {"enable_nestloop": "off", "enable_sort": "off"}
    with planner_settings(conn, tuned):
        frame = pd.read_sql_query(
            _COLLECTIONS,
            conn,
            params={"lo": after, "hi": through, "kinds": [k.value for k in COLLECTING_KINDS],
                    "reversal": EntryKind.REVERSAL.value},
        )  # fmt: skip
    frame["inn"] = frame["account"].str.removeprefix("supplier:")
    frame["period"] = frame["value_date"].astype(str).str[:7]
    out = frame.groupby(["inn", "period", "service"], as_index=False)["collected"].sum()
    return out.astype({"collected": "int64"})


def add_to_fee_base(conn: Connection, delta: pd.DataFrame) -> None:
    """Add ``delta`` (``collections``' shape) to the stored base of the fee."""
    if delta.empty:
        return
    conn.execute(
        text(
            "INSERT INTO fee_base (supplier_inn, period, service, collected) VALUES (:inn, :period, :service, :c)"
            " ON CONFLICT (supplier_inn, period, service)"
            " DO UPDATE SET collected = fee_base.collected + excluded.collected"
        ),
        [{"inn": r.inn, "period": r.period, "service": r.service, "c": int(r.collected)} for r in delta.itertuples()],
    )


def fee_base(conn: Connection) -> pd.DataFrame:
    """Every supplier's collections per month and service (``inn``, ``period``, ``service``,
    ``collected``) and the fee accrued for the month so far (``accrued``)."""
    frame = pd.read_sql_query(
        select(FeeBase.supplier_inn.label("inn"), FeeBase.period, FeeBase.service, FeeBase.collected), conn
    )
    accrued = pd.read_sql_query(select(FeeMonth.supplier_inn.label("inn"), FeeMonth.period, FeeMonth.accrued), conn)
    return frame.merge(accrued, on=["inn", "period"], how="left").fillna({"accrued": 0}).astype({"accrued": "int64"})


def add_accrued(conn: Connection, amounts: list[tuple[str, str, int]]) -> None:
    """Record more fee accrued for suppliers' months: (inn, period, kopecks) each."""
    if not amounts:
        return
    conn.execute(
        text(
            "INSERT INTO fee_month (supplier_inn, period, accrued) VALUES (:inn, :period, :a)"
            " ON CONFLICT (supplier_inn, period) DO UPDATE SET accrued = fee_month.accrued + excluded.accrued"
        ),
        [{"inn": inn, "period": period, "a": amount} for inn, period, amount in amounts],
    )


def supplier_terms(conn: Connection) -> pd.DataFrame:
    """The suppliers directory with what payouts need: details, contract, fee terms, balance (what
    the center owes, kopecks) and the reason of an active hold (None: not held)."""
    frame = pd.read_sql_query(
        text(
            "SELECT s.inn, s.name, s.kpp, s.bank_account, s.bic, s.contract_no, s.fee_percent, s.fee_min,"
            " s.fee_max, s.fee_services, -COALESCE(b.balance, 0) AS balance, h.reason AS hold_reason"
            " FROM supplier s LEFT JOIN ledger_balance b ON b.account = 'supplier:' || s.inn"
            " LEFT JOIN payout_hold h ON h.supplier_inn = s.inn AND h.released_at IS NULL"
            " ORDER BY s.inn"
        ),
        conn,
    )
    return frame.astype({"balance": "int64", "fee_min": "int64"})


def batch_of(conn: Connection, day: date) -> dict | None:
    """The payout batch of ``day`` (pay_date, prepared_at, payouts, total, skipped list), if prepared."""
    row = conn.execute(select(PayoutBatch).where(PayoutBatch.pay_date == day)).mappings().first()
    if row is None:
        return None
    out = dict(row)
    out["skipped"] = json.loads(out["skipped"])
    return out


def add_batch(conn: Connection, day: date, prepared_at: datetime, through: int, payouts: pd.DataFrame,
              skipped: pd.DataFrame) -> None:  # fmt: skip
    """Record that ``day``'s payouts are prepared (and the fee's base counted through ``through``)."""
    listed = [{"inn": r.inn, "name": r.name, "balance": int(r.balance), "reason": r.reason}
              for r in skipped.itertuples()]  # fmt: skip
    conn.execute(insert(PayoutBatch).values(
        pay_date=day, prepared_at=prepared_at, through_entry_id=through, payouts=len(payouts),
        total=int(payouts["amount"].sum()) if len(payouts) else 0, skipped=json.dumps(listed, ensure_ascii=False),
    ))  # fmt: skip


def last_number(conn: Connection) -> int | None:
    """The number of the last payment order rkc gave (None: none yet)."""
    value = conn.execute(select(Payout.number).order_by(Payout.id.desc()).limit(1)).scalar()
    return None if value is None else int(value)


def add_payouts(conn: Connection, rows: pd.DataFrame) -> None:
    """Store prepared payouts (``payout`` columns but ``id``)."""
    bulk_insert(conn, "payout", rows.assign(status=PayoutStatus.PREPARED.value), [*rows.columns, "status"])


def payouts_of(conn: Connection, day: date) -> pd.DataFrame:
    """The payouts of ``day`` in number order, every column."""
    frame = pd.read_sql_query(select(Payout).where(Payout.pay_date == day).order_by(Payout.id), conn)
    frame["pay_date"] = pd.to_datetime(frame["pay_date"]).dt.date
    return frame


def payout(conn: Connection, payout_id: int) -> dict | None:
    """One payout's row."""
    row = conn.execute(select(Payout).where(Payout.id == payout_id)).mappings().first()
    return None if row is None else dict(row)


def find_payout(conn: Connection, day: date, number: str) -> int | None:
    """The id of payment order ``number`` of ``day``."""
    return conn.execute(select(Payout.id).where(Payout.pay_date == day, Payout.number == number)).scalar()


def set_payout(conn: Connection, payout_id: int, **values: object) -> None:
    """Change a payout's state (status, the entries that settled or cancelled it, its debit)."""
    conn.execute(update(Payout).where(Payout.id == payout_id).values(**values))


def open_payouts(conn: Connection) -> pd.DataFrame:
    """Prepared payouts not yet debited: ``payout_id``, ``number``, ``pay_date``, ``amount``,
    ``bank_account``, ``supplier_inn``, ``entry_id``."""
    frame = pd.read_sql_query(
        select(Payout.id.label("payout_id"), Payout.number, Payout.pay_date, Payout.amount,
               Payout.recipient_account.label("bank_account"), Payout.supplier_inn, Payout.entry_id)
        .where(Payout.status == PayoutStatus.PREPARED.value).order_by(Payout.id), conn,
    )  # fmt: skip
    frame["pay_date"] = pd.to_datetime(frame["pay_date"]).dt.date
    return frame


def hold(conn: Connection, inn: str, reason: str) -> int | None:
    """Put a supplier's payouts on hold; None when it already is (the hold in force stays)."""
    held = conn.execute(select(PayoutHold.id).where(PayoutHold.supplier_inn == inn,
                                                    PayoutHold.released_at.is_(None))).scalar()  # fmt: skip
    if held is not None:
        return None
    added = insert(PayoutHold).values(supplier_inn=inn, reason=reason).returning(PayoutHold.id)
    return int(conn.execute(added).scalar_one())


def release(conn: Connection, inn: str, reason: str, at: datetime) -> bool:
    """Release a supplier's hold; False when none is in force."""
    done = conn.execute(
        update(PayoutHold).where(PayoutHold.supplier_inn == inn, PayoutHold.released_at.is_(None))
        .values(released_at=at, release_reason=reason)
    )  # fmt: skip
    return bool(done.rowcount)


def supplier_known(conn: Connection, inn: str) -> bool:
    """Whether ``inn`` is in the suppliers directory."""
    return conn.execute(select(Supplier.inn).where(Supplier.inn == inn)).scalar() is not None


def add_debits(conn: Connection, rows: pd.DataFrame) -> int:
    """Store outgoing documents not seen in an earlier (overlapping) statement; how many were new."""
    if rows.empty:
        return 0
    existing = pd.read_sql_query(select(BankDebit.date, BankDebit.number, BankDebit.recipient_account,
                                        BankDebit.amount), conn)  # fmt: skip
    existing["date"] = existing["date"].astype(str)
    key = ["date", "number", "recipient_account", "amount"]
    existing = existing.astype({"number": str, "recipient_account": str})
    merged = rows.merge(existing, on=key, how="left", indicator=True)
    new = merged[merged["_merge"] == "left_only"].drop(columns="_merge").drop_duplicates(key)
    bulk_insert(conn, "bank_debit", new, list(rows.columns))
    return len(new)


def untied_debits(conn: Connection, run_date: date) -> pd.DataFrame:
    """Outgoing documents of the statements read on ``run_date`` not settling a payout:
    ``debit_id``, ``number``, ``date``, ``debited``, ``amount``, ``recipient_account``. A debit is
    judged on the night its statement is read (and again by a rerun of that night)."""
    frame = pd.read_sql_query(
        select(BankDebit.id.label("debit_id"), BankDebit.number, BankDebit.date, BankDebit.debited,
               BankDebit.amount, BankDebit.recipient_account)
        .join(BankStatementFile, BankStatementFile.id == BankDebit.statement_id)
        .where(BankStatementFile.run_date == run_date,
               BankDebit.outcome.is_(None) | (BankDebit.outcome != DebitOutcome.SETTLED)).order_by(BankDebit.id), conn,
    )  # fmt: skip
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    frame["debited"] = pd.to_datetime(frame["debited"]).dt.date
    return frame


def set_debit(conn: Connection, debit_id: int, outcome: str, payout_id: int | None) -> None:
    """Record how a debit tied (settled, PAYOUT_MISMATCH or UNKNOWN_OUTGOING) and to which payout."""
    conn.execute(update(BankDebit).where(BankDebit.id == debit_id).values(outcome=outcome, payout_id=payout_id))


def replace_flags(conn: Connection, run_date: date, codes: tuple[str, ...], rows: pd.DataFrame) -> None:
    """The night's discrepancies of ``codes`` (state codes, evaluated anew by every run) replaced."""
    from sql.models import Discrepancy

    conn.execute(delete(Discrepancy).where(Discrepancy.run_date == run_date, Discrepancy.code.in_(codes)))
    if not rows.empty:
        rows = rows.assign(run_date=run_date.isoformat())
        rows["amount"] = rows["amount"].astype("Int64")
        bulk_insert(conn, "discrepancy", rows, list(rows.columns))
