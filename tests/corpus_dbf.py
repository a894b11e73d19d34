"""DBF samples of the corpus, written byte by byte as dBase III tables by ``tests.dbfutil``.

Layout (dBase III): a 32-byte header (version 0x03, last update YY MM DD, record count, header
length, record length, language driver id at byte 29), 32-byte field descriptors, 0x0D, then the
records (a deletion flag ``' '`` or ``'*'`` and the fields as fixed-width text), then 0x1A.
Character fields are left-aligned and space-padded, numeric fields right-aligned, dates YYYYMMDD.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests import dbfutil

LDID_CP866 = 0x65  # language driver: Russian MS-DOS
LDID_CP1251 = 0xC9  # language driver: Russian Windows


def Field(name: str, kind: str, width: int, decimals: int = 0) -> dbfutil.Field:
    """One DBF column: name (up to 10 ASCII characters), type C/N/D, width and decimals."""
    return dbfutil.Field(name, kind, width, decimals)


def _value(field: dbfutil.Field, value: object) -> str | bytes | None:
    """A record value as text (numbers with the field's decimals); raw bytes pass through for broken cells."""
    if value is None or isinstance(value, bytes):
        return value
    if field.type == "N" and isinstance(value, float):
        return f"{value:.{field.decimals}f}"
    return str(value)


def write_dbf(
    path: Path, fields: tuple[dbfutil.Field, ...], records: tuple[tuple[bool, tuple], ...], *, encoding: str,
    ldid: int,
) -> None:  # fmt: skip
    """Write a dBase III table (``tests.dbfutil``); each record is (deleted, values in field order)."""
    rows = [("*" if deleted else " ", [_value(f, v) for f, v in zip(fields, values, strict=True)])
            for deleted, values in records]  # fmt: skip
    dbfutil.write_dbf(path, list(fields), rows, encoding=encoding, driver=ldid, updated=date(2026, 11, 20))


# Sber-style DBF register in cp866: five payments, one record marked deleted, a closing total
# record recognised by FIO = "ИТОГО".
SBER_FIELDS = (
    Field("DATA_OPL", "D", 8), Field("NOM_OPER", "C", 20), Field("LSCHET", "C", 20), Field("FIO", "C", 40),
    Field("ADRES", "C", 60), Field("PERIOD", "C", 6), Field("SUMMA", "N", 12, 2), Field("KOMIS", "N", 12, 2),
)  # fmt: skip
SBER_RECORDS = (
    (False, ("20261120", "8625000001", "000012345678", "ИВАНОВ ИВАН ИВАНОВИЧ", "Г ИПАТОВО УЛ ЛЕНИНА Д 1 КВ 2",
             "102026", 1500.00, 15.00)),
    (False, ("20261120", "8625000002", "000000456789", "ПЕТРОВА АННА СЕРГЕЕВНА", "Г ИПАТОВО УЛ МИРА Д 14 КВ 7",
             "102026", 2350.45, 23.50)),
    (True, ("20261120", "8625000003", "000000456789", "ПЕТРОВА АННА СЕРГЕЕВНА", "Г ИПАТОВО УЛ МИРА Д 14 КВ 7",
            "102026", 500.00, 5.00)),
    (False, ("20261120", "8625000004", "000000077777", "КУЗНЕЦОВА ОЛЬГА НИКОЛАЕВНА", "С ЛЕСНОЕ УЛ САДОВАЯ Д 3",
             "102026", 800.00, 8.00)),
    (False, ("20261120", "8625000005", "000012340010", "ОРЛОВА НИНА ВАСИЛЬЕВНА", "Г ИПАТОВО УЛ ЛЕНИНА Д 7 КВ 4",
             "092026", 1200.00, 12.00)),
    (False, ("20261120", "8625000006", "000012340011", "ЛЕБЕДЕВ ИГОРЬ АНДРЕЕВИЧ", "Г ИПАТОВО УЛ ЛЕНИНА Д 7 КВ 5",
             "102026", 999.99, 10.00)),
    (False, (None, None, None, "ИТОГО", None, None, 6850.44, 68.50)),
)  # fmt: skip

# A second bank's DBF in cp1251 with other column names (a new DBF bank added by configuration):
# three payments and one record whose SUM holds a letter (unreadable amount); no total record.
RSHB_FIELDS = (
    Field("DATE", "D", 8), Field("TIME", "C", 8), Field("ACCOUNT", "C", 16), Field("PAYER", "C", 50),
    Field("PERIOD", "C", 7), Field("IPD", "C", 18), Field("SUM", "N", 10, 2), Field("FEE", "N", 8, 2),
)  # fmt: skip
RSHB_RECORDS = (
    (False, ("20261120", "09:12:00", "000012345678", "Иванов Иван Иванович", "10.2026", "", 3000.00, 30.00)),
    (False, ("20261120", "11:47:30", "", "Петрова Анна Сергеевна", "10.2026", "56АБ123456-01-1026", 1750.25, 17.50)),
    (False, ("20261120", "14:05:12", "000000077777", "Кузнецова Ольга Николаевна", "10.2026", "",
             b"  12a4.00 ", 12.40)),
    (False, ("20261120", "16:31:45", "000012340010", "Орлова Нина Васильевна", "09.2026", "", 420.00, 4.20)),
)  # fmt: skip


def sber_dbf(path: Path) -> None:
    """The cp866 Sber-style DBF register."""
    write_dbf(path, SBER_FIELDS, SBER_RECORDS, encoding="cp866", ldid=LDID_CP866)


def rshb_dbf(path: Path) -> None:
    """The cp1251 DBF register of a second bank."""
    write_dbf(path, RSHB_FIELDS, RSHB_RECORDS, encoding="cp1251", ldid=LDID_CP1251)
