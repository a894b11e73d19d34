"""Duplicate payments (docs/RULES.md, Duplicates): the same operation again, or one payment via two channels.

- A payment's key is ``(channel, operation_id, occurrence)``; ``occurrence`` numbers repeats of one
  operation id inside one file (1, 2, …, in line order), so two identical legitimate payments in a
  file are both kept, while the same file's lines sent again collide with keys already posted.
- DUPLICATE_PAYMENT: the key was posted before (the caller loads those keys from the ledger), or an
  earlier file of this batch holds it; the first by (``register_id``, ``line_no``) is kept.
- DUPLICATE_CROSS_CHANNEL: the same payment through different channels: same ПД (``uip``; the
  matched ПД is best, so that a ЛС-only bank line and an ИПД-carrying ГИС ЖКХ notification meet)
  or, without one, the same ЛС, with the same amount and date. Repeats are paired in order (the
  first bank line with the first notification, …). Of a pair the copy kept is: one posted on an
  earlier night, else the channel first in ``priority``, else the channel name first
  alphabetically; every other copy is flagged and must not be posted. The result does not depend
  on row order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from domain._vec import concat_flags, flags
from domain.chargeindex import encode
from domain.codes import Code

KEY_COLUMNS = ["channel", "operation_id", "occurrence"]
# A register its agent recalled (``rkc reverse register``) keeps its payments' keys (the payment table
# is append-only); a payment of the corrected file sent again takes the key ``occurrence`` +
# RECALL_STEP × (copies of it in recalled registers), so it is posted anew, not a DUPLICATE_PAYMENT.
RECALL_STEP = 1_000_000


def number_occurrences(payments: pd.DataFrame, *, file_column: str = "register_id") -> pd.Series:
    """``occurrence`` (int64, from 1) of each payment's operation id within its file and channel.

    ``payments``: ``channel``, ``operation_id``, ``line_no`` and, when the frame holds several
    files, ``file_column``. Repeats are numbered in line order. Aligned to ``payments.index``.
    """
    n = len(payments)
    keys = [encode(payments["channel"])[0], encode(payments["operation_id"])[0]]
    if file_column in payments.columns:
        keys.insert(0, payments[file_column].to_numpy(dtype=np.int64))
    order = np.lexsort((payments["line_no"].to_numpy(dtype=np.int64), *reversed(keys)))
    starts = _group_starts([k[order] for k in keys], n)
    occurrence = np.empty(n, dtype=np.int64)
    occurrence[order] = np.arange(n) - starts + 1
    return pd.Series(occurrence, index=payments.index, name="occurrence")


def after_recalls(payments: pd.DataFrame, recalled: pd.DataFrame) -> pd.Series:
    """``occurrence`` of each payment (``KEY_COLUMNS``) past the copies of its key in recalled
    registers (``recalled``: ``KEY_COLUMNS`` and ``copies``); aligned to ``payments.index``."""
    copies = payments[KEY_COLUMNS].merge(recalled[[*KEY_COLUMNS, "copies"]], on=KEY_COLUMNS, how="left")["copies"]
    bump = copies.fillna(0).to_numpy(dtype=np.int64) * RECALL_STEP
    return pd.Series(payments["occurrence"].to_numpy(dtype=np.int64) + bump, index=payments.index, name="occurrence")


def _group_starts(sorted_keys: list[np.ndarray], n: int) -> np.ndarray:
    """For rows sorted by ``sorted_keys``: the position where each row's group of equal keys begins."""
    new = np.ones(n, dtype=bool)
    if n:
        new[1:] = np.logical_or.reduce([k[1:] != k[:-1] for k in sorted_keys])
    return np.maximum.accumulate(np.where(new, np.arange(n), 0))


