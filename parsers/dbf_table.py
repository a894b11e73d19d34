"""A dBase III/IV table as blocks of fixed-width records, its fields as whole text columns.

dbfread (a maintained reader) reads the header: version, date, record count, field descriptors,
language driver. The records are then read here, in blocks, as a numpy byte matrix (one row per
record, the deletion flag first) and sliced into fields column by column, because dbfread's
record iterators do not fit the "every record accounted for" rule: live and deleted records come
from two separate passes without their record numbers, a record whose flag is neither ``' '`` nor
``'*'`` is skipped without a word, and records past the header's count are read as if declared.

A file shorter than its header declares (records missing: truncated in transit) or holding whole
records past the declared count is refused (``BadFile``): the header's count is the DBF's own
control count, and intake's record check is built on it (``parsers.census``).
"""

from __future__ import annotations

import codecs
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dbfread import DBF

from parsers.base import BadFile, read_head
from parsers.text_columns import trimmed
from parsers.text_source import codec_of, detect_encoding

# Language driver (header byte 29) -> code page, for the drivers Russian banks' software writes.
LANGUAGE_DRIVERS = {0x26: "cp866", 0x65: "cp866", 0xC9: "cp1251"}
SINGLE_BYTE = frozenset({"cp866", "cp1251", "ascii"})  # one character a byte: positions survive decoding
EOF_MARK = 0x1A
SAMPLE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Column:
    """One DBF field: its name, type letter and place in the record (after the deletion flag)."""

    name: str
    type: str
    offset: int
    length: int
    decimals: int


@dataclass(frozen=True)
class Table:
    """The header of a DBF file, with the encoding its text fields are read in."""

    path: Path
    records: int  # the header's record count (deleted records included)
    header_len: int
    record_len: int
    columns: tuple[Column, ...]
    encoding: str

    def column(self, name: str) -> Column | None:
        """The field called ``name`` (dBase names are case-blind), or None."""
        for col in self.columns:
            if col.name == name.upper():
                return col
        return None

    def names(self) -> list[str]:
        """The field names, in file order."""
        return [c.name for c in self.columns]


def header_names(head: bytes) -> list[str]:
    """Field names read straight from the descriptors in ``head`` (for ``identify``: no file access)."""
    if len(head) < 32:
        return []
    header_len = struct.unpack("<H", head[8:10])[0]
    names, pos = [], 32
    while pos + 32 <= min(len(head), header_len) and head[pos] not in (0x0D, 0x0A):
        names.append(head[pos : pos + 11].split(b"\0", 1)[0].decode("latin-1").strip().upper())
        pos += 32
    return names


def resolve_encoding(setting: str, head: bytes, sample: bytes) -> str:
    """The codec of the text fields: the profile's, else the language driver's, else by letter count."""
    if setting != "auto":
        return setting
    driver = LANGUAGE_DRIVERS.get(head[29]) if len(head) > 29 else None
    return driver or codec_of(detect_encoding(sample))


def open_table(path: Path, encoding: str) -> Table:
    """The header of ``path`` read by dbfread and checked against the file's size; ``BadFile`` if unreadable."""
    path = Path(path)
    head = read_head(path)
    try:
        header_len = struct.unpack("<H", head[8:10])[0]
        with path.open("rb") as handle:
            handle.seek(header_len)
            sample = handle.read(SAMPLE_BYTES)
        codec = resolve_encoding(encoding, head, sample)
        table = DBF(str(path), encoding=codec, raw=True, ignorecase=False, ignore_missing_memofile=True,
                    char_decode_errors="replace")  # fmt: skip
    except (ValueError, struct.error, OSError, LookupError) as exc:
        raise BadFile(path, f"not a readable DBF table: {exc}") from exc
    columns, offset = [], 1
    for f in table.fields:
        columns.append(Column(f.name.strip().upper(), f.type, offset, f.length, f.decimal_count))
        offset += f.length
    h = table.header
    if offset != h.recordlen or not columns:
        raise BadFile(path, f"DBF header: fields take {offset} bytes a record, the header says {h.recordlen}")
    out = Table(path, h.numrecords, h.headerlen, h.recordlen, tuple(columns), codec)
    _check_size(out)
    return out


