"""Расщепление: split each matched payment among the service lines (suppliers) of its ПД.

- A payment equal to the ПД total goes line by line.
- Any other amount is split in proportion to the lines (ПП РФ № 354 п.118) and rounded to the kopeck
  by largest remainder, so the parts sum exactly to the payment. Leftover kopecks go to the lines
  with the largest remainders; ties go to the line that sorts first by (supplier INN, service,
  amount), which does not depend on the order of the input rows.
- Overpayment is split the same way and flagged OVERPAYMENT; underpayment is flagged UNDERPAYMENT.
- A ПД whose total is 0 (all lines 0) is split equally among its lines (largest remainder again) and
  flagged OVERPAYMENT: there is nothing owed, so the money is an advance to the ПД's suppliers.
- A payment already split by the bank (``services``: tuple of ``(service_code, kopecks)``, from a
  multi-service register or from several lines grouped into one payment) keeps the bank's split
  when every code, translated through its channel's map (``domain.servicecodes``; without a map
  the code is the service name), names a service line of the matched ПД: each service's amount goes
  to the ПД's lines of that service (pro rata if several suppliers bill it; lines not named get
  nothing). When a code is unknown or not on the ПД, an amount is negative, or the amounts do not
  sum to the payment, the whole payment is split by the ПД's lines like any other and flagged
  SERVICE_SPLIT_IGNORED, the detail naming the codes and why.

All arithmetic is int64 on whole columns; products ``payment × line`` that could overflow int64 are
done on Python ints for the affected rows only.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain._vec import INT64_MAX, amounts_text, concat_flags, empty_flags, flags, join_text, text
from domain.chargeindex import ChargeIndex, categories, codes_in
from domain.codes import Code
from domain.servicecodes import BAD_AMOUNT, NOT_IN_MAP, NOT_ON_DOCUMENT, ignored_split_details, translate_codes

_RANK_BY_SHIFTS = 16  # portions up to this many lines are ranked without sorting
PART_COLUMNS = ["payment_id", "uip", "supplier_inn", "service", "amount"]


@dataclass(frozen=True, slots=True)
class SplitResult:
    """``parts``: ``PART_COLUMNS``, one row per (payment, service line of its ПД), amounts in int64
    kopecks (a part may be 0), grouped by payment; ``flags``: OVERPAYMENT / UNDERPAYMENT /
    SERVICE_SPLIT_IGNORED rows."""

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


def _ranks(portion: np.ndarray, rem: np.ndarray, max_size: int) -> np.ndarray:
    """Rank of each row within its portion by remainder descending, then by position (tie order).

    Rows of a portion are contiguous. Portions are small (a ПД has a handful of lines), so the rank
    is counted by comparing each row with its neighbours 1..max_size-1 away: a few passes over the
    arrays instead of a sort; large portions fall back to a lexsort.
    """
    n = len(portion)
    if max_size > _RANK_BY_SHIFTS:
        order = np.lexsort((np.arange(n), -rem, portion))
        p = portion[order]
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n) - np.searchsorted(p, p, side="left")
        return rank
    rank = np.zeros(n, dtype=np.int64)
    for s in range(1, max_size):
        same = portion[s:] == portion[:-s]  # row i and row i + s belong to one portion
        # the earlier row i outranks i + s when its remainder is not smaller, and vice versa
        rank[s:] += same & (rem[:-s] >= rem[s:])
        rank[:-s] += same & (rem[s:] > rem[:-s])
    return rank


def _allocate(
    amount: np.ndarray, group: np.ndarray, lines: _Lines | ChargeIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each ``amount`` over the lines of its ``group``: (portion index, position of the line
    in ``lines.order``, part). Rows come portion by portion, each portion's lines in tie order."""
    n_rows = lines.count[group]
    offs = np.cumsum(n_rows)
    rows = int(offs[-1]) if len(offs) else 0
    offs -= n_rows
    portion = np.repeat(np.arange(len(amount)), n_rows)
    # Arrays of a row each are few and updated in place: a fresh array of millions of rows costs
    # more in page faults than the arithmetic done on it.
    pos = np.repeat(lines.start[group] - offs, n_rows)
    pos += np.arange(rows)
    w = lines.weight[pos]
    total = lines.total[group]
    zero = total == 0  # a group that owes nothing: split equally
    if zero.any():
        w[zero[portion]] = 1
        total = np.where(zero, n_rows, total)

    # w <= total, so |amount| × total bounds every product: only those portions risk overflow
    limit = INT64_MAX // np.maximum(total, 1)
    risky_p = (amount > limit) | (amount < -limit)
    if not risky_p.any():
        prod = np.repeat(amount, n_rows)
        prod *= w
        base, rem = w, np.repeat(total, n_rows)
        np.divmod(prod, rem, out=(base, rem))
        del prod
    else:  # rare: amounts near 10^17 kopecks; exact on Python ints, only these rows
        risky = risky_p[portion]
        safe = ~risky
        base = np.empty(rows, dtype=np.int64)
        rem = np.empty(rows, dtype=np.int64)
        base[safe], rem[safe] = np.divmod(amount[portion[safe]] * w[safe], total[portion[safe]])
        prod = amount[portion[risky]].astype(object) * w[risky].astype(object)
        den = total[portion[risky]].astype(object)
        base[risky] = (prod // den).astype(np.int64)
        rem[risky] = (prod % den).astype(np.int64)

    left = amount - (np.add.reduceat(base, offs) if rows else np.zeros(0, np.int64))
    short = left > 0
    if short.any():
        idx = np.flatnonzero(np.repeat(short, n_rows))
        p = portion[idx]
        rank = _ranks(p, rem[idx], int(n_rows[short].max()))
        base[idx[rank < left[p]]] += 1
    return portion, pos, base


def _services(
    m: pd.DataFrame, doc: np.ndarray, ix: ChargeIndex, service_codes: Mapping[str, Mapping[str, str]] | None
) -> tuple[np.ndarray, tuple | None, pd.DataFrame]:
    """Allocate multi-service payments by the bank's split: (used mask, allocation, flags of the
    payments whose split was not kept)."""
    used = np.zeros(len(m), dtype=bool)
    if "services" not in m.columns:
        return used, None, empty_flags()
    svc_col = pd.Series(m["services"].to_numpy(dtype=object))
    svc_col = svc_col[svc_col.notna()]
    ex = svc_col.explode().dropna()  # an empty tuple explodes to NaN: a plain payment
    if ex.empty:
        return used, None, empty_flags()
    row = ex.index.to_numpy()  # ascending: positions in ``m``
    raw_kop = ex.str[1]
    kop = pd.to_numeric(raw_kop, errors="coerce")
    kop_ok = kop.notna().to_numpy() & (kop.fillna(-1).to_numpy() >= 0)
    kop_i = np.zeros(len(ex), dtype=np.int64)
    # kopecks arrive as ints; read them from the original objects, never through float
    kop_i[kop_ok] = raw_kop[kop_ok].astype(np.int64).to_numpy()
    code = text(ex.str[0])
    channels = m["channel"].to_numpy(dtype=object)[row] if "channel" in m.columns else None
    name = translate_codes(code, channels, service_codes)
    p_svc = codes_in(pd.Series(name, dtype=object), ix.services)
    n_svc = len(ix.services) + 1
    l_key = ix.line_doc * n_svc + (ix.line_service + 1)
    p_key = doc[row] * n_svc + (p_svc + 1)
    keys, l_grp = np.unique(l_key, return_inverse=True)
    g = np.minimum(np.searchsorted(keys, p_key), len(keys) - 1)
    on_doc = (keys[g] == p_key) & (p_svc >= 0)
    paid = m["amount"].to_numpy(dtype=np.int64)
    by_row = pd.DataFrame({"ok": on_doc & kop_ok, "readable": kop_ok, "kop": kop_i}).groupby(row)
    ok_row, readable = by_row["ok"].all(), by_row["readable"].all().to_numpy()
    idx = ok_row.index.to_numpy()
    sums = np.where(readable, by_row["kop"].sum().to_numpy(dtype=np.int64), paid[idx])  # unreadable: no sum
    good = ok_row.to_numpy() & (sums == paid[idx])
    used[idx[good]] = True
    fl = empty_flags()
    if not good.all():
        bad = np.isin(row, idx[~good])
        problem = np.where(~kop_ok, BAD_AMOUNT, np.where(pd.isna(name) & pd.notna(code), NOT_IN_MAP,
                                                         np.where(on_doc, None, NOT_ON_DOCUMENT)))  # fmt: skip
        detail = ignored_split_details(row[bad], code[bad], name[bad], problem[bad], sums[~good], paid[idx[~good]])
        fl = flags(m["payment_id"].to_numpy(dtype=np.int64)[idx[~good]], Code.SERVICE_SPLIT_IGNORED, detail)
    take = np.isin(row, idx[good])
    if not take.any():
        return used, None, fl
    # One portion per (payment, service of its ПД): a code given twice, or two codes mapped to one
    # service, are summed before the split, so each line gets one part.
    key = row[take] * len(keys) + g[take]
    order = np.argsort(key, kind="stable")
    first = np.flatnonzero(np.r_[True, key[order][1:] != key[order][:-1]])
    amount = np.add.reduceat(kop_i[take][order], first)
    order2 = ix.order[np.argsort(l_grp[ix.order], kind="stable")]  # keeps the tie order in a group
    lines2 = _group(l_grp[order2], order2, ix.charges["amount"].to_numpy(dtype=np.int64), len(keys))
    portion, pos, part = _allocate(amount, g[take][order][first], lines2)
    return used, (row[take][order][first][portion], lines2.order[pos], part), fl


def _amount_flags(pid: np.ndarray, paid: np.ndarray, total: np.ndarray) -> list[pd.DataFrame]:
    """OVERPAYMENT and UNDERPAYMENT of payments against their ПД's totals."""
    out = []
    for mask, code in ((paid > total, Code.OVERPAYMENT), (paid < total, Code.UNDERPAYMENT)):
        if mask.any():
            detail = join_text("оплачено ", amounts_text(paid[mask]), ", по ПД ", amounts_text(total[mask]))
            out.append(flags(pid[mask], code, detail))
    return out


def split_payments(
    matched: pd.DataFrame,
    charges: pd.DataFrame | ChargeIndex,
    service_codes: Mapping[str, Mapping[str, str]] | None = None,
) -> SplitResult:
    """Split matched payments over their ПД's service lines (rules in the module docstring).

    ``matched``: ``payment_id``, ``uip`` (the matched ПД; rows with None are skipped), ``amount``
    (int64 kopecks) and optionally ``services``, and ``doc`` (from ``match_payments`` with the same
    ``ChargeIndex``). ``charges``: ``CHARGE_COLUMNS`` or the night's ``ChargeIndex``. A ``uip`` that
    is not in the charges is a caller's bug: ``ValueError``. ``service_codes``: per channel, the
    bank's service code → the center's service name (``domain.servicecodes``); the payments then
    carry their ``channel``.
    """
    ix = charges if isinstance(charges, ChargeIndex) else ChargeIndex.build(charges)
    keep = pd.Series(matched["uip"]).notna().to_numpy()
    m = (matched if keep.all() else matched[keep]).reset_index(drop=True)  # no copy when all are matched
    if "doc" in m.columns:  # match_payments' ПД positions in this same index: no second hash lookup
        doc = m["doc"].to_numpy(dtype=np.int64)
    else:
        doc = codes_in(m["uip"], ix.uips)
    if (doc < 0).any():
        raise ValueError(f"payments matched to ПД not in charges: {m['uip'][doc < 0].head(5).tolist()}")
    paid = m["amount"].to_numpy(dtype=np.int64)
    pid = m["payment_id"].to_numpy(dtype=np.int64)

    used, by_service, ignored = _services(m, doc, ix, service_codes)
    plain = np.flatnonzero(~used) if by_service is not None else None
    with ThreadPoolExecutor(max_workers=1) as pool:  # Arrow formats the findings while numpy splits
        found = pool.submit(_amount_flags, pid, paid, ix.total[doc])
        portion, pos, part = _allocate(paid if plain is None else paid[plain], doc if plain is None else doc[plain], ix)
        row = portion if plain is None else plain[portion]
        inn, service = ix.tie_codes(pos)  # the lines' codes straight from the tie order, not via line numbers
        if by_service is not None:
            row = np.concatenate([row, by_service[0]])
            inn = np.concatenate([inn, ix.line_inn[by_service[1]]])
            service = np.concatenate([service, ix.line_service[by_service[1]]])
            part = np.concatenate([part, by_service[2]])
        out = pd.DataFrame(
            {
                "payment_id": pid[row],
                "uip": categories(doc[row], ix.uips),
                "supplier_inn": categories(inn, ix.inns),
                "service": categories(service, ix.services),
                "amount": part,
            },
            copy=False,  # every column is a fresh array: no copy, and no stacking into one block
        )
        fl = [ignored, *found.result()]
    return SplitResult(parts=out, flags=concat_flags(fl))
