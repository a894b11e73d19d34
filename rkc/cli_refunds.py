"""CLI commands for refunds to payers: ``rkc refunds request|approve|refuse|cancel|list``.

Each action is done as a workbench user (``--user LOGIN``, as `rkc users add` made them), with the
role the workbench gives that user: an accountant asks, a senior accountant other than the one who
asked approves above ``workbench.refund_limit`` (docs/WORKBENCH.md «Refunds»).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from domain.money import AmountError, format_ru, parse_amount
from rkc.cli_common import Home, fail, home_of, out, parse_date, user_errors
from rkc.config import load_config
from rkc.context import open_database

app = typer.Typer()
refunds_app = typer.Typer(help="Refunds to payers: request, approve or refuse, cancel, list.", no_args_is_help=True)
app.add_typer(refunds_app, name="refunds")

T = TypeVar("T")
User = Annotated[str, typer.Option("--user", help="The workbench user acting (rkc users add).")]
RefundId = Annotated[int, typer.Argument(help="The refund's number (rkc refunds list).")]
OnDate = Annotated[str | None, typer.Option(
    "--date", help="The business day the entry is dated YYYY-MM-DD (default: today on the center's clock).")]


def _as_user(ctx: typer.Context, home, login: str, action: Callable[..., T]) -> T:  # type: ignore[no-untyped-def]
    """Run ``action(config, engine, user)`` as ``login``; a refusal is one line and exit code 2."""
    from rkc.refunds import RefundRefused
    from rkc.users import UserError, acting_user

    config = load_config(home_of(ctx, home))
    engine = open_database(config)
    try:
        return action(config, engine, acting_user(engine, login))
    except (RefundRefused, UserError) as exc:
        fail(str(exc))
    finally:
        engine.dispose()


@refunds_app.command("request")
@user_errors
def refunds_request(
    ctx: typer.Context,
    payment_id: Annotated[int, typer.Argument(help="The payment's id (the case page, the report).")],
    name: Annotated[str, typer.Option("--name", help="The payer, as the bank account's holder is named.")],
    account: Annotated[str, typer.Option("--account", help="The payer's account, 20 digits.")],
    bic: Annotated[str, typer.Option("--bic", help="The БИК of the payer's bank, 9 digits.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the money goes back (kept with the refund).")],
    user: User,
    amount: Annotated[str | None, typer.Option("--amount", help="Rubles, 1234,56 (default: all that is left).")] = None,
    inn: Annotated[str, typer.Option("--inn", help="The payer's ИНН, if known.")] = "",
    on: OnDate = None,
    home: Home = None,
) -> None:
    """Ask to refund a posted payment (or part of it) to the payer: posted at once up to
    workbench.refund_limit, above it waiting for a senior accountant."""
    from rkc.refunds import RefundAsk, request_refund

    try:
        kopecks = parse_amount(amount) if amount is not None else None
    except AmountError as exc:
        fail(f"--amount: {exc}")
    ask = RefundAsk(payment_id, kopecks, name, account, bic, inn, reason)
    day = parse_date(on)
    done = _as_user(ctx, home, user, lambda c, e, u: request_refund(c, e, u, ask, on=day or c.today()))
    out.print(f"refund {done.refund_id}: {done.status}. {done.message}", highlight=False, soft_wrap=True, markup=False)


@refunds_app.command("approve")
@user_errors
def refunds_approve(ctx: typer.Context, refund_id: RefundId, user: User, on: OnDate = None, home: Home = None) -> None:
    """Approve a waiting refund (a senior accountant, not the one who asked): its entry is posted."""
    from rkc.refunds import approve_refund

    day = parse_date(on)
    done = _as_user(ctx, home, user, lambda c, e, u: approve_refund(c, e, u, refund_id, on=day or c.today()))
    out.print(f"refund {refund_id}: {done.status}. {done.message}", highlight=False, soft_wrap=True, markup=False)


@refunds_app.command("refuse")
@user_errors
def refunds_refuse(
    ctx: typer.Context, refund_id: RefundId, user: User,
    note: Annotated[str, typer.Option("--note", help="Why it is refused.")], home: Home = None,
) -> None:  # fmt: skip
    """Refuse a waiting refund (a senior accountant, not the one who asked)."""
    from rkc.refunds import refuse_refund

    done = _as_user(ctx, home, user, lambda c, e, u: refuse_refund(e, u, refund_id, note))
    out.print(f"refund {refund_id}: {done.status}. {done.message}", highlight=False, soft_wrap=True, markup=False)


@refunds_app.command("cancel")
@user_errors
def refunds_cancel(
    ctx: typer.Context, refund_id: RefundId, user: User,
    reason: Annotated[str, typer.Option("--reason", help="Why it is cancelled.")], on: OnDate = None,
    home: Home = None,
) -> None:  # fmt: skip
    """Cancel an approved or prepared refund the bank has not debited (its entry is reversed)."""
    from rkc.refunds import cancel_refund

    day = parse_date(on)
    done = _as_user(ctx, home, user, lambda c, e, u: cancel_refund(c, e, u, refund_id, reason, on=day or c.today()))
    out.print(f"refund {refund_id}: {done.status}. {done.message}", highlight=False, soft_wrap=True, markup=False)


@refunds_app.command("list")
@user_errors
def refunds_list(
    ctx: typer.Context,
    status: Annotated[list[str] | None, typer.Option("--status", help="Only these statuses (repeatable).")] = None,
    payment_id: Annotated[int | None, typer.Option("--payment", help="Only this payment's refunds.")] = None,
    home: Home = None,
) -> None:
    """List refunds, oldest first, one a line, fields separated by " | ": number, status, payment,
    amount, payer, account/БИК, who asked and decided, the payment order."""
    from domain.refunds import RefundStatus
    from rkc.refunds import list_refunds

    unknown = [s for s in status or [] if s not in {v.value for v in RefundStatus}]
    if unknown:
        fail(f"--status must be one of {', '.join(v.value for v in RefundStatus)}, got {unknown[0]!r}")
    engine = open_database(load_config(home_of(ctx, home)))
    try:
        rows = list_refunds(engine, tuple(status) if status else None, payment_id)
    finally:
        engine.dispose()
    if not rows:
        out.print("no refunds")
    for r in rows:
        order = f" п/п № {r['order_number']} of {r['order_date']}" if r["order_number"] else ""
        decided = f", decided by {r['decided_by']}" if r["decided_by"] else ""
        fields = [str(r["id"]), r["status"], f"payment {r['payment_id']}", format_ru(int(r["amount"])), r["payer_name"],
                  f"{r['account']}/{r['bic']}", f"asked by {r['requested_by']}{decided}{order}"]  # fmt: skip
        out.print(" | ".join(fields), highlight=False, soft_wrap=True, markup=False)
