"""CLI commands that move files over the network: ``rkc collect`` and ``rkc deliver``."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from rich.table import Table

from rkc.cli_common import Home, fail, home_of, out, parse_date, user_errors
from rkc.config import load_config
from rkc.context import open_database

app = typer.Typer()


@app.command()
@user_errors
def collect(
    ctx: typer.Context,
    channel: Annotated[list[str] | None, typer.Option("--channel", help="Only this channel (repeatable).")] = None,
    home: Home = None,
) -> None:
    """Fetch new registers from the channels' sources (SFTP, IMAP, folders) into inbox/<channel>/.

    Exits 1 when a source could not be read; what the others gave is in the inbox all the same.
    """
    from rkc.collect import collect as run_collect
    from rkc.config_transport import TransportConfigError

    config = load_config(home_of(ctx, home))
    if not any(c.source for c in config.channels.values()):
        out.print("No channel has a source in rkc.yaml (channels.<name>.source): nothing to collect.")
        return
    engine = open_database(config)
    try:
        outcomes = run_collect(config, engine, channel or None)
    except TransportConfigError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    table = Table("Канал", "Источник", "Получено", "Дубли", "Оставлено", "Ошибка", title="Сбор файлов")
    for o in outcomes:
        table.add_row(o.channel, o.source, str(len(o.landed)), str(len(o.duplicates)), str(len(o.ignored)),
                      "да" if o.error else "")  # fmt: skip
    out.print(table)
    for o in outcomes:  # one line each, whatever the terminal's width: the names and the error stay whole
        lines = [f"получен {n}" for n in o.landed] + [f"дубль {n}" for n in o.duplicates] + o.ignored
        for line in [*lines, *([f"ошибка: {o.error}"] if o.error else [])]:
            out.print(f"{o.channel}: {line}", highlight=False, soft_wrap=True, markup=False)
    if any(o.error for o in outcomes):
        raise typer.Exit(1)


@app.command()
@user_errors
def deliver(
    ctx: typer.Context,
    period: Annotated[str | None, typer.Option(help="Statement period YYYY-MM (default: the previous month).")] = None,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send the period's statements again, even those sent before.")
    ] = False,
    payouts_date: Annotated[
        str | None, typer.Option("--payouts-date", help="Send the payout notices of this date (YYYY-MM-DD) instead.")
    ] = None,
    home: Home = None,
) -> None:
    """Send the period's supplier statements (or a date's payout notices) by e-mail or SFTP (once
    each) and retry what is due.

    Exits 1 when a delivery failed in this run (it stays pending for a later run, or is given up).
    """
    from flows.statements import previous_month
    from rkc.deliver import deliver as run_deliver

    if period is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        fail(f"--period must be YYYY-MM, got {period!r}")
    day = parse_date(payouts_date, "--payouts-date") if payouts_date else None
    config = load_config(home_of(ctx, home))
    period = day.isoformat() if day else (period or previous_month(config.today()))
    engine = open_database(config)
    try:
        run = run_deliver(config, engine, period, resend=resend, payouts_of=day)
    finally:
        engine.dispose()
    what = "Payout notices" if day else "Statements"
    out.print(f"{what} {period}: {run.queued} queued, {len(run.sent)} sent, {len(run.pending)} to retry, "
              f"{len(run.failed)} given up, {len(run.unaddressed)} without an address.")  # fmt: skip
    for label, lines in (("sent", run.sent), ("retry", run.pending), ("given up", run.failed),
                         ("no address", run.unaddressed)):  # fmt: skip
        for line in lines:
            out.print(f"{label}: {line}", highlight=False, soft_wrap=True, markup=False)
    out.print(f"Report: {run.report}", highlight=False, soft_wrap=True)
    if run.pending or run.failed:
        raise typer.Exit(1)
