"""`rkc qr UIP`: the ГОСТ Р 56042 payload of a ПД's receipt QR code, and optionally its PNG."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from rkc.cli_common import Home, fail, home_of, out, user_errors
from rkc.config import load_config

app = typer.Typer()


@app.command()
@user_errors
def qr(
    ctx: typer.Context,
    uip: Annotated[str, typer.Argument(help="The ПД's УИП (an ИПД goes into the payload's UIN).")],
    png: Annotated[Path | None, typer.Option("--png", help="Also draw the QR code into this PNG file.")] = None,
    home: Home = None,
) -> None:
    """Print the receipt QR payload of a ПД (ГОСТ Р 56042-2014): the center as payee, the ПД's ЛС,
    period, total and ИПД."""
    from domain.qr import QrError
    from rkc.context import open_existing
    from rkc.qr import DocumentNotFound, receipt_payload

    config = load_config(home_of(ctx, home))
    engine = open_existing(config)
    try:
        payload = receipt_payload(config, engine, uip)
    except DocumentNotFound as exc:
        fail(str(exc))
    except QrError as exc:
        fail(f"the center's requisites in rkc.yaml (center.*) do not make a valid payment: {exc}")
    finally:
        engine.dispose()
    sys.stdout.write(payload + "\n")
    if png is not None:
        from reports.qr_png import write_png

        out.print(f"QR code: {write_png(payload, png)}", highlight=False)
