"""Storing and reading the ledger's chains (``domain.chain``): batch links, entry slices, sealing.

A batch is linked when its transaction has written its entries: under an exclusive transaction
lock (PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers) the last link is read
and the next one inserted, so links are made one after the other in commit order while the
entries themselves were hashed and copied by their writers at the same time.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text

from domain.chain import (
    ENTRY_FIELDS,
    GENESIS,
    LEG_FIELDS,
    PAYMENT_FIELDS,
    BatchLink,
    chain_hashes,
    entry_contents,
    leg_offsets,
    legs_part,
    payment_part,
)
from sql import append_only
from sql.bulk import staged
from sql.copy_out import copy_text
from sql.engine import is_postgres

CHAIN_LOCK = 0x726B65  # the advisory lock under which batches are linked
LINK_COLUMNS = ["seq", "batch", "prev", "hash", "entries", "legs", "first_entry", "last_entry", "head"]
_ENTRY_TYPES = {
    "id": pa.int64(), "kind": pa.string(), "source_key": pa.string(), "value_date": pa.string(),
    "payment_id": pa.int64(), "reverses_id": pa.int64(), "document_version": pa.int64(), "batch": pa.string(),
    "description": pa.string(), "hash": pa.string(), "missing": pa.bool_(),
    "channel": pa.string(), "operation_id": pa.string(), "occurrence": pa.int64(), "register_id": pa.int64(),
    "paid_date": pa.string(), "amount": pa.int64(), "commission": pa.int64(), "matched_uip": pa.string(),
}  # fmt: skip
# Accounts and services as dictionaries: a few hundred names under millions of legs, escaped once each.
_LEG_TYPES = {"entry_id": pa.int64(), "leg": pa.int64(), "account": pa.dictionary(pa.int32(), pa.string()),
              "amount": pa.int64(), "service": pa.dictionary(pa.int32(), pa.string())}  # fmt: skip
_ENTRY_COLUMNS = {n: t for n, t in _ENTRY_TYPES.items() if n in (*ENTRY_FIELDS, "hash")}
_PAYMENT_TYPES = {"id": pa.int64(), **{n: _ENTRY_TYPES[n] for n in PAYMENT_FIELDS}}
_ENTRY_SLICE = f"SELECT {', '.join(_ENTRY_COLUMNS)} FROM ledger_entry WHERE id BETWEEN :lo AND :hi {{only}} ORDER BY id"  # noqa: S608
_PAYMENT_RANGE = f"SELECT {', '.join(_PAYMENT_TYPES)} FROM payment WHERE id BETWEEN :lo AND :hi ORDER BY id"  # noqa: S608


def link_batch(conn: Connection, batch: str, *, head: str, entries: int, legs: int, first: int, last: int) -> BatchLink:
    """Link a batch whose ``entries`` (ids ``first``..``last``, the last hashed ``head``) and their
    ``legs`` were just written, to the batch linked before it."""
    if is_postgres(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
    top = conn.execute(text("SELECT seq, hash FROM ledger_batch ORDER BY seq DESC LIMIT 1")).first()
    link = BatchLink(
        seq=int(top.seq) + 1 if top else 1, batch=batch, prev=top.hash if top else GENESIS,
        entries=entries, legs=legs, first_entry=first, last_entry=last, head=head,
    )  # fmt: skip
    names, marks = ", ".join(LINK_COLUMNS), ", ".join(f":{c}" for c in LINK_COLUMNS)
    insert = text(f"INSERT INTO ledger_batch ({names}) VALUES ({marks})")  # noqa: S608
    conn.execute(insert, {c: getattr(link, c) for c in LINK_COLUMNS})
    return link


def links(conn: Connection) -> pd.DataFrame:
    """Every batch link in chain order."""
    return pd.read_sql_query(text(f"SELECT {', '.join(LINK_COLUMNS)} FROM ledger_batch ORDER BY seq"), conn)  # noqa: S608


def chain_head(conn: Connection) -> tuple[int, str]:
    """The last link's sequence number and hash (0 and ``GENESIS`` on an empty ledger)."""
    top = conn.execute(text("SELECT seq, hash FROM ledger_batch ORDER BY seq DESC LIMIT 1")).first()
    return (int(top.seq), str(top.hash)) if top else (0, GENESIS)


def entry_id_range(conn: Connection) -> tuple[int, int]:
    """The smallest and largest entry id (1, 0 when there is none)."""
    lo, hi = conn.execute(text("SELECT MIN(id), MAX(id) FROM ledger_entry")).one()
    return (int(lo), int(hi)) if lo is not None else (1, 0)


