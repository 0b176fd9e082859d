"""The ``cloudfold`` command."""

from __future__ import annotations

import typer

import os

from cloudfold import __version__
from cloudfold.cli.accounts import invite_app, outbox_app
from cloudfold.cli.images import app as images_app
from cloudfold.cli.prices import app as prices_app
from cloudfold.cli.quotas import app as quota_app

app = typer.Typer(help="cloudfold: one self-hosted control plane for many clouds.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
apikey_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(apikey_app, name="apikey")
credentials_app = typer.Typer(help="Manage the encryption of stored cloud credentials.", no_args_is_help=True)
app.add_typer(credentials_app, name="credentials")
app.add_typer(images_app, name="images")
tasks_app = typer.Typer(help="Follow background tasks.", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")
app.add_typer(invite_app, name="invite")
app.add_typer(outbox_app, name="outbox")
app.add_typer(quota_app, name="quota")
app.add_typer(prices_app, name="prices")  # issue 11


@app.callback()
def main(ctx: typer.Context) -> None:
    """cloudfold: one self-hosted control plane for many clouds."""
    if ctx.invoked_subcommand != "images":  # root filesystems are built for the engine to read
        os.umask(0o077)  # whatever else a command writes (database, keys) is the operator's alone


def _settings():
    from cloudfold.settings import Settings

    return Settings()


def _migrate(settings) -> None:
    from cloudfold.datadir import ensure_data_dir
    from cloudfold.db.migrate import upgrade

    ensure_data_dir(settings)
    upgrade(settings.sqlalchemy_url)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


DEBUG = typer.Option(False, "--debug", help="On a start-up failure, show the traceback, not one line.")


@app.command()
def migrate(debug: bool = DEBUG) -> None:
    """Bring the database schema up to date."""
    from cloudfold.cli import startup

    with startup.reported(debug):
        startup.prepare(startup.load_settings())
    typer.echo("database is up to date")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    debug: bool = DEBUG,
) -> None:
    """Run the API, the web pages and the background work in one process (migrates first)."""
    import uvicorn

    from cloudfold.cli import startup
    from cloudfold.logging_setup import configure

    with startup.reported(debug):
        settings = startup.load_settings()
        startup.prepare(settings)
        startup.check_port(host, port)
    log_config = configure(settings.log_level)
    uvicorn.run("cloudfold.api.app:create_app", factory=True, host=host, port=port, log_config=log_config,
                proxy_headers=False, server_header=False)


@user_app.command("create")
def user_create(
    email: str,
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    admin: bool = typer.Option(False, "--admin", help="Grant the admin role (read, write, admin)."),
    name: str = typer.Option("", help="Full name."),
) -> None:
    """Create a user."""
    from cloudfold.cli.ops import create_user

    user = create_user(_settings(), email, password, name, admin)
    typer.echo(f"created user {user.email} (id {user.id}, uuid {user.uuid}, role {user.role})")


@apikey_app.command("create")
def apikey_create(
    email: str = typer.Option(..., "--user", help="The owner's email."),
    name: str = typer.Option("cli", help="A name for the key."),
    scopes: list[str] = typer.Option(None, "--scope", help="A scope (read, write, admin); repeat. Default: the owner's."),
    days: int = typer.Option(None, help="Expire after this many days."),
) -> None:
    """Create an API key and print it (it is shown only once)."""
    from cloudfold.cli.ops import create_key

    key = create_key(_settings(), email, name, scopes or None, days)
    typer.echo(key)


@app.command()
def sync(account: str = typer.Argument(..., help="The provider account's id (slug) or number.")) -> None:
    """Sync one account's inventory now, with a progress bar."""
    from cloudfold.cli.sync import run_sync

    raise typer.Exit(run_sync(_settings(), account))


@tasks_app.command("wait")
def tasks_wait(
    task_id: str = typer.Argument(..., help="The task's id (e.g. the task_id POST /api/containers answers)."),
    timeout: float = typer.Option(600.0, help="Give up after this many seconds."),
) -> None:
    """Follow a task until it ends: a progress bar, its log lines, then its result."""
    from cloudfold.cli.tasks import wait

    raise typer.Exit(wait(_settings(), task_id, timeout))


@credentials_app.command("rotate-key")
def rotate_key() -> None:
    """Make a new credentials encryption key and re-encrypt every stored credential with it."""
    from cloudfold.cli.ops import rotate_credentials_key

    count = rotate_credentials_key(_settings())
    typer.echo(f"re-encrypted {count} account credential(s) with a new key")
