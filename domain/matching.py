"""Квитирование: find the payment document (ПД) each payment pays (docs/RULES.md, Matching).

Ordered passes, each match recording its rule:

1. ``uip``: the payment's УИП equals a ПД's key. If the payment names an account and it differs
   from the ПД's, the match stands and ACCOUNT_CONFLICT is raised.
2. ``account_period``: normalised ЛС + period → the one ПД of that account and period.
3. ``account_latest``: normalised ЛС alone → the account's ПД of its latest period, with
   PERIOD_MISSING. It runs whenever pass 2 found no candidate: the period is absent/unreadable
   or names a month the account has no ПД for (the money still belongs to that account).
4. ``els_period``: where passes 1-3 found nothing, the payment's ЕЛС (given as such, or the ЕЛС
   part of an ИЖКУ) + period → the one ПД of that ЕЛС and period. A ПД whose own ИЖКУ differs from
   the payment's ИЖКУ is another premises of the ЕЛС and is not taken; a payment with an ИЖКУ that
   meets several ПД of its ЕЛС goes on to pass 5, which can tell the premises apart.
5. ``izhku``: the payment's ИЖКУ (ЕЛС-NN, one premises) → the ПД of that ИЖКУ and the period, else
   (no period, or no ПД for it) the ИЖКУ's latest ПД with PERIOD_MISSING, as pass 3 does for a ЛС.
6. otherwise suspense with UNKNOWN_ACCOUNT.

A pass that finds several candidates does not match and does not fall through to a weaker pass:
the payment goes to suspense with AMBIGUOUS_MATCH. A ПД is one candidate however many service
lines it has. Everything is array work (hash/sort lookups on integer codes), no per-row Python.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain._vec import concat_flags, flags, join_text
from domain.chargeindex import ChargeIndex, codes_in, to_arrow
from domain.codes import Code
from domain.identifiers.els import split_column
from domain.statuses import MatchStatus

RULE_UIP = "uip"
RULE_ACCOUNT_PERIOD = "account_period"
RULE_ACCOUNT_LATEST = "account_latest"
RULE_ELS_PERIOD = "els_period"
RULE_IZHKU = "izhku"

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


_DENSE_SLOTS_PER_DOC = 8  # a key space up to this many slots a ПД is a direct table, else a hash


class _Keys:
    """Int keys of the ПД (-1: none) and, for a query key, the one ПД that has it.

    Keys are ``identifier code × periods + period code``: a small dense space, so the lookup is a
    direct table (one gather, no hashing); a sparse space falls back to a hash of the unique keys.
    """

    def __init__(self, doc_keys: np.ndarray, size: int) -> None:
        self.doc_keys = doc_keys
        valid = doc_keys >= 0
        rows, keys = np.flatnonzero(valid), doc_keys[valid]
        self.dense = size <= _DENSE_SLOTS_PER_DOC * len(doc_keys) + (1 << 20)
        if self.dense:
            self.table = np.full(size, -1, dtype=np.int64)
            self.table[keys] = rows  # several ПД with one key are marked -2 next
            self.table[np.bincount(keys, minlength=size) > 1] = -2
        else:
            unique, first, counts = np.unique(keys, return_index=True, return_counts=True)
            self.index = pd.Index(unique)
            self.table = np.where(counts == 1, rows[first], -2)

    def find(self, query: np.ndarray) -> np.ndarray:
        """Position of the one ПД with each query key; -1 none (or a query of -1), -2 several."""
        hit = query >= 0
        out = np.full(len(query), -1, dtype=np.int64)
        if self.dense:
            out[hit] = self.table[query[hit]]
            return out
        pos = self.index.get_indexer(query[hit])
        out[np.flatnonzero(hit)[pos >= 0]] = self.table[pos[pos >= 0]]
        return out


def _lookup(doc_keys: np.ndarray, query: np.ndarray, size: int) -> np.ndarray:
    """Position of the one ПД with each query key; -1 none, -2 several (keys below ``size``)."""
    return _Keys(doc_keys, size).find(query)


def _latest(doc_id: np.ndarray, doc_period: np.ndarray, n_ids: int) -> np.ndarray:
    """For each identifier code 0..n_ids-1, the code of its latest period (-1 if it has no ПД)."""
    latest = np.full(n_ids, -1, dtype=np.int64)
    valid = (doc_id >= 0) & (doc_period >= 0)
    np.maximum.at(latest, doc_id[valid], doc_period[valid])
    return latest


def _els_passes(
    payments: pd.DataFrame,
    ix: ChargeIndex,
    doc: np.ndarray,
    rule: np.ndarray,
    ambiguous: np.ndarray,
    p_p: np.ndarray,
    base: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Passes 4 (``els_period``) and 5 (``izhku``) on the payments still open; ``doc`` and ``rule``
    are filled in place. Returns the masks: matched by an ИЖКУ's latest ПД, ambiguous in pass 4,
    ambiguous in pass 5."""
    n = len(doc)
    none = np.zeros(n, dtype=bool)
    if "els" not in payments.columns or ix.elses is None or ix.doc_els is None or ix.doc_izhku is None:
        return none, none, none
    els, izhku = split_column(to_arrow(payments["els"]))
    p_e, p_z = codes_in(els, ix.elses), codes_in(izhku, ix.izhkus)
    has_izhku = pc.is_valid(izhku).to_numpy(zero_copy_only=False)
    d_e, d_z, d_p = ix.doc_els, ix.doc_izhku, ix.doc_period

    # Pass 4: ЕЛС + period; a ПД of another premises (its ИЖКУ differs from the payment's) is not taken.
    open4 = (doc < 0) & ~ambiguous & (p_e >= 0) & (p_p >= 0)
    d_key = np.where((d_e >= 0) & (d_p >= 0), d_e * base + d_p, -1)
    hit4 = _lookup(d_key, np.where(open4, p_e * base + p_p, -1), len(ix.elses) * base)
    found = hit4 >= 0
    other = found & has_izhku & (d_z[np.maximum(hit4, 0)] >= 0) & (d_z[np.maximum(hit4, 0)] != p_z)
    by_els = found & ~other
    doc[by_els], rule[by_els] = hit4[by_els], RULE_ELS_PERIOD
    ambiguous4 = (hit4 == -2) & ~has_izhku

    # Pass 5: ИЖКУ + period, else the ИЖКУ's latest period.
    open5 = (doc < 0) & ~ambiguous & ~ambiguous4 & (p_z >= 0)
    z_key = np.where((d_z >= 0) & (d_p >= 0), d_z * base + d_p, -1)
    by_z = _Keys(z_key, len(ix.izhkus) * base)
    hit5 = by_z.find(np.where(open5 & (p_p >= 0), p_z * base + p_p, -1))
    latest = _latest(d_z, d_p, len(ix.izhkus))
    rest = open5 & (hit5 == -1)
    q = np.full(n, -1, dtype=np.int64)
    q[rest] = np.where(latest[p_z[rest]] >= 0, p_z[rest] * base + latest[p_z[rest]], -1)
    hit_latest = by_z.find(q)
    by_latest = hit_latest >= 0
    hit5 = np.where(rest, hit_latest, hit5)
    by_izhku = hit5 >= 0
    doc[by_izhku], rule[by_izhku] = hit5[by_izhku], RULE_IZHKU
    return by_latest, ambiguous4, open5 & (hit5 == -2)


