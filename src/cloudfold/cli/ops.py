"""What the CLI commands do, through the same domain services the API uses."""

from __future__ import annotations

import typer

from cloudfold.db.engine import make_engine, make_session_factory
from cloudfold.domain import apikeys, users
from cloudfold.domain.context import Context
from cloudfold.errors import CloudfoldError
from cloudfold.security.scopes import Role
from cloudfold.settings import Settings

CLI = Context(principal=None, ip="cli", request_id=None, extra={"cli": True})


def _sessions(settings: Settings):
    from cloudfold.cli.main import _migrate

    _migrate(settings)
    return make_session_factory(make_engine(settings.sqlalchemy_url))


def _fail(exc: CloudfoldError) -> None:
    typer.echo(f"error: {exc.message}", err=True)
    raise typer.Exit(1)


def create_user(settings: Settings, email: str, password: str, name: str, admin: bool):
    with _sessions(settings)() as session:
        try:
            return users.register(session, CLI, email, password, name, Role.admin if admin else Role.member)
        except CloudfoldError as exc:
            _fail(exc)


def create_key(settings: Settings, email: str, name: str, scopes: list[str] | None, days: int | None) -> str:
    with _sessions(settings)() as session:
        user = users.by_email(session, email)
        if user is None:
            typer.echo(f"error: no user {email}", err=True)
            raise typer.Exit(1)
        try:
            _, key = apikeys.create(session, CLI, user, name, scopes, expires_in_days=days)
        except CloudfoldError as exc:
            _fail(exc)
        return key


def rotate_credentials_key(settings: Settings) -> int:
    from sqlalchemy import select

    from cloudfold.db.models import Account, AlertChannel, CacheSecret
    from cloudfold.domain import audit
    from cloudfold.security.secretbox import SecretBox, SecretBoxError, add_new_key

    try:
        add_new_key(settings)
    except SecretBoxError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    box = SecretBox.from_settings(settings)
    with _sessions(settings)() as session:
        rows = list(session.scalars(select(Account).where(Account.credentials_sealed.is_not(None))))
        for account in rows:
            account.credentials_sealed = box.rotate(account.credentials_sealed)
        channels = list(session.scalars(select(AlertChannel).where(AlertChannel.secret_sealed.is_not(None))))
        for channel in channels:  # alert channels' URLs and headers (domain/alerts/channels.py)
            channel.secret_sealed = box.rotate(channel.secret_sealed)
        secrets = list(session.scalars(select(CacheSecret)))
        for secret in secrets:  # caches' Redis passwords (domain/caches)
            secret.password_sealed = box.rotate(secret.password_sealed)
        audit.record(session, CLI, "credentials.rotate_key", actor="cli",
                     detail={"accounts": len(rows), "alert_channels": len(channels), "caches": len(secrets)})
        session.commit()
    return len(rows)
