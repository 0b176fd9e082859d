"""`cloudfold prices refresh --account SLUG`: refresh the AWS part of the price catalogue from the
AWS Price List API with a registered AWS account's credentials (domain/costs/refresh.py);
`cloudfold prices show`: the catalogue in use."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from cloudfold.errors import CloudfoldError

app = typer.Typer(help="The price catalogue (instance type → hourly price).", no_args_is_help=True)


@app.command()
def refresh(account: str = typer.Option(..., "--account", help="The slug of a registered AWS account"),
            out: Path = typer.Option(None, "--out", help="Where to write (default: prices.json in the data dir)")) -> None:
    """Ask the AWS Price List API for the catalogue's AWS sizes; write the refreshed catalogue."""
    from cloudfold.cli.main import _settings
    from cloudfold.cli.ops import _sessions
    from cloudfold.domain.costs import refresh as refreshing
    from cloudfold.drivers.base import DriverError
    from cloudfold.security.secretbox import SecretBox

    settings = _settings()
    try:
        with _sessions(settings)() as session:
            done = refreshing.refresh_aws(session, SecretBox.from_settings(settings), settings, account, out)
    except (CloudfoldError, DriverError) as exc:
        typer.echo(f"error: {exc} (the catalogue in use is unchanged)", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{done.updated} price(s) refreshed into {done.path}"
               + (f"; not in the Price List: {', '.join(done.unknown)}" if done.unknown else ""))


@app.command()
def show() -> None:
    """Print the price catalogue in use (refreshed, else shipped)."""
    from cloudfold.cli.main import _settings
    from cloudfold.domain.costs import catalogue

    catalogue.use_file(Path(_settings().data_dir) / catalogue.REFRESHED_NAME)
    typer.echo(json.dumps(catalogue.prices(), indent=2))
