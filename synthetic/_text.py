"""Bulk text with pyarrow: columns of values become lines by C++ kernels, never per-row formatting.

Text columns are ``pyarrow`` string arrays; ``join`` glues them row-wise and ``encode_lines``
turns a column of lines into the file's bytes straight from the array's buffer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from domain.money_vec import format_column

Column = pa.Array | pa.ChunkedArray | str


def arr(values: object) -> pa.Array:
    """Any sequence or array (or chunked array) as one contiguous arrow string array."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == pa.string() else pc.cast(values, pa.string())
    return pa.array(np.asarray(values).tolist() if isinstance(values, np.ndarray) else values, pa.string())


def pick(words: Sequence[str], index: np.ndarray) -> pa.Array:
    """``words[index]`` as a string array (a dictionary lookup in C++)."""
    return pa.array(list(words), pa.string()).take(pa.array(np.asarray(index, dtype=np.int64)))


def nums(values: np.ndarray) -> pa.Array:
    """Integers printed in decimal."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def zfill(values: np.ndarray, width: int) -> pa.Array:
    """Integers zero-padded to ``width`` digits."""
    return pc.utf8_lpad(nums(values), width, "0")


def money(kopecks: np.ndarray, sep: str = ".") -> pa.Array:
    """Kopecks as ``1234.56`` (or ``1234,56`` with ``sep=","``): ``domain.money_vec.format_column``."""
    return format_column(np.asarray(kopecks, dtype=np.int64), decimal=sep)


def grouped(kopecks: np.ndarray, sep: str = ",") -> pa.Array:
    """Kopecks as people type them: ``1 234 567,89`` (thousands apart by a space)."""
    return format_column(np.asarray(kopecks, dtype=np.int64), decimal=sep, group=" ")


def join(columns: Sequence[Column], sep: str) -> pa.Array:
    """Row-wise join of equally long string columns (or constant strings) with ``sep``."""
    cols = [c if isinstance(c, str) else arr(c) for c in columns]
    result = pc.binary_join_element_wise(*cols, sep)
    return arr(result)


def where(mask: np.ndarray, yes: Column, no: Column) -> pa.Array:
    """Row-wise choice between two string columns (or constants)."""
    yes_v = pa.scalar(yes, pa.string()) if isinstance(yes, str) else arr(yes)
    no_v = pa.scalar(no, pa.string()) if isinstance(no, str) else arr(no)
    return arr(pc.if_else(pa.array(np.asarray(mask, dtype=bool)), yes_v, no_v))


def encode_lines(lines: pa.Array, encoding: str = "utf-8", newline: str = "\n") -> bytes:
    """The lines, each ended by ``newline``, as bytes in ``encoding`` (from the arrow buffer)."""
    if len(lines) == 0:
        return b""
    ended = arr(pc.binary_join_element_wise(arr(lines), pa.scalar(""), newline))
    offsets = np.frombuffer(ended.buffers()[1], dtype=np.int32, count=len(ended) + 1, offset=ended.offset * 4)
    data = ended.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]
    return data if encoding.replace("-", "").lower() == "utf8" else data.decode("utf-8").encode(encoding)


def ddmmyyyy(day: date, sep: str = ".") -> str:
    """A date as ``dd.mm.yyyy`` (or with another separator)."""
    return day.strftime(f"%d{sep}%m{sep}%Y")
