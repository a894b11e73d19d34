"""Расщепление: split each matched payment among the service lines (suppliers) of its ПД.

- A payment equal to the ПД total goes line by line.
- Any other amount is split in proportion to the lines (ПП РФ № 354 п.118) and rounded to the kopeck
  by largest remainder, so the parts sum exactly to the payment. Leftover kopecks go to the lines
  with the largest remainders; ties go to the line that sorts first by (supplier INN, service,
  amount), which does not depend on the order of the input rows.
- Overpayment is split the same way and flagged OVERPAYMENT; underpayment is flagged UNDERPAYMENT.
- A ПД whose total is 0 (all lines 0) is split equally among its lines (largest remainder again) and
  flagged OVERPAYMENT: there is nothing owed, so the money is an advance to the ПД's suppliers.
- A payment from a multi-service register (``services``: tuple of ``(service_code, kopecks)``)
  keeps the bank's split: each service amount goes to the ПД's lines with that ``service`` (pro
  rata if several suppliers bill the same service). When a code is not on the ПД, an amount is
  negative, or the amounts do not sum to the payment, the bank's split is ignored and the whole
  payment is split pro rata like any other (the report still shows the register's raw line).

All arithmetic is int64 on whole columns; products ``payment × line`` that could overflow int64 are
done on Python ints for the affected rows only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain._vec import INT64_MAX, concat_flags, flags, fmt_amounts, text
from domain.codes import Code

PART_COLUMNS = ["payment_id", "uip", "supplier_inn", "service", "amount"]


@dataclass(frozen=True, slots=True)
class SplitResult:
    """``parts``: ``PART_COLUMNS``, one row per (payment, service line of its ПД), amounts in int64
    kopecks (a part may be 0), grouped by payment; ``flags``: OVERPAYMENT / UNDERPAYMENT rows."""

    parts: pd.DataFrame
    flags: pd.DataFrame


@dataclass(frozen=True, slots=True)
class _Lines:
    """Service lines sorted into groups: group ``g`` is ``order[start[g]:start[g] + count[g]]``."""

    order: np.ndarray  # original line index, in group then tie order
    start: np.ndarray
    count: np.ndarray
    total: np.ndarray  # int64 sum of the group's lines
    weight: np.ndarray  # line amounts in sorted order


def _group(keys_sorted: np.ndarray, order: np.ndarray, amount: np.ndarray, n_groups: int) -> _Lines:
    count = np.bincount(keys_sorted, minlength=n_groups).astype(np.int64)
    start = np.cumsum(count) - count
    weight = amount[order]
    total = np.zeros(n_groups, dtype=np.int64)
    nonempty = count > 0
    if nonempty.any():
        total[nonempty] = np.add.reduceat(weight, start[nonempty])
    return _Lines(order, start, count, total, weight)


def _tie_order(doc: np.ndarray, charges: pd.DataFrame, amount: np.ndarray) -> np.ndarray:
    """Line indices sorted by (ПД, supplier INN, service, amount): deterministic tie order."""
    inn, inn_u = pd.factorize(pd.Series(charges["supplier_inn"], dtype=object), sort=True)
    svc, svc_u = pd.factorize(pd.Series(charges["service"], dtype=object), sort=True)
    n_inn, n_svc = len(inn_u) + 1, len(svc_u) + 1  # +1: missing (-1) becomes 0
    n_doc = int(doc.max()) + 1 if len(doc) else 0
    if n_doc * n_inn * n_svc < 2**62:
        key = (doc.astype(np.int64) * n_inn + (inn + 1)) * n_svc + (svc + 1)
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        if not (sorted_key[1:] == sorted_key[:-1]).any():
            return order
    return np.lexsort((amount, svc, inn, doc))


def _allocate(
    amount: np.ndarray, group: np.ndarray, lines: _Lines
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each ``amount`` over the lines of its ``group``: (portion index, line index, part)."""
    n_rows = lines.count[group]
    rows = int(n_rows.sum())
    portion = np.repeat(np.arange(len(amount)), n_rows)
    offs = np.cumsum(n_rows) - n_rows
    within = np.arange(rows) - np.repeat(offs, n_rows)
    pos = np.repeat(lines.start[group], n_rows) + within
    w = lines.weight[pos]
    big_w = np.repeat(lines.total[group], n_rows)
    zero = big_w == 0  # a group that owes nothing: split equally
    w = np.where(zero, 1, w)
    big_w = np.where(zero, np.repeat(n_rows, n_rows), big_w)
    a = np.repeat(amount, n_rows)

    base = np.empty(rows, dtype=np.int64)
    rem = np.empty(rows, dtype=np.int64)
    risky = (w > 0) & (a > INT64_MAX // np.maximum(w, 1))
    safe = ~risky
    prod = a[safe] * w[safe]
    base[safe], rem[safe] = np.divmod(prod, big_w[safe])
    if risky.any():  # rare: amounts near 10^17 kopecks; exact on Python ints, only these rows
        prod_o = a[risky].astype(object) * w[risky].astype(object)
        base[risky] = (prod_o // big_w[risky].astype(object)).astype(np.int64)
        rem[risky] = (prod_o % big_w[risky].astype(object)).astype(np.int64)

    left = amount - (np.add.reduceat(base, offs) if rows else np.zeros(0, np.int64))
    idx = np.flatnonzero(np.repeat(left > 0, n_rows))
    if len(idx):
        idx = idx[np.lexsort((within[idx], -rem[idx], portion[idx]))]
        p = portion[idx]
        rank = np.arange(len(idx)) - np.searchsorted(p, p, side="left")
        base[idx[rank < left[p]]] += 1
    return portion, lines.order[pos], base


def _services(
    m: pd.DataFrame,
    doc: np.ndarray,
    charges: pd.DataFrame,
    line_doc: np.ndarray,
    tie: np.ndarray,
    amount: np.ndarray,
) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
    """Allocate multi-service payments by the bank's split; returns (used mask, allocation)."""
    used = np.zeros(len(m), dtype=bool)
    if "services" not in m.columns:
        return used, None
    svc_col = pd.Series(m["services"].to_numpy(dtype=object))
    svc_col = svc_col[svc_col.notna()]
    if svc_col.empty:
        return used, None
    ex = svc_col.explode().dropna()  # an empty tuple explodes to NaN: a plain payment
    if ex.empty:
        return used, None
    row = ex.index.to_numpy()
    code = text(ex.str[0])
    raw_kop = ex.str[1]
    kop = pd.to_numeric(raw_kop, errors="coerce")
    kop_ok = kop.notna().to_numpy() & (kop.fillna(-1).to_numpy() >= 0)
    kop_i = np.zeros(len(ex), dtype=np.int64)
    # kopecks arrive as ints; read them from the original objects, never through float
    kop_i[kop_ok] = raw_kop[kop_ok].astype(np.int64).to_numpy()
    codes, _ = pd.factorize(np.concatenate([text(charges["service"]), code]))
    l_svc, p_svc = codes[: len(line_doc)], codes[len(line_doc) :]
    n_svc = int(codes.max()) + 2 if len(codes) else 1
    l_key = line_doc.astype(np.int64) * n_svc + (l_svc + 1)
    p_key = doc[row].astype(np.int64) * n_svc + (p_svc + 1)
    keys, l_grp = np.unique(l_key, return_inverse=True)
    g = np.searchsorted(keys, p_key)
    found = (g < len(keys)) & (keys[np.minimum(g, len(keys) - 1)] == p_key) & (p_svc >= 0) & kop_ok
    paid = m["amount"].to_numpy(dtype=np.int64)
    ok_row = pd.Series(found).groupby(row).all()
    sums = pd.Series(kop_i).groupby(row).sum()
    good_rows = ok_row.index.to_numpy()[
        (ok_row.to_numpy()) & (sums.to_numpy() == paid[ok_row.index.to_numpy()])
    ]
    used[good_rows] = True
    take = np.isin(row, good_rows)
    order2 = tie[np.argsort(l_grp[tie], kind="stable")]
    lines2 = _group(l_grp[order2], order2, amount, len(keys))
    portion, line, part = _allocate(kop_i[take], g[take], lines2)
    return used, (row[take][portion], line, part)


def split_payments(matched: pd.DataFrame, charges: pd.DataFrame) -> SplitResult:
    """Split matched payments over their ПД's service lines (rules in the module docstring).

    ``matched``: ``payment_id``, ``uip`` (the matched ПД; rows with None are skipped), ``amount``
    (int64 kopecks) and optionally ``services``. ``charges``: ``CHARGE_COLUMNS``. A ``uip`` that is
    not in ``charges`` is a bug of the caller and raises ``ValueError``.
    """
    m = matched[pd.Series(matched["uip"]).notna().to_numpy()].reset_index(drop=True)
    line_doc, doc_u = pd.factorize(pd.Series(charges["uip"], dtype=object))
    amount = charges["amount"].to_numpy(dtype=np.int64)
    doc = pd.Index(doc_u).get_indexer(m["uip"].to_numpy(dtype=object))
    if (doc < 0).any():
        raise ValueError(f"payments matched to ПД not in charges: {m['uip'][doc < 0].head(5).tolist()}")
    tie = _tie_order(line_doc, charges, amount)
    lines = _group(line_doc[tie], tie, amount, len(doc_u))
    paid = m["amount"].to_numpy(dtype=np.int64)
    pid = m["payment_id"].to_numpy(dtype=np.int64)

    used, by_service = _services(m, doc, charges, line_doc, tie, amount)
    plain = np.flatnonzero(~used)
    portion, line, part = _allocate(paid[plain], doc[plain], lines)
    rows, lns, parts = [plain[portion]], [line], [part]
    if by_service is not None:
        rows.append(by_service[0])
        lns.append(by_service[1])
        parts.append(by_service[2])
    row, ln = np.concatenate(rows), np.concatenate(lns)
    out = pd.DataFrame(
        {
            "payment_id": pid[row],
            "uip": charges["uip"].array.take(ln),
            "supplier_inn": charges["supplier_inn"].array.take(ln),
            "service": charges["service"].array.take(ln),
            "amount": np.concatenate(parts),
        }
    )
    total = lines.total[doc]
    fl = []
    over, under = paid > total, paid < total
    for mask, code in ((over, Code.OVERPAYMENT), (under, Code.UNDERPAYMENT)):
        if mask.any():
            detail = "оплачено " + fmt_amounts(paid[mask]) + ", по ПД " + fmt_amounts(total[mask])
            fl.append(flags(pid[mask], code, detail))
    return SplitResult(parts=out, flags=concat_flags(fl))
