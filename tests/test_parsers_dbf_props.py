"""Property: any DBF register accounts for every record, and no readable money disappears.

For any table (live, deleted and odd-flagged records; good, junk and empty amounts, dates and
accounts; totals markers anywhere) and any chunk size: payments + non-payments + rejected equals
the header's record count (``parsers.census``), record numbers are each used once, and the money
of the payments plus the readable money of the rejected records equals the money an independent
reading (``domain.money.parse_amount``) finds in the live records that are not totals.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.money import AmountError, parse_amount
from parsers.census import count_records
from parsers.dbf import DbfRegisterParser
from parsers.dbf_profile import load_profile
from tests.dbfutil import CP866, CP1251, NO_DRIVER, SBER_FIELDS, sber_record, write_dbf

PROFILE = load_profile("dbf_sber_branch")
MARKERS = ("ИТОГО", "Всего", "Итого:")

amounts = st.one_of(
    st.integers(0, 10**9).map(lambda k: f"{k // 100}.{k % 100:02d}"),
    st.integers(0, 10**6).map(str),
    st.text("0123456789.,x ", max_size=12),
)
records = st.tuples(
    st.sampled_from([" ", " ", " ", "*", "?"]),
    st.sampled_from(["000012345678", "1", "", "  77  "]),
    st.sampled_from(["ИВАНОВ ИВАН", "ИТОГОВЫЙ", "", *MARKERS]),
    amounts,
    st.sampled_from(["", "1.00", "x"]),
    st.sampled_from(["20260315", "20260231", "        ", "2026AB01"]),
    st.sampled_from(["", "000101", "7"]),
)


def oracle_amount(text: str) -> int | None:
    """The kopecks an independent reading finds in an amount field (None: unreadable)."""
    try:
        return parse_amount(text.strip())
    except AmountError:
        return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(records, max_size=40),
    chunk_rows=st.integers(1, 7),
    codepage=st.sampled_from([("cp866", CP866), ("cp1251", CP1251), ("cp866", NO_DRIVER)]),
)
def test_every_record_accounted_for(rows: list[tuple], chunk_rows: int, codepage: tuple[str, int]) -> None:
    table = [(flag, sber_record(ls, fio, amt, komis=kom, day=day, op=op)) for flag, ls, fio, amt, kom, day, op in rows]
    with tempfile.TemporaryDirectory() as folder:
        path = write_dbf(Path(folder) / "r.dbf", SBER_FIELDS, table, encoding=codepage[0], driver=codepage[1])
        parser = DbfRegisterParser(PROFILE, chunk_rows=chunk_rows)
        chunks = list(parser.parse(path))
        total = count_records(path)
    numbers = [int(n) for c in chunks for n in c.payments["line_no"]] + [e.line_no for c in chunks for e in c.errors]
    non_payments = sum(sum(c.non_payments.values()) for c in chunks)
    assert len(numbers) + non_payments == total == len(rows)
    assert len(set(numbers)) == len(numbers) and all(1 <= n <= total for n in numbers)
    deleted = sum(c.non_payments.get("deleted", 0) for c in chunks)
    assert deleted == sum(1 for r in rows if r[0] == "*")

    def is_total(fio: str) -> bool:
        return fio in MARKERS

    expected = sum(oracle_amount(r[3]) or 0 for r in rows if r[0] != "*" and not is_total(r[2]))
    seen = sum(int(c.payments["amount"].sum()) for c in chunks)
    seen += sum(e.amount or 0 for c in chunks for e in c.errors)
    assert seen == expected
