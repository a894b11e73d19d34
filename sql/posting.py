"""Posting payments to the ledger: bulk, idempotent, one transaction per register.

Ledger writers are serialised (advisory locks on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so
the check for payments already posted cannot race with another run; on PostgreSQL registers of
different channels may be posted at once (``lock_ledger``). Only the payment keys
are staged; payments already posted are skipped (a replay inserts nothing), a key posted before
with another amount raises ``PostingConflict`` before anything is written, and the new rows go
straight into ``payment``, ``ledger_entry`` and ``ledger_posting`` by COPY with pre-allocated
ids: the payments' own, reserved when the night was decided (``sql.payment_ids``), or
reserved here for a caller that reserved none. The unique keys of the schema stay as the last
line of defence. Entries are checked to balance before the caller commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, text

from domain.chain import (
    ENTRY_FIELDS,
    LEG_FIELDS,
    PAYMENT_FIELDS,
    batch_seed,
    chain_run,
    entry_contents,
    leg_offsets,
    legs_part,
    payment_part,
)
from domain.ledger import EntryKind, UnbalancedEntry, payment_postings, require_balanced_legs
from sql.bulk import allocate_ids, bulk_insert, lock_ledger, staged
from sql.chain import link_batch
from sql.partitions import ensure_months
from sql.payment_ids import id_order, in_order, key_order, reserve_payment_ids
from sql.queries import read_frame

PAYMENT_TABLE_COLUMNS = [
    "id", "register_id", "channel", "operation_id", "occurrence", "line_no", "paid_date", "paid_time",
    "account_raw", "account", "uip", "els", "period", "amount", "commission", "payer", "address",
    "matched_uip", "match_rule", "method",
]  # fmt: skip
KEY_COLUMNS = ["payment_id", "channel", "operation_id", "occurrence", "amount", "commission"]
LEG_COLUMNS = ["entry_id", "leg", "account", "amount", "service", "value_date"]
HASH_SLICE = 32_768  # entries whose contents are built and hashed at a time


class PostingConflict(Exception):
    """A payment key already posted with a different amount: refuse instead of succeeding silently."""


@dataclass(frozen=True)
class PostingResult:
    """What a posting call did."""

    batch: str
    payments_new: int
    payments_known: int
    entries: int
    postings: int
    ids: pd.DataFrame | None = None  # payment_id -> id of each payment this call stored (equal when reserved)


def payment_source_key(channel: pd.Series, operation_id: pd.Series, occurrence: pd.Series) -> pd.Series:
    """The idempotency key of a payment's ledger entry (``payment:<channel>:<operation_id>:<occurrence>``),
    joined in Arrow: a register has a million keys, and pandas' ``+`` on text goes row by row."""
    parts = [pa.array(c, from_pandas=True) for c in (channel, operation_id)]
    parts = [p.dictionary_decode() if pa.types.is_dictionary(p.type) else p for p in parts]
    parts = [pc.cast(p, pa.string()) for p in parts]
    parts.append(pc.cast(pa.array(occurrence.to_numpy(dtype=np.int64)), pa.string()))
    return _text_series(pc.binary_join_element_wise(pa.scalar("payment"), *parts, ":"), channel.index)


def _text_series(array: pa.Array, index: pd.Index) -> pd.Series:
    """Arrow text as a pandas ``str`` column that keeps it in Arrow (no Python string per row)."""
    series = array.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get)
    series.index = index  # set, not aligned: the values are row for row
    return series


