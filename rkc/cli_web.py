"""`rkc serve` (the accountants' workbench) and `rkc users add|disable`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from rkc.cli_common import Home, fail, home_of, out, user_errors
from rkc.config import load_config

app = typer.Typer()
users_app = typer.Typer(help="Workbench users: accountants, senior accountants, viewers.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@app.command()
@user_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8080,
    home: Home = None,
) -> None:
    """Serve the accountants' workbench (docs/WORKBENCH.md). Put it behind HTTPS: its cookies are Secure."""
    import uvicorn

    from rkc.context import open_database
    from rkc.web.app import create_app

    config = load_config(home_of(ctx, home))
    engine = open_database(config)
    try:
        uvicorn.run(create_app(config, engine), host=host, port=port, proxy_headers=False, server_header=False)
    finally:
        engine.dispose()


@users_app.command("add")
@user_errors
def users_add(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="The user's login.")],
    role: Annotated[str, typer.Option("--role", help="accountant, senior or viewer.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    home: Home = None,
) -> None:
    """Add a workbench user; the password is read from stdin (its first line), never from the command line."""
    from rkc.context import open_database
    from rkc.users import UserError, add_user

    if not password_stdin:
        fail("give the password on stdin with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    engine = open_database(load_config(home_of(ctx, home)))
    try:
        add_user(engine, login, role, password)
    except UserError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    out.print(f"user {login} added ({role})")


@users_app.command("disable")
@user_errors
def users_disable(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="The user's login.")],
    home: Home = None,
) -> None:
    """Disable a workbench user and end their sessions."""
    from rkc.context import open_database
    from rkc.users import UserError, disable_user

    engine = open_database(load_config(home_of(ctx, home)))
    try:
        disable_user(engine, login)
    except UserError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    out.print(f"user {login} disabled")
