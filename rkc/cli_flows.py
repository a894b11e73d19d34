"""CLI commands that drive the Prefect flows: run, statements, generate, demo."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from rkc.cli_common import Home, err, fail, home_of, out, parse_date, prefect_env, reachable, user_errors
from rkc.config import Config, init_home, load_config, resolve_home

app = typer.Typer()


def print_bridge(result: dict, channels: dict[str, str] | None = None) -> None:
    """The night's bridge per register in rubles, as accountants read it, within 80 columns (a pipe
    gets 80 too): the residual (received less everything placed), 0,00 on every line and in
    total, stays on its row; files, channels (``channels``: code → agent's name) and statuses follow
    below, one line each, never cut."""
    from reports.console import bridge_table, legend_lines, night_lines
    from rkc.summary import bridge_lines

    names = channels or {}
    lines = bridge_lines(result["registers"])
    out.print(bridge_table(lines, result["date"], out.width))
    for line in [*legend_lines(lines, names), *night_lines(result, names)]:
        out.print(line, highlight=False, soft_wrap=True, markup=False)


def channel_names(config: Config) -> dict[str, str]:
    """Each channel's agent as rkc.yaml names it, for what people read."""
    return {name: channel.agent_name for name, channel in config.channels.items()}


@app.command()
@user_errors
def run(
    ctx: typer.Context,
    run_date: Annotated[
        str | None, typer.Option("--date", help="Operating date YYYY-MM-DD (default: today on the center's clock, "
                                                "`timezone` in rkc.yaml).")
    ] = None,
    home: Home = None,
) -> None:
    """Run the night: read every inbox, post, tie to the bank statement, write the report."""
    when = parse_date(run_date)
    config = reachable(load_config(home_of(ctx, home)))
    from rkc.manifest import load_signing_key

    load_signing_key(config)  # SigningKeyMissing: one line, before Prefect starts
    prefect_env(config.home)
    from flows.offline import adopt_temporary_server, start_temporary_server

    early = start_temporary_server()  # boots while the flow's modules are imported
    from flows.nightly import nightly

    adopt_temporary_server(early)
    with out.status("Reconciling the night…"):
        result = nightly(home=str(config.home), run_date=when)
    print_bridge(result, channel_names(config))


@app.command()
@user_errors
def statements(
    ctx: typer.Context,
    period: Annotated[str, typer.Option(help="Statement period YYYY-MM.")],
    home: Home = None,
) -> None:
    """Write every supplier's statement for a period into out/statements/<period>/<inn>/."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        fail(f"--period must be YYYY-MM, got {period!r}")
    config = reachable(load_config(home_of(ctx, home)))
    prefect_env(config.home)
    from flows.statements import supplier_statements

    with out.status(f"Writing statements for {period}…"):
        result = supplier_statements(period=period, home=str(config.home))
    out.print(f"{len(result['files'])} files in {config.out / 'statements' / period}")


@app.command()
@user_errors
def generate(
    directory: Annotated[Path, typer.Option("--dir", help="Where to write the generated center.")],
    accounts: Annotated[int, typer.Option(min=5, help="Number of accounts (лицевые счета).")] = 1000,
    payments: Annotated[int, typer.Option(min=20, help="Number of payments across all registers.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 1,
    payers: Annotated[bool, typer.Option(help="List payers' own п/п (ЛС and month in the purpose) in the statement "
                                              "too, when the configuration has a channel for them.")] = True,
) -> None:
    """Generate a synthetic settlement center: suppliers, charges, registers, a bank statement."""
    from synthetic import GenerateError
    from synthetic import generate as make

    with out.status("Generating…"):
        try:
            day = make(directory, accounts=accounts, payments=payments, seed=seed, payers=payers)
        except GenerateError as exc:
            fail(str(exc))
    out.print(f"Generated day {day.run_date} in {day.dir}: {len(day.registers)} registers, "
              f"{len(day.statements)} statements; manifest {day.manifest}")  # fmt: skip
    out.print(f"The late п/п arrives in {day.next_day_statement}: drop it into inbox/statements/ for the next night.")


@app.command()
@user_errors
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Working directory for the demo.")] = Path("rkc-demo"),
    accounts: Annotated[int, typer.Option(min=5, help="Accounts (лицевые счета) of the generated center.")] = 2000,
    payments: Annotated[int, typer.Option(min=20, help="Payments across all registers of the night.")] = 10000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same day.")] = 1,
) -> None:
    """The whole system on SQLite: generate a day, import charges, run the night, write statements."""
    import os

    os.environ.pop("RKC_DATABASE_URL", None)  # the demo is the embedded default
    home = resolve_home(directory)
    prefect_env(home)
    config, _ = init_home(home)
    _enable_shared_schemas(config.home)
    _demo_signing(config.home)
    config = load_config(config.home)
    from flows.offline import adopt_temporary_server, start_temporary_server

    early = start_temporary_server()  # boots while the flows are imported and the day generated
    from flows.charges import charges_import
    from flows.nightly import nightly
    from flows.statements import supplier_statements
    from synthetic import GenerateError
    from synthetic import generate as make

    with out.status("Generating a synthetic settlement center…"):
        try:
            day = make(config.home, accounts=accounts, payments=payments, seed=seed, payers=True)
        except GenerateError as exc:
            fail(str(exc))
    adopt_temporary_server(early)
    with out.status("Importing charges…"):
        charges_import(charges=str(day.charges_csv), suppliers=str(day.suppliers_csv), home=str(config.home))
    with out.status("Reconciling the night…"):
        result = nightly(home=str(config.home), run_date=day.run_date)
    with out.status("Writing supplier statements…"):
        period = day.run_date.strftime("%Y-%m")
        written = supplier_statements(period=period, home=str(config.home))
    print_bridge(result, channel_names(config))
    out.print(f"Supplier statements ({len(written['files'])} files): {config.out / 'statements' / period}")
    out.print(f"Ledger: rkc ledger balances --home {config.home}")


def _demo_signing(home: Path) -> None:
    """A demo signs its manifests with the public demo key unless a real key is in the environment."""
    path = home / "rkc.yaml"
    path.write_text(re.sub(r"^signing: key$", "signing: demo", path.read_text(encoding="utf-8"), flags=re.M),
                    encoding="utf-8")  # fmt: skip


def _enable_shared_schemas(home: Path) -> None:
    """Point the demo's configuration at the official ГИС ЖКХ schemas when a checkout has them."""
    candidate = Path(__file__).resolve().parents[2] / "shared" / "samples" / "gis-zhkh-xsd-14.4.0.1"
    path = home / "rkc.yaml"
    text = path.read_text(encoding="utf-8")
    if candidate.is_dir() and re.search(r"^gis_xsd_dir:\s*$", text, flags=re.M):
        path.write_text(re.sub(r"^gis_xsd_dir:\s*$", f"gis_xsd_dir: {candidate}", text, flags=re.M), encoding="utf-8")
    elif not candidate.is_dir():
        err.print("ГИС ЖКХ schemas not found beside the checkout: notifications are checked without the XSD.")
