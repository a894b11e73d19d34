"""The ``rkc`` command line's root: the application, its --home option, and every command module.

The command line is a tree: this module registers the command modules (``rkc.cli_*``), which
import ``rkc.cli_common`` and the application, never each other nor this module. The console
script enters through ``rkc.__main__.main``, which names Arrow's allocator before these imports
load pyarrow.
"""

from __future__ import annotations

import typer

from rkc import cli_flows, cli_gis, cli_home, cli_ledger, cli_money, cli_qr, cli_refunds, cli_transport, cli_web
from rkc.cli_common import Home

app = typer.Typer(
    help="rkc: nightly reconciliation of ЖКУ payments for a regional settlement center (РКЦ).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
for commands in (cli_home, cli_ledger, cli_flows, cli_money, cli_refunds, cli_gis, cli_qr, cli_transport, cli_web):
    app.add_typer(commands.app)


@app.callback()
def main(ctx: typer.Context, home: Home = None) -> None:
    """Commands take --home (or $RKC_HOME) for the working directory made by `rkc init`."""
    ctx.obj = {"home": home}
