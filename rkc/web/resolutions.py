"""The case page's resolutions beyond «assign»: split a suspense payment across several ПД, and
accept a register whose totals do not tie. Each action is a use case (``rkc.workbench_split``,
``rkc.register_accept``); this module only reads the form."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from rkc.register_accept import accept_register
from rkc.web.cases import CaseId, act
from rkc.workbench import ActionRefused
from rkc.workbench_split import split

router = APIRouter()
MAX_ROWS = 50  # the form offers at most 20 rows; more fields are not from the page


@router.post("/cases/{case_id}/split")
def split_payment(
    request: Request, case_id: CaseId, target: list[str] = Form([]), amount: list[str] = Form([]),  # noqa: B008
    csrf_token: str = Form(""),
) -> Response:  # fmt: skip
    """Split the suspense payment across the ПД of the form's rows (``target``, ``amount`` pairs)."""
    state = request.app.state

    def action(user):  # type: ignore[no-untyped-def]
        if len(target) > MAX_ROWS or len(amount) > MAX_ROWS:
            raise ActionRefused(f"Слишком много строк: не более {MAX_ROWS}.", 422)
        width = max(len(target), len(amount))
        rows = list(zip(target + [""] * (width - len(target)), amount + [""] * (width - len(amount)), strict=True))
        return split(state.config, state.engine, user, case_id, rows)

    return act(request, case_id, csrf_token, action)


@router.post("/cases/{case_id}/accept_register")
def accept_quarantined_register(
    request: Request, case_id: CaseId, reason: str = Form(""), csrf_token: str = Form("")
) -> Response:
    """Accept the case's quarantined register (a senior accountant): its lines are posted next night."""
    state = request.app.state
    return act(request, case_id, csrf_token, lambda u: accept_register(state.config, state.engine, u, case_id, reason))
