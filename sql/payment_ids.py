"""Payment ids handed out in blocks: the night's reserved when it is decided, in each register's key
order, and the orders that hand a block to rows (``sql.posting`` stores payments under them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, text

from sql.bulk import allocate_ids


def reserve_payment_ids(conn: Connection, count: int) -> range:
    """Reserve ``count`` consecutive payment ids (``sql.bulk.allocate_ids``): the decision step
    reserves the night's under the run lock, and posting stores the payments under them.

    PostgreSQL takes them from the sequence, which never hands them out again. SQLite has no
    sequence: the block starts after the highest stored id, which is sound while one run at a time
    posts (the run lock) and a plan left unposted is finished only while its ids are still free
    (``payment_ids_taken``)."""
    return allocate_ids(conn, "payment", count)


def ids_in_key_order(block: range, payments: pd.DataFrame, group: np.ndarray | None = None) -> np.ndarray:
    """The ids of ``block`` handed to ``payments`` (``channel``, ``operation_id``, ``occurrence``)
    in the order of their keys within each ``group`` (a register: one channel), groups in
    ascending order: the order ``post_payments`` stores a register's payments in when it reserves
    their ids itself. Built in Arrow: a night has a million keys."""
    if len(payments) == 0:
        return np.empty(0, dtype=np.int64)
    occurrence = pc.cast(pa.array(payments["occurrence"].to_numpy(dtype=np.int64)), pa.string())
    rest = pc.binary_join_element_wise(pa.array(payments["operation_id"], pa.string()), occurrence, ":")
    columns = {"group": np.zeros(len(payments), dtype=np.int64) if group is None else np.asarray(group, np.int64),
               "channel": pa.array(payments["channel"], pa.string()), "rest": rest}  # fmt: skip
    order = pc.sort_indices(pa.table(columns), sort_keys=[(c, "ascending") for c in columns]).to_numpy()
    return in_order(block, order)


def payment_ids_taken(conn: Connection, first: int, last: int) -> int:
    """How many stored payments have an id in [first, last]."""
    return int(
        conn.execute(text("SELECT COUNT(*) FROM payment WHERE id BETWEEN :a AND :b"), {"a": first, "b": last})
        .scalar_one()
    )


def id_order(ids: np.ndarray) -> np.ndarray | None:
    """Row positions that put ``ids`` in ascending order; None when they already are."""
    if bool(np.all(ids[1:] > ids[:-1])):
        return None
    return np.argsort(ids, kind="stable")


def key_order(keys: pd.Series) -> np.ndarray | None:
    """Row positions that put ``keys`` in order; None when they already are."""
    order = pc.sort_indices(pa.array(keys, pa.string())).to_numpy()
    return None if bool(np.all(order[1:] > order[:-1])) else order


def in_order(ids: range, order: np.ndarray | None) -> np.ndarray:
    """``ids`` handed out to the rows in ``order`` (the n-th row of the order gets the n-th id)."""
    values = np.asarray(ids, dtype="int64")
    if order is None:
        return values
    out = np.empty_like(values)
    out[order] = values
    return out
