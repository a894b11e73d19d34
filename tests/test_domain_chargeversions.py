"""The content hash of a ПД: the same for the same content in any line order, different for any change."""

from __future__ import annotations

import hashlib

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.chargeversions import content_hashes

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x1e\x1f"), max_size=6)
LINE = st.tuples(st.sampled_from(["7707083893", "7830002293"]), TEXT, st.integers(0, 10**12))
DOCUMENT = st.tuples(TEXT, TEXT, st.lists(LINE, min_size=1, max_size=4))  # account, payer, lines
DOCS = st.dictionaries(st.text(alphabet="UAB0123", min_size=1, max_size=4), DOCUMENT, min_size=1, max_size=5)


def _frame(docs: dict) -> pd.DataFrame:
    rows = [{"uip": uip, "account": acc, "account_raw": acc, "period": "2026-03", "payer": payer, "address": "A",
             "supplier_inn": inn, "service": service, "amount": amount}
            for uip, (acc, payer, lines) in docs.items() for inn, service, amount in lines]  # fmt: skip
    return pd.DataFrame(rows)


@settings(max_examples=150, deadline=None)
@given(DOCS, st.randoms(use_true_random=False))
def test_the_hash_ignores_line_order_and_sees_every_change(docs: dict, rnd) -> None:  # type: ignore[no-untyped-def]
    frame = _frame(docs)
    hashes = content_hashes(frame)
    assert list(hashes.index) == list(dict.fromkeys(frame["uip"]))  # first appearance order
    shuffled = frame.sample(frac=1, random_state=rnd.randint(0, 2**31))
    assert content_hashes(shuffled).to_dict() == hashes.to_dict()
    row = rnd.randrange(len(frame))
    changed = frame.copy()
    changed.loc[row, "amount"] = int(changed.loc[row, "amount"]) + 1
    uip = frame.loc[row, "uip"]
    after = content_hashes(changed)
    assert after[uip] != hashes[uip]
    assert all(after[u] == hashes[u] for u in hashes.index if u != uip)  # one ПД's change is that ПД's only


def test_the_hash_is_sha256_of_the_documented_canonical_text() -> None:
    frame = _frame({"U1": ("1001", "П", [("7830002293", "Свет", 5000), ("7707083893", "ЖКУ", 10000)])})
    # fields joined by U+001F; the header and the lines (sorted) by U+001E (domain/chargeversions.py)
    text = "1001\x1f1001\x1f2026-03\x1fП\x1fA\x1e7707083893\x1fЖКУ\x1f10000\x1e7830002293\x1fСвет\x1f5000"
    assert content_hashes(frame)["U1"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
