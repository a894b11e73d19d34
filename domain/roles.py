"""Workbench roles and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's role: accountants work cases, senior accountants too (and approve, later), viewers
    (auditors) only read."""

    ACCOUNTANT = "accountant"
    SENIOR = "senior"
    VIEWER = "viewer"


ROLE_RU: dict[Role, str] = {
    Role.ACCOUNTANT: "бухгалтер",
    Role.SENIOR: "старший бухгалтер",
    Role.VIEWER: "наблюдатель (только чтение)",
}

# Roles that may change cases (take, comment, assign, accept).
WORKERS = frozenset({Role.ACCOUNTANT, Role.SENIOR})


def may_act(role: str) -> bool:
    """Whether a user of ``role`` may act on cases."""
    return role in WORKERS
