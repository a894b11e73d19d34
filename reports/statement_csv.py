"""The supplier's CSV register of a month (``register-<period>-<inn>.csv``): one line per posting,
``;``-separated, cp1251, CRLF, a header row, decimal comma and a control-total footer
(docs/REPORTS.md); columns built vectorized over a group of suppliers (``reports.statements``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from reports.cells import fit_cells, spreadsheet_text
from reports.xlsx_values import kopecks_text, strings

CSV_HEADER = ["Дата проводки", "Вид", "Канал", "Номер операции", "Дата платежа", "Лицевой счет", "УИП",
              "Плательщик", "Адрес", "Услуга", "Сумма"]  # fmt: skip
CSV_ENCODING = "cp1251"



def csv_field(values: pd.Series, *, guard: bool = True) -> pa.Array:
    """CSV-safe text: ``'`` before what a spreadsheet would take for a formula or an error (a leading
    ``= + - @`` tab or CR, or ``#N/A`` and the other error literals: ``reports.cells.guarded``, the
    XLSX writer's test), cut to Excel's cell limit, quoted when it holds ``;``, ``"`` or a line
    break; missing values are empty. Each step runs only on a column that needs it (most hold no
    formula start, no separator and nothing long: ~10 % of a month's statements went on them)."""
    s = pc.fill_null(strings(values), "")
    s = spreadsheet_text(s) if guard else fit_cells(s)
    if not holds_any(s, (b";", b'"', b"\r", b"\n")):
        return s
    needs = pc.match_substring_regex(s, '[;"\r\n]')
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(s, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, s)


def holds_any(values: pa.Array, needles: tuple[bytes, ...]) -> bool:
    """Whether the text's UTF-8 holds any of ``needles`` (one byte each: a search of its data)."""
    if not pa.types.is_string(values.type) or not len(values):
        return True  # unknown: take the full path
    offsets = values.buffers()[1]
    data = values.buffers()[2]
    if data is None:
        return False
    bounds = np.frombuffer(offsets, dtype=np.int32)[[values.offset, values.offset + len(values)]]
    text = data.slice(int(bounds[0]), int(bounds[1] - bounds[0])).to_pybytes()
    return any(needle in text for needle in needles)


def ru_dates(iso: pd.Series) -> pa.Array:
    """``YYYY-MM-DD`` text as ``DD.MM.YYYY`` (empty when missing); a month has few dates, so each
    distinct one is rewritten once."""
    encoded = pc.dictionary_encode(pc.fill_null(strings(iso), ""))
    s = encoded.dictionary
    out = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(s, 8, 10), pc.utf8_slice_codeunits(s, 5, 7), pc.utf8_slice_codeunits(s, 0, 4), "."
    )
    return pc.if_else(pc.equal(s, ""), "", out).take(encoded.indices)


def csv_lines(moves: pd.DataFrame) -> pa.Array:
    """One CSV line per movement (all suppliers), in ``moves`` order, each ending in CRLF, in
    ``CSV_ENCODING`` (a binary array: the fields are encoded a column at a time, ``encoded``). The
    lines lie end to end in the array's data, so a run of them is a register's body as it is
    (``line_bodies``)."""
    if moves.empty:
        return pa.array([], type=pa.binary())
    fields = [
        ru_dates(moves["value_date"]),
        csv_field(moves["kind_ru"]),
        csv_field(moves["channel"]),
        csv_field(moves["operation_id"]),
        ru_dates(moves["paid_date"]),
        csv_field(moves["account_raw"]),
        csv_field(moves["doc_uip"]),
        csv_field(moves["payer"]),
        csv_field(moves["address"]),
        csv_field(moves["service"]),
        # Our own number, never guarded; the line's CRLF joined to it (no pass over whole lines).
        pc.binary_join_element_wise(kopecks_text(moves["amount"], decimal=","), "\r\n", ""),
    ]
    return pc.binary_join_element_wise(*(encoded(field) for field in fields), b";")


def line_bodies(lines: pa.Array, bounds: list[tuple[int, int]]) -> list[pa.Buffer]:
    """The runs ``[lo, hi)`` of ``lines`` (``csv_lines``: each ends in CRLF) as bytes, each cut from
    the array's data without a copy (joining them copied every line once more)."""
    if not len(lines):
        return [pa.py_buffer(b"") for _ in bounds]
    width = np.int64 if pa.types.is_large_binary(lines.type) else np.int32
    offsets = np.frombuffer(lines.buffers()[1], dtype=width)[lines.offset : lines.offset + len(lines) + 1]
    data = lines.buffers()[2] or pa.py_buffer(b"")
    return [data.slice(int(offsets[lo]), int(offsets[hi] - offsets[lo])) for lo, hi in bounds]


def encoded(values: pa.Array) -> pa.Array:
    """Text as ``CSV_ENCODING`` bytes (a binary array; missing values empty), each character the
    encoding lacks as ``?`` (``str.encode``'s ``errors="replace"``). ASCII is the same bytes in both,
    so an ASCII column is only relabelled; any other is decoded and encoded once, whole: cp1251 gives
    every character one byte, so each value's bounds are its count of characters. (Encoding each
    supplier's register whole, as before, decoded and encoded every line's ASCII too.)"""
    text = pc.fill_null(values, "").cast(pa.string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    if not len(text) or pc.all(pc.string_is_ascii(text)).as_py():
        return text.cast(pa.binary())
    bounds = np.frombuffer(text.buffers()[1], dtype=np.int32)[[text.offset, text.offset + len(text)]]
    data = text.buffers()[2]
    utf8 = data.slice(int(bounds[0]), int(bounds[1] - bounds[0])).to_pybytes() if data is not None else b""
    single = utf8.decode("utf-8").encode(CSV_ENCODING, errors="replace")
    offsets = np.zeros(len(text) + 1, dtype=np.int64)
    np.cumsum(pc.utf8_length(text).to_numpy(zero_copy_only=False), out=offsets[1:])
    if offsets[-1] != len(single):  # a multi-byte CSV_ENCODING: a bug, never the data
        raise ValueError(f"{CSV_ENCODING} gave {len(single)} bytes for {offsets[-1]} characters")
    return pa.Array.from_buffers(pa.binary(), len(text), [None, pa.py_buffer(offsets.astype(np.int32)),
                                                          pa.py_buffer(single)])  # fmt: skip


def write_csv(path: Path, body: bytes | pa.Buffer, count: int, total: int) -> None:
    """Header, lines (``body``: already in ``CSV_ENCODING``, each ending in CRLF), footer
    ``ИТОГО;<count>;;…;<sum>``; cp1251 (unencodable characters become ?)."""
    amount = kopecks_text(pd.Series([total]), decimal=",")[0].as_py()
    footer = ";".join(["ИТОГО", str(count)] + [""] * (len(CSV_HEADER) - 3) + [amount])
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as out:  # part by part: joining them first copied every supplier's text once more
        out.write(";".join(CSV_HEADER).encode(CSV_ENCODING) + b"\r\n")
        out.write(body)
        out.write(footer.encode(CSV_ENCODING, errors="replace") + b"\r\n")
    tmp.replace(path)
