"""The billing export (charges, one row per ПД service line) and the suppliers directory.

Both are ``;``-separated CSV with a header row, UTF-8 (BOM allowed) or cp1251. Every row is
validated in one vectorized pass; a bad row becomes a ``LineError`` with its line number and
reason, and the good rows are returned. A ПД with any bad line is held back whole, because loading
part of a receipt would split later payments wrongly. A line whose bytes do not fit the file's
encoding is rejected like any bad line (parsers/charges_lines.py); a line that repeats an earlier
one exactly is rejected as a duplicate without holding back its ПД, whose first copy is kept.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.fee import FeeTermsError, parse_terms
from domain.identifiers import inn as inn_id
from domain.identifiers.account import compact_column
from domain.identifiers.els import split_column
from domain.limits import MAX_UIP
from domain.money import register_spelling
from domain.money_vec import kopecks_column
from domain.records import LineError, Supplier
from parsers.base import BadFile, file_sha256
from parsers.charges_compact import ChargesFile, Part, assemble, compact_part
from parsers.charges_lines import RAW_KEPT, TOO_LONG, read_lines
from parsers.charges_stream import BATCH_BYTES, LineBatch, LineStream

CHARGE_FIELDS = ["uip", "account", "period", "supplier_inn", "service", "amount", "payer", "address"]
SUPPLIER_FIELDS = ["inn", "name", "kpp", "bank_account", "bic", "email"]
# Optional columns of the suppliers directory: the contract and the center's fee (docs/FORMATS.md).
FEE_FIELDS = ["fee_percent", "fee_min", "fee_max", "fee_services"]
_PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
OPTIONAL_FIELDS = ["els"]  # ЕЛС or ИЖКУ of the ПД (docs/FORMATS.md); absent or empty: none
TEXT_FIELDS = ["account", "period", "supplier_inn", "service", "amount", "payer", "address"]  # uip: own limit
__all__ = ["ChargesFile", "read_charges", "read_suppliers"]
CHUNK_LINES = 1 << 18  # lines split at a time: the split's temporaries stay a few tens of MB
# Batches split and judged at once: Arrow's kernels, most of the read, let go of the GIL.
READ_THREADS = 2
MAX_TEXT = 500  # characters of a text field, unless rkc.yaml says ``charges_max_text``


def _split_rows(path: Path, fields: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The whole file's data rows and the lines that cannot be split (``_split_batch``)."""
    try:
        read = read_lines(path)
    except (UnicodeError, OSError) as exc:
        raise BadFile(path, f"cannot be read as text: {exc}") from exc
    header = _header(path, read.text[0].as_py() if len(read.text) else "", read.problems[0], fields)
    body, problems = read.text[1:], read.problems[1:]
    del read
    return _split_batch(body, problems, np.arange(1, len(body) + 1), header)


def _header(path: Path, head: str, problem: str, fields: list[str]) -> list[str]:
    """The header row's column names (lower case); ``BadFile`` when it is missing or unusable."""
    if not head.strip():
        raise BadFile(path, "empty file or no header row")
    if problem:
        raise BadFile(path, f"header row: {problem}")
    header = [h.strip().lower() for h in next(csv.reader([head], delimiter=";"))]
    repeated = sorted({h for h in header if h and header.count(h) > 1})  # "a;b;;" from Excel: empty names
    if repeated:
        raise BadFile(path, f"header repeats columns {repeated}: which one holds the data is unclear")
    missing = [f for f in fields if f not in header]
    if missing:
        raise BadFile(path, f"header lacks columns {missing}; expected {';'.join(fields)}")
    return header