def post_payments(
    conn: Connection, register_id: int, payments: pd.DataFrame, splits: pd.DataFrame, *, reserved: bool = False
) -> PostingResult:
    """Post a register's payments with their splits as balanced ledger entries.

    ``payments`` has the payment columns plus ``payment_id`` (unique in the batch), ``channel``,
    ``occurrence``, ``matched_uip`` and ``match_rule`` (None for suspense), and may have
    ``agent`` (the channel whose agent account is debited, else ``channel``),
    ``value_date`` (ISO text; the entry's value date, else ``paid_date``) and ``document_version``
    (the version of the matched ПД whose lines the split used; NULL for suspense); ``splits`` has
    ``payment_id``, ``supplier_inn``, ``service``, ``amount``. With ``reserved`` the payment ids
    are the payments' own, reserved by the caller (``reserve_payment_ids``, in key order, as the
    decision step does) and stored as they are; without, they only name the batch's payments for
    their splits and the stored ids are reserved here, in key order (``PostingResult.ids`` maps
    them). Runs inside the caller's transaction: the caller commits, and a failure rolls the whole
    register back.

    A caller that hands ``payments`` and ``splits`` over (keeps no reference of its own) lets their
    text go as soon as it is in the database, before the entries and their legs are written.
    """
    batch = str(uuid.uuid4())
    if payments.empty:
        return PostingResult(batch, 0, 0, 0, 0)
    # assign, not copy: under copy-on-write the new frame shares the caller's columns (a register's
    # payments weigh hundreds of MB; two registers are posted at once)
    frame = payments.assign(commission=payments["commission"].fillna(0).astype("int64"))
    if "method" not in frame.columns:  # a caller that knows no method (the column stays NULL)
        frame = frame.assign(method=None)
    del payments
    # The postings are built (and checked to balance) in a worker thread while the database looks
    # up the keys and takes in the payments: that time is the server's, not this process's.
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Whose agent account the payments debit: their channel's, or the bank's that carries the
        # money of a ГИС ЖКХ channel without an agent (``agent``, docs/RULES.md).
        debtor = "agent" if "agent" in frame.columns else "channel"
        legs_of = frame[["payment_id", debtor, "amount", "commission"]].rename(columns={debtor: "channel"})
        building = pool.submit(payment_postings, legs_of, splits)
        del legs_of
        del splits
        channels = frame["channel"].unique()
        lock_ledger(conn, str(channels[0]) if len(channels) == 1 else None)  # one register: one channel
        known = _known_payments(conn, frame)
        new = frame[~np.isin(frame["payment_id"].to_numpy(dtype=np.int64), known)] if len(known) else frame
        # Stored in key order, ids given in that order: the unique keys (payment key, entry
        # source_key) and the ids then grow left to right in their indexes instead of landing on
        # random pages. The rows are sent in that order a batch at a time (no sorted copy).
        source_key = payment_source_key(new["channel"], new["operation_id"], new["occurrence"])
        if reserved:  # reserved in key order: the ids' order is the keys'
            ids = new["payment_id"].to_numpy(dtype=np.int64)
            order = id_order(ids)
        else:
            order = key_order(source_key)
            ids = in_order(reserve_payment_ids(conn, len(new)), order)
        new = new.assign(
            source_key=source_key,
            id=ids,
            entry_id=in_order(allocate_ids(conn, "ledger_entry", len(new)), order),
            register_id=register_id,
        )
        bulk_insert(conn, "payment", new, PAYMENT_TABLE_COLUMNS, order)
        # What the entries' hashes cover of their payments, as compact text before the rest goes
        paid = payment_part(pa.Table.from_pandas(new[list(PAYMENT_FIELDS)], preserve_index=False))
        payments_seen = len(frame)
        # The entry's value date is the payment's date unless the caller gives one (``value_date``: a
        # payment dated out of range is held in suspense on the run date).
        value_date = new["value_date"] if "value_date" in new.columns else new["paid_date"]
        version = new["document_version"] if "document_version" in new.columns else None
        new = new[["payment_id", "id", "entry_id", "source_key"]]
        new = new.assign(value_date=value_date, document_version=version)
        del frame
        postings = building.result()  # re-raises UnbalancedEntry: the caller's transaction rolls back

    entries = pd.DataFrame(
        {
            "id": new["entry_id"],
            "kind": EntryKind.PAYMENT.value,
            "source_key": new["source_key"],
            "payment_id": new["id"],
            "reverses_id": pd.array([None] * len(new), dtype="Int64"),
            "value_date": new["value_date"],
            "document_version": new["document_version"].astype("Int64"),
            "batch": batch,
            "description": "",
        }
    )
    new = new[["payment_id", "id", "entry_id"]]
    legs = entry_legs(postings, new["payment_id"].to_numpy(), new["entry_id"].to_numpy())
    del postings
    legs["value_date"] = _leg_dates(legs["entry_id"].to_numpy(), entries["id"].to_numpy(), entries["value_date"])
    days = _days(entries["value_date"])
    ensure_months(conn, days)
    leg_order = np.argsort(legs["entry_id"].to_numpy(), kind="stable")  # (entry_id, leg) grows too
    # What is written is checked, after every mapping to entry ids; the database then only has to
    # confirm it holds those legs (a per-entry GROUP BY there took 2.5 s for 466k entries).
    require_balanced_legs(legs["entry_id"].to_numpy()[leg_order], legs["amount"].to_numpy()[leg_order], len(new))
    # The entries are hashed while the server takes in their legs (Arrow and the COPY writer let go of
    # the GIL): the legs are the larger half of what is sent, and they do not need the hashes.
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashing = pool.submit(_entry_hashes, batch, entries, new["payment_id"].to_numpy(), paid, legs, order)
        del paid
        bulk_insert(conn, "ledger_posting", legs, LEG_COLUMNS, leg_order)
        entries["hash"] = _text_series(hashing.result(), entries.index)
    bulk_insert(conn, "ledger_entry", entries, list(entries.columns), order)
    head = entries["hash"].iloc[order[-1] if order is not None else -1] if len(entries) else ""
    del entries
    if len(new):
        first, last = int(new["entry_id"].min()), int(new["entry_id"].max())
        add_to_balances(conn, first, last, len(legs), (min(days), max(days)))
        link_batch(conn, batch, head=head, entries=len(new), legs=len(legs), first=first, last=last)
    ids = new[["payment_id", "id"]].reset_index(drop=True)
    return PostingResult(batch, len(new), payments_seen - len(new), len(new), len(legs), ids)


