"""Turn a presented credential (JWT or API key) into a Principal, or say why not."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from cloudfold.db.models import ApiKey, RevokedToken
from cloudfold.domain import apikeys, users
from cloudfold.domain.context import Principal
from cloudfold.domain.principal_cache import PrincipalCache
from cloudfold.errors import Unauthorized
from cloudfold.security import jwt as jwt_tokens
from cloudfold.security.tokens import digest, looks_like_api_key


def resolve(session: Session, jwt_secret: str, credential: str, cache: PrincipalCache | None = None) -> Principal:
    """The principal behind a credential; an API key's principal is kept in ``cache`` (if given)
    for the next requests (see `principal_cache` for how long and what drops it)."""
    if looks_like_api_key(credential):
        principal, expires_at = _from_api_key(session, credential)
        if cache is not None:
            cache.put(credential, principal, expires_at)
        return principal
    return _from_jwt(session, jwt_secret, credential)


def _from_api_key(session: Session, credential: str) -> tuple[Principal, datetime | None]:
    key = session.scalar(select(ApiKey).options(joinedload(ApiKey.user))
                         .where(ApiKey.key_hash == digest(credential)))
    if key is None:
        raise Unauthorized("Invalid API key")
    if key.revoked_at is not None:
        raise Unauthorized("API key has been revoked" + (" (rotated)" if key.replaced_by else ""))
    if apikeys.is_expired(key):
        raise Unauthorized("API key has expired")
    user = key.user
    if not user.is_active:
        raise Unauthorized("Account is disabled")
    principal, expires_at = users.principal_for(user, scopes=frozenset(key.scopes), key=key), key.expires_at
    apikeys.touch(session, key)
    return principal, expires_at


def _from_jwt(session: Session, jwt_secret: str, credential: str) -> Principal:
    claims = jwt_tokens.verify(jwt_secret, credential)
    if claims is None:
        raise Unauthorized("Invalid or expired token")
    user = users.by_uuid(session, claims.subject)
    if user is None or not user.is_active or user.token_version != claims.token_version:
        raise Unauthorized("Invalid or expired token")
    if session.get(RevokedToken, claims.jti) is not None:
        raise Unauthorized("Token has been revoked")
    return dataclasses.replace(users.principal_for(user), token_id=claims.jti, token_expires_at=claims.expires_at)
