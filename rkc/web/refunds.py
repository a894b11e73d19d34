"""Refunds to payers in the workbench: asked on a payment case's page, decided by a senior
accountant on the case page or on the page of requests waiting for approval (``/write-offs``),
cancelled on the case page until the bank debits them. Each action is a use case of
``rkc.refunds``; this module only reads the form and dates the action today on the center's
clock (the use cases take the date; the command line's ``--date`` may name another)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import RedirectResponse, Response

from domain.money import AmountError, parse_amount
from rkc import refunds
from rkc.web.cases import CaseId, case_page
from rkc.web.security import check_csrf, current_user
from rkc.web.security import page as render
from rkc.workbench import ActionRefused
from sql import cases as case_store
from sql import refunds as store

router = APIRouter()
RefundId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post("/cases/{case_id}/refund")
def request_refund(request: Request, case_id: CaseId, amount: str = Form(""), name: str = Form(""),
                   account: str = Form(""), bic: str = Form(""), inn: str = Form(""), reason: str = Form(""),
                   csrf_token: str = Form("")) -> Response:  # fmt: skip
    """Ask to refund the case's payment (an empty amount: all that is left of it)."""
    user = current_user(request)
    check_csrf(user.csrf, csrf_token)
    state = request.app.state
    try:
        kopecks = parse_amount(amount) if amount.strip() else None
    except AmountError:
        return case_page(request, case_id, error=f"Сумма «{amount}» не распознана: пишите как 1 234,56.", status=422)
    with state.engine.connect() as conn:
        case = case_store.get_case(conn, case_id)
    if case is None:
        return case_page(request, case_id)  # its own 404 page
    if case["payment_id"] is None:
        return case_page(request, case_id, error="У случая нет платежа, который можно вернуть.", status=409)
    ask = refunds.RefundAsk(int(case["payment_id"]), kopecks, name, account, bic, inn, reason, case_id)
    try:
        refunds.request_refund(state.config, state.engine, user, ask, on=state.config.today())  # asked today
    except ActionRefused as exc:
        return case_page(request, case_id, error=str(exc), status=exc.status)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/refunds/{refund_id}/approve")
def approve(request: Request, refund_id: RefundId, csrf_token: str = Form("")) -> Response:
    """Approve a waiting refund (a senior accountant, not the one who asked)."""
    state = request.app.state
    today = state.config.today()  # a workbench action is dated the day it is done
    return _act(request, refund_id, csrf_token,
                lambda u: refunds.approve_refund(state.config, state.engine, u, refund_id, on=today))  # fmt: skip


@router.post("/refunds/{refund_id}/refuse")
def refuse(request: Request, refund_id: RefundId, note: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Refuse a waiting refund, with the reason."""
    state = request.app.state
    return _act(request, refund_id, csrf_token, lambda u: refunds.refuse_refund(state.engine, u, refund_id, note))


@router.post("/refunds/{refund_id}/cancel")
def cancel(request: Request, refund_id: RefundId, reason: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Cancel an approved or prepared refund the bank has not debited."""
    state = request.app.state
    return _act(request, refund_id, csrf_token,
                lambda u: refunds.cancel_refund(state.config, state.engine, u, refund_id, reason,
                                                on=state.config.today()))  # fmt: skip


def _act(request: Request, refund_id: int, csrf_token: str, action) -> Response:  # type: ignore[no-untyped-def]
    """Run a decision; back to the refund's case page (or the approvals page when it has none)."""
    user = current_user(request)
    check_csrf(user.csrf, csrf_token)
    try:
        done = action(user)
    except ActionRefused as exc:
        with request.app.state.engine.connect() as conn:
            asked = store.get_refund(conn, refund_id)
        if asked is None or asked["case_id"] is None:
            return render(request, "error.html", {"user": user, "message": str(exc)}, exc.status)
        return case_page(request, int(asked["case_id"]), error=str(exc), status=exc.status)
    return RedirectResponse(f"/cases/{done.case_id}" if done.case_id else "/write-offs", status_code=303)
