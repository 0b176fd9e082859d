"""Turn a presented credential (JWT or API key) into a Principal, or say why not."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.models import ApiKey, RevokedToken
from cloudfold.domain import apikeys, users
from cloudfold.domain.context import Principal
from cloudfold.errors import Unauthorized
from cloudfold.security import jwt as jwt_tokens
from cloudfold.security.tokens import digest, looks_like_api_key


def resolve(session: Session, jwt_secret: str, credential: str) -> Principal:
    if looks_like_api_key(credential):
        return _from_api_key(session, credential)
    return _from_jwt(session, jwt_secret, credential)


def _from_api_key(session: Session, credential: str) -> Principal:
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest(credential)))
    if key is None:
        raise Unauthorized("Invalid API key")
    if key.revoked_at is not None:
        raise Unauthorized("API key has been revoked" + (" (rotated)" if key.replaced_by else ""))
    if apikeys.is_expired(key):
        raise Unauthorized("API key has expired")
    user = key.user
    if not user.is_active:
        raise Unauthorized("Account is disabled")
    apikeys.touch(session, key)
    return users.principal_for(user, scopes=frozenset(key.scopes), key=key)


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