def _entry_hashes(
    batch: str, entries: pd.DataFrame, payment_ids: np.ndarray, paid: pa.Array, legs: pd.DataFrame,
    order: np.ndarray | None,
) -> pa.Array:  # fmt: skip
    """The chained hash of each new entry (``domain.chain``) as Arrow text, in the rows'
    order; ``payment_ids`` are the entries' payments as the batch names them (the legs' ``payment_id``).

    The content is built in the order the legs come in (by ``payment_id``: no copy of millions of
    legs), and only the finished contents are put in id order, which is ``order``'s (the ids were
    handed out along it), for chaining.
    """
    legs_pid = legs["payment_id"].to_numpy(np.int64)
    pid = np.asarray(payment_ids, dtype=np.int64)
    by_pid = None if bool(np.all(pid[1:] >= pid[:-1])) else np.argsort(pid, kind="stable")
    rows = entries if by_pid is None else entries.iloc[by_pid]
    table = pa.table({f: pa.array(rows[f], from_pandas=True) for f in ENTRY_FIELDS})
    leg_table = pa.Table.from_pandas(legs[list(LEG_FIELDS)], preserve_index=False)
    offsets = leg_offsets(pid if by_pid is None else pid[by_pid], legs_pid)
    paid = paid if by_pid is None else paid.take(by_pid)

    def contents(lo: int, hi: int) -> pa.Array:
        """The contents of rows ``lo:hi`` of ``rows`` (their legs are one run of ``leg_table``)."""
        mine = leg_table.slice(offsets[lo], offsets[hi] - offsets[lo])
        joined = legs_part(mine, offsets[lo : hi + 1] - offsets[lo])
        return entry_contents(table.slice(lo, hi - lo), paid.slice(lo, hi - lo), joined).cast(pa.large_binary())

    # contents[k] is row by_pid[k]; the chain goes in id order: row order[0], order[1], …
    position = np.arange(len(rows)) if by_pid is None else np.argsort(by_pid)
    chain = position if order is None else position[order]
    # Built a slice at a time: the per-leg text of a whole register weighed ~300 MB at posting's peak.
    slices = [(lo, min(lo + HASH_SLICE, len(rows))) for lo in range(0, len(rows), HASH_SLICE)]
    seed = batch_seed(batch).encode()
    if bool(np.array_equal(chain, np.arange(len(chain)))):  # the night's case: ids reserved in key order
        hashes = _chained(seed, (contents(lo, hi) for lo, hi in slices))
    else:
        whole = pa.chunked_array([contents(lo, hi) for lo, hi in slices], pa.large_binary())
        taken = (whole.take(pa.array(chain[lo:hi])) for lo, hi in slices)
        hashes = _chained(seed, taken)
    if order is None:
        return hashes
    row_at = np.empty_like(order)
    row_at[order] = np.arange(len(order))
    return hashes.take(row_at)


