"""CLI commands for money going out: ``rkc payouts …`` and ``rkc reverse …``."""

from __future__ import annotations

from typing import Annotated

import typer

from domain.money import format_ru
from rkc.cli_common import Home, fail, home_of, out, parse_date, prefect_env, reachable, user_errors
from rkc.config import load_config
from rkc.context import open_database

app = typer.Typer()
payouts_app = typer.Typer(help="Payouts to suppliers: payment orders, holds, cancellations.", no_args_is_help=True)
reverse_app = typer.Typer(help="Reverse what was posted for a register or a payment.", no_args_is_help=True)
app.add_typer(payouts_app, name="payouts")
app.add_typer(reverse_app, name="reverse")

Reason = Annotated[str, typer.Option("--reason", help="Why (kept with the record; required).")]
DateOption = Annotated[
    str | None, typer.Option("--date", help="Date YYYY-MM-DD (default: today on the center's clock).")
]


@payouts_app.command("prepare")
@user_errors
def payouts_prepare(ctx: typer.Context, pay_date: DateOption = None, home: Home = None) -> None:
    """Accrue the fee and write the date's payment orders and register into out/<D>/payouts/."""
    config = reachable(load_config(home_of(ctx, home)))
    when = parse_date(pay_date) or config.today()
    prefect_env(config.home)  # before the flow is imported
    from flows.payouts import payouts
    from rkc.payouts import PayoutError

    try:
        with out.status(f"Preparing payouts for {when}…"):
            result = payouts(pay_date=when, home=str(config.home))
    except PayoutError as exc:
        fail(str(exc))
    again = " (prepared before: the same files written again, nothing posted)" if result["again"] else ""
    out.print(f"{result['payouts']} payment orders for {when:%d.%m.%Y}, {format_ru(result['total'])} руб.{again}")
    if result.get("refunds"):
        out.print(f"{result['refunds']} refunds to payers, {format_ru(result['refund_total'])} руб.")
    for s in result["skipped"]:
        out.print(f"  not paid: {s['inn']} {s['name']}: {s['reason']}", highlight=False)
    out.print(f"Payment orders: {result['orders']}\nRegister: {result['register']}")


@payouts_app.command("cancel")
@user_errors
def payouts_cancel(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="The payment order's number.")],
    pay_date: Annotated[str, typer.Option("--date", help="The payment order's date YYYY-MM-DD.")],
    reason: Reason,
    home: Home = None,
) -> None:
    """Cancel a prepared payment order the bank has not debited yet (its entry is reversed)."""
    from rkc.payouts import PayoutError, cancel

    config = load_config(home_of(ctx, home))
    engine = open_database(config)
    try:
        entry = cancel(config, engine, parse_date(pay_date), number, reason, config.today())
    except PayoutError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    out.print(f"Payment order № {number} of {pay_date} cancelled (reversal entry {entry}); the day's files rewritten.")


@payouts_app.command("hold")
@user_errors
def payouts_hold(
    ctx: typer.Context, inn: Annotated[str, typer.Argument(help="The supplier's ИНН.")], reason: Reason,
    home: Home = None,
) -> None:
    """Hold a supplier's payouts until released."""
    from rkc.payouts import PayoutError, hold

    engine = open_database(load_config(home_of(ctx, home)))
    try:
        done = hold(engine, inn, reason)
    except PayoutError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    out.print(f"Payouts to {inn} on hold." if done else f"Payouts to {inn} were on hold already; the first hold stays.")


@payouts_app.command("release")
@user_errors
def payouts_release(
    ctx: typer.Context, inn: Annotated[str, typer.Argument(help="The supplier's ИНН.")], reason: Reason,
    home: Home = None,
) -> None:
    """Release a supplier's hold: the next preparation pays what it is owed."""
    from rkc.payouts import release

    engine = open_database(load_config(home_of(ctx, home)))
    try:
        done = release(engine, inn, reason)
    finally:
        engine.dispose()
    if not done:
        fail(f"payouts to {inn} are not on hold")
    out.print(f"Payouts to {inn} released.")


def _reverse(ctx: typer.Context, home, subject: str, subject_id: int, reason: str) -> None:  # type: ignore[no-untyped-def]
    from rkc.reverse import ReversalRefused, reverse_payment, reverse_register

    config = load_config(home_of(ctx, home))
    engine = open_database(config)
    action = reverse_register if subject == "register" else reverse_payment
    try:
        done = action(engine, subject_id, reason, config.today())
    except ReversalRefused as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    out.print(f"{subject.capitalize()} {subject_id}: {done.entries} entries reversed.")


@reverse_app.command("register")
@user_errors
def reverse_register(
    ctx: typer.Context, register_id: Annotated[int, typer.Argument(help="The register's id.")], reason: Reason,
    home: Home = None,
) -> None:
    """An agent recalled a register: reverse all its entries (its corrected file may come again)."""
    _reverse(ctx, home, "register", register_id, reason)


@reverse_app.command("payment")
@user_errors
def reverse_payment(
    ctx: typer.Context, payment_id: Annotated[int, typer.Argument(help="The payment's id.")], reason: Reason,
    home: Home = None,
) -> None:
    """Reverse one payment's entries (its posting and any reclassification)."""
    _reverse(ctx, home, "payment", payment_id, reason)
