"""Small vectorized helpers shared by the matching, splitting and reconciliation rules.

Private to ``domain``: column coercion that treats ``None``/NaN/empty text alike, a flags frame
builder and an amount formatter that works on whole columns instead of row by row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
    return pd.Series(format_column(np.asarray(kopecks, dtype=np.int64), decimal=",", group=NBSP).to_numpy(
        zero_copy_only=False), dtype=object)  # fmt: skip


def join_text(*pieces: pa.Array | str) -> pa.Array:
    """The pieces glued row by row (Arrow arrays of equal length, or constant text); null where a piece is.

    Glued in Arrow: concatenating Python strings of whole columns costs a call per row and piece.
    """
    texts = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p.cast(pa.large_string()) for p in pieces]
    return pc.binary_join_element_wise(*texts, pa.scalar("", pa.large_string()))


def amounts_text(kopecks: np.ndarray) -> pa.Array:
    """``fmt_amounts`` as an Arrow array, to be glued by ``join_text``."""
    return format_column(np.asarray(kopecks, dtype=np.int64), decimal=",", group=NBSP)


def flags(payment_id: np.ndarray, code: Code, detail: pd.Series | np.ndarray | pa.Array | str) -> pd.DataFrame:
    """A flags frame (``FLAG_COLUMNS``) with one ``code`` for every id in ``payment_id``; ``detail``
    is one text for all or one per id (an Arrow array is taken as it is, without Python objects)."""
    n = len(payment_id)
    if n and isinstance(detail, (str, pa.Array)):  # text columns straight from Arrow, never via objects
        const = isinstance(detail, str)
        detail = pa.repeat(pa.scalar(detail, pa.large_string()), n) if const else detail.cast(pa.large_string())
        return pd.DataFrame(
            {
                "payment_id": np.asarray(payment_id, dtype=np.int64),
                "code": pd.Series(pa.repeat(pa.scalar(str(code), pa.large_string()), n), dtype="str"),
                "detail": pd.Series(detail, dtype="str"),
            }
        )
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
    one_code = [p["code"].iat[0] if (p["code"] == p["code"].iat[0]).all() else None for p in parts]
    if None in one_code:
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values(["payment_id", "code"], kind="stable", ignore_index=True)
    # One code a frame (``flags`` makes them so): frames in code order, then a stable sort on the
    # int ids alone gives the same order as sorting by (id, code) without comparing the code texts.
    by_code = sorted(range(len(parts)), key=lambda k: one_code[k])
    out = pd.concat([parts[k] for k in by_code], ignore_index=True)
    order = np.argsort(out["payment_id"].to_numpy(), kind="stable")
    return out.take(order).reset_index(drop=True)
