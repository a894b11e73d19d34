"""Matching passes (docs/RULES.md), their discrepancy codes, near-miss proposals, and invariants."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.matching import documents, match_payments
from domain.nearmiss import normalize_address, propose_near_misses

INN = "7707083893"


def charges(rows: list[tuple]) -> pd.DataFrame:
    """Charges from (uip, account, period, service, amount[, address]) tuples."""
    out = []
    for r in rows:
        uip, acc, per, svc, amt = r[:5]
        out.append(
            {
                "uip": uip,
                "account_raw": acc,
                "account": acc,
                "period": per,
                "supplier_inn": INN,
                "service": svc,
                "amount": amt,
                "payer": "",
                "address": r[5] if len(r) > 5 else "",
            }
        )
    return pd.DataFrame(out)


CHARGES = charges(
    [
        ("U1", "100", "2026-02", "el", 100),
        ("U1", "100", "2026-02", "heat", 200),
        ("U2", "200", "2026-02", "el", 300),
        ("U3", "200", "2026-03", "el", 400),
        ("U4", "300", "2026-03", "el", 500),
        ("U5", "300", "2026-03", "gas", 600),
        ("U6", "400", "2026-01", "el", 1),
        ("U7", "400", "2026-01", "el", 2),
    ]
)


def payments(rows: list[tuple]) -> pd.DataFrame:
    """Payments from (payment_id, uip, account, period) tuples."""
    return pd.DataFrame(rows, columns=["payment_id", "uip", "account", "period"])


# (case, payment (uip, account, period), expected uip, rule, codes)
CASES = [
    ("uip exact", ("U1", "100", "2026-02"), "U1", "uip", []),
    ("uip exact, no account", ("U1", None, None), "U1", "uip", []),
    ("uip wins over period", ("U2", "200", "2026-03"), "U2", "uip", []),
    ("uip with other account", ("U1", "200", None), "U1", "uip", ["ACCOUNT_CONFLICT"]),
    ("uip with unknown account", ("U1", "999", None), "U1", "uip", ["ACCOUNT_CONFLICT"]),
    ("account + period", (None, "200", "2026-02"), "U2", "account_period", []),
    ("unknown uip falls to account", ("ZZ", "200", "2026-03"), "U3", "account_period", []),
    ("no period: latest", (None, "200", None), "U3", "account_latest", ["PERIOD_MISSING"]),
    ("empty period: latest", (None, "200", ""), "U3", "account_latest", ["PERIOD_MISSING"]),
    ("period without ПД: latest", (None, "200", "2025-12"), "U3", "account_latest", ["PERIOD_MISSING"]),
    ("two ПД same account+period", (None, "300", "2026-03"), None, None, ["AMBIGUOUS_MATCH"]),
    ("two ПД in latest period", (None, "300", None), None, None, ["AMBIGUOUS_MATCH"]),
    ("ambiguous latest, other period", (None, "400", "2026-05"), None, None, ["AMBIGUOUS_MATCH"]),
    ("unknown account", (None, "555", "2026-02"), None, None, ["UNKNOWN_ACCOUNT"]),
    ("unknown uip and account", ("ZZ", "555", None), None, None, ["UNKNOWN_ACCOUNT"]),
    ("nothing given", (None, None, None), None, None, ["UNKNOWN_ACCOUNT"]),
    ("empty strings", ("", "", ""), None, None, ["UNKNOWN_ACCOUNT"]),
]


@pytest.mark.parametrize(("case", "pay", "uip", "rule", "codes"), CASES, ids=[c[0] for c in CASES])
def test_rule(case: str, pay: tuple, uip: str | None, rule: str | None, codes: list[str]) -> None:
    result = match_payments(payments([(7, *pay)]), CHARGES)
    row = result.matches.iloc[0]
    assert row["payment_id"] == 7
    assert (row["uip"] if pd.notna(row["uip"]) else None) == uip
    assert (row["rule"] if pd.notna(row["rule"]) else None) == rule
    assert row["status"] == ("matched" if uip else "suspense")
    assert result.flags["code"].tolist() == codes
    assert (result.flags["payment_id"] == 7).all()
    assert result.flags["detail"].map(lambda d: isinstance(d, str) and d != "").all()


def test_all_cases_at_once_match_one_by_one() -> None:
    frame = payments([(i, *c[1]) for i, c in enumerate(CASES)])
    result = match_payments(frame, CHARGES)
    assert result.matches["payment_id"].tolist() == list(range(len(CASES)))
    uips = result.matches["uip"].astype(object)
    assert uips.where(uips.notna(), None).tolist() == [c[2] for c in CASES]


def test_documents_totals() -> None:
    docs = documents(CHARGES).set_index("uip")
    assert docs.loc["U1", "total"] == 300 and docs.loc["U1", "lines"] == 2
    assert docs.loc["U5", "period"] == "2026-03"


def test_empty_inputs() -> None:
    assert match_payments(payments([]), CHARGES).matches.empty
    r = match_payments(payments([(1, "U1", "100", None)]), CHARGES.iloc[0:0])
    assert r.flags["code"].tolist() == ["UNKNOWN_ACCOUNT"]


# ---- near misses ---------------------------------------------------------------------------

NEAR = charges(
    [
        ("A1", "12345", "2026-02", "el", 1),
        ("A2", "12354", "2026-02", "el", 1),
        ("A3", "22345", "2026-01", "el", 1),
        ("A3b", "22345", "2026-03", "el", 1),
        ("A4", "777", "2026-03", "el", 1, "г. Ипатово, ул. Ленина, д.1, кв.2"),
    ]
)

NEAR_CASES = [
    ("one digit off", ("12346", None, None), [("A1", "digit")]),
    ("transposed", ("13245", None, None), [("A1", "transposition")]),
    ("digit and transposition", ("12345", "2026-01", None), [("A3", "digit"), ("A2", "transposition")]),
    ("digit, latest period", ("12345", None, None), [("A3b", "digit"), ("A2", "transposition")]),
    ("address", ("999", None, "Г ИПАТОВО УЛ ЛЕНИНА Д1 КВ 2"), [("A4", "address")]),
    ("nothing near", ("98765", None, "ДРУГОЙ АДРЕС"), []),
    ("same street, another flat", ("999", None, "Г ИПАТОВО УЛ ЛЕНИНА Д1 КВ 3"), []),
    ("same numbers, another street", ("999", None, "Г ИПАТОВО УЛ МИРА Д1 КВ 2"), []),
    ("numbers glued differently", ("999", None, "ипатово ленина 1-2"), [("A4", "address")]),
    ("letters are not digits", ("X2345", None, None), []),
]


def _stored_address_docs() -> pd.DataFrame:
    """What the database gives for the addresses: every ПД of ``NEAR`` with its normal form."""
    from domain.matching import documents

    docs = documents(NEAR)
    return pd.DataFrame({"address_key": normalize_address(docs["address"]).to_numpy(dtype=object),
                         **{c: docs[c].to_numpy(dtype=object) for c in ("uip", "account", "period")}})  # fmt: skip


@pytest.mark.parametrize("stored", [False, True], ids=["normalised here", "stored keys"])
@pytest.mark.parametrize(("case", "pay", "expected"), NEAR_CASES, ids=[c[0] for c in NEAR_CASES])
def test_near_miss(case: str, pay: tuple, expected: list[tuple[str, str]], stored: bool) -> None:
    frame = pd.DataFrame([(5, *pay)], columns=["payment_id", "account", "period", "address"])
    got = propose_near_misses(frame, NEAR, address_docs=_stored_address_docs() if stored else None)
    got = got.sort_values(["reason", "uip"])
    assert sorted(zip(got["uip"], got["reason"], strict=True)) == sorted(expected)
    assert (got["payment_id"] == 5).all()


def test_normalize_address() -> None:
    a = normalize_address(pd.Series(["г. Ипатово, ул. Лёнина, д.1, кв.2", "Г ИПАТОВО УЛ ЛЕНИНА Д 1 КВ 2"]))
    assert a[0] == a[1] == "ИПАТОВО ЛЕНИНА 1 2"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("д5 к 2 стр.3 кв12", "5 2 3 12"),  # letters glued to numbers are split, then dropped as place words
        ("Д.К.Г 12А", "12 А"),  # neighbouring place words, each cut
        ("пер.Мира_7", "МИРА 7"),  # punctuation and _ separate tokens
        ("  ул.   Ёлочная ,  дом 3/1 ", "ЕЛОЧНАЯ 3 1"),
        ("Кирова", "КИРОВА"),  # a place word inside a name stays
        (None, ""),
        ("", ""),
    ],
)
def test_normalize_address_cases(address: str | None, expected: str) -> None:
    assert normalize_address(pd.Series([address], dtype=object))[0] == expected


# ---- invariants ----------------------------------------------------------------------------

_ADDRESS_CHARS = st.sampled_from([*"0123456789АБВДЁКЛМНОПСТУЁЯабвдёклмнопстуяGgZz ,.-/_№²½\t", "Д", "КВ", "ул."])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_ADDRESS_CHARS, max_size=12).map("".join), min_size=1, max_size=20))
def test_normalising_keeps_the_digit_runs(addresses: list[str]) -> None:
    """What lets near misses look only at ПД with the payment's digits: equal normal forms have equal
    digit runs."""
    from domain.nearmiss import _digit_runs

    raw = pd.Series(addresses, dtype=object)
    assert _digit_runs(raw).to_pylist() == _digit_runs(normalize_address(raw)).to_pylist()

accounts = st.sampled_from(["100", "200", "300", "400", "555", None])
periods = st.sampled_from(["2026-01", "2026-02", "2026-03", "2025-12", None])
uips = st.sampled_from(["U1", "U2", "U3", "U4", "ZZ", None])
pay_rows = st.lists(st.tuples(uips, accounts, periods), max_size=30)


def _canon(result) -> tuple[pd.DataFrame, pd.DataFrame]:
    m = result.matches.drop(columns="doc").sort_values("payment_id").reset_index(drop=True).astype(object)
    f = result.flags.sort_values(["payment_id", "code"]).reset_index(drop=True).astype(object)
    return m.where(m.notna(), None), f


@settings(max_examples=60, deadline=None)
@given(rows=pay_rows, seed=st.randoms(use_true_random=False), cut=st.integers(0, 30))
def test_order_and_batching_do_not_matter(rows: list[tuple], seed, cut: int) -> None:
    frame = payments([(i, *r) for i, r in enumerate(rows)])
    base_m, base_f = _canon(match_payments(frame, CHARGES))
    shuffled = frame.sample(frac=1, random_state=seed.randint(0, 10**6))
    ch = CHARGES.sample(frac=1, random_state=seed.randint(0, 10**6))
    m, f = _canon(match_payments(shuffled, ch))
    pd.testing.assert_frame_equal(m, base_m)
    pd.testing.assert_frame_equal(f, base_f)
    # the same payments cut into two files match the same way
    parts = [match_payments(frame.iloc[:cut], CHARGES), match_payments(frame.iloc[cut:], CHARGES)]
    joined_m = pd.concat([p.matches for p in parts], ignore_index=True)
    joined_f = pd.concat([p.flags for p in parts], ignore_index=True)

    class R:
        matches, flags = joined_m, joined_f

    m2, f2 = _canon(R)
    pd.testing.assert_frame_equal(m2, base_m)
    pd.testing.assert_frame_equal(f2, base_f)