def match_payments(payments: pd.DataFrame, charges: pd.DataFrame | ChargeIndex) -> MatchResult:
    """Match every payment to a ПД by the ordered passes of the module docstring.

    ``payments``: ``payment_id`` (unique int, assigned by the caller), ``uip``, ``account``
    (normalised ЛС), ``period`` (``YYYY-MM`` or None) and optionally ``els`` (ЕЛС or ИЖКУ as the
    payer gave it; passes 4-5 run only when both it and the charges' ``els`` are there); other
    payment columns are ignored.
    ``charges``: ``CHARGE_COLUMNS`` (one row per service line; ``uip`` is the ПД key) or, to match
    many files against one night's charges, a ``ChargeIndex`` built once. Each payment is matched on
    its own, so the result does not depend on row order or on how payments are cut into frames.
    """
    ix = _index(charges)
    pid = payments["payment_id"].to_numpy(dtype=np.int64)
    given = {c: to_arrow(payments[c]) for c in ("uip", "account", "period")}  # Arrow text, read once
    with ThreadPoolExecutor(max_workers=2) as pool:  # Arrow hashing releases the GIL
        p_u, p_a, p_p = pool.map(codes_in, given.values(), (ix.uips, ix.accounts, ix.periods))
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
    by_account = _Keys(d_key, len(ix.accounts) * base)
    p_key = np.where((p_a >= 0) & (p_p >= 0) & ~by_uip, p_a * base + p_p, -1)
    hit2 = by_account.find(p_key)
    by_period = hit2 >= 0
    doc[by_period], rule[by_period] = hit2[by_period], RULE_ACCOUNT_PERIOD
    ambiguous = hit2 == -2

    # Pass 3: ЛС alone → the account's latest period (only where pass 2 found no candidate).
    open_ = ~by_uip & ~by_period & ~ambiguous & (p_a >= 0)
    latest = _latest(d_a, d_p, len(ix.accounts))
    q3 = np.full(n, -1, dtype=np.int64)
    q3[open_] = np.where(latest[p_a[open_]] >= 0, p_a[open_] * base + latest[p_a[open_]], -1)
    hit3 = by_account.find(q3)
    by_latest = hit3 >= 0
    doc[by_latest], rule[by_latest] = hit3[by_latest], RULE_ACCOUNT_LATEST
    ambiguous3 = hit3 == -2
    ambiguous |= ambiguous3
    by_izhku_latest, ambiguous_els, ambiguous_izhku = _els_passes(payments, ix, doc, rule, ambiguous, p_p, base)
    ambiguous |= ambiguous_els | ambiguous_izhku

    if "els" in payments.columns:
        given["els"] = to_arrow(payments["els"])
    with ThreadPoolExecutor(max_workers=1) as pool:  # the findings' texts are glued while the frame is built
        found = pool.submit(_flags, pid, given, ix, doc, p_a, by_uip, by_latest | by_izhku_latest, ambiguous,
                            ambiguous3, ambiguous_els | ambiguous_izhku)  # fmt: skip
        matches = _frame(pid, doc, rule, ix)
        return MatchResult(matches=matches, flags=found.result())


