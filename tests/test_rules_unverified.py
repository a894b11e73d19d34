"""UNVERIFIED_REGISTER: a register without control totals, accepted only where its channel allows."""

from __future__ import annotations

import pytest

from domain.codes import Code
from domain.records import DeclaredTotals
from domain.unverified import unverified_register


@pytest.mark.parametrize(
    ("declared", "allowed", "verdict"),
    [
        (DeclaredTotals(count=3, amount=345000), False, None),
        (DeclaredTotals(count=3), False, None),  # a count alone is a control total
        (DeclaredTotals(amount=345000), False, None),
        (None, True, "posted"),
        (None, False, "quarantined"),
        (DeclaredTotals(payment_order_number="517"), True, "posted"),  # a п/п number is no control total
        (DeclaredTotals(payment_order_number="517"), False, "quarantined"),
    ],
)
def test_unverified_register(declared: DeclaredTotals | None, allowed: bool, verdict: str | None) -> None:
    found = unverified_register(declared, allowed, 3, 345000, "online")
    if verdict is None:
        assert found is None
        return
    assert found is not None and found.code is Code.UNVERIFIED_REGISTER
    assert found.quarantine is (verdict == "quarantined")
    assert found.detail.startswith("реестр без контрольных итогов: 3 строк на сумму 3\u00a0450,00")
