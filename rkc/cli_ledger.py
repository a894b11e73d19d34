"""``rkc charges …`` and ``rkc ledger …``: the billing charges and the double-entry ledger."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from domain.money import format_amount, format_ru
from rkc.cli_common import Home, err, fail, home_of, month_bounds, out, user_errors
from rkc.config import load_config
from rkc.context import open_existing

app = typer.Typer()
charges_app = typer.Typer(help="Billing charges (ПД) and the suppliers directory.", no_args_is_help=True)
ledger_app = typer.Typer(help="The double-entry ledger: balances and integrity checks.", no_args_is_help=True)
app.add_typer(charges_app, name="charges")
app.add_typer(ledger_app, name="ledger")


@charges_app.command("import")
@user_errors
def charges_import(
    ctx: typer.Context,
    charges: Annotated[Path, typer.Argument(help="Billing export CSV (uip;account;period;supplier_inn;…).")],
    suppliers: Annotated[Path | None, typer.Option(help="Suppliers directory CSV (inn;name;kpp;…).")] = None,
    again: Annotated[
        bool, typer.Option("--again", help="Read the export even if these very bytes were imported before.")
    ] = False,
    accept_corrections: Annotated[
        bool,
        typer.Option("--accept-corrections", help="Move money split by an earlier version of a ПД this export "
                                                  "corrects to the corrected split (reversal and repost)."),
    ] = False,
    home: Home = None,
) -> None:
    """Import the billing export: a changed ПД gets a new version; money already split stays on the
    old split until the correction is accepted."""
    from reports.charges_rejections import summary_lines
    from rkc.app import import_charges_files

    report = import_charges_files(load_config(home_of(ctx, home)), charges, suppliers, again=again,
                                  accept=accept_corrections)  # fmt: skip
    for line in summary_lines(report.errors, report.rejections_csv):
        err.print(line, highlight=False, soft_wrap=True, markup=False)
    for line in report.summary_lines():  # each one line, however narrow the terminal
        out.print(line, highlight=False, soft_wrap=True, markup=False)


@charges_app.command("accept")
@user_errors
def charges_accept(
    ctx: typer.Context,
    uip: Annotated[list[str] | None, typer.Option("--uip", help="A corrected ПД to accept (repeatable).")] = None,
    accept_all: Annotated[bool, typer.Option("--all", help="Accept every corrected ПД.")] = False,
    home: Home = None,
) -> None:
    """Accept corrected ПД: money split by an earlier version moves to the current version's split."""
    from rkc.app import accept_charge_corrections

    if bool(uip) == accept_all:
        fail("name the ПД with --uip (repeatable) or accept all corrected ПД with --all")
    done = accept_charge_corrections(load_config(home_of(ctx, home)), None if accept_all else list(uip or []))
    if not done.payments:
        out.print("Nothing to accept: no payment is split by an earlier version of these ПД.")
        return
    out.print(f"Accepted: {done.payments} payments ({format_ru(done.amount)} ₽) of {done.documents} ПД moved "
              f"to the corrected split; {done.entries} ledger entries (reversals and reposts).",
              highlight=False)  # fmt: skip


@ledger_app.command("balances")
@user_errors
def ledger_balances(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object: account → amount.")] = False,
    home: Home = None,
) -> None:
    """Balance of every ledger account (suppliers and suspense as amounts owed)."""
    from sql.ledger_queries import balances

    engine = open_existing(load_config(home_of(ctx, home)))
    with engine.connect() as conn:
        found = balances(conn)
    engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps({k: format_amount(v) for k, v in found.items()}, ensure_ascii=False) + "\n")
        return
    table = Table("Счёт (account)", "Сальдо (balance)")
    for account, value in found.items():
        table.add_row(account, format_ru(value))
    out.print(table)


