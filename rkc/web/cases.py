"""The case queue (``/cases``: filters, search, pages counted by the server) and the case page with
its actions. Each action is a use case of ``rkc.workbench``; this module only reads the form."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from domain.cases import ACTIVE, ASSIGNABLE, CaseStatus
from domain.codes import Code
from domain.money import AmountError, parse_amount
from domain.parts import MAX_PARTS
from domain.statuses import RegisterStatus
from domain.writeoff import WriteOffStatus
from rkc import workbench
from rkc.refunds import refundable
from rkc.web.security import check_csrf, current_user
from rkc.web.security import page as render
from sql import cases as store
from sql import refunds as refund_store
from sql import write_offs as offs
from sql.acceptances import case_acceptance

router = APIRouter()
PAGE_SIZE = 50
CaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]
SPLIT_ROWS = 3  # rows of the split form; «ещё строки» asks for more (no script on the page)
_STATUSES = {
    "active": tuple(s.value for s in ACTIVE),
    "closed": (CaseStatus.RESOLVED.value, CaseStatus.ACCEPTED.value),
    "informational": (CaseStatus.INFORMATIONAL.value,),
    "all": tuple(s.value for s in CaseStatus),
}


@router.get("/cases")
def queue(
    request: Request,
    status: Annotated[str, Query(pattern="^(active|closed|informational|all)$")] = "active",
    code: Annotated[str, Query(max_length=32)] = "",
    channel: Annotated[str, Query(max_length=64)] = "",
    owner: Annotated[str, Query(max_length=64)] = "",
    age: Annotated[str, Query(max_length=6)] = "",  # a form sends an empty field: no filter
    min_amount: Annotated[str, Query(max_length=20)] = "",
    max_amount: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1, le=1000000)] = 1,
) -> Response:
    """The queue, oldest case first, ``PAGE_SIZE`` a page."""
    user = current_user(request)
    config, engine = request.app.state.config, request.app.state.engine
    errors, amounts = [], {}
    for name, value in (("min_amount", min_amount), ("max_amount", max_amount)):
        try:
            amounts[name] = parse_amount(value) if value.strip() else None
        except AmountError:
            errors.append(f"Сумма «{value}» не распознана: пишите как 1 234,56.")
            amounts[name] = None
    if age.strip() and not age.strip().isdecimal():
        errors.append(f"Возраст «{age}» не распознан: укажите число дней.")
    min_age = int(age) if age.strip().isdecimal() else None
    filters = store.QueueFilter(status=_STATUSES[status], code=code or None, channel=channel or None,
                                owner=owner or None, min_age=min_age, search=q or None, **amounts)  # fmt: skip
    with engine.connect() as conn:
        rows, total = store.queue_page(conn, filters, config.today(), page, PAGE_SIZE)
        choices = {"code": [c.value for c in Code], "channel": sorted(config.channels), "owner": store.owners(conn)}
    params = {k: v for k, v in {"status": status, "code": code, "channel": channel, "owner": owner,
                                "age": age, "min_amount": min_amount,
                                "max_amount": max_amount, "q": q}.items() if v not in ("", None)}  # fmt: skip
    pages = max(1, -(-total // PAGE_SIZE))
    link = lambda n: "/cases?" + urlencode({**params, "page": n})  # noqa: E731
    return render(request, "cases.html", {
        "user": user, "rows": rows, "total": total, "page": page, "pages": pages, "params": params,
        "choices": choices, "errors": errors, "today": config.today(),
        "prev": link(page - 1) if page > 1 else None, "next": link(page + 1) if page < pages else None,
    }, 422 if errors else 200)  # fmt: skip


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: CaseId, error: str | None = None, status: int = 200,
              rows: Annotated[int, Query(ge=2, le=MAX_PARTS)] = SPLIT_ROWS) -> Response:  # fmt: skip
    """One case: the problem, its payment, raw line and file, its history, its actions (the split
    form with ``rows`` rows)."""
    user = current_user(request)
    engine = request.app.state.engine
    with engine.connect() as conn:
        case = store.get_case(conn, case_id)
        if case is None:
            return render(request, "error.html", {"user": user, "message": f"Случай {case_id} не найден."}, 404)
        sources, events = store.case_sources(conn, case), store.case_events(conn, case_id)
        write_offs = offs.case_requests(conn, case_id)
        resolved = case["payment_id"] is not None and store.resolution_of(conn, int(case["payment_id"])) is not None
        refunds = refund_store.refunds(conn, payment_id=int(case["payment_id"])) if case["payment_id"] else []
        acceptance = case_acceptance(conn, case_id)
    written_off = any(w["status"] == WriteOffStatus.APPROVED for w in write_offs)
    active = case["status"] in {s.value for s in ACTIVE}
    return render(request, "case.html", {
        "user": user, "case": case, "events": events, "error": error, **sources,
        "active": case["status"] in {s.value for s in ACTIVE},
        "assignable": case["code"] in {c.value for c in ASSIGNABLE} and case["payment_id"] is not None,
        "age": (request.app.state.config.today() - case["first_seen"]).days,
        "write_offs": write_offs, "write_off_limit": request.app.state.config.workbench.write_off_limit,
        "pending_write_off": any(w["status"] == WriteOffStatus.PENDING for w in write_offs),
        "undoable": case["status"] == CaseStatus.RESOLVED and (resolved or written_off),
        "refunds": refunds, "refund_limit": request.app.state.config.workbench.refund_limit,
        "refundable": refundable(engine, int(case["payment_id"])) if active and case["payment_id"] else 0,
        "split_rows": rows, "max_parts": MAX_PARTS,
        "acceptance": acceptance, "register_acceptable": case["code"] == Code.REGISTER_TOTAL_MISMATCH
        and acceptance is None and (sources["register"] or {}).get("status") == RegisterStatus.QUARANTINED,
    }, status)  # fmt: skip


def act(request: Request, case_id: int, csrf_token: str, action) -> Response:  # type: ignore[no-untyped-def]
    """Run ``action(user)`` for the session's user once the form's CSRF token is the session's; the
    case page again (303), or the case page with the refusal and its status."""
    return _act(request, case_id, csrf_token, action)


def _act(request: Request, case_id: int, csrf_token: str, action) -> Response:  # type: ignore[no-untyped-def]
    user = current_user(request)
    check_csrf(user.csrf, csrf_token)
    try:
        action(user)
    except workbench.ActionRefused as exc:
        return case_page(request, case_id, error=str(exc), status=exc.status)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/take")
def take(request: Request, case_id: CaseId, csrf_token: str = Form("")) -> Response:
    """Take the case in work."""
    return _act(request, case_id, csrf_token, lambda u: workbench.take(request.app.state.engine, u, case_id))


@router.post("/cases/{case_id}/comment")
def comment(request: Request, case_id: CaseId, text: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Add a comment."""
    return _act(request, case_id, csrf_token,
                lambda u: workbench.comment(request.app.state.engine, u, case_id, text))  # fmt: skip


@router.post("/cases/{case_id}/assign")
def assign(request: Request, case_id: CaseId, target: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Move the suspense payment to a ПД (УИП or ЛС)."""
    state = request.app.state
    return _act(request, case_id, csrf_token,
                lambda u: workbench.assign(state.config, state.engine, u, case_id, target))  # fmt: skip


@router.post("/cases/{case_id}/undo")
def undo(request: Request, case_id: CaseId, reason: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Undo the case's write-off or assignment by a reversal entry; the case is in work again."""
    state = request.app.state
    return _act(request, case_id, csrf_token,
                lambda u: workbench.undo(state.config, state.engine, u, case_id, reason))  # fmt: skip


@router.post("/cases/{case_id}/accept")
def accept(request: Request, case_id: CaseId, reason: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Close the case as accepted, with the reason."""
    return _act(request, case_id, csrf_token,
                lambda u: workbench.accept(request.app.state.engine, u, case_id, reason))  # fmt: skip
