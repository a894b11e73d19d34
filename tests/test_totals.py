"""Register control totals against every line of the file (REGISTER_TOTAL_MISMATCH)."""

from __future__ import annotations

import pandas as pd
import pytest

from domain.records import DeclaredTotals, LineError
from domain.totals import check_register_totals

PAY = pd.DataFrame({"amount": [150000, 50000], "commission": pd.array([1500, 500], dtype="Int64")})
NO_COMM = PAY.assign(commission=pd.array([None, None], dtype="Int64"))
BAD = LineError("r.txt", 3, "bad date", "x;y", amount=10000)
UNREADABLE = LineError("r.txt", 4, "bad amount", "x;y", amount=None)

# (case, payments, errors, declared, ok, reason fragments)
CASES = [
    ("all tie", PAY, [], DeclaredTotals(2, 200000, 198000, 2000), True, []),
    ("no footer", PAY, [], None, True, []),
    ("partial footer", PAY, [], DeclaredTotals(count=2), True, []),
    ("count differs", PAY, [], DeclaredTotals(3, 200000), False, ["строк в файле 2, в итоговой строке 3"]),
    ("amount differs", PAY, [], DeclaredTotals(2, 200001), False, ["сумма строк 2\u00a0000,00", "2\u00a0000,01"]),
    ("rejected line counted", PAY, [BAD], DeclaredTotals(3, 210000), True, []),
    ("rejected line ignored would fail", PAY, [BAD], DeclaredTotals(2, 200000), False, ["строк в файле 3"]),
    (
        "unreadable amount noted",
        PAY,
        [UNREADABLE],
        DeclaredTotals(3, 210000),
        False,
        ["без 1 строк с нечитаемой суммой"],
    ),
    (
        "commission differs",
        PAY,
        [],
        DeclaredTotals(2, 200000, 198000, 2100),
        False,
        ["комиссия по строкам 20,00"],
    ),
    (
        "transfer differs",
        PAY,
        [],
        DeclaredTotals(2, 200000, 197000, 2000),
        False,
        ["к перечислению по строкам"],
    ),
    ("transfer not checked with rejected lines", PAY, [BAD], DeclaredTotals(3, 210000, 1, 1), True, []),
    ("transfer not checked without commissions", NO_COMM, [], DeclaredTotals(2, 200000, 1, 1), True, []),
]


@pytest.mark.parametrize(
    ("case", "pay", "errors", "declared", "ok", "fragments"), CASES, ids=[c[0] for c in CASES]
)
def test_totals(case: str, pay: pd.DataFrame, errors: list, declared, ok: bool, fragments: list[str]) -> None:
    result = check_register_totals(pay, errors, declared)
    assert result.ok is ok
    assert (result.code is None) is ok
    if not ok:
        assert result.code == "REGISTER_TOTAL_MISMATCH"
    for fragment in fragments:
        assert fragment in result.reason
    assert result.lines == len(pay) + len(errors)