def _frame(pid: np.ndarray, doc: np.ndarray, rule: np.ndarray, ix: ChargeIndex) -> pd.DataFrame:
    """The ``matches`` frame of ``MatchResult``."""
    matched = doc >= 0
    status = pc.if_else(pa.array(matched), str(MatchStatus.MATCHED), str(MatchStatus.SUSPENSE))
    return pd.DataFrame(
        {
            "payment_id": pid.copy(),  # may be a view of the caller's frame
            "uip": pd.Series(ix.uips.take(pa.array(doc, mask=~matched)), dtype="str"),
            "rule": pd.Series(rule, dtype=object),
            "status": pd.Series(status.cast(pa.large_string()), dtype="str"),
            "doc": doc,
        },
        copy=False,  # fresh arrays (the ids copied below): no copy, and no stacking into one block
    )


def _blank_null(values: pa.Array) -> pa.Array:
    """Empty texts as null (the payment did not give the value)."""
    return pc.if_else(pc.fill_null(pc.equal(values, ""), False), pa.scalar(None, values.type), values)


def _flags(
    pid: np.ndarray,
    given: dict[str, pa.Array],
    ix: ChargeIndex,
    doc: np.ndarray,
    p_a: np.ndarray,
    by_uip: np.ndarray,
    period_missing: np.ndarray,
    ambiguous: np.ndarray,
    ambiguous3: np.ndarray,
    ambiguous_els: np.ndarray,
) -> pd.DataFrame:
    """The findings of ``match_payments``, their Russian details glued in Arrow."""

    def txt(column: str, rows: np.ndarray) -> pa.Array:
        return _blank_null(given[column].take(pa.array(rows)))

    def doc_text(dictionary: pa.Array, codes: np.ndarray) -> pa.Array:
        return dictionary.take(pa.array(codes, mask=codes < 0)).cast(pa.large_string())

    d_a, d_p = ix.doc_account, ix.doc_period
    parts = []
    i = np.flatnonzero(by_uip)
    i = i[p_a[i] != d_a[doc[i]]]
    i = i[pc.is_valid(txt("account", i)).to_numpy(zero_copy_only=False)]  # the payment named another ЛС
    if len(i):
        their = pc.fill_null(doc_text(ix.accounts, d_a[doc[i]]), "—")
        detail = join_text("ЛС в платеже ", txt("account", i), ", в ПД ", their)
        parts.append(flags(pid[i], Code.ACCOUNT_CONFLICT, detail))
    if period_missing.any():
        i = np.flatnonzero(period_missing)
        period, used = txt("period", i), doc_text(ix.periods, d_p[doc[i]])
        detail = pc.if_else(pc.is_valid(period), join_text("нет ПД за ", period, "; взят ПД за ", used),
                            join_text("период не указан; взят ПД за ", used))  # fmt: skip
        parts.append(flags(pid[i], Code.PERIOD_MISSING, detail))
    if ambiguous.any():
        i = np.flatnonzero(ambiguous)
        per = pc.fill_null(pc.if_else(pa.array(ambiguous3[i]), pa.scalar(None, pa.large_string()), txt("period", i)),
                           "последний период")  # fmt: skip
        by_els = pa.array(ambiguous_els[i])
        els = txt("els", i) if "els" in given else pa.nulls(len(i), pa.large_string())
        detail = join_text("несколько ПД по ", pc.if_else(by_els, "ЕЛС/ИЖКУ ", "ЛС "),
                           pc.if_else(by_els, els, txt("account", i)), " за ", per)  # fmt: skip
        parts.append(flags(pid[i], Code.AMBIGUOUS_MATCH, detail))
    unknown = (doc < 0) & ~ambiguous
    if unknown.any():
        i = np.flatnonzero(unknown)
        u, a = pc.fill_null(txt("uip", i), "—"), pc.fill_null(txt("account", i), "—")
        detail = join_text("не найден ПД: УИП ", u, ", ЛС ", a)
        if "els" in given:  # the ЕЛС/ИЖКУ named only when the payment has one
            e = txt("els", i)
            detail = pc.if_else(pc.is_valid(e), join_text(detail, ", ЕЛС/ИЖКУ ", e), detail)
        parts.append(flags(pid[i], Code.UNKNOWN_ACCOUNT, detail))
    return concat_flags(parts)