def _chained(seed: bytes, pieces: Iterator[pa.Array | pa.ChunkedArray]) -> pa.Array:
    """The chained hashes (``domain.chain.chain_run``) of the contents in ``pieces``, one piece
    after the other, as Arrow text: only one piece at a time is taken out as Python bytes."""
    prev, out = seed, [pa.array([], pa.binary())]
    for piece in pieces:
        digests = chain_run(prev, piece.to_pylist())
        prev = digests[-1]
        out.append(pa.array(digests, pa.binary()))
    return pa.concat_arrays(out).cast(pa.string())  # ASCII hex


def _leg_dates(leg_entries: np.ndarray, entry_ids: np.ndarray, dates: pd.Series) -> np.ndarray:
    """Each leg's value date, its entry's (the entries' ids are one block, so an array lookup)."""
    if not len(entry_ids):
        return np.empty(0, dtype=object)
    base = int(entry_ids.min())
    at = np.full(int(entry_ids.max()) - base + 1, -1, dtype=np.int64)
    at[entry_ids - base] = np.arange(len(entry_ids))
    return dates.to_numpy(dtype=object)[at[leg_entries - base]]


def _days(dates: pd.Series) -> list[date]:
    """The distinct days of a column of value dates (ISO text or dates)."""
    return [v if isinstance(v, date) else date.fromisoformat(str(v)[:10]) for v in pd.unique(dates.dropna())]


def entry_legs(postings: pd.DataFrame, payment_ids: np.ndarray, entry_ids: np.ndarray) -> pd.DataFrame:
    """The postings of the payments ``payment_ids`` (grouped by ``payment_id``, as
    ``payment_postings`` gives them) with their ``entry_id`` and their ``leg`` (1, 2, … within the
    entry); the postings of other payments (already posted) are left out. Array lookups instead of
    a merge and a group-by: a register has millions of legs."""
    where = postings["payment_id"].to_numpy(dtype=np.int64)
    pid = np.asarray(payment_ids, dtype=np.int64)
    if len(where) == 0:
        return postings.assign(entry_id=np.empty(0, dtype=np.int64), leg=np.empty(0, dtype=np.int64))
    entry = _entries_of(where, pid, np.asarray(entry_ids, dtype=np.int64))
    mine = entry >= 0
    if not mine.all():
        postings, where, entry = postings[mine], where[mine], entry[mine]
    n = len(where)
    first = np.ones(n, dtype=bool)
    first[1:] = where[1:] != where[:-1]
    position = np.arange(n, dtype=np.int64)
    leg = position - np.maximum.accumulate(np.where(first, position, 0)) + 1
    return postings.assign(entry_id=entry, leg=leg)