@ledger_app.command("check")
@user_errors
def ledger_check(
    ctx: typer.Context,
    home: Home = None,
    month: Annotated[str | None, typer.Option(help="Check only this month's entries and legs (YYYY-MM): no "
                                                   "balances, double postings or references.")] = None,
) -> None:  # fmt: skip
    """Check the ledger: every entry balances, balances equal postings, no payment posted twice.

    Exits 0 when clean, 1 with every violation listed.
    """
    from sql.ledger_queries import check_ledger

    engine = open_existing(load_config(home_of(ctx, home)))
    with engine.connect() as conn:
        violations = check_ledger(conn) if month is None else check_ledger(conn, [month_bounds(month)[0]])
    engine.dispose()
    if not violations:
        if month is not None:
            out.print(f"The entries of {month} balance, and every leg of {month} has its entry.")
            return
        out.print("Ledger is consistent: every entry balances, balances equal postings.")
        return
    for violation in violations:
        out.print(str(violation), highlight=False, soft_wrap=True)
    out.print(f"{len(violations)} violations found.")
    raise typer.Exit(1)


ADOPT_HELP = ("First move the default partition's legs into partitions of their months"
              " (as the tables' owner, with the nights stopped).")


@ledger_app.command("partitions")
@user_errors
def ledger_partitions(
    ctx: typer.Context,
    home: Home = None,
    ahead: Annotated[int, typer.Option(help="Create the partitions of this many months after the current one.")] = 2,
    adopt_default: Annotated[bool, typer.Option("--adopt-default", help=ADOPT_HELP)] = False,
) -> None:
    """Create the ledger's monthly partitions ahead (PostgreSQL) and list them with their rows.
    Exits 1 when the default partition holds legs (a month posted before it had a partition)."""
    from rkc.partitions import make_ahead

    config = load_config(home_of(ctx, home))
    engine = open_existing(config)
    try:
        report = make_ahead(engine, config.today(), ahead, adopt=adopt_default)
    finally:
        engine.dispose()
    if report.unpartitioned:
        out.print("The ledger is not partitioned on this database (SQLite): nothing to do.")
        return
    for month, legs in report.adopted or []:
        out.print(f"moved {legs:,} legs of {month:%Y-%m} from the default partition into its own")
    for month in report.created:
        out.print(f"created the partition of {month:%Y-%m}")
    for part in report.partitions:
        held = "default" if part.month is None else f"{part.month:%Y-%m}"
        out.print(f"{part.table}: {held}, ~{part.rows:,} legs")
    if report.in_default:
        listed = ", ".join(f"{m:%Y-%m} ({n:,} legs)" for m, n in report.in_default)
        out.print(f"The default partition holds legs of {listed}: move them with --adopt-default as the owner"
                  " (docs/OPERATIONS.md «Ledger partitions»).")
        raise typer.Exit(1)


@ledger_app.command("verify")
@user_errors
def ledger_verify(
    ctx: typer.Context,
    home: Home = None,
    month: Annotated[str | None, typer.Option(help="Check only the manifests of runs of this month (YYYY-MM); "
                                                   "the chain is always checked whole.")] = None,
) -> None:  # fmt: skip
    """Verify the tamper evidence: every entry's hash, the chain of batches, every signed manifest
    and the files it lists. Exits 0 when all holds, 1 naming the first entries or files that fail.
    """
    from rkc.verify import verify

    since = until = None
    if month is not None:
        since, until = month_bounds(month)
    config = load_config(home_of(ctx, home))
    engine = open_existing(config)
    try:
        result = verify(config, engine, since, until)
    finally:
        engine.dispose()
    for finding in result.findings:
        out.print(str(finding), highlight=False, soft_wrap=True)
    hidden = sum(result.counted.values()) - len(result.findings)
    if hidden:
        out.print(f"… and {hidden} more of the same kinds: " + ", ".join(f"{k} {n}" for k, n in result.counted.items()))
    covered = (f"{result.entries} entries, {result.legs} legs, {result.batches} batches;"
               f" {result.manifests} manifests, {result.files} files")  # fmt: skip
    if result.ok:
        demo = f" ({result.demo_manifests} signed with the public demo key)" if result.demo_manifests else ""
        out.print(f"Ledger verified: {covered}. Nothing changed since it was signed{demo}.")
        return
    out.print(f"Verification FAILED: {sum(result.counted.values())} findings over {covered}.")
    raise typer.Exit(1)
