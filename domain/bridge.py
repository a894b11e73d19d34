"""The run's bridge: every kopeck a register holds ends in exactly one outcome.

``amount_total = posted + suspense + rejected + duplicate + quarantined`` per register and for the
run, so ``residual`` must be 0. A non-zero residual means the code lost or invented money: it is a
bug and raises ``BridgeError`` loudly, never a discrepancy for the accountants.

House conventions: a quarantined register (REGISTER_TOTAL_MISMATCH, or refused whole) puts every
readable line, its rejected ones included, under ``quarantined``; a DUPLICATE_FILE register is not
bridged at all (it is skipped before it is read). Amounts are int kopecks; rendering (docs/OPERATIONS.md,
``run-summary.json``) turns them into two-decimal strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from domain.money import format_amount
from domain.statuses import Outcome

OUTCOMES = tuple(o.value for o in Outcome)  # the bridge's columns, in this order
AMOUNT_KEYS = {  # run-summary key -> bridge column
    "amount_total": "amount_total",
    "posted_amount": "posted",
    "suspense_amount": "suspense",
    "rejected_amount": "rejected",
    "duplicate_amount": "duplicate",
    "quarantined_amount": "quarantined",
    "residual": "residual",
}
BRIDGE_COLUMNS = ["register_id", "amount_total", *OUTCOMES, "residual"]


class BridgeError(Exception):
    """Money of a run does not add up: a bug in the pipeline, never bad input."""


def bridge(outcomes: pd.DataFrame, totals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-register bridge (``BRIDGE_COLUMNS``, int64 kopecks) from per-line outcomes.

    ``outcomes``: ``register_id``, ``outcome`` (one of ``OUTCOMES``), ``amount`` (kopecks), one row
    per line (or per line part). ``totals``: ``register_id``, ``amount_total`` as counted
    independently (from the file's readable lines); without it ``amount_total`` is the sum of the
    outcomes, which makes the residual 0 by construction and checks only the outcome names.
    """
    unknown = set(outcomes["outcome"].unique()) - set(OUTCOMES)
    if unknown:
        raise BridgeError(f"unknown outcomes: {sorted(unknown)}")
    table = outcomes.pivot_table(
        index="register_id", columns="outcome", values="amount", aggfunc="sum", fill_value=0, observed=True
    )
    table = table.reindex(columns=list(OUTCOMES), fill_value=0).astype(np.int64)
    if totals is None:
        table["amount_total"] = table[list(OUTCOMES)].sum(axis=1)
    else:
        t = totals.set_index("register_id")["amount_total"].astype(np.int64)
        table = table.reindex(table.index.union(t.index), fill_value=0)
        table["amount_total"] = t.reindex(table.index, fill_value=0)
    table["residual"] = table["amount_total"] - table[list(OUTCOMES)].sum(axis=1)
    return table.reset_index()[BRIDGE_COLUMNS]


def residuals(frame: pd.DataFrame) -> pd.Series:
    """``amount_total − posted − suspense − rejected − duplicate − quarantined`` per row."""
    return frame["amount_total"] - frame[list(OUTCOMES)].sum(axis=1)


def check_bridge(frame: pd.DataFrame) -> None:
    """Raise ``BridgeError`` naming the registers whose residual is not 0 (``BRIDGE_COLUMNS`` frame)."""
    res = residuals(frame)
    bad = frame.loc[res != 0, "register_id"] if "register_id" in frame else frame.index[res != 0]
    if len(bad):
        shown = ", ".join(
            f"{r}: {format_amount(int(v))}" for r, v in zip(list(bad)[:10], res[res != 0], strict=False)
        )
        raise BridgeError(f"bridge residual is not zero for {len(bad)} register(s): {shown}")


def render_register(meta: Mapping[str, Any], amounts: Mapping[str, int]) -> dict[str, Any]:
    """One register of ``run-summary.json`` (docs/OPERATIONS.md, ``run-summary.json``).

    ``meta``: file, sha256, channel, format, status, lines, rejected_lines, records, non_payment_lines
    (records read, declared non-payment records; payments = lines − rejected); ``amounts``: the bridge
    columns (``amount_total``, ``posted``, …, in kopecks); residual is recomputed, never trusted.
    """
    vals = {k: int(amounts.get(k, 0)) for k in ("amount_total", *OUTCOMES)}
    vals["residual"] = vals["amount_total"] - sum(vals[k] for k in OUTCOMES)
    out: dict[str, Any] = {k: meta.get(k) for k in ("file", "sha256", "channel", "format", "status")}
    out["lines"] = int(meta.get("lines", 0))
    out["rejected_lines"] = int(meta.get("rejected_lines", 0))
    out["records"] = int(meta.get("records", 0))
    out["payments"] = out["lines"] - out["rejected_lines"]
    out["non_payment_lines"] = int(meta.get("non_payment_lines", 0))
    for key, col in AMOUNT_KEYS.items():
        out[key] = format_amount(vals[col])
    order = [
        "file",
        "sha256",
        "channel",
        "format",
        "status",
        "records",
        "payments",
        "non_payment_lines",
        "lines",
        "amount_total",
        "posted_amount",
        "suspense_amount",
        "rejected_lines",
        "rejected_amount",
        "duplicate_amount",
        "quarantined_amount",
        "residual",
    ]
    return {k: out[k] for k in order}


def render_totals(
    frame: pd.DataFrame, *, lines: int = 0, rejected_lines: int = 0, records: int = 0, non_payment_lines: int = 0
) -> dict[str, Any]:
    """The run's ``totals`` object: every bridge amount summed over registers, as two-decimal strings."""
    sums = {col: int(frame[col].sum()) if len(frame) else 0 for col in ("amount_total", *OUTCOMES)}
    sums["residual"] = sums["amount_total"] - sum(sums[k] for k in OUTCOMES)
    out: dict[str, Any] = {"records": int(records), "payments": int(lines) - int(rejected_lines),
                           "non_payment_lines": int(non_payment_lines), "lines": int(lines),
                           "rejected_lines": int(rejected_lines)}  # fmt: skip
    out.update({key: format_amount(sums[col]) for key, col in AMOUNT_KEYS.items()})
    return out
