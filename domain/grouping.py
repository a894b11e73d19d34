"""One payment written as several lines, one per service code: the lines merged into one payment.

Some banks write a payment that covers several services as one line per service, all carrying
the same key (the operation id, or the payer and the payment order number). The lines of one key
become one payment: its amount and commission are the sums, its ``services`` the lines'
(service_code, kopecks) pairs in file order, and every other field is the first line's. Lines
whose key is shared but whose account, УИП, ЕЛС or date disagree are not one payment: they are
returned apart, for the parser to reject.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# Fields every line of one payment must agree on.
AGREE = ("account", "uip", "els", "paid_date")


@dataclass(frozen=True)
class Grouped:
    """The merged payments, how many lines were merged into an earlier one, and conflicting lines."""

    payments: pd.DataFrame
    continuations: int
    conflicts: pd.DataFrame


def merge_lines(lines: pd.DataFrame, key: str = "operation_id") -> Grouped:
    """Merge the payment lines (``PAYMENT_COLUMNS``, ``services`` one pair a line) sharing ``key``."""
    if lines.empty:
        return Grouped(lines, 0, lines)
    ordered = lines.sort_values("line_no", kind="stable").reset_index(drop=True)
    group = pd.Series(pd.factorize(ordered[key].fillna(""))[0])  # group numbers by first appearance
    agree = ordered[list(AGREE)].astype(object).where(ordered[list(AGREE)].notna(), "")
    distinct = agree.groupby(group).nunique()
    conflict = group.isin(distinct.index[(distinct > 1).any(axis=1)]).to_numpy()
    good, group = ordered[~conflict], group[~conflict]
    by = good.groupby(group.to_numpy(), sort=True)
    out = by.head(1).reset_index(drop=True)
    out["amount"] = by["amount"].sum().to_numpy()
    # The commission is known only when every line gives it.
    known = by["commission"].count().to_numpy() == by.size().to_numpy()
    out["commission"] = pd.arrays.IntegerArray(by["commission"].sum().to_numpy("int64"), ~known)
    rows = [by.indices[k] for k in sorted(by.indices)]  # per group, its rows (positions in ``good``), in file order
    services, raws = good["services"].to_numpy(), good["raw"].to_numpy()
    out["services"] = pd.Series([tuple(p for i in r for p in (services[i] or ())) for r in rows], dtype=object)
    out["raw"] = pd.Series(["\n".join(raws[r]) for r in rows], dtype=object)
    return Grouped(out, len(good) - len(out), ordered[conflict].reset_index(drop=True))