def read_slice(conn: Connection, lo: int, hi: int, *, unchained_only: bool = False) -> tuple[pa.Table, pa.Table]:
    """The entries with ids in [lo, hi] (with their payments' fields and a ``missing`` flag when the
    payment they name is not stored) and their legs, both in id order; the legs include those of
    ids with no entry (orphans), for the caller to count.

    The payments are read by their own id range and joined here: a join on the server hashed the
    whole payment table for every slice."""
    only = "AND hash IS NULL" if unchained_only else ""
    entries = read_arrow(conn, _ENTRY_SLICE.format(only=only), {"lo": lo, "hi": hi}, _ENTRY_COLUMNS)
    entries = _with_payments(conn, entries)
    legs = read_arrow(
        conn,
        "SELECT entry_id, leg, account, amount, service FROM ledger_posting"
        " WHERE entry_id BETWEEN :lo AND :hi ORDER BY entry_id, leg",
        {"lo": lo, "hi": hi},
        _LEG_TYPES,
    )
    return entries, legs


def _with_payments(conn: Connection, entries: pa.Table) -> pa.Table:
    """``entries`` with the fields of the payment each names (NULL where none) and ``missing``."""
    named = entries["payment_id"]
    payments = _payments(conn, np.unique(pc.drop_null(named).to_numpy()))
    stored = payments["id"].to_numpy()
    wanted = pc.fill_null(named, -1).to_numpy()
    at = np.searchsorted(stored, wanted)
    found = (
        (at < len(stored)) & (stored[np.minimum(at, max(len(stored) - 1, 0))] == wanted)
        if len(stored)
        else (np.zeros(len(wanted), dtype=bool))
    )
    index = pa.array(np.where(found, at, 0), pa.int64(), mask=~found)
    for name in PAYMENT_FIELDS:
        entries = entries.append_column(name, payments[name].take(index))
    return entries.append_column("missing", pa.array((wanted >= 0) & ~found))


def _payments(conn: Connection, ids: np.ndarray, gap: int = 10_000, ranges: int = 20) -> pa.Table:
    """The payments of ``ids`` (sorted, unique) in id order: by id ranges where they lie close
    together (a register's entries name a block of payments), else through a staged join (many
    scattered ids: reversals and reclassifications of payments of other nights)."""
    empty = pa.table({n: pa.array([], t) for n, t in _PAYMENT_TYPES.items()})
    if not len(ids):
        return empty
    cuts = np.flatnonzero(np.diff(ids) > gap) + 1
    groups = np.split(ids, cuts)
    if len(groups) <= ranges:
        parts = [read_arrow(conn, _PAYMENT_RANGE, {"lo": int(g[0]), "hi": int(g[-1])}, _PAYMENT_TYPES) for g in groups]
        return pa.concat_tables(parts)
    with staged(conn, "stage_verify_payment", pd.DataFrame({"id": ids}), {"id": "BIGINT"}):
        columns = ", ".join(f"p.{n}" for n in _PAYMENT_TYPES)
        query = f"SELECT {columns} FROM payment p JOIN stage_verify_payment s ON s.id = p.id ORDER BY p.id"  # noqa: S608
        return read_arrow(conn, query, {}, _PAYMENT_TYPES)


def read_arrow(conn: Connection, query: str, params: dict, types: dict[str, pa.DataType]) -> pa.Table:
    """A query's rows as an Arrow table of ``types`` (the query's columns, in order): COPY on
    PostgreSQL (NULL and empty text kept apart), the rows fetched elsewhere."""
    names = list(types)
    if is_postgres(conn):
        statement = query
        for key, value in params.items():
            statement = statement.replace(f":{key}", str(int(value)))  # integer bounds only
        csv = copy_text(conn.connection.driver_connection, f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)")  # type: ignore[arg-type]
        if not csv:
            return pa.table({n: pa.array([], t) for n, t in types.items()})
        convert = pacsv.ConvertOptions(
            column_types={n: (pa.string() if t == pa.bool_() else t) for n, t in types.items()},
            strings_can_be_null=True, quoted_strings_can_be_null=False,
        )  # fmt: skip
        read = pacsv.ReadOptions(column_names=names)
        table = pacsv.read_csv(pa.BufferReader(pa.py_buffer(csv)), read_options=read, convert_options=convert)
        return _with_flags(table, types)
    rows = conn.execute(text(query), params).all()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table(
        {n: pa.array([_sqlite_value(v, t) for v in col], t) for (n, t), col in zip(types.items(), columns, strict=True)}
    )


def _with_flags(table: pa.Table, types: dict[str, pa.DataType]) -> pa.Table:
    """0/1 or t/f flags read as text made booleans."""
    for name, kind in types.items():
        if kind == pa.bool_():
            flags = pc.is_in(table[name].cast(pa.string()), pa.array(["1", "t", "true"]))
            table = table.set_column(table.column_names.index(name), name, flags)
    return table


def _sqlite_value(value: object, kind: pa.DataType) -> object:
    """SQLite's value as the Arrow type wants it (flags as bools, dates already text)."""
    if value is None:
        return None
    if kind == pa.bool_():
        return bool(value)
    if kind == pa.string() or pa.types.is_dictionary(kind):
        return str(value)
    return value


def slices(lo: int, hi: int, size: int) -> Iterator[tuple[int, int]]:
    """[lo, hi] cut into id ranges of ``size``."""
    for start in range(lo, hi + 1, size):
        yield start, min(start + size - 1, hi)


