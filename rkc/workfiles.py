"""The night's work files: parsed payments and rejected lines as Parquet with a fixed schema,
and ``NightStore``, the one place that knows where each of the night's files lives.

Intake writes a register's payments chunk by chunk as the parser yields them (memory stays
bounded by one chunk, whatever the file size); the decision step reads only the columns it needs
and posting reads its own register's file. Text stays in Arrow on the way back (pandas ``str``
columns), never millions of Python ``str`` objects.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from domain.records import PAYMENT_COLUMNS

RAW_BATCH_ROWS = 65_536  # raw lines decoded at a time when a few are picked out of an intake file

_ARROW_TYPES = {"int64": pa.int64(), "Int64": pa.int64(), "object": pa.string()}
# The services and meters tuples travel as JSON text: Parquet has no tuple type.
PAYMENT_SCHEMA = pa.schema([pa.field(name, _ARROW_TYPES[dtype]) for name, dtype in PAYMENT_COLUMNS.items()])
# Columns with few distinct values in a register, stored as Parquet dictionaries. The others (raw
# lines, operation ids, accounts, names) are nearly unique: hashing them for a dictionary that
# Parquet gives up on after 1 MB cost a quarter of the write (docs/PERFORMANCE.md).
DICTIONARY_COLUMNS = ["paid_date", "paid_time", "period", "commission", "els", "supplier_inn", "services",
                      "method_raw", "method", "qr_flag"]  # fmt: skip
TUPLE_COLUMNS = ("services", "meters")
ERROR_COLUMNS = ["line_no", "reason", "raw", "amount"]
ERROR_SCHEMA = pa.schema(
    [("line_no", pa.int64()), ("reason", pa.string()), ("raw", pa.string()), ("amount", pa.int64())]
)


class PlanKind(StrEnum):
    """The decision files of one register (``rkc.night_plan.NightPlan``)."""

    DECISIONS = "decisions"  # one row per payment: outcome, match, amounts
    PARTS = "parts"  # the supplier split of its matched payments
    FLAGS = "flags"  # its discrepancies
    PROPOSALS = "proposals"  # near misses for its payments in suspense


@dataclass(frozen=True)
class NightStore:
    """The working store of one night (``work/<date>/``): what intake read and what the decision
    step planned, per register by its sha256. Steps ask it for files; none builds a file name."""

    root: Path

    def payments(self, sha256: str) -> Path:
        """The payments intake read from a register (``PAYMENT_SCHEMA``)."""
        return self.root / f"{sha256}.payments.parquet"

    def errors(self, sha256: str) -> Path:
        """The lines intake rejected from a register (``ERROR_SCHEMA``)."""
        return self.root / f"{sha256}.errors.parquet"

    def plan(self, sha256: str, kind: PlanKind | str) -> Path:
        """One of a register's decision files."""
        return self.root / f"night.{sha256}.{PlanKind(kind).value}.parquet"

    @property
    def plan_record(self) -> Path:
        """The last decided plan of the night and the registers it covers (JSON)."""
        return self.root / "night.plan.json"

    def ensure(self) -> NightStore:
        """Create the directory when missing; return the store."""
        self.root.mkdir(parents=True, exist_ok=True)
        return self


def _tuples_json(values: pd.Series) -> pd.Series:
    """A column of tuples (services, meters) as JSON text; only the rows that have one are converted."""
    out = np.full(len(values), None, dtype=object)
    present = values.notna().to_numpy()
    out[present] = [json.dumps(list(s), ensure_ascii=False) for s in values[present]]
    return pd.Series(out, index=values.index, dtype=object)


def payments_table(payments: pd.DataFrame) -> pa.Table:
    """A payment frame (``PAYMENT_COLUMNS``) as an Arrow table of ``PAYMENT_SCHEMA``."""
    frame = payments[list(PAYMENT_COLUMNS)].assign(**{c: _tuples_json(payments[c]) for c in TUPLE_COLUMNS})
    return pa.Table.from_pandas(frame, schema=PAYMENT_SCHEMA, preserve_index=False)


