"""Write-offs with four eyes (docs/WORKBENCH.md): an accountant asks to write off a suspense
payment's money with a reason; up to the configured limit it is posted at once, above it the
request waits for a senior accountant other than the one who asked. Pure rules, no I/O."""

from __future__ import annotations

from enum import StrEnum

from domain.roles import Role


class WriteOffStatus(StrEnum):
    """Where a write-off request stands (``write_off_request.status``)."""

    PENDING = "pending"  # above the limit, waiting for a senior accountant
    APPROVED = "approved"  # posted (at once under the limit, or approved)
    REFUSED = "refused"
    UNDONE = "undone"  # posted, then reversed in the workbench (the case reopened)


WRITE_OFF_STATUS_RU: dict[str, str] = {
    WriteOffStatus.PENDING: "ждёт утверждения",
    WriteOffStatus.APPROVED: "списано",
    WriteOffStatus.REFUSED: "отказано",
    WriteOffStatus.UNDONE: "отменено сторно",
}


def needs_approval(amount: int, limit: int) -> bool:
    """Whether writing off ``amount`` kopecks needs a senior's approval: above ``limit`` it does."""
    return amount > limit


def decision_refusal(role: str, requested_by: str, decider: str, status: str) -> str | None:
    """Why ``decider`` (of ``role``) may not approve or refuse a request asked by ``requested_by``
    that stands in ``status`` (Russian), or None when allowed. Four eyes: never one's own."""
    if status != WriteOffStatus.PENDING:
        return f"заявка на списание уже рассмотрена ({WRITE_OFF_STATUS_RU.get(status, status)})"
    return four_eyes_refusal(role, requested_by, decider, "списания", "на списание")


def four_eyes_refusal(role: str, requested_by: str, decider: str, things: str, request_of: str) -> str | None:
    """Why ``decider`` (of ``role``) may not decide a waiting request of ``requested_by`` (Russian),
    or None: only a senior accountant decides, and never on their own request. ``things`` and
    ``request_of`` name what is decided in the message («списания», «на списание»)."""
    if role != Role.SENIOR:
        return f"утверждать {things} может только старший бухгалтер"
    if decider == requested_by:
        return f"свою заявку {request_of} утвердить или отклонить нельзя: нужен второй сотрудник"
    return None