def mark_duplicates(payments: pd.DataFrame, posted: pd.DataFrame | None = None) -> pd.DataFrame:
    """DUPLICATE_PAYMENT flags for payments whose key was posted before or repeats an earlier file.

    ``payments``: ``payment_id``, ``KEY_COLUMNS``, ``line_no`` and optionally ``register_id``;
    ``posted``: the keys (``KEY_COLUMNS``) already in the ledger.
    """
    n = len(payments)
    prior = posted[KEY_COLUMNS].drop_duplicates() if posted is not None and len(posted) else None
    m = 0 if prior is None else len(prior)
    # Keys as integer codes, the night's and the ledger's from one dictionary each.
    both = payments[KEY_COLUMNS] if prior is None else pd.concat([payments[KEY_COLUMNS], prior], ignore_index=True)
    channel, _ = encode(both["channel"].astype(object))
    operation, _ = encode(both["operation_id"].astype(object))
    occurrence = both["occurrence"].to_numpy(dtype=np.int64)
    pid = payments["payment_id"].to_numpy(dtype=np.int64)
    out = []
    live = np.ones(n, dtype=bool)
    if prior is not None:
        key = pd.MultiIndex.from_arrays([channel, operation, occurrence])
        hit = key[:n].isin(key[n : n + m])
        if hit.any():
            out.append(flags(pid[hit], Code.DUPLICATE_PAYMENT, "операция уже проведена ранее"))
        live = ~hit
    rows = np.flatnonzero(live)
    line = payments["line_no"].to_numpy(dtype=np.int64)[rows]
    tie = payments["register_id"].to_numpy(dtype=np.int64)[rows] if "register_id" in payments else pid[rows]
    first, second = (tie, line) if "register_id" in payments else (line, tie)
    keys = [channel[rows], operation[rows], occurrence[rows]]
    order = np.lexsort((second, first, *reversed(keys)))
    sorted_keys = [k[order] for k in keys]
    again = np.zeros(len(rows), dtype=bool)
    if len(rows) > 1:
        again[1:] = ~np.logical_or.reduce([k[1:] != k[:-1] for k in sorted_keys])
    if again.any():
        out.append(flags(pid[rows[order[again]]], Code.DUPLICATE_PAYMENT, "операция повторяется в другом реестре"))
    return concat_flags(out)


def cross_channel_duplicates(
    payments: pd.DataFrame, *, previous: pd.DataFrame | None = None, priority: Sequence[str] = ()
) -> pd.DataFrame:
    """DUPLICATE_CROSS_CHANNEL flags for the copies of a payment seen through another channel.

    ``payments``: ``payment_id``, ``channel``, ``uip`` (the matched ПД, else the payment's own УИП,
    else None), ``account``, ``amount``, ``paid_date``, ``paid_time``, ``operation_id``;
    ``previous``: the same columns (without ``payment_id``) for payments posted on earlier nights,
    which are always the copy kept. ``priority``: channel names, most trusted first.
    """
    cols = ["channel", "uip", "account", "amount", "paid_date", "paid_time", "operation_id"]
    cur = payments[["payment_id", *cols]].assign(_new=1)
    frames = [cur]
    if previous is not None and len(previous):
        frames.append(previous[cols].assign(payment_id=-1, _new=0))
    a = pd.concat(frames, ignore_index=True)
    # The identity as integer codes: a ПД, else (in a range of its own) a ЛС; -1 when neither. Only
    # rows whose (identity, amount, date) occurs more than once go on: copies are rare, and the
    # night holds a million payments.
    uip, uips = encode(a["uip"])
    acc, _ = encode(a["account"])
    day, _ = encode(a["paid_date"])
    ident = np.where(uip >= 0, uip, np.where(acc >= 0, len(uips) + acc, -1))
    keys = pd.DataFrame({"_id": ident, "amount": a["amount"].to_numpy(dtype=np.int64), "_day": day})
    repeated = keys.duplicated(keep=False).to_numpy() & (ident >= 0) & (day >= 0)
    a = a[repeated].assign(_id=ident[repeated], _day=day[repeated])
    group = ["_id", "amount", "_day"]
    a = a[a.groupby(group)["channel"].transform("nunique").to_numpy() > 1]
    if a.empty:
        return concat_flags([])
    rank = {name: i for i, name in enumerate(priority)}
    a = a.assign(
        _prio=a["channel"].map(rank).fillna(len(rank)).astype(np.int64),
        paid_time=a["paid_time"].astype(object).fillna(""),
        operation_id=a["operation_id"].astype(object).fillna(""),
    )
    a = a.sort_values([*group, "channel", "_new", "paid_time", "operation_id", "payment_id"], kind="stable")
    a["_k"] = a.groupby([*group, "channel"], sort=False).cumcount()
    a = a.sort_values([*group, "_k", "_new", "_prio", "channel"], kind="stable")
    first = a.groupby([*group, "_k"], sort=False).cumcount().to_numpy() == 0
    keep_channel = a["channel"].where(first).ffill()
    keep_op = a["operation_id"].where(first).ffill()
    dup = ~first & (a["_new"].to_numpy() == 1)
    if not dup.any():
        return concat_flags([])
    detail = (
        "тот же платёж принят по каналу " + keep_channel[dup].astype(str) + " (операция " + keep_op[dup] + ")"
    )
    return concat_flags(
        [flags(a["payment_id"].to_numpy()[dup], Code.DUPLICATE_CROSS_CHANNEL, detail.to_numpy())]
    )
