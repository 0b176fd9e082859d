"""`cloudfold quota show|set`: the quota defaults, or one user's limits and use, from the shell,
through the same domain services as /api/quotas (changes audited as done by the CLI)."""

from __future__ import annotations

import json

import typer

from cloudfold import capabilities
from cloudfold.domain import quotas, users
from cloudfold.domain.quotas import limits
from cloudfold.errors import BadRequest, CloudfoldError

capabilities.load()  # every capability's quota, as the server knows them

app = typer.Typer(help="Show and set per-user quotas.", no_args_is_help=True)
USER = typer.Option(None, "--user", help="A user's email: their limits and use (default: the defaults).")


def _settings():
    from cloudfold.cli.main import _settings

    return _settings()


def _user_id(session, email: str) -> int:
    user = users.by_email(session, email)
    if user is None:
        raise BadRequest(f"no user {email}")
    return user.id


def _show(session, settings, email: str | None) -> dict:
    if email is None:
        return quotas.describe_defaults(session, settings)
    user_id = _user_id(session, email)
    return quotas.report(session, settings, user_id, limits.user(session, user_id).role == "admin")


def _parse(pairs: list[str]) -> dict[str, int | None]:
    """NAME=LIMIT words; LIMIT `none` clears the value set before."""
    out: dict[str, int | None] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise BadRequest(f"{pair!r} is not NAME=LIMIT")
        try:
            out[name] = None if value.lower() == "none" else int(value)
        except ValueError:
            raise BadRequest(f"{pair!r}: the limit is a whole number, or none to clear it") from None
    return out


def _run(email: str | None, pairs: list[str] | None = None) -> None:
    from cloudfold.cli.ops import CLI, _sessions

    settings = _settings()
    with _sessions(settings)() as session:
        try:
            if pairs is not None:
                changes = _parse(pairs)
                if email is None:
                    limits.set_defaults(session, CLI, changes)
                else:
                    limits.set_overrides(session, CLI, _user_id(session, email), changes)
            typer.echo(json.dumps(_show(session, settings, email), indent=2))
        except CloudfoldError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(1) from None


@app.command("show")
def show(user: str | None = USER) -> None:
    """Print the default limits (with where each comes from), or one user's limits and use."""
    _run(user)


@app.command("set")
def set_(pairs: list[str] = typer.Argument(..., help="NAME=LIMIT, e.g. vpcs=3; LIMIT none clears it."),
         user: str | None = USER) -> None:
    """Set default limits (admin-set defaults), or one user's overrides with --user."""
    _run(user, pairs)
