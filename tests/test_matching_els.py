"""Passes 4 (``els_period``) and 5 (``izhku``) of matching (docs/RULES.md, Matching): table-driven."""

from __future__ import annotations

import pandas as pd
import pytest

from domain.chargeindex import ChargeIndex
from domain.matching import match_payments

INN = "7707083893"
E1, E2, E3 = "77АЕ000001", "77АБ000002", "77АБ000003"


def charges(rows: list[tuple]) -> pd.DataFrame:
    """Charges from (uip, account, period, els) tuples, one service line each."""
    return pd.DataFrame(
        [
            {"uip": u, "account_raw": a, "account": a, "period": p, "els": e, "supplier_inn": INN,
             "service": "el", "amount": 100, "payer": "", "address": ""}
            for u, a, p, e in rows
        ]
    )  # fmt: skip


CHARGES = charges(
    [
        ("D1", "100", "2026-09", E1),  # one ЕЛС, two months
        ("D2", "100", "2026-10", E1),
        ("D3", "200", "2026-10", f"{E2}-01"),  # one ЕЛС, two premises (ИЖКУ), same month
        ("D4", "201", "2026-10", f"{E2}-02"),
        ("D5", "201", "2026-09", f"{E2}-02"),
        ("D6", "300", "2026-10", E3),  # one ЕЛС, two ПД the same month: ambiguous by ЕЛС
        ("D7", "301", "2026-10", E3),
        ("D8", "400", "2026-10", None),  # no ЕЛС at all
    ]
)

# (case, payment (uip, account, els, period), expected ПД, rule, codes)
CASES = [
    ("ЕЛС + period", (None, None, E1, "2026-10"), "D2", "els_period", []),
    ("ЕЛС + other period", (None, None, E1, "2026-09"), "D1", "els_period", []),
    ("ЕЛС typed with Latin letters, lower case", (None, None, "77ae000001", "2026-10"), "D2", "els_period", []),
    ("ЕЛС with spaces", (None, None, "77 АЕ 000001", "2026-09"), "D1", "els_period", []),
    ("unknown ЛС, known ЕЛС", (None, "999", E1, "2026-10"), "D2", "els_period", []),
    ("ЕЛС without period: not enough", (None, None, E1, None), None, None, ["UNKNOWN_ACCOUNT"]),
    ("ЕЛС, month without ПД", (None, None, E1, "2026-11"), None, None, ["UNKNOWN_ACCOUNT"]),
    ("ЕЛС of two ПД in one month", (None, None, E3, "2026-10"), None, None, ["AMBIGUOUS_MATCH"]),
    ("ЕЛС of two premises, no ИЖКУ", (None, None, E2, "2026-10"), None, None, ["AMBIGUOUS_MATCH"]),
    ("ЕЛС of one premises in that month", (None, None, E2, "2026-09"), "D5", "els_period", []),
    ("ИЖКУ picks the premises", (None, None, f"{E2}-01", "2026-10"), "D3", "izhku", []),
    ("ИЖКУ, other premises", (None, None, f"{E2}-02", "2026-10"), "D4", "izhku", []),
    ("ИЖКУ with an en dash", (None, None, f"{E2}\u201302", "2026-09"), "D5", "els_period", []),
    ("ИЖКУ not of the one ПД that month", (None, None, f"{E2}-01", "2026-09"), "D3", "izhku",
     ["PERIOD_MISSING"]),
    ("ИЖКУ without period: latest", (None, None, f"{E2}-02", None), "D4", "izhku", ["PERIOD_MISSING"]),
    ("ИЖКУ of a ПД with a plain ЕЛС", (None, None, f"{E1}-05", "2026-09"), "D1", "els_period", []),
    ("unknown ИЖКУ: no premises", (None, None, f"{E2}-07", "2026-10"), None, None, ["UNKNOWN_ACCOUNT"]),
    ("unknown ЕЛС", (None, None, "77АБ999999", "2026-10"), None, None, ["UNKNOWN_ACCOUNT"]),
    ("malformed ЕЛС is ignored", (None, None, "77АБ00001", "2026-10"), None, None, ["UNKNOWN_ACCOUNT"]),
    ("УИП wins over ЕЛС", ("D8", None, E1, "2026-10"), "D8", "uip", []),
    ("ЛС wins over ЕЛС", (None, "400", E1, "2026-10"), "D8", "account_period", []),
    ("known ЛС, other month: latest, not ЕЛС", (None, "100", E2, "2026-11"), "D2", "account_latest",
     ["PERIOD_MISSING"]),
]


@pytest.mark.parametrize(("case", "payment", "uip", "rule", "codes"), CASES, ids=[c[0] for c in CASES])
def test_els_and_izhku_passes(case: str, payment: tuple, uip: str | None, rule: str | None, codes: list) -> None:
    frame = pd.DataFrame([(1, *payment)], columns=["payment_id", "uip", "account", "els", "period"])
    result = match_payments(frame, CHARGES)
    row = result.matches.iloc[0]
    assert (row["uip"] if row["status"] == "matched" else None) == uip, case
    assert row["rule"] == rule, case
    assert sorted(result.flags["code"]) == codes, case


def test_without_els_columns_the_passes_do_not_run() -> None:
    """Charges exported without ``els``, or payments without it, leave passes 4-5 out."""
    frame = pd.DataFrame([(1, None, None, E1, "2026-10")], columns=["payment_id", "uip", "account", "els", "period"])
    assert match_payments(frame, CHARGES.drop(columns=["els"])).matches["status"].tolist() == ["suspense"]
    no_els = frame.drop(columns=["els"])
    assert match_payments(no_els, CHARGES).matches["status"].tolist() == ["suspense"]


def test_unknown_names_the_els_given() -> None:
    frame = pd.DataFrame([(1, None, None, "77АБ999999", "2026-10")],
                         columns=["payment_id", "uip", "account", "els", "period"])  # fmt: skip
    detail = match_payments(frame, ChargeIndex.build(CHARGES)).flags["detail"].tolist()
    assert detail == ["не найден ПД: УИП —, ЛС —, ЕЛС/ИЖКУ 77АБ999999"]


def test_rows_are_matched_on_their_own() -> None:
    """All the cases in one frame give what each gives alone (no row order or batch effect)."""
    frame = pd.DataFrame([(i, *c[1]) for i, c in enumerate(CASES)],
                         columns=["payment_id", "uip", "account", "els", "period"])  # fmt: skip
    result = match_payments(frame, CHARGES).matches
    expected = [c[2] for c in CASES]
    got = [u if s == "matched" else None for u, s in zip(result["uip"], result["status"], strict=True)]
    assert got == expected


@pytest.mark.parametrize(
    ("given", "els", "izhku"),
    [
        ("77АЕ000001", "77АЕ000001", None),
        ("77ae000001", "77АЕ000001", None),
        (" 77 АЕ 000001 ", "77АЕ000001", None),
        ("77АЕ000001-03", "77АЕ000001", "77АЕ000001-03"),
        ("77АЕ000001\u201403", "77АЕ000001", "77АЕ000001-03"),
        ("77АЕ000001-3", None, None),
        ("77АЕ00001", None, None),
        ("7АЕ0000011", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_split_column(given: str | None, els: str | None, izhku: str | None) -> None:
    import pyarrow as pa

    from domain.identifiers.els import split_column

    got_els, got_izhku = split_column(pa.array([given], pa.string()))
    assert (got_els[0].as_py(), got_izhku[0].as_py()) == (els, izhku)
