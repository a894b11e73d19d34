"""The ``rkc`` command line: thin commands over the application's functions and flows."""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from domain.money import format_amount, format_ru
from parsers.base import BadFile
from rkc.config import ConfigError, init_home, load_config
from rkc.context import open_database, open_existing

app = typer.Typer(
    help="rkc: nightly reconciliation of ЖКУ payments for a regional settlement center (РКЦ).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
charges_app = typer.Typer(help="Billing charges (ПД) and the suppliers directory.", no_args_is_help=True)
ledger_app = typer.Typer(help="The double-entry ledger: balances and integrity checks.", no_args_is_help=True)
app.add_typer(charges_app, name="charges")
db_app = typer.Typer(help="The database's schema.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
app.add_typer(db_app, name="db")

P = ParamSpec("P")
R = TypeVar("R")

out = Console()
err = Console(stderr=True)

Home = Annotated[
    Path | None,
    typer.Option("--home", envvar="RKC_HOME", help="Working directory (default: $RKC_HOME or the current one)."),
]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error and leave with a non-zero exit code."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn what a user can get wrong (the configuration, the database URL or a database that does
    not answer, a register file, a generator request) into one line and exit code 2. Anything
    raised once the work has started keeps its traceback: it may be a bug."""
    from synthetic.core import GenerateError

    @functools.wraps(command)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (ConfigError, BadFile, GenerateError) as exc:
            fail(str(exc))

    return guarded


@app.callback()
def main(ctx: typer.Context, home: Home = None) -> None:
    """Commands take --home (or $RKC_HOME) for the working directory made by `rkc init`."""
    ctx.obj = {"home": home}


def _home(ctx: typer.Context, home: Path | None) -> Path | None:
    return home or (ctx.obj or {}).get("home")


@app.command()
@user_errors
def init(ctx: typer.Context, home: Home = None) -> None:
    """Create the working directory: config, inbox/outbox folders and a migrated database."""
    config, created = init_home(_home(ctx, home))
    open_database(config).dispose()
    state = "written" if created else "kept (already there)"
    out.print(f"Working directory {config.home}: configuration {state}; database ready.")
    out.print(f"Channels: {', '.join(config.channels)}. Drop registers into {config.inbox}/<channel>/.")


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

    report = import_charges_files(load_config(_home(ctx, home)), charges, suppliers, again=again,
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
    done = accept_charge_corrections(load_config(_home(ctx, home)), None if accept_all else list(uip or []))
    if not done.payments:
        out.print("Nothing to accept: no payment is split by an earlier version of these ПД.")
        return
    out.print(f"Accepted: {done.payments} payments ({format_ru(done.amount)} ₽) of {done.documents} ПД moved "
              f"to the corrected split; {done.entries} ledger entries (reversals and reposts).",
              highlight=False)  # fmt: skip


@db_app.command("upgrade")
@user_errors
def db_upgrade(ctx: typer.Context, home: Home = None) -> None:
    """Create the rkc schema in the configured database, or bring it up to this version's."""
    from sql.engine import display_url, schema_revision

    config = load_config(_home(ctx, home))
    engine = open_database(config)
    try:
        revision = schema_revision(engine)
    finally:
        engine.dispose()
    out.print(f"Database {display_url(config.database_url)}: schema at revision {revision}.", highlight=False,
              soft_wrap=True)  # fmt: skip


@ledger_app.command("balances")
@user_errors
def ledger_balances(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object: account → amount.")] = False,
    home: Home = None,
) -> None:
    """Balance of every ledger account (suppliers and suspense as amounts owed)."""
    from sql.ledger_queries import balances

    engine = open_existing(load_config(_home(ctx, home)))
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
def ledger_check(ctx: typer.Context, home: Home = None) -> None:
    """Check the ledger: every entry balances, balances equal postings, no payment posted twice.

    Exits 0 when clean, 1 with every violation listed.
    """
    from sql.ledger_queries import check_ledger

    engine = open_existing(load_config(_home(ctx, home)))
    with engine.connect() as conn:
        violations = check_ledger(conn)
    engine.dispose()
    if not violations:
        out.print("Ledger is consistent: every entry balances, balances equal postings.")
        return
    for violation in violations:
        out.print(str(violation), highlight=False, soft_wrap=True)
    out.print(f"{len(violations)} violations found.")
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
    config = load_config(_home(ctx, home))
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


def parse_date(value: str | None) -> date | None:
    """``--date`` as a date (None when not given), or one line and exit code 2."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--date must be YYYY-MM-DD, got {value!r}")
    return None


def month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM``."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise typer.BadParameter(f"month must be YYYY-MM, got {month!r}")
    first = date.fromisoformat(f"{month}-01")
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


# The flow-driven commands register themselves on ``app``.
from rkc import cli_flows, cli_gis, cli_qr, cli_transport, cli_web  # noqa: E402, F401
