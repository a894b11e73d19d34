"""``rkc init`` and ``rkc db upgrade``: the working directory and its database's schema."""

from __future__ import annotations

import typer

from rkc.cli_common import Home, home_of, out, user_errors
from rkc.config import init_home, load_config
from rkc.context import open_database

app = typer.Typer()
db_app = typer.Typer(help="The database's schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.command()
@user_errors
def init(ctx: typer.Context, home: Home = None) -> None:
    """Create the working directory: config, inbox/outbox folders and a migrated database."""
    config, created = init_home(home_of(ctx, home))
    open_database(config).dispose()
    state = "written" if created else "kept (already there)"
    out.print(f"Working directory {config.home}: configuration {state}; database ready.")
    out.print(f"Channels: {', '.join(config.inbox_channels)}. Drop registers into {config.inbox}/<channel>/.")
    if config.direct_channel:
        out.print(f"Payers' own п/п in the bank statements ({config.statements_inbox}/) are payments of channel "
                  f"{config.direct_channel}.")  # fmt: skip


@db_app.command("upgrade")
@user_errors
def db_upgrade(ctx: typer.Context, home: Home = None) -> None:
    """Create the rkc schema in the configured database, or bring it up to this version's."""
    from sql.engine import display_url, schema_revision

    config = load_config(home_of(ctx, home))
    engine = open_database(config)
    try:
        revision = schema_revision(engine)
    finally:
        engine.dispose()
    out.print(f"Database {display_url(config.database_url)}: schema at revision {revision}.", highlight=False,
              soft_wrap=True)  # fmt: skip
