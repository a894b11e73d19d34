"""Write-offs in the workbench: asked on the case page, decided by a senior accountant on the case
page or the list of pending requests (``/write-offs``, which lists the refunds to payers waiting
too: ``rkc.web.refunds``). Each action is a use case of
``rkc.workbench``; this module only reads the form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import RedirectResponse, Response

from domain.refunds import RefundStatus
from rkc import workbench
from rkc.web.cases import CaseId, case_page
from rkc.web.security import check_csrf, current_user
from rkc.web.security import page as render
from sql import refunds as refund_store
from sql import write_offs as offs

router = APIRouter()
RequestId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/write-offs")
def pending_page(request: Request) -> Response:
    """The write-off and refund requests waiting for a senior accountant, oldest first."""
    user = current_user(request)
    with request.app.state.engine.connect() as conn:
        rows = offs.pending(conn)
        refunds = refund_store.refunds(conn, statuses=(RefundStatus.REQUESTED.value,), limit=200)
    return render(request, "write_offs.html", {"user": user, "rows": rows, "refunds": refunds})


@router.post("/cases/{case_id}/write_off")
def write_off(request: Request, case_id: CaseId, reason: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Ask to write off the case's suspense payment's money."""
    user = current_user(request)
    check_csrf(user.csrf, csrf_token)
    state = request.app.state
    try:
        workbench.write_off(state.config, state.engine, user, case_id, reason)
    except workbench.ActionRefused as exc:
        return case_page(request, case_id, error=str(exc), status=exc.status)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/write-offs/{request_id}/approve")
def approve(request: Request, request_id: RequestId, csrf_token: str = Form("")) -> Response:
    """Approve a pending write-off (a senior accountant, not the one who asked)."""
    state = request.app.state
    return _decide(request, request_id, csrf_token,
                   lambda u: workbench.approve_write_off(state.config, state.engine, u, request_id))  # fmt: skip


@router.post("/write-offs/{request_id}/refuse")
def refuse(request: Request, request_id: RequestId, note: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Refuse a pending write-off, with the reason."""
    state = request.app.state
    return _decide(request, request_id, csrf_token,
                   lambda u: workbench.refuse_write_off(state.engine, u, request_id, note))  # fmt: skip


def _decide(request: Request, request_id: int, csrf_token: str, action) -> Response:  # type: ignore[no-untyped-def]
    user = current_user(request)
    check_csrf(user.csrf, csrf_token)
    try:
        done = action(user)
    except workbench.ActionRefused as exc:
        with request.app.state.engine.connect() as conn:
            asked = offs.get_request(conn, request_id)
        if asked is None:
            return render(request, "error.html", {"user": user, "message": str(exc)}, exc.status)
        return case_page(request, int(asked["case_id"]), error=str(exc), status=exc.status)
    return RedirectResponse(f"/cases/{done.case_id}", status_code=303)
