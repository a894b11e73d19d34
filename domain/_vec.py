"""Small vectorized helpers shared by the matching, splitting and reconciliation rules.

Private to ``domain``: column coercion that treats ``None``/NaN/empty text alike, a flags frame
builder and an amount formatter that works on whole columns instead of row by row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.codes import Code
from domain.money import NBSP
from domain.money_vec import format_column

# Every rule reports its discrepancies in this shape: one row per (subject, code).
FLAG_COLUMNS = ["payment_id", "code", "detail"]

INT64_MAX = np.iinfo(np.int64).max


def text(values: pd.Series | np.ndarray | list) -> np.ndarray:
    """An object array of strings with every missing or empty value as ``None``.

    Values are expected stripped already (parsers and the charges import do it).
    """
    s = pd.Series(values, copy=False)
    missing = (s.isna() | s.astype(object).eq("")).to_numpy(dtype=bool)
    arr = s.to_numpy(dtype=object, copy=True)
    arr[missing] = None
    return arr


def ints(values: pd.Series | np.ndarray) -> np.ndarray:
    """An int64 array; NA is a bug here (money columns are never missing where this is used)."""
    return np.asarray(pd.Series(values).to_numpy(dtype=np.int64))


def fmt_amounts(kopecks: np.ndarray | pd.Series) -> pd.Series:
    """Column version of ``domain.money.format_ru`` for the Russian texts of findings: ``-1 234,56``
    (a no-break space between thousands) for every element."""
    text = format_column(np.asarray(kopecks, dtype=np.int64), decimal=",", group=NBSP)
    return pd.Series(text.to_pylist(), dtype=object)


def flags(payment_id: np.ndarray, code: Code, detail: pd.Series | np.ndarray | str) -> pd.DataFrame:
    """A flags frame (``FLAG_COLUMNS``) with one ``code`` for every id in ``payment_id``."""
    n = len(payment_id)
    if isinstance(detail, str):
        detail = np.full(n, detail, dtype=object)
    return pd.DataFrame(
        {
            "payment_id": np.asarray(payment_id, dtype=np.int64),
            "code": np.full(n, str(code), dtype=object),
            "detail": np.asarray(detail, dtype=object),
        }
    )


def empty_flags() -> pd.DataFrame:
    """A flags frame with no rows."""
    return flags(np.empty(0, dtype=np.int64), Code.UNKNOWN_ACCOUNT, np.empty(0, dtype=object))


def concat_flags(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate flag frames, sorted by payment and code so the output is order independent."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_flags()
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["payment_id", "code"], kind="stable", ignore_index=True)
