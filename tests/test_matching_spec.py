"""The array code of matching and splitting against the rules written out one payment at a time.

``spec_match`` and ``spec_split`` below are docs/RULES.md's matching passes 1-3 and the
largest-remainder split in plain Python (Python ints, no arrays): hypothesis draws small nights
with duplicate keys (several ПД of one ЛС and period, several lines of one supplier and service),
unknown identifiers, ПД of total 0, and payment amounts that are exact, zero, negative or big
enough to overflow int64 products, over charges stored grouped by ПД or in any order, and the
domain functions must give exactly what the spec gives: the ПД and the pass of every payment, its
findings, and every split line with its amount to the kopeck, in the same order.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.chargeindex import ChargeIndex
from domain.matching import match_payments
from domain.splitting import split_payments

ACCOUNTS = ["100", "200", "300"]
PERIODS = ["2026-01", "2026-02", "2026-03"]
INNS = ["7701", "7702", "7703"]
SERVICES = ["gas", "heat", "water"]
INT64_MAX = 2**63 - 1

# equal amounts (and ПД of zero total) make equal remainders: the tie-breaks are then what decides
line_amount = st.one_of(st.sampled_from([0, 100, 300]), st.integers(0, 10**6), st.integers(10**12, 10**15))
line = st.tuples(st.sampled_from(INNS), st.sampled_from(SERVICES), line_amount)
doc = st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(PERIODS), st.lists(line, min_size=1, max_size=6))
amount = st.one_of(
    st.integers(-1000, 1000),
    st.integers(-(10**6), 10**7),
    st.just(0),
    st.integers(10**16, INT64_MAX),
    st.integers(-INT64_MAX, -(10**16)),
)
payment = st.tuples(
    st.one_of(st.none(), st.just(""), st.integers(0, 12).map(lambda i: f"U{i}")),  # U9.. are unknown
    st.sampled_from([None, "", *ACCOUNTS, "999"]),
    st.sampled_from([None, "", *PERIODS, "2025-12"]),
    st.one_of(amount, st.just("total")),  # "total": exactly what the ПД (if any) owes
)


def charges_frame(docs: list[tuple], order: list[int] | None) -> pd.DataFrame:
    """Charge lines of the drawn ПД (``U0``, ``U1``, ...), grouped by ПД or in ``order``."""
    rows = [
        dict(uip=f"U{d}", account_raw=acc, account=acc, period=per, supplier_inn=inn, service=svc, amount=amt,
             payer="", address="")
        for d, (acc, per, lines) in enumerate(docs)
        for inn, svc, amt in lines
    ]
    if order is not None:
        rows = [rows[i] for i in order if i < len(rows)]
    return pd.DataFrame(rows).astype({"amount": "int64"})


def spec_documents(charges: pd.DataFrame) -> list[dict]:
    """ПД in order of first appearance with their account, period and lines (row number, INN, service, amount)."""
    docs: dict[str, dict] = {}
    for row, r in enumerate(charges.itertuples(index=False)):
        d = docs.setdefault(r.uip, {"uip": r.uip, "account": r.account, "period": r.period, "lines": []})
        d["lines"].append((row, r.supplier_inn, r.service, int(r.amount)))
    return list(docs.values())


def spec_match(uip: str | None, account: str | None, period: str | None, docs: list[dict]) -> tuple:
    """(ПД position or None, rule or None, finding codes) of one payment by passes 1-3."""
    uip, account, period = uip or None, account or None, period or None  # empty is not given
    by_uip = [k for k, d in enumerate(docs) if d["uip"] == uip]
    if by_uip:
        k = by_uip[0]
        conflict = account is not None and docs[k]["account"] != account
        return k, "uip", {"ACCOUNT_CONFLICT"} if conflict else set()
    mine = [k for k, d in enumerate(docs) if account is not None and d["account"] == account]
    same = [k for k in mine if docs[k]["period"] == period] if period is not None else []
    if len(same) > 1:
        return None, None, {"AMBIGUOUS_MATCH"}
    if len(same) == 1:
        return same[0], "account_period", set()
    if not mine:
        return None, None, {"UNKNOWN_ACCOUNT"}
    latest = max(docs[k]["period"] for k in mine)
    at_latest = [k for k in mine if docs[k]["period"] == latest]
    if len(at_latest) > 1:
        return None, None, {"AMBIGUOUS_MATCH"}
    return at_latest[0], "account_latest", {"PERIOD_MISSING"}


def spec_split(paid: int, d: dict) -> list[tuple[str, str, int]]:
    """(INN, service, kopecks) of each line of the ПД in tie order, by largest remainder."""
    lines = sorted(d["lines"], key=lambda x: (x[1], x[2], x[3], x[0]))  # INN, service, amount, then input order
    weights = [w for _, _, _, w in lines]
    total = sum(weights)
    if total == 0:  # nothing owed: equal shares
        weights, total = [1] * len(lines), len(lines)
    base = [paid * w // total for w in weights]
    rem = [paid * w % total for w in weights]
    for k in sorted(range(len(lines)), key=lambda k: (-rem[k], k))[: paid - sum(base)]:
        base[k] += 1
    return [(inn, svc, part) for (_, inn, svc, _), part in zip(lines, base, strict=True)]


@settings(max_examples=120, deadline=None)
@given(
    docs=st.lists(doc, min_size=1, max_size=8),
    pays=st.lists(payment, max_size=20),
    order=st.one_of(st.none(), st.permutations(range(48))),
)
def test_matching_and_splitting_give_what_the_rules_give(docs: list, pays: list, order: list | None) -> None:
    charges = charges_frame(docs, order)
    spec_docs = spec_documents(charges)
    expected = [spec_match(u, a, p, spec_docs) for u, a, p, _ in pays]
    paid = [
        (sum(x[3] for x in spec_docs[k]["lines"]) if k is not None else 0) if amt == "total" else amt
        for (_, _, _, amt), (k, _, _) in zip(pays, expected, strict=True)
    ]
    payments = pd.DataFrame(
        {
            "payment_id": pd.Series(range(100, 100 + len(pays)), dtype="int64"),
            "uip": pd.Series([p[0] for p in pays], dtype=object),
            "account": pd.Series([p[1] for p in pays], dtype=object),
            "period": pd.Series([p[2] for p in pays], dtype=object),
        }
    )
    index = ChargeIndex.build(charges)
    result = match_payments(payments, index)

    m = result.matches
    assert m["doc"].tolist() == [-1 if k is None else k for k, _, _ in expected]
    assert [r if isinstance(r, str) else None for r in m["rule"]] == [rule for _, rule, _ in expected]
    assert m["status"].tolist() == ["suspense" if k is None else "matched" for k, _, _ in expected]
    assert [u if isinstance(u, str) else None for u in m["uip"]] == [
        None if k is None else spec_docs[k]["uip"] for k, _, _ in expected
    ]
    found = result.flags.groupby("payment_id")["code"].agg(set).to_dict()
    assert {i: found.get(100 + i, set()) for i in range(len(pays))} == {i: e[2] for i, e in enumerate(expected)}

    matched = m.assign(amount=pd.Series(paid, dtype="int64"))[m["status"] == "matched"]
    split = split_payments(matched, index)
    want = [
        (100 + i, spec_docs[k]["uip"], inn, svc, part)
        for i, (k, _, _) in enumerate(expected)
        if k is not None
        for inn, svc, part in spec_split(paid[i], spec_docs[k])
    ]
    got = list(split.parts.astype(object).itertuples(index=False, name=None))
    assert got == want
    owed = {100 + i: sum(x[3] for x in spec_docs[k]["lines"]) for i, (k, _, _) in enumerate(expected) if k is not None}
    money = split.flags.groupby("payment_id")["code"].agg(set).to_dict()
    assert money == {
        p: {"OVERPAYMENT" if paid[p - 100] > t else "UNDERPAYMENT"} for p, t in owed.items() if paid[p - 100] != t
    }
