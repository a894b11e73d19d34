"""Agent commission: what a channel's tariff says each payment should cost, and the mismatches.

A tariff is a percent of the payment (``Decimal``, e.g. ``Decimal("1.2")``), clamped to a minimum
and an optional maximum in kopecks. The expected commission is ``amount × percent / 100`` rounded
half up to the kopeck (0.5 kopeck → 1), then clamped: ``max(minimum, min(maximum, rounded))``.
The arithmetic is exact: the percent becomes an integer ratio and the rounding is integer division.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from domain._vec import INT64_MAX, concat_flags, flags, fmt_amounts
from domain.codes import Code


@dataclass(frozen=True, slots=True)
class Tariff:
    """A channel's commission: ``percent`` of the payment, at least ``minimum``, at most ``maximum``."""

    percent: Decimal
    minimum: int = 0  # kopecks
    maximum: int | None = None  # kopecks; None: no cap

    def __post_init__(self) -> None:
        if not isinstance(self.percent, Decimal) or not self.percent.is_finite() or self.percent < 0:
            raise ValueError(f"tariff percent must be a non-negative Decimal, got {self.percent!r}")
        if self.maximum is not None and self.maximum < self.minimum:
            raise ValueError(f"tariff maximum {self.maximum} is below its minimum {self.minimum}")


def expected_commission(amounts: np.ndarray | pd.Series, tariff: Tariff) -> np.ndarray:
    """Expected commission in int64 kopecks for each payment amount (kopecks, >= 0)."""
    a = np.asarray(amounts, dtype=np.int64)
    num, den = tariff.percent.as_integer_ratio()
    den *= 100
    # round half up: floor((2·a·num + den) / (2·den)); exact in int64 unless a·num is huge
    if len(a) and int(a.max()) > (INT64_MAX - den) // max(2 * num, 1):
        obj = a.astype(object)
        raw = ((2 * obj * num + den) // (2 * den)).astype(np.int64)
    else:
        raw = (2 * a * num + den) // (2 * den)
    hi = INT64_MAX if tariff.maximum is None else tariff.maximum
    return np.clip(raw, tariff.minimum, hi).astype(np.int64)


def check_commission(payments: pd.DataFrame, tariffs: Mapping[str, Tariff]) -> pd.DataFrame:
    """COMMISSION_MISMATCH flags (``payment_id``, ``code``, ``detail``) against each channel's tariff.

    ``payments``: ``payment_id``, ``channel``, ``amount``, ``commission`` (Int64; NA when the
    format carries none: not checked). Channels without a tariff are not checked.
    """
    out = []
    commission = pd.array(payments["commission"], dtype="Int64")
    known = ~commission.isna()
    channel = payments["channel"].to_numpy(dtype=object)
    for name, tariff in tariffs.items():  # one vectorized pass per channel, never per payment
        sel = known & (channel == name)
        if not sel.any():
            continue
        got = commission[sel].to_numpy(dtype=np.int64)
        want = expected_commission(payments["amount"].to_numpy(dtype=np.int64)[sel], tariff)
        bad = got != want
        if bad.any():
            detail = "комиссия " + fmt_amounts(got[bad]) + ", по тарифу " + fmt_amounts(want[bad])
            out.append(
                flags(
                    payments["payment_id"].to_numpy(dtype=np.int64)[sel][bad],
                    Code.COMMISSION_MISMATCH,
                    detail,
                )
            )
    return concat_flags(out)