def seal_unchained(conn: Connection, slice_size: int = 500_000) -> int:
    """Hash and link the entries written before the chain existed (migration 0010): batch by batch
    in the order their first entries were posted, by the posting's own rules. Returns how many."""
    lo, hi = entry_id_range(conn)
    state: dict[str, str] = {}
    counts: dict[str, list[int]] = {}  # batch -> [entries, legs, first, last]
    updates: list[pd.DataFrame] = []
    for start, end in slices(lo, hi, slice_size):
        entries, legs = read_slice(conn, start, end, unchained_only=True)
        if not len(entries):
            continue
        ids = entries["id"].to_numpy()
        legs = legs.filter(pc.is_in(legs["entry_id"], entries["id"]))
        legs_text = legs_part(legs, leg_offsets(ids, legs["entry_id"].to_numpy()))
        contents = entry_contents(entries, payment_part(entries), legs_text)
        batches = entries["batch"].to_pylist()
        hashes = chain_hashes(batches, contents, state)
        leg_counts = pd.Series(legs["entry_id"].to_numpy()).value_counts()
        for entry_id, batch in zip(ids.tolist(), batches, strict=True):
            row = counts.setdefault(batch, [0, 0, entry_id, entry_id])
            row[0] += 1
            row[1] += int(leg_counts.get(entry_id, 0))
            row[3] = entry_id
        updates.append(pd.DataFrame({"id": ids, "hash": hashes}))
    if not updates:
        return 0
    frame = pd.concat(updates, ignore_index=True)
    append_only.drop(conn, ("ledger_entry",), function=False)
    conn.execute(text("CREATE TEMPORARY TABLE seal_hash (id BIGINT PRIMARY KEY, hash VARCHAR(64))"))
    conn.execute(text("INSERT INTO seal_hash (id, hash) VALUES (:id, :hash)"), frame.to_dict("records"))
    conn.execute(text("UPDATE ledger_entry SET hash = (SELECT s.hash FROM seal_hash s WHERE s.id = ledger_entry.id)"
                      " WHERE hash IS NULL"))  # fmt: skip
    conn.execute(text("DROP TABLE seal_hash"))
    append_only.create(conn, ("ledger_entry",))
    for batch, (n, legs_n, first, last) in sorted(counts.items(), key=lambda item: item[1][2]):
        link_batch(conn, batch, head=state[batch], entries=n, legs=legs_n, first=first, last=last)
    return len(frame)


def single_entry_hash(conn: Connection, entry: dict, legs: list[dict]) -> str:
    """The hash of one entry about to be written on its own (a п/п, a correction): its batch's
    only entry, with the stored fields of the payment it names read here."""
    types = {f: _ENTRY_TYPES[f] for f in ENTRY_FIELDS}
    table = pa.table({f: pa.array([_plain(entry[f])], t) for f, t in types.items()})
    paid = None
    if entry["payment_id"] is not None:
        query = f"SELECT {', '.join(PAYMENT_FIELDS)} FROM payment WHERE id = :id"  # noqa: S608
        row = conn.execute(text(query), {"id": entry["payment_id"]}).first()
        fields = {f: pa.array([_plain(row[i]) if row else None], _ENTRY_TYPES[f]) for i, f in enumerate(PAYMENT_FIELDS)}
        paid = payment_part(pa.table({**fields, "missing": pa.array([row is None])}))
    leg_table = pa.table({f: pa.array([_plain(leg[f]) for leg in legs], _LEG_TYPES[f]) for f in LEG_FIELDS})
    contents = entry_contents(table, paid, legs_part(leg_table, np.array([0, len(legs)])))
    return chain_hashes([entry["batch"]], contents)[0]


def plain_batch_hashes(entries: list[dict], legs: list[dict]) -> list[str]:
    """The hashes of entries naming no payment written together as one batch (a day's fees or
    payment orders): ``entries`` in id order, ``legs`` in (entry, leg) order."""
    types = {f: _ENTRY_TYPES[f] for f in ENTRY_FIELDS}
    table = pa.table({f: pa.array([_plain(e[f]) for e in entries], t) for f, t in types.items()})
    leg_table = pa.table({f: pa.array([_plain(leg[f]) for leg in legs], _LEG_TYPES[f]) for f in LEG_FIELDS})
    offsets = leg_offsets(np.array([e["id"] for e in entries], dtype=np.int64),
                          np.array([leg["entry_id"] for leg in legs], dtype=np.int64))  # fmt: skip
    return chain_hashes([e["batch"] for e in entries], entry_contents(table, None, legs_part(leg_table, offsets)))


def _plain(value: object) -> object:
    """A value as the Arrow column of its field takes it (dates as ISO text)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def unposted_payments(conn: Connection, limit: int = 1000) -> list[int]:
    """Stored payments that no ledger entry names (a payment is stored with its entry, always)."""
    rows = conn.execute(
        text(
            "SELECT p.id FROM payment p WHERE NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.payment_id = p.id)"
            " ORDER BY p.id LIMIT :n"
        ),
        {"n": limit},
    )
    return [int(r[0]) for r in rows]
