"""Payments named by their purpose text (docs/RULES.md, "Purpose"): the decision step reads the
purpose of each payment whose fields name no ЛС, УИП or ЕЛС (a payer's direct п/п, a ГИС ЖКХ
notification without identifiers) with the configured patterns, matches it by what the text
names, records the rule ``purpose`` and shows the text to the accountant when it names no ПД.
What was read travels beside the register's decisions (``READ_COLUMNS``) so that posting stores
it with the payment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from domain.codes import Code
from domain.purpose import MATCH_FIELDS, purpose_details, purpose_identifiers, unnamed
from rkc.config import Config
from rkc.intake import Intake
from rkc.workfiles import read_payments

# What a payment read by its purpose text got from it, written beside its decision (only in the
# decisions of a register that has such payments) so that posting stores the identifiers read.
READ_COLUMNS = {name: f"purpose_{name}" for name in MATCH_FIELDS}


def identify_by_purpose(config: Config, parsed: list[Intake], payments: pd.DataFrame) -> pd.Series:
    """Fill ``MATCH_FIELDS`` of the payments that name no ЛС, УИП or ЕЛС from their purpose text
    (``domain.purpose``, the configured patterns; a period the fields give is kept) and return
    those texts by ``payment_id``. Only those payments' texts are read, register by register."""
    none = unnamed(payments)
    texts = pd.Series(dtype=object)
    if not none.any():
        return texts
    parts, positions = [], []
    for key, intake in enumerate(parsed):
        mine = none & (payments["register_key"].to_numpy() == key)
        if not mine.any() or "purpose" not in pq.read_schema(intake.payments_path).names:
            continue  # an intake file written before payments had a purpose
        column = read_payments(intake.payments_path, columns=["purpose"])["purpose"].to_numpy(dtype=object)
        rows = payments.loc[mine, "row"].to_numpy()
        parts.append(pd.Series(column[rows], index=payments.loc[mine, "payment_id"].to_numpy(), dtype=object))
        positions.append(np.flatnonzero(mine))
    texts = pd.concat(parts) if parts else texts
    at = np.concatenate(positions) if positions else np.empty(0, dtype=np.int64)
    read = texts.notna().to_numpy()
    texts, at = texts[read], at[read]
    if texts.empty:
        return texts
    ids = purpose_identifiers(texts, config.purpose_patterns)
    rows = payments.index[at]  # the frame's own rows (a RangeIndex: positions)
    for name in MATCH_FIELDS:
        given = payments[name].to_numpy(dtype=object)[rows]
        read = ids[name].to_numpy(dtype=object)
        payments.loc[rows, name] = np.where(pd.isna(given), read, given)
    return texts


def purpose_flags(flags: pd.DataFrame, payments: pd.DataFrame, purposes: pd.Series) -> pd.DataFrame:
    """Matching's findings, a payment read by its purpose saying so with the text (UNKNOWN_ACCOUNT,
    AMBIGUOUS_MATCH): what the accountant reads to place the money."""
    mine = flags["payment_id"].isin(purposes.index).to_numpy() & flags["code"].isin(
        [Code.UNKNOWN_ACCOUNT.value, Code.AMBIGUOUS_MATCH.value]).to_numpy()  # fmt: skip
    if not mine.any():
        return flags
    pid = flags.loc[mine, "payment_id"].to_numpy(dtype=np.int64)
    rows = pd.Index(payments["payment_id"]).get_indexer(pid)
    ids = payments.iloc[rows][["account", "uip", "els"]].set_axis(range(len(pid)))
    texts = pd.Series(purposes.loc[pid].to_numpy(dtype=object), dtype=object)
    details = pd.Series(flags.loc[mine, "detail"].to_numpy(dtype=object), dtype=object)
    flags = flags.copy()
    flags.loc[mine, "detail"] = purpose_details(texts, ids, details).to_numpy(dtype=object)
    return flags


def with_read_identifiers(payments: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """``payments`` (a register's, in its decisions' order) with the identifiers its payments named
    by purpose got (``READ_COLUMNS`` of ``decisions``, where present); the ЛС read stands as the
    ЛС written too, where the register wrote none."""
    read = {f: decisions[c].to_numpy(dtype=object) for f, c in READ_COLUMNS.items()
            if c in decisions.columns and f in payments.columns}  # fmt: skip
    if not read:
        return payments
    for name, values in read.items():
        payments[name] = np.where(pd.isna(values), payments[name].to_numpy(dtype=object), values)
    if "account" in read and "account_raw" in payments.columns:
        raw = payments["account_raw"].to_numpy(dtype=object)
        payments["account_raw"] = np.where(pd.isna(raw), read["account"], raw)
    return payments
