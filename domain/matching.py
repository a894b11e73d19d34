"""Квитирование: find the payment document (ПД) each payment pays (DOMAIN.md section 5).

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

from domain._vec import concat_flags, flags, text, unique_lookup
from domain.codes import Code

RULE_UIP = "uip"
RULE_ACCOUNT_PERIOD = "account_period"
RULE_ACCOUNT_LATEST = "account_latest"
MATCHED = "matched"
SUSPENSE = "suspense"

MATCH_COLUMNS = ["payment_id", "uip", "rule", "status"]
DOCUMENT_COLUMNS = ["uip", "account", "period", "address", "total", "lines"]


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Outcome of ``match_payments``.

    ``matches``: one row per payment, in the input's order: ``payment_id`` (int64), ``uip`` (the
    ПД key, None in suspense), ``rule`` (``uip`` / ``account_period`` / ``account_latest``, None in
    suspense), ``status`` (``matched`` / ``suspense``). ``flags``: ``payment_id``, ``code``,
    ``detail`` (Russian text for the report) for every discrepancy raised, sorted by payment.
    """

    matches: pd.DataFrame
    flags: pd.DataFrame


def documents(charges: pd.DataFrame) -> pd.DataFrame:
    """One row per ПД from its service lines: ``DOCUMENT_COLUMNS``, in order of first appearance.

    A ПД's account, period and address are those of its first line (the charges import keeps them
    equal on every line of a ПД); ``total`` is the sum of its lines in kopecks, ``lines`` their count.
    """
    codes, uniques = pd.factorize(pd.Series(charges["uip"], dtype=object))
    n = len(uniques)
    first = np.full(n, -1, dtype=np.int64)
    # factorize numbers keys by first appearance, so a row opens a new key where its code
    # exceeds every code before it.
    if len(codes):
        seen = np.maximum.accumulate(codes)
        opens = np.empty(len(codes), dtype=bool)
        opens[0] = True
        opens[1:] = codes[1:] > seen[:-1]
        first = np.flatnonzero(opens)
    total = pd.Series(charges["amount"].to_numpy(dtype=np.int64)).groupby(codes).sum()
    count = np.bincount(codes, minlength=n)
    return pd.DataFrame(
        {
            "uip": np.asarray(uniques, dtype=object),
            "account": text(charges["account"].to_numpy()[first]) if n else np.empty(0, object),
            "period": text(charges["period"].to_numpy()[first]) if n else np.empty(0, object),
            "address": charges["address"].to_numpy(dtype=object)[first] if n else np.empty(0, object),
            "total": total.reindex(np.arange(n), fill_value=0).to_numpy(dtype=np.int64),
            "lines": count.astype(np.int64),
        }
    )


def _codes(doc_values: np.ndarray, pay_values: np.ndarray, *, sort: bool = False) -> tuple[np.ndarray, ...]:
    """Shared integer codes (-1 for None) of the same kind of key on the ПД and payment sides."""
    codes, uniques = pd.factorize(np.concatenate([doc_values, pay_values]), sort=sort)
    return codes[: len(doc_values)], codes[len(doc_values) :], len(uniques)