def _split_batch(
    body: pa.Array, problems: np.ndarray, index: np.ndarray, header: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Data rows as a frame of strings with ``line_no``, ``raw`` and ``problem`` (why the line's text
    cannot be trusted, or ``""``); and the lines that cannot be split into the header's fields, with
    ``raw``, ``reason`` (``""``: the wrong number of fields) and ``uip`` (``""`` when unknown).
    ``index`` is each line's position in the file (line number - 1).

    Column-wise with Arrow: unquoted lines (nearly all) are split on ``;`` in bulk; a line with a
    quote goes through ``csv`` so that a quoted ``;`` stays inside its field.
    """
    filled = _per_chunk(body, lambda part: pc.not_equal(pc.utf8_trim_whitespace(part), ""))
    body, index, problems = _kept(body, filled), index[filled], problems[filled]
    long = problems == TOO_LONG  # set aside whole: its fields are not read, only its ПД if it can be seen
    wrong = [_oversized(body.filter(long).to_pylist(), index[long], header)]
    body, index, problems = _kept(body, ~long), index[~long], problems[~long]
    quoted = pc.match_substring(body, '"').to_numpy(zero_copy_only=False)
    lines, at, bad = _kept(body, ~quoted), index[~quoted], problems[~quoted]
    width = len(header)
    columns, fits = _fields(lines, header)
    frames = [_frame(columns, at[fits], _kept(lines, fits), bad[fits])]
    wrong.append(_wrong(lines.filter(~fits).to_pylist(), at[~fits], bad[~fits], header))
    if quoted.any():
        rows = [next(csv.reader(io.StringIO(line), delimiter=";")) for line in body.filter(quoted).to_pylist()]
        ok = np.array([len(r) == width for r in rows], dtype=bool)
        kept = [[c.strip() for c in r] for r, good in zip(rows, ok, strict=True) if good]
        lines, bad = body.filter(quoted), problems[quoted]
        columns = {h: pa.array([r[j] for r in kept], pa.large_string()) for j, h in enumerate(header)}
        frames.append(_frame(columns, index[quoted][ok], lines.filter(ok), bad[ok]))
        wrong.append(_wrong(lines.filter(~ok).to_pylist(), index[quoted][~ok], bad[~ok], header))
    table = pd.concat(frames).sort_index() if len(frames) > 1 else frames[0]
    return table, pd.concat(wrong).sort_index()


def _fields(lines: pa.Array, header: list[str]) -> tuple[dict[str, pa.ChunkedArray], np.ndarray]:
    """Unquoted lines split on ``;``, a chunk at a time (the split of the whole file would hold every
    field twice): each column's trimmed text for the lines of the header's width, and which those are."""
    parts: list[list[pa.Array]] = [[] for _ in header]
    fits = []
    for start in range(0, len(lines), CHUNK_LINES):
        plain = pc.split_pattern(lines.slice(start, CHUNK_LINES), ";")
        fits.append(pc.equal(pc.list_value_length(plain), len(header)).to_numpy(zero_copy_only=False))
        plain = _kept(plain, fits[-1])
        for j, part in enumerate(parts):
            part.append(pc.utf8_trim_whitespace(pc.list_element(plain, j)))
    # by position: a header's empty names ("a;b;;" from Excel) are one key, its last column, as ever
    columns = {h: pa.chunked_array(parts[j], pa.large_string()) for j, h in enumerate(header)}
    return columns, np.concatenate(fits) if fits else np.zeros(0, dtype=bool)


def _per_chunk(values: pa.Array, test: Callable[[pa.Array], pa.Array]) -> np.ndarray:
    """``test`` (a boolean per row) over ``values`` a chunk at a time, so that its temporaries stay small."""
    starts = range(0, len(values), CHUNK_LINES)
    masks = [test(values.slice(s, CHUNK_LINES)).to_numpy(zero_copy_only=False) for s in starts]
    return np.concatenate(masks) if masks else np.zeros(0, dtype=bool)


def _kept(values: pa.Array, mask: np.ndarray) -> pa.Array:
    """``values`` where ``mask``: the array itself, or a slice of it, when the rows dropped are none or
    only the last ones (a file's final newline leaves an empty last line); a filter copies them all."""
    dropped = np.flatnonzero(~mask)
    if not len(dropped) or dropped[0] == len(mask) - len(dropped):
        return values.slice(0, len(mask) - len(dropped))
    return values.filter(mask)


def _frame(columns: dict[str, pa.Array], index: np.ndarray, raw: pa.Array, problem: np.ndarray) -> pd.DataFrame:
    """Text columns as pandas ``str`` (Arrow-backed), indexed by line number - 1, with ``line_no``, ``raw``
    and ``problem``."""
    table = pa.table({**columns, "raw": raw}).to_pandas()
    table.index = index
    table["line_no"] = index + 1
    table["problem"] = pd.Series(problem, index=index, dtype=object)
    return table


def _wrong(raw: list[str], index: np.ndarray, problem: np.ndarray, header: list[str]) -> pd.DataFrame:
    """Lines of the wrong width: their own problem, if any, is the reason; their ПД is the ``uip`` field
    when the line reaches it (a line of a ПД that cannot be read must still hold that ПД back)."""
    return _set_aside(raw, index, problem, header, complete_last=True)


def _oversized(raw: list[str], index: np.ndarray, header: list[str]) -> pd.DataFrame:
    """Lines over ``LINE_LIMIT`` (``raw`` already cut): their ПД when the ``uip`` field lies in the kept part."""
    return _set_aside(raw, index, np.full(len(raw), TOO_LONG, dtype=object), header, complete_last=False)


def _set_aside(
    raw: list[str], index: np.ndarray, reason: np.ndarray, header: list[str], *, complete_last: bool
) -> pd.DataFrame:
    """Lines not split into fields, with ``raw``, ``reason`` and the ``uip`` read from their ``;`` parts."""
    at = header.index("uip") if "uip" in header else -1
    uips = []
    for line in raw:  # rare lines: a loop over them only
        parts = next(csv.reader([line], delimiter=";")) if line else []
        reach = len(parts) if complete_last else len(parts) - 1  # a cut line's last part may be cut too
        uips.append(parts[at].strip() if 0 <= at < reach else "")
    return pd.DataFrame({"raw": raw, "reason": reason, "uip": uips}, index=index, columns=["raw", "reason", "uip"])


def read_charges(path: Path, max_text: int = MAX_TEXT, batch_bytes: int = BATCH_BYTES) -> ChargesFile:
    """Read and validate a billing export; raise ``BadFile`` only when the whole file is unusable.

    A field longer than ``max_text`` characters rejects its line; a line identical in every field to
    an earlier one is rejected as its duplicate (the first is kept and its ПД loaded, not summed twice).
    The file is read ``batch_bytes`` at a time (``parsers.charges_stream``): each batch's lines are
    judged on their own, then kept as one header per ПД and compact columns per line, and the rules
    that need the whole file (a ПД's lines disagree, another line of it was rejected, a duplicate)
    run on those (``parsers.charges_compact``).
    """
    parts = []
    pending: deque[Future] = deque()
    try:
        stream = LineStream(path, batch_bytes)
        with ThreadPoolExecutor(READ_THREADS, thread_name_prefix="charges-read") as pool:
            for batch in stream:
                if batch.start == 0:
                    problem = batch.problems[0] if len(batch.problems) else ""
                    header = _header(path, batch.text[0].as_py() if len(batch.text) else "", problem, CHARGE_FIELDS)
                    batch = LineBatch(1, batch.text[1:], batch.problems[1:])
                pending.append(pool.submit(_batch_part, batch, header, max_text))
                del batch
                if len(pending) >= READ_THREADS:  # bounded: at most this many batches in memory at once
                    parts.append(pending.popleft().result())
            parts.extend(future.result() for future in pending)
    except (UnicodeError, OSError) as exc:
        raise BadFile(path, f"cannot be read as text: {exc}") from exc
    return assemble(str(path), file_sha256(path), parts, stream.lines_at)


def _batch_part(batch: LineBatch, header: list[str], max_text: int) -> Part:
    """One batch's lines split, judged and kept compact: independent of every other batch."""
    index = np.arange(batch.start, batch.start + len(batch.text))
    table, wrong = _split_batch(batch.text, batch.problems, index, header)
    reasons, els_given = _judge(table, max_text)
    return compact_part(table, wrong, reasons, els_given)


def _judge(table: pd.DataFrame, max_text: int) -> tuple[np.ndarray, bool]:
    """The rules a line meets or fails on its own: per line of ``table`` its first failed rule, or ``""``;
    and whether any line gives an ЕЛС. Sets ``amount`` (kopecks; 0 where rejected), ``els`` (compact, or
    ``None``) and ``compact`` (the ЛС in normal form) in ``table``."""
    for column in OPTIONAL_FIELDS:
        if column not in table.columns:
            table[column] = pd.Series("", index=table.index, dtype="str")

    def arrow(column: str) -> pa.Array:
        return pa.array(table[column], pa.string())

    def series(values: pa.Array) -> pd.Series:
        return pd.Series(values.to_numpy(zero_copy_only=False), index=table.index)

    kopecks = series(pc.fill_null(kopecks_column(arrow("amount"), register_spelling("any", "rubles")), -1))
    reasons = table["problem"].astype(object).to_numpy(copy=True)  # an undecodable line is rejected for that first
    pending = reasons == ""  # lines with no reason yet: a line keeps its first reason

    def flag(mask: pd.Series, reason: str) -> None:
        hit = mask.to_numpy(dtype=bool, na_value=False) & pending
        if hit.any():
            reasons[hit] = reason
            pending[hit] = False

    for column in TEXT_FIELDS:  # before the other rules: a 200 MB "address" is not worth judging further
        flag(series(pc.utf8_length(arrow(column))).gt(max_text), f"{column} is longer than {max_text} characters")
    uip_length = series(pc.utf8_length(arrow("uip")))
    flag(uip_length.eq(0) | uip_length.gt(MAX_UIP), f"uip must be 1 to {MAX_UIP} characters")
    compact = series(compact_column(arrow("account")))
    flag(compact.eq(""), "account is empty")
    flag(~series(pc.match_substring_regex(arrow("period"), _PERIOD)), "period must be YYYY-MM")
    valid_inn = {v: inn_id.is_valid(v) for v in table["supplier_inn"].unique()}
    flag(~table["supplier_inn"].map(valid_inn).astype(bool), "supplier_inn is not a valid ИНН")
    flag(table["service"].eq(""), "service is empty")
    flag(kopecks.lt(0), "amount must be like 1234.56 or 1234,56 and not negative")
    given = series(pc.not_equal(pc.utf8_trim_whitespace(arrow("els")), "")).fillna(False).astype(bool)
    if given.any():  # most exports have no ЕЛС column, or leave it empty: nothing to read then
        els, izhku = split_column(arrow("els"))
        els = series(pc.coalesce(izhku, els))  # compact: the ИЖКУ when given as one, else the ЕЛС
        flag(given & els.isna(), "els must be an ЕЛС (like 77АБ000042) or an ИЖКУ (ЕЛС-NN)")
        table["els"] = els.where(given, None)
    else:
        table["els"] = pd.Series(np.full(len(table), None, dtype=object), index=table.index)
    table["amount"] = kopecks.where(reasons == "", 0).astype("int64")
    table["compact"] = compact
    return reasons, bool(given.any())


def read_suppliers(path: Path) -> tuple[list[Supplier], tuple[LineError, ...]]:
    """Read the suppliers directory; rows with an invalid ИНН or fee terms are errors. The optional
    columns ``contract_no`` and ``FEE_FIELDS`` give the contract and the center's fee (absent: no fee)."""
    table, wrong = _split_rows(path, ["inn", "name"])
    errors = [
        LineError(str(path), int(i) + 1, reason or "wrong number of fields", str(raw)[:RAW_KEPT])
        for i, raw, reason in zip(wrong.index, wrong["raw"], wrong["reason"], strict=True)
    ]
    suppliers = []
    for row in table.fillna("").to_dict("records"):
        if row["problem"]:
            errors.append(LineError(str(path), row["line_no"], row["problem"], row["raw"][:RAW_KEPT]))
        elif not inn_id.is_valid(row["inn"]):
            errors.append(LineError(str(path), row["line_no"], "inn is not a valid ИНН", row["raw"]))
        elif not row["name"]:
            errors.append(LineError(str(path), row["line_no"], "name is empty", row["raw"]))
        else:
            try:
                fee = parse_terms(*(row.get(k) or "" for k in FEE_FIELDS))
            except FeeTermsError as exc:
                errors.append(LineError(str(path), row["line_no"], str(exc), row["raw"]))
                continue
            suppliers.append(Supplier(
                **{k: row.get(k, "") or "" for k in SUPPLIER_FIELDS}, contract_no=row.get("contract_no") or "",
                fee_percent=str(fee.percent), fee_min=fee.minimum, fee_max=fee.maximum,
                fee_services="|".join(f"{k}={v}" for k, v in fee.by_service.items()),
            ))  # fmt: skip
    return suppliers, tuple(errors)
