"""Write-off rules, table-driven: which sums need a senior's approval, who may decide a request
(a senior, never the one who asked, only while it waits), which cases can be written off, the
entry's legs and the configured limit."""

from __future__ import annotations

import pytest

from domain.cases import Action, refusal
from domain.ledger import SUSPENSE, WRITE_OFF_RKC, EntryKind, natural_balance, write_off_postings
from domain.writeoff import decision_refusal, needs_approval
from rkc.config_workbench import Workbench, parse_workbench

# (amount, limit, needs a senior?)
LIMITS = [(1, 100_000, False), (100_000, 100_000, False), (100_001, 100_000, True), (1, 0, True), (0, 0, False)]


@pytest.mark.parametrize(("amount", "limit", "waits"), LIMITS)
def test_limit(amount: int, limit: int, waits: bool) -> None:
    assert needs_approval(amount, limit) is waits


# (name, role of the decider, who asked, who decides, request status, refused because …)
DECISIONS = [
    ("another senior decides", "senior", "petrova", "smirnov", "pending", None),
    ("a senior's own request", "senior", "smirnov", "smirnov", "pending", "свою заявку"),
    ("an accountant", "accountant", "smirnov", "petrova", "pending", "только старший"),
    ("a viewer", "viewer", "petrova", "audit", "pending", "только старший"),
    ("already approved", "senior", "petrova", "smirnov", "approved", "уже рассмотрена (списано)"),
    ("already refused", "senior", "petrova", "smirnov", "refused", "уже рассмотрена (отказано)"),
]


@pytest.mark.parametrize(("role", "asked", "decider", "status", "why"), [d[1:] for d in DECISIONS],
                         ids=[d[0] for d in DECISIONS])  # fmt: skip
def test_who_decides(role: str, asked: str, decider: str, status: str, why: str | None) -> None:
    answer = decision_refusal(role, asked, decider, status)
    assert (answer is None) if why is None else (why in answer)


@pytest.mark.parametrize(("code", "allowed"), [("UNKNOWN_ACCOUNT", True), ("PERIOD_MISSING", True),
                                               ("AMBIGUOUS_MATCH", True), ("OVERPAYMENT", False),
                                               ("TRANSFER_MISSING", False)])  # fmt: skip
def test_only_suspense_payments_are_written_off(code: str, allowed: bool) -> None:
    assert (refusal("open", Action.WRITE_OFF, code) is None) is allowed
    assert refusal("resolved", Action.WRITE_OFF, "UNKNOWN_ACCOUNT") is not None


@pytest.mark.parametrize(("status", "allowed"), [("resolved", True), ("accepted", False), ("open", False),
                                                 ("in_work", False), ("informational", False)])  # fmt: skip
def test_only_a_resolution_is_undone(status: str, allowed: bool) -> None:
    assert (refusal(status, Action.UNDO, "UNKNOWN_ACCOUNT") is None) is allowed


def test_the_entry_moves_suspense_to_the_centers_income() -> None:
    legs = write_off_postings(12_345)
    assert legs == [(SUSPENSE, 12_345, None), (WRITE_OFF_RKC, -12_345, None)]
    assert sum(a for _, a, _ in legs) == 0
    assert natural_balance(WRITE_OFF_RKC, -12_345) == 12_345  # credit-normal: income shown positive
    assert EntryKind.WRITE_OFF.value == "write_off"


@pytest.mark.parametrize(("value", "kopecks"), [(None, 100_000), ("500,00", 50_000), ("0", 0), (2500, 250_000)])
def test_configured_limit(value: object, kopecks: int) -> None:
    data = {} if value is None else {"write_off_limit": value}
    assert parse_workbench(data, "rkc.yaml", ValueError).write_off_limit == kopecks
    assert Workbench().write_off_limit == 100_000


@pytest.mark.parametrize("value", ["много", "-1,00"])
def test_bad_limit_names_its_key(value: str) -> None:
    with pytest.raises(ValueError, match="write_off_limit"):
        parse_workbench({"write_off_limit": value}, "rkc.yaml", ValueError)