def match_payments(payments: pd.DataFrame, charges: pd.DataFrame) -> MatchResult:
    """Match every payment to a ПД by the ordered passes of the module docstring.

    ``payments``: ``payment_id`` (unique int, assigned by the caller), ``uip``, ``account``
    (normalised ЛС), ``period`` (``YYYY-MM`` or None); other payment columns are ignored.
    ``charges``: ``CHARGE_COLUMNS`` (one row per service line; ``uip`` is the ПД key). Each payment
    is matched on its own, so the result does not depend on row order or on how payments are cut
    into frames.
    """
    docs = documents(charges)
    pid = payments["payment_id"].to_numpy(dtype=np.int64)
    p_uip, p_acc, p_per = (text(payments[c]) for c in ("uip", "account", "period"))
    d_uip, d_acc, d_per = (docs[c].to_numpy(dtype=object) for c in ("uip", "account", "period"))
    n = len(pid)
    doc = np.full(n, -1, dtype=np.int64)
    rule = np.full(n, None, dtype=object)

    # Pass 1: УИП exact. ПД keys are unique, so this pass can never be ambiguous.
    d_u, p_u, _ = _codes(d_uip, p_uip)
    hit = unique_lookup(d_u.astype(np.int64), p_u.astype(np.int64))
    by_uip = hit >= 0
    doc[by_uip], rule[by_uip] = hit[by_uip], RULE_UIP

    # Pass 2: ЛС + period. Codes are shifted by one so that "absent" (-1) never forms a key.
    d_a, p_a, _ = _codes(d_acc, p_acc)
    d_p, p_p, n_per = _codes(d_per, p_per, sort=True)  # sorted: a larger code is a later month
    base = n_per + 1
    d_key = np.where((d_a >= 0) & (d_p >= 0), d_a.astype(np.int64) * base + d_p + 1, -1)
    p_key = np.where((p_a >= 0) & (p_p >= 0), p_a.astype(np.int64) * base + p_p + 1, -1)
    open_ = ~by_uip
    hit2 = np.where(open_, unique_lookup(d_key, p_key), -1)
    by_period = hit2 >= 0
    doc[by_period], rule[by_period] = hit2[by_period], RULE_ACCOUNT_PERIOD
    ambiguous = hit2 == -2

    # Pass 3: ЛС alone → the account's latest period (only where pass 2 found no candidate).
    open_ &= ~by_period & ~ambiguous & (p_a >= 0)
    valid = (d_a >= 0) & (d_p >= 0)
    latest = pd.Series(d_p[valid]).groupby(d_a[valid]).max()
    p_latest = latest.reindex(p_a).to_numpy(dtype=float)  # NaN where the account has no ПД
    has = open_ & ~np.isnan(p_latest)
    q3 = np.full(n, -1, dtype=np.int64)
    q3[has] = p_a[has].astype(np.int64) * base + p_latest[has].astype(np.int64) + 1
    hit3 = np.where(has, unique_lookup(d_key, q3), -1)
    by_latest = hit3 >= 0
    doc[by_latest], rule[by_latest] = hit3[by_latest], RULE_ACCOUNT_LATEST
    ambiguous3 = hit3 == -2
    ambiguous |= ambiguous3

    matched = doc >= 0
    out_uip = np.full(n, None, dtype=object)
    out_uip[matched] = d_uip[doc[matched]]
    matches = pd.DataFrame(
        {
            "payment_id": pid,
            "uip": pd.Series(out_uip, dtype=object),
            "rule": pd.Series(rule, dtype=object),
            "status": np.where(matched, MATCHED, SUSPENSE).astype(object),
        }
    )

    parts = []
    i = np.flatnonzero(by_uip)
    i = i[(p_a[i] >= 0) & (p_a[i] != d_a[doc[i]])]
    if len(i):
        detail = "ЛС в платеже " + pd.Series(p_acc[i]) + ", в ПД " + pd.Series(d_acc[doc[i]]).fillna("—")
        parts.append(flags(pid[i], Code.ACCOUNT_CONFLICT, detail))
    if by_latest.any():
        i = np.flatnonzero(by_latest)
        given = pd.Series(p_per[i], dtype=object)
        used = pd.Series(d_per[doc[i]], dtype=object)
        detail = ("нет ПД за " + given + "; взят ПД за " + used).where(
            given.notna(), "период не указан; взят ПД за " + used
        )
        parts.append(flags(pid[i], Code.PERIOD_MISSING, detail))
    if ambiguous.any():
        i = np.flatnonzero(ambiguous)
        per = pd.Series(np.where(ambiguous3[i], "последний период", p_per[i]), dtype=object)
        detail = "несколько ПД по ЛС " + pd.Series(p_acc[i], dtype=object) + " за " + per
        parts.append(flags(pid[i], Code.AMBIGUOUS_MATCH, detail))
    unknown = ~matched & ~ambiguous
    if unknown.any():
        i = np.flatnonzero(unknown)
        u = pd.Series(p_uip[i], dtype=object).fillna("—")
        a = pd.Series(p_acc[i], dtype=object).fillna("—")
        parts.append(flags(pid[i], Code.UNKNOWN_ACCOUNT, "не найден ПД: УИП " + u + ", ЛС " + a))
    return MatchResult(matches=matches, flags=concat_flags(parts))