def _check_size(table: Table) -> None:
    """Refuse a file whose data area does not hold exactly the declared records (+ an optional EOF mark)."""
    size = table.path.stat().st_size
    data = size - table.header_len
    whole = max(data, 0) // table.record_len
    if whole < table.records:
        raise BadFile(table.path, f"truncated DBF: the header declares {table.records} records, the file holds "
                      f"{whole} whole records ({size} bytes)")  # fmt: skip
    rest = data - table.records * table.record_len
    if rest >= table.record_len:
        raise BadFile(table.path, f"DBF holds {rest // table.record_len} records past the {table.records} "
                      "its header declares (the header was not updated?)")  # fmt: skip
    if rest:
        with table.path.open("rb") as handle:
            handle.seek(table.header_len + table.records * table.record_len)
            tail = handle.read(rest)
        if tail[0] != EOF_MARK:
            raise BadFile(table.path, f"DBF: {rest} bytes after the last record, not the end-of-file mark 0x1A")


def blocks(table: Table, rows: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(number of the block's first record, uint8 matrix of its records)``, ``rows`` records at most."""
    with table.path.open("rb") as handle:
        handle.seek(table.header_len)
        first = 1
        while first <= table.records:
            k = min(rows, table.records - first + 1)
            data = handle.read(k * table.record_len)
            if len(data) != k * table.record_len:  # the file changed under us since _check_size
                raise BadFile(table.path, f"truncated DBF: record {first + len(data) // table.record_len} is cut")
            yield first, np.frombuffer(data, dtype=np.uint8).reshape(k, table.record_len)
            first += k


def _utf8_lengths(codec: str) -> np.ndarray:
    """Bytes each of the 256 byte values takes in UTF-8 once decoded by ``codec`` (U+FFFD when undefined)."""
    return np.array([len(bytes([b]).decode(codec, errors="replace").encode()) for b in range(256)], dtype=np.int32)


_LENGTHS: dict[str, np.ndarray] = {}


def text_column(block: np.ndarray, col: Column, codec: str) -> pa.Array:
    """The field's values without surrounding spaces and NULs (null when empty); undecodable bytes are U+FFFD.

    Single-byte code pages are converted a whole column at a time: the kept bytes (between the first
    and the last that is not a space or NUL) are decoded and re-encoded as UTF-8 in one call, and the
    Arrow offsets come from each byte's UTF-8 length, so no Python code runs per record.
    """
    part = block[:, col.offset : col.offset + col.length]
    name = codecs.lookup(codec).name
    if name not in SINGLE_BYTE:
        values = [
            v.decode(codec, errors="replace").strip(" \x00")
            for v in np.ascontiguousarray(part).view(f"S{col.length}").ravel()
        ]
        return trimmed(pa.array(values, type=pa.string()))
    lengths = _LENGTHS.get(name)
    if lengths is None:
        lengths = _LENGTHS[name] = _utf8_lengths(name)
    filled = (part != 0x20) & (part != 0x00)
    any_filled = filled.any(axis=1)
    start = np.where(any_filled, filled.argmax(axis=1), 0)
    stop = np.where(any_filled, col.length - filled[:, ::-1].argmax(axis=1), 0)
    index = np.arange(col.length)
    keep = (index >= start[:, None]) & (index < stop[:, None])
    kept = part[keep]  # row-major: each record's kept bytes, one record after the other
    data = kept.tobytes().decode(codec, errors="replace").encode("utf-8")
    sizes = np.where(keep, lengths[part], 0).sum(axis=1, dtype=np.int64)
    offsets = np.zeros(len(part) + 1, dtype=np.int32)
    np.cumsum(sizes, out=offsets[1:])
    validity = pa.py_buffer(np.packbits(any_filled, bitorder="little"))
    return pa.StringArray.from_buffers(len(part), pa.py_buffer(offsets), pa.py_buffer(data), validity)


def raw_records(columns: list[pa.Array]) -> pa.Array:
    """Each record's fields joined with ``;`` (empty fields as empty text): the raw text of a record."""
    return pc.binary_join_element_wise(*columns, ";", null_handling="replace", null_replacement="")