class PaymentFileWriter:
    """Append payment chunks to one Parquet file (one row group per chunk); ``rows`` counts them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._writer = pq.ParquetWriter(path, PAYMENT_SCHEMA, use_dictionary=DICTIONARY_COLUMNS)

    def write(self, payments: pd.DataFrame) -> None:
        """Append one chunk."""
        if len(payments):
            self._writer.write_table(payments_table(payments))
            self.rows += len(payments)

    def close(self) -> None:
        """Finish the file (an empty register still gets a valid file with the schema)."""
        self._writer.close()

    def __enter__(self) -> PaymentFileWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def write_payments(payments: pd.DataFrame, path: Path) -> None:
    """Write a whole payment frame at once."""
    with PaymentFileWriter(path) as writer:
        writer.write(payments)


def read_payments(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Payments written by intake (all columns, or ``columns``): text as pandas ``str``, the
    services column (when read) back as tuples of (code, kopecks), the meters as (meter, value)."""
    wanted = list(columns) if columns is not None else list(PAYMENT_COLUMNS)
    held = set(pq.read_schema(path).names)
    # A file written by an earlier release lacks the newer columns (method, QR): they read as absent.
    table = pq.read_table(path, columns=[c for c in wanted if c in held])
    for name in (c for c in wanted if c not in held):
        table = table.append_column(name, pa.nulls(table.num_rows, PAYMENT_SCHEMA.field(name).type))
    table = table.select(wanted)
    # int64 with nulls (the commission) must not pass through float: nullable integers, then the
    # columns that can hold no null back to plain int64
    frame = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    for name in frame.columns:
        if PAYMENT_COLUMNS.get(name) == "int64":
            frame[name] = frame[name].astype("int64")
    for name, second in (("services", int), ("meters", str)):
        if name not in frame.columns:
            continue
        values = frame[name]
        out = np.full(len(frame), None, dtype=object)
        present = values.notna().to_numpy()
        for i, text in zip(np.flatnonzero(present), values[present], strict=True):  # numpy would nest tuples
            out[i] = tuple((c, second(a)) for c, a in json.loads(text))
        frame[name] = pd.Series(out, index=frame.index, dtype=object)
    return frame


def read_raw_lines(path: str | Path, rows: np.ndarray) -> pd.Series:
    """The raw source lines of the payments at positions ``rows`` of an intake file, in that order
    (a ``str`` series held as Arrow text, indexed 0, 1, …).

    Only these are read out: a register's raw column weighs up to ~1 KB a payment (ГИС ЖКХ XML),
    and only the lines with a discrepancy are needed after the decisions. They stay Arrow text,
    not Python strings, on their way to the database.
    """
    order = np.argsort(rows, kind="stable")
    wanted = rows[order]
    found: list[pa.Array] = []
    start = 0
    # Streamed a batch at a time: the whole column at once would weigh as much as the file's text.
    for batch in pq.ParquetFile(path).iter_batches(batch_size=RAW_BATCH_ROWS, columns=["raw"]):
        lo, hi = np.searchsorted(wanted, [start, start + batch.num_rows])
        found.append(batch.column(0).take(pa.array(wanted[lo:hi] - start, type=pa.int64())))
        start += batch.num_rows
    picked = pa.concat_arrays(found) if found else pa.array([], pa.string())
    if len(picked) != len(rows):
        raise IndexError(f"{path}: rows beyond the {start} payments of the file")
    back = picked.take(pa.array(np.argsort(order), type=pa.int64()))  # back to the asked order
    return pd.Series(back.cast(pa.large_string()).to_pandas().array, dtype="str")


def write_errors(errors: Sequence[tuple[int, str, str, int | None]], path: Path) -> None:
    """Write rejected lines as (line_no, reason, raw, amount) rows."""
    columns = list(zip(*errors, strict=True)) if errors else [[], [], [], []]
    arrays = [pa.array(list(values), type=f.type) for values, f in zip(columns, ERROR_SCHEMA, strict=True)]
    pq.write_table(pa.Table.from_arrays(arrays, schema=ERROR_SCHEMA), path)


def read_errors(path: str | Path) -> pd.DataFrame:
    """Rejected lines written by intake: ``line_no``, ``reason``, ``raw``, ``amount`` (Int64)."""
    # int64 with nulls must not pass through float: read as the nullable integer type
    frame = pq.read_table(path).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    return frame.astype({"line_no": "int64"})
