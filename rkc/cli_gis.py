"""`rkc gis …`: the outbound ГИС ЖКХ exchange (docs/GIS.md). rkc makes no network call: files go
out through the ГИС ЖКХ client, and its answers come back as files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rkc.cli_common import Home, fail, home_of, out, parse_date, user_errors
from rkc.config import load_config

app = typer.Typer()
gis_app = typer.Typer(help="ГИС ЖКХ: payment notifications and квитирование out, answers in.", no_args_is_help=True)
answers_app = typer.Typer(help="ГИС ЖКХ's answers to the exported requests.", no_args_is_help=True)
gis_app.add_typer(answers_app, name="answers")
app.add_typer(gis_app, name="gis")

WAITING_RU = {
    "no_document": "платёж в невыясненных: нет ПД",
    "no_identifier": "у ПД нет ИПД, у платежа нет ИЖКУ",
    "ack_no_ipd": "квитирование: у ПД нет ИПД",
    "ack_notification_not_accepted": "квитирование: извещение ещё не принято ГИС ЖКХ",
    "ack_no_order_org": "квитирование: для канала не задан orgPPAGUID (gis_export.order_orgs)",
    "ack_no_service_type": "квитирование: услуге не задан вид в ГИС ЖКХ (gis_export.services)",
}


@gis_app.command("export")
@user_errors
def gis_export(
    ctx: typer.Context,
    run_date: Annotated[
        str | None, typer.Option("--date", help="Operating date YYYY-MM-DD (default: today on the center's clock).")
    ] = None,
    home: Home = None,
) -> None:
    """Write the date's requests into out/<date>/gis/: notifications, квитирование, its cancellations.

    Items already exported are not exported again; the date's files come out the same, byte for byte."""
    from parsers.gis_xsd import SchemaConfigError
    from rkc.context import open_database
    from rkc.gis_export import export_day

    config = load_config(home_of(ctx, home))
    when = parse_date(run_date) or config.today()
    engine = open_database(config)
    try:
        result = export_day(config, engine, when)
    except SchemaConfigError as exc:
        fail(f"gis_xsd_dir: {exc}")
    finally:
        engine.dispose()
    new = ", ".join(f"{kind} {count}" for kind, count in result.new_items.items())
    out.print(f"New items: {new}. Files of {when:%d.%m.%Y}: {len(result.files)} in {result.directory} "
              f"({len(result.written)} written, {len(result.files) - len(result.written)} unchanged).")  # fmt: skip
    if result.waiting:
        table = Table("Не выгружено (not exported yet)", "Платежей / строк")
        for reason, count in result.waiting.items():
            table.add_row(WAITING_RU.get(reason, reason), str(count))
        out.print(table)


@answers_app.command("load")
@user_errors
def answers_load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="An answer saved from the ГИС ЖКХ client (getStateResult XML).")],
    home: Home = None,
) -> None:
    """Record ГИС ЖКХ's answer: each item accepted or rejected (rejected ones go into the run report)."""
    from parsers.gis_xsd import SchemaConfigError
    from rkc.context import open_database
    from rkc.gis_export import load_answers

    config = load_config(home_of(ctx, home))
    if not file.is_file():
        fail(f"{file}: no such file")
    engine = open_database(config)
    try:
        result = load_answers(config, engine, file)
    except SchemaConfigError as exc:
        fail(f"gis_xsd_dir: {exc}")
    finally:
        engine.dispose()
    out.print(f"{result.file}: {result.accepted} accepted, {result.rejected} rejected, "
              f"{len(result.unknown)} of no exported item.")  # fmt: skip
    for guid in result.unknown:
        out.print(f"  unknown TransportGUID {guid}", highlight=False)
    if result.message_error is not None:
        code, text = result.message_error
        fail(f"ГИС ЖКХ refused the whole message: {code}: {text}", code=1)