def _entries_of(where: np.ndarray, payment_ids: np.ndarray, entry_ids: np.ndarray) -> np.ndarray:
    """The entry id of the payment of each of ``where`` (-1 for a payment not in ``payment_ids``)."""
    low, high = int(where.min()), int(where.max())
    if len(payment_ids):
        low, high = min(low, int(payment_ids.min())), max(high, int(payment_ids.max()))
    if high - low < 4 * (len(where) + len(payment_ids)) + 1024:
        # A lookup table over the register's own range of ids (a block reserved for it), not from 0.
        entry_of = np.full(high - low + 1, -1, dtype=np.int64)
        entry_of[payment_ids - low] = entry_ids
        return entry_of[where - low]
    # ids far apart (a caller's own numbering): a binary search instead of a table that large
    if not len(payment_ids):
        return np.full(len(where), -1, dtype=np.int64)
    order = np.argsort(payment_ids, kind="stable")
    sorted_ids = payment_ids[order]
    at = np.minimum(np.searchsorted(sorted_ids, where), len(sorted_ids) - 1)
    return np.where(sorted_ids[at] == where, entry_ids[order][at], -1)


def _known_payments(conn: Connection, frame: pd.DataFrame) -> np.ndarray:
    """``payment_id`` of the batch's payments already posted; raise on a key posted with another amount."""
    stage = dict(zip(KEY_COLUMNS, ["BIGINT", "TEXT", "TEXT", "INTEGER", "BIGINT", "BIGINT"], strict=True))
    # One join: every key already stored, flagged when it was stored with other amounts. Only the ids
    # and the flags come back (a replay knows a million keys); the keys' text only of a conflict's.
    join = ("FROM stage_key s JOIN payment p"
            " ON p.channel = s.channel AND p.operation_id = s.operation_id AND p.occurrence = s.occurrence")
    differs = "(p.amount <> s.amount OR p.commission <> s.commission)"
    with staged(conn, "stage_key", frame, stage):
        found = read_frame(conn, f"SELECT s.payment_id, CASE WHEN {differs} THEN 1 ELSE 0 END AS conflict {join}")
        conflicts = (
            conn.execute(
                text(
                    "SELECT s.channel, s.operation_id, s.occurrence, s.amount AS new, p.amount AS old,"
                    f" s.commission AS new_commission, p.commission AS old_commission {join} WHERE {differs}"
                    " ORDER BY s.payment_id LIMIT 10"
                )
            ).all()
            if bool((found["conflict"].to_numpy(dtype=np.int64) == 1).any())
            else []
        )
    if conflicts:
        listed = "; ".join(
            f"{r.channel}/{r.operation_id}#{r.occurrence}: posted {r.old} (commission {r.old_commission}),"
            f" now {r.new} (commission {r.new_commission})"
            for r in conflicts
        )
        raise PostingConflict(f"payments already posted with other amounts: {listed}")
    return found["payment_id"].to_numpy(dtype=np.int64)


def add_to_balances(
    conn: Connection, first_id: int, last_id: int, legs_sent: int, days: tuple[date, date]
) -> None:
    """Add the legs of the entries with ids in [first_id, last_id] (all just written, ``legs_sent``
    of them, checked to balance entry by entry before they were sent, value dates within
    ``days``) to the running balances, in one pass: the database must hold exactly those legs,
    summing to zero, or ``UnbalancedEntry`` is raised and the caller's transaction rolls back.
    The dates keep the read to the partitions of those months."""
    per_account = conn.execute(
        text(
            "SELECT account, SUM(amount) AS amount, COUNT(*) AS legs FROM ledger_posting"
            " WHERE entry_id BETWEEN :lo AND :hi AND value_date >= :first AND value_date < :after"
            " GROUP BY account ORDER BY account"
        ),
        {"lo": first_id, "hi": last_id, "first": days[0], "after": days[1] + timedelta(days=1)},
    ).all()
    held = sum(int(r.legs) for r in per_account)
    total = sum(int(r.amount) for r in per_account)
    if held != legs_sent or total != 0:
        raise UnbalancedEntry(
            f"the database holds {held} legs summing to {total} of the new entries; {legs_sent} sent"
        )
    conn.execute(
        text(
            "INSERT INTO ledger_balance (account, balance) VALUES (:account, :amount)"
            " ON CONFLICT (account) DO UPDATE SET balance = ledger_balance.balance + excluded.balance"
        ),
        # in account order: rows locked in one order, so postings at once cannot deadlock
        [{"account": r.account, "amount": int(r.amount)} for r in per_account],
    )
