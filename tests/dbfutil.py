"""A minimal dBase III writer for tests (dbfread reads, it does not write).

Faithful to the file layout: a 32-byte header (version 0x03, last update YY MM DD, record count,
header length, record length, language driver at byte 29), 32-byte field descriptors (name,
type, length, decimals), the 0x0D terminator, then fixed-width records each starting with the
deletion flag (``' '`` live, ``'*'`` deleted) and the 0x1A end-of-file mark.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import date
from pathlib import Path

CP866, CP1251, NO_DRIVER = 0x26, 0xC9, 0x00


@dataclass(frozen=True)
class Field:
    """One field descriptor: name (≤ 10 characters), type C/N/D/F/L, width, decimals."""

    name: str
    type: str
    length: int
    decimals: int = 0


def encode_value(field: Field, value: str | bytes | None, encoding: str) -> bytes:
    """A value as the field's bytes: text padded right with spaces, numbers padded left."""
    raw = b"" if value is None else value if isinstance(value, bytes) else value.encode(encoding)
    if len(raw) > field.length:
        raise ValueError(f"{field.name}: {value!r} is wider than {field.length}")
    if field.type in "NF":
        return raw.rjust(field.length, b" ")
    return raw.ljust(field.length, b" ")


def dbf_bytes(
    fields: list[Field],
    records: list[tuple[str, list[str | bytes | None]]],
    *,
    encoding: str = "cp866",
    driver: int = CP866,
    declared: int | None = None,
    eof: bool = True,
    updated: date = date(2026, 3, 16),
) -> bytes:
    """The bytes of a DBF table; ``records`` are ``(flag, values)``, ``declared`` overrides the count."""
    record_len = 1 + sum(f.length for f in fields)
    header_len = 32 + 32 * len(fields) + 1
    count = len(records) if declared is None else declared
    head = struct.pack("<BBBBIHH", 0x03, updated.year - 1900, updated.month, updated.day, count, header_len,
                       record_len)  # fmt: skip
    head += b"\x00" * 17 + bytes([driver]) + b"\x00\x00"
    out = bytearray(head)
    for f in fields:
        out += f.name.encode("ascii").ljust(11, b"\x00") + f.type.encode("ascii")
        out += b"\x00" * 4 + bytes([f.length, f.decimals]) + b"\x00" * 14
    out += b"\x0d"
    for flag, values in records:
        if len(values) != len(fields):
            raise ValueError(f"{len(values)} values for {len(fields)} fields")
        out += flag.encode("ascii")
        out += b"".join(encode_value(f, v, encoding) for f, v in zip(fields, values, strict=True))
    if eof:
        out += b"\x1a"
    return bytes(out)


Records = list[tuple[str, list[str | bytes | None]]]


def write_dbf(path: Path, fields: list[Field], records: Records, **kw: object) -> Path:
    """Write ``dbf_bytes(fields, records, **kw)`` to ``path`` and return it."""
    path.write_bytes(dbf_bytes(fields, records, **kw))  # type: ignore[arg-type]
    return path


# The layouts of the two shipped profiles (parsers/dialects/dbf_sber_branch.yaml, dbf_pochta.yaml).
SBER_FIELDS = [
    Field("LS", "C", 12), Field("FIO", "C", 40), Field("ADRES", "C", 60), Field("PERIOD", "C", 4),
    Field("SUMMA", "N", 12, 2), Field("KOMIS", "N", 10, 2), Field("DATA", "D", 8), Field("N_OPER", "C", 12),
]  # fmt: skip
POCHTA_FIELDS = [
    Field("NLS", "C", 20), Field("FIO", "C", 50), Field("ADRES", "C", 80), Field("PERIOD", "C", 6),
    Field("SUM_PL", "N", 12, 2), Field("SUM_KOM", "N", 10, 2), Field("DATE_PL", "C", 10), Field("TIME_PL", "C", 8),
    Field("NOMOPER", "N", 12),
]  # fmt: skip


def sber_record(ls: str, fio: str, amount: str, *, komis: str = "", day: str = "20260315", period: str = "0226",
                op: str = "", adres: str = "Г ИПАТОВО УЛ ЛЕНИНА Д 1") -> list[str | bytes | None]:  # fmt: skip
    """A record of the Sber branch layout."""
    return [ls, fio, adres, period, amount, komis, day, op]
