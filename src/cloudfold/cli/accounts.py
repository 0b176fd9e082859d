"""`cloudfold invite create` and `cloudfold outbox show`: the operator's side of sign-up and mail."""

from __future__ import annotations

from datetime import timedelta

import typer

from cloudfold.db.base import utcnow
from cloudfold.settings import Settings

invite_app = typer.Typer(help="Sign-up invitations (for CLOUDFOLD_SIGNUP=invite).", no_args_is_help=True)
outbox_app = typer.Typer(help="Read the outbox notifier's messages (sealed in the database).",
                         no_args_is_help=True)


def _settings() -> Settings:
    from cloudfold.cli.main import _settings as settings

    return settings()


@invite_app.command("create")
def invite_create(
    email: str = typer.Option(None, "--email", help="Only this address may use the invitation."),
    days: int = typer.Option(7, "--days", min=0, help="Expire after this many days (0: never)."),
) -> None:
    """Make an invitation and print its token (it is shown only once)."""
    from cloudfold.cli.ops import CLI, _fail, _sessions
    from cloudfold.domain import invitations
    from cloudfold.errors import CloudfoldError

    expires = utcnow() + timedelta(days=days) if days else None
    with _sessions(_settings())() as session:
        try:
            _, token = invitations.create(session, CLI, email, expires)
        except CloudfoldError as exc:
            _fail(exc)
    typer.echo(token)


@outbox_app.command("show")
def outbox_show(
    to: str = typer.Option(None, "--to", help="Only messages to this address."),
    limit: int = typer.Option(20, "--limit", min=1, help="How many of the newest messages."),
) -> None:
    """Print the newest outbox messages, opened with the data directory's key."""
    from cloudfold.cli.ops import _sessions
    from cloudfold.domain.users import normalise_email
    from cloudfold.notify.outbox import messages, open_body
    from cloudfold.security.secretbox import SecretBox, SecretBoxError

    settings = _settings()
    box = SecretBox.from_settings(settings)
    with _sessions(settings)() as session:
        for msg in messages(session, normalise_email(to) if to else None, limit):
            try:
                body = open_body(box, msg)
            except SecretBoxError as exc:
                body = f"({exc})"
            typer.echo(f"--- #{msg.id} {msg.created_at:%Y-%m-%d %H:%M:%S}Z to {msg.recipient}: {msg.subject}\n{body}")
