"""Splitting rules (full, pro rata by largest remainder, over/under, zero ПД, bank's split) and invariants."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.splitting import split_payments


def charges(rows: list[tuple]) -> pd.DataFrame:
    """Charges from (uip, supplier_inn, service, amount) tuples."""
    return pd.DataFrame(
        [
            {
                "uip": u,
                "account_raw": "1",
                "account": "1",
                "period": "2026-02",
                "supplier_inn": inn,
                "service": svc,
                "amount": amt,
                "payer": "",
                "address": "",
            }
            for u, inn, svc, amt in rows
        ]
    )


CHARGES = charges(
    [
        ("U1", "B", "el", 100),
        ("U1", "A", "heat", 100),
        ("U1", "C", "gas", 100),
        ("U2", "A", "el", 900),
        ("U2", "B", "water", 600),
        ("Z", "A", "x", 0),
        ("Z", "B", "y", 0),
        ("D", "A", "el", 100),
        ("D", "A", "el", 100),
        ("D", "B", "el", 50),
    ]
)

# (case, uip, paid, services, expected {(inn, service): kopecks}, codes)
CASES = [
    ("equal to total", "U2", 1500, None, {("A", "el"): 900, ("B", "water"): 600}, []),
    ("half", "U2", 750, None, {("A", "el"): 450, ("B", "water"): 300}, ["UNDERPAYMENT"]),
    ("overpayment", "U2", 3000, None, {("A", "el"): 1800, ("B", "water"): 1200}, ["OVERPAYMENT"]),
    (
        "remainder to first by INN",
        "U1",
        100,
        None,
        {("A", "heat"): 34, ("B", "el"): 33, ("C", "gas"): 33},
        ["UNDERPAYMENT"],
    ),
    (
        "two leftover kopecks",
        "U1",
        200,
        None,
        {("A", "heat"): 67, ("B", "el"): 67, ("C", "gas"): 66},
        ["UNDERPAYMENT"],
    ),
    ("largest remainder wins", "U2", 1, None, {("A", "el"): 1, ("B", "water"): 0}, ["UNDERPAYMENT"]),
    ("zero paid", "U2", 0, None, {("A", "el"): 0, ("B", "water"): 0}, ["UNDERPAYMENT"]),
    ("zero ПД split equally", "Z", 5, None, {("A", "x"): 3, ("B", "y"): 2}, ["OVERPAYMENT"]),
    ("zero ПД, zero paid", "Z", 0, None, {("A", "x"): 0, ("B", "y"): 0}, []),
    ("bank split kept", "U1", 300, (("el", 200), ("gas", 100)), {("B", "el"): 200, ("C", "gas"): 100}, []),
    ("bank split underpaid", "U2", 100, (("water", 100),), {("B", "water"): 100}, ["UNDERPAYMENT"]),
    (
        "bank split unknown code",
        "U1",
        300,
        (("zz", 200), ("gas", 100)),
        {("A", "heat"): 100, ("B", "el"): 100, ("C", "gas"): 100},
        ["SERVICE_SPLIT_IGNORED"],
    ),
    (
        "bank split wrong sum",
        "U1",
        300,
        (("el", 200),),
        {("A", "heat"): 100, ("B", "el"): 100, ("C", "gas"): 100},
        ["SERVICE_SPLIT_IGNORED"],
    ),
    (
        "bank split negative",
        "U1",
        300,
        (("el", 400), ("gas", -100)),
        {("A", "heat"): 100, ("B", "el"): 100, ("C", "gas"): 100},
        ["SERVICE_SPLIT_IGNORED"],
    ),
    ("empty bank split", "U1", 300, (), {("A", "heat"): 100, ("B", "el"): 100, ("C", "gas"): 100}, []),
    (
        "bank split over two lines of a service",
        "D",
        125,
        (("el", 125),),
        {("A", "el"): 100, ("B", "el"): 25},
        ["UNDERPAYMENT"],
    ),
]


@pytest.mark.parametrize(("case", "uip", "paid", "services", "expected", "codes"), CASES, ids=[c[0] for c in CASES])
def test_rule(case: str, uip: str, paid: int, services: tuple | None, expected: dict, codes: list[str]) -> None:
    matched = pd.DataFrame({"payment_id": [3], "uip": [uip], "amount": [paid], "services": [services]})
    result = split_payments(matched, CHARGES)
    parts = result.parts
    assert (parts["payment_id"] == 3).all() and (parts["uip"] == uip).all()
    got = parts.groupby(["supplier_inn", "service"])["amount"].sum().to_dict()
    assert got == expected
    assert parts["amount"].sum() == paid
    assert str(parts["amount"].dtype) == "int64"
    assert result.flags["code"].tolist() == codes


def test_unmatched_rows_are_skipped_and_unknown_uip_is_a_bug() -> None:
    m = pd.DataFrame({"payment_id": [1, 2], "uip": [None, "U2"], "amount": [5, 1500]})
    assert set(split_payments(m, CHARGES).parts["payment_id"]) == {2}
    with pytest.raises(ValueError, match="not in charges"):
        split_payments(pd.DataFrame({"payment_id": [1], "uip": ["NOPE"], "amount": [1]}), CHARGES)


def test_huge_amounts_do_not_overflow() -> None:
    big = 10**17  # 10^15 rubles: the product payment × line exceeds int64
    ch = charges([("H", "A", "a", big), ("H", "B", "b", big + 1)])
    m = pd.DataFrame({"payment_id": [1], "uip": ["H"], "amount": [big]})
    parts = split_payments(m, ch).parts.set_index("supplier_inn")["amount"]
    assert parts.sum() == big
    exact = [big * big // (2 * big + 1), big * (big + 1) // (2 * big + 1)]
    assert sorted(parts.tolist()) in (
        sorted(exact),
        sorted([exact[0] + 1, exact[1]]),
        sorted([exact[0], exact[1] + 1]),
    )


# ---- invariants ----------------------------------------------------------------------------

line = st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["el", "gas", "heat"]), st.integers(0, 10**6))
docs = st.dictionaries(st.sampled_from(["P1", "P2", "P3", "P4"]), st.lists(line, min_size=1, max_size=5), min_size=1)


def _canon(parts: pd.DataFrame) -> list[tuple]:
    return sorted(map(tuple, parts[["payment_id", "uip", "supplier_inn", "service", "amount"]].to_numpy().tolist()))


@settings(max_examples=80, deadline=None)
@given(
    docs=docs,
    pays=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10**9)), max_size=20),
    seed=st.integers(0, 10**6),
)
def test_parts_sum_and_order_independence(docs: dict, pays: list, seed: int) -> None:
    ch = charges([(u, inn, svc, amt) for u, lines in docs.items() for inn, svc, amt in lines])
    keys = sorted(docs)
    m = pd.DataFrame(
        {
            "payment_id": range(len(pays)),
            "uip": [keys[i % len(keys)] for i, _ in pays],
            "amount": [a for _, a in pays],
        }
    ).astype({"amount": "int64"})
    result = split_payments(m, ch)
    sums = result.parts.groupby("payment_id")["amount"].sum().reindex(m["payment_id"], fill_value=0)
    assert sums.tolist() == m["amount"].tolist()
    assert (result.parts["amount"] >= 0).all()
    again = split_payments(m.sample(frac=1, random_state=seed), ch.sample(frac=1, random_state=seed + 1))
    assert _canon(again.parts) == _canon(result.parts)
    pd.testing.assert_frame_equal(again.flags, result.flags)


@pytest.mark.parametrize("shifts", [16, 0], ids=["neighbour ranks", "sort fallback"])
def test_many_equal_lines_leftover_in_tie_order(monkeypatch: pytest.MonkeyPatch, shifts: int) -> None:
    import domain.splitting as splitting

    monkeypatch.setattr(splitting, "_RANK_BY_SHIFTS", shifts)
    ch = charges([("M", f"{i:02d}", "s", 100) for i in range(20)])
    parts = split_payments(pd.DataFrame({"payment_id": [1], "uip": ["M"], "amount": [7]}), ch).parts
    got = parts.set_index("supplier_inn")["amount"]
    assert got.sum() == 7 and got[[f"{i:02d}" for i in range(7)]].tolist() == [1] * 7


def test_with_index_and_doc_positions_from_matching() -> None:
    from domain.chargeindex import ChargeIndex
    from domain.matching import match_payments

    ix = ChargeIndex.build(CHARGES)
    pays = pd.DataFrame(
        {"payment_id": [1, 2], "uip": ["U2", "nope"], "account": [None, None], "period": None, "amount": [750, 5]}
    )
    m = match_payments(pays, ix).matches.assign(amount=pays["amount"])
    with_doc = split_payments(m, ix).parts
    without = split_payments(m.drop(columns="doc"), CHARGES).parts
    pd.testing.assert_frame_equal(with_doc, without)
    assert with_doc["amount"].tolist() == [450, 300]
