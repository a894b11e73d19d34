"""Payment dates out of range (DATE_OUT_OF_RANGE): held in suspense, never posted to a supplier.

A payment dated more than ``tolerance_days`` after the run date (a register dated a year ahead)
would reach the suppliers with a future value date, so that month's statements would miss its
money; one older than ``max_age_days`` is as suspicious. Either is held in suspense (Dr agent,
Cr suspense) until an accountant accepts it through a resolution, like an unknown account
(docs/RULES.md). An unreadable date is not judged here (the parsers reject it).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from domain.codes import Code

FLAG_COLUMNS = ["payment_id", "code", "detail"]


def dates_out_of_range(payments: pd.DataFrame, run_date: date, tolerance_days: int, max_age_days: int) -> pd.DataFrame:
    """Flags (``payment_id``, ``code``, ``detail``) for the payments (``payment_id``, ``paid_date``
    as ISO text) dated after ``run_date + tolerance_days`` or before ``run_date - max_age_days``."""
    # A night holds a few distinct dates: each is parsed and judged once, then spread to its payments.
    codes, days = pd.factorize(payments["paid_date"], use_na_sentinel=True)
    dates = pd.to_datetime(pd.Series(days, dtype=object), format="%Y-%m-%d", errors="coerce")
    latest = pd.Timestamp(run_date + timedelta(days=tolerance_days))
    earliest = pd.Timestamp(run_date - timedelta(days=max_age_days))
    known = codes >= 0
    future = known & np.append((dates > latest).to_numpy(dtype=bool), False)[codes]
    old = known & np.append((dates < earliest).to_numpy(dtype=bool), False)[codes]
    held = future | old
    shown = payments["paid_date"].astype(str)[held]
    run = run_date.strftime("%d.%m.%Y")
    pretty = shown.str[8:10] + "." + shown.str[5:7] + "." + shown.str[0:4]
    detail = np.where(
        future[held],
        "дата платежа " + pretty + f" позже даты прогона {run} более чем на {tolerance_days} дн.",
        "дата платежа " + pretty + f" раньше даты прогона {run} более чем на {max_age_days} дн.",
    )
    detail = pd.Series(detail, dtype=object) + ": платёж в невыясненных, пока бухгалтер не примет его"
    flags = pd.DataFrame({"payment_id": payments["payment_id"].to_numpy(dtype=np.int64)[held],
                          "code": Code.DATE_OUT_OF_RANGE.value, "detail": detail.to_numpy()})  # fmt: skip
    return flags.sort_values("payment_id", ignore_index=True)[FLAG_COLUMNS]
