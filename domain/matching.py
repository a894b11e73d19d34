"""Квитирование: find the payment document (ПД) each payment pays (docs/RULES.md, Matching).

Ordered passes, each match recording its rule:

1. ``uip``: the payment's УИП equals a ПД's key. If the payment names an account and it differs
   from the ПД's, the match stands and ACCOUNT_CONFLICT is raised.
2. ``account_period``: normalised ЛС + period → the one ПД of that account and period.
3. ``account_latest``: normalised ЛС alone → the account's ПД of its latest period, with
   PERIOD_MISSING. It runs whenever pass 2 found no candidate: the period is absent/unreadable
   or names a month the account has no ПД for (the money still belongs to that account).
4. otherwise suspense with UNKNOWN_ACCOUNT.

A pass that finds several candidates does not match and does not fall through to a weaker pass:
the payment goes to suspense with AMBIGUOUS_MATCH. A ПД is one candidate however many service
lines it has. Everything is array work (hash/sort lookups on integer codes), no per-row Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from domain._vec import concat_flags, flags, text
from domain.chargeindex import ChargeIndex, codes_in, strings
from domain.codes import Code

RULE_UIP = "uip"
RULE_ACCOUNT_PERIOD = "account_period"
RULE_ACCOUNT_LATEST = "account_latest"
MATCHED = "matched"
SUSPENSE = "suspense"

MATCH_COLUMNS = ["payment_id", "uip", "rule", "status", "doc"]
DOCUMENT_COLUMNS = ["uip", "account", "period", "address", "total", "lines"]


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Outcome of ``match_payments``.

    ``matches``: one row per payment, in the input's order: ``payment_id`` (int64), ``uip`` (the
    ПД key, None in suspense), ``rule`` (``uip`` / ``account_period`` / ``account_latest``, None in
    suspense), ``status`` (``matched`` / ``suspense``), ``doc`` (int64 position of the ПД in the
    ``ChargeIndex`` used, -1 in suspense: pass it on to ``split_payments`` with the same index).
    ``flags``: ``payment_id``, ``code``, ``detail`` (Russian text for the report) for every
    discrepancy raised, sorted by payment.
    """

    matches: pd.DataFrame
    flags: pd.DataFrame


def documents(charges: pd.DataFrame | ChargeIndex) -> pd.DataFrame:
    """One row per ПД from its service lines: ``DOCUMENT_COLUMNS``, in order of first appearance.

    A ПД's account, period and address are those of its first line (the charges import keeps them
    equal on every line of a ПД); ``total`` is the sum of its lines in kopecks, ``lines`` their count.
    """
    return _index(charges).documents()


def _index(charges: pd.DataFrame | ChargeIndex) -> ChargeIndex:
    return charges if isinstance(charges, ChargeIndex) else ChargeIndex.build(charges)


def _lookup(doc_keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Position of the one ПД with each query key; -1 none, -2 several. Hash lookup on unique keys."""
    valid = doc_keys >= 0
    keys, first, counts = np.unique(doc_keys[valid], return_index=True, return_counts=True)
    pos = pd.Index(keys).get_indexer(query)
    out = np.full(len(query), -1, dtype=np.int64)
    hit = pos >= 0
    out[hit] = np.where(counts[pos[hit]] == 1, np.flatnonzero(valid)[first[pos[hit]]], -2)
    out[query < 0] = -1
    return out


def match_payments(payments: pd.DataFrame, charges: pd.DataFrame | ChargeIndex) -> MatchResult:
    """Match every payment to a ПД by the ordered passes of the module docstring.

    ``payments``: ``payment_id`` (unique int, assigned by the caller), ``uip``, ``account``
    (normalised ЛС), ``period`` (``YYYY-MM`` or None); other payment columns are ignored.
    ``charges``: ``CHARGE_COLUMNS`` (one row per service line; ``uip`` is the ПД key) or, to match
    many files against one night's charges, a ``ChargeIndex`` built once. Each payment is matched on
    its own, so the result does not depend on row order or on how payments are cut into frames.
    """
    ix = _index(charges)
    pid = payments["payment_id"].to_numpy(dtype=np.int64)
    p_u = codes_in(payments["uip"], ix.uips)
    p_a = codes_in(payments["account"], ix.accounts)
    p_p = codes_in(payments["period"], ix.periods)
    d_a, d_p = ix.doc_account, ix.doc_period
    n = len(pid)
    doc = np.full(n, -1, dtype=np.int64)
    rule = np.full(n, None, dtype=object)

    # Pass 1: УИП exact. ПД keys are unique, so this pass can never be ambiguous.
    by_uip = p_u >= 0
    doc[by_uip], rule[by_uip] = p_u[by_uip], RULE_UIP

    # Pass 2: ЛС + period. A period no ПД has gets no code, so it falls to pass 3.
    base = len(ix.periods) + 1
    d_key = np.where((d_a >= 0) & (d_p >= 0), d_a * base + d_p, -1)
    p_key = np.where((p_a >= 0) & (p_p >= 0) & ~by_uip, p_a * base + p_p, -1)
    hit2 = _lookup(d_key, p_key)
    by_period = hit2 >= 0
    doc[by_period], rule[by_period] = hit2[by_period], RULE_ACCOUNT_PERIOD
    ambiguous = hit2 == -2

    # Pass 3: ЛС alone → the account's latest period (only where pass 2 found no candidate).
    open_ = ~by_uip & ~by_period & ~ambiguous & (p_a >= 0)
    latest = np.full(len(ix.accounts), -1, dtype=np.int64)
    valid = (d_a >= 0) & (d_p >= 0)
    if valid.any():
        mx = pd.Series(d_p[valid]).groupby(d_a[valid]).max()
        latest[mx.index.to_numpy()] = mx.to_numpy()
    q3 = np.full(n, -1, dtype=np.int64)
    q3[open_] = np.where(latest[p_a[open_]] >= 0, p_a[open_] * base + latest[p_a[open_]], -1)
    hit3 = _lookup(d_key, q3)
    by_latest = hit3 >= 0
    doc[by_latest], rule[by_latest] = hit3[by_latest], RULE_ACCOUNT_LATEST
    ambiguous3 = hit3 == -2
    ambiguous |= ambiguous3

    matched = doc >= 0
    uip_out = pd.Series(ix.uips.take(pa.array(doc, mask=~matched)), dtype="str")
    matches = pd.DataFrame(
        {
            "payment_id": pid,
            "uip": uip_out,
            "rule": pd.Series(rule, dtype=object),
            "status": np.where(matched, MATCHED, SUSPENSE).astype(object),
            "doc": doc,
        }
    )

    def txt(column: str, rows: np.ndarray) -> pd.Series:
        return pd.Series(text(payments[column].iloc[rows]), dtype=object)

    parts = []
    i = np.flatnonzero(by_uip)
    i = i[(p_a[i] != d_a[doc[i]]) & pd.notna(text(payments["account"].iloc[i]))]
    if len(i):
        their = pd.Series(strings(ix.accounts, d_a[doc[i]]), dtype=object).fillna("—")
        parts.append(flags(pid[i], Code.ACCOUNT_CONFLICT, "ЛС в платеже " + txt("account", i) + ", в ПД " + their))
    if by_latest.any():
        i = np.flatnonzero(by_latest)
        given = txt("period", i)
        used = pd.Series(strings(ix.periods, d_p[doc[i]]), dtype=object)
        detail = ("нет ПД за " + given + "; взят ПД за " + used).where(
            given.notna(), "период не указан; взят ПД за " + used
        )
        parts.append(flags(pid[i], Code.PERIOD_MISSING, detail))
    if ambiguous.any():
        i = np.flatnonzero(ambiguous)
        per = txt("period", i).where(~ambiguous3[i], "последний период")
        detail = "несколько ПД по ЛС " + txt("account", i) + " за " + per
        parts.append(flags(pid[i], Code.AMBIGUOUS_MATCH, detail))
    unknown = ~matched & ~ambiguous
    if unknown.any():
        i = np.flatnonzero(unknown)
        u, a = txt("uip", i).fillna("—"), txt("account", i).fillna("—")
        parts.append(flags(pid[i], Code.UNKNOWN_ACCOUNT, "не найден ПД: УИП " + u + ", ЛС " + a))
    return MatchResult(matches=matches, flags=concat_flags(parts))
