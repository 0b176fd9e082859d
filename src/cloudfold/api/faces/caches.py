"""Seed 003 Cloud Cache (Redis): /caches, /caches/{id}, /caches/{id}/rotate-password. Each cache
is a real redis-server on the local engine (domain/caches); the password is answered once, by
the create and by a rotation."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from cloudfold.api.errors import responses
from cloudfold.api.faces.localcloud_common import NAME, Body, Deleted, ObjectOut, base, cloud, deleted
from cloudfold.domain import caches
from cloudfold.domain.localcloud.core import Cloud

router = APIRouter(prefix="/caches", tags=["caches"], responses=responses(401, 403, 429))
Policy = Literal[caches.EVICTION_POLICIES]  # type: ignore[valid-type]


class CacheIn(Body):
    name: str = NAME
    memory_mb: int = Field(strict=True, ge=caches.MIN_MEMORY_MB, le=caches.MAX_MEMORY_MB,
                           description=f"Redis's maxmemory in MB ({caches.MIN_MEMORY_MB}–{caches.MAX_MEMORY_MB}); "
                                       "the container may use this plus max(32 MB, a quarter) for Redis's overhead")
    persistence: bool = Field(False, strict=True, description="Append-only file in the container (kept across "
                              "restarts of the cache, not its delete); off: nothing is written to disk")
    vpc_id: str | None = Field(None, max_length=36, description="Put the cache in this VPC's first subnet "
                               "(published through the VPC's edge network); none: the engine's default network")
    eviction_policy: Policy = Field("allkeys-lru", description="Redis's maxmemory-policy")
    engine: Literal["redis"] = Field("redis", description="Only Redis is offered")
    version: Literal["7"] = Field("7", description="Redis major version (the cloudfold/redis:7 image)")


class Endpoint(BaseModel):
    host: str = Field(description="Where the owner connects (the engine's publish address)")
    port: int = Field(description="The published host port of Redis's 6379")


class Figures(BaseModel):
    used_memory: int = Field(description="Bytes Redis uses (INFO used_memory)")
    maxmemory: int = Field(description="Bytes (memory_mb)")
    keys: int = Field(description="Keys over every database")
    hits: int = Field(description="Keyspace hits since start")
    misses: int = Field(description="Keyspace misses since start")
    connected_clients: int
    evicted_keys: int
    uptime_seconds: int
    redis_version: str


class CacheOut(ObjectOut):
    engine: str
    version: str
    memory_mb: int
    container_memory_mb: int = Field(description="The container's memory limit: memory_mb plus headroom")
    persistence: bool
    eviction_policy: str
    vpc_id: str | None
    endpoint: Endpoint | None = Field(description="null while the cache publishes no port")


class CacheCreated(CacheOut):
    password: str = Field(description="Redis's password: shown only here (and by rotate-password); not stored "
                          "in the clear, never shown again")


class CacheDetail(CacheOut):
    stats: Figures | None = Field(description="Live figures from Redis's INFO; null when Redis does not answer")
    stats_error: str | None = Field(description="Why there are no figures")


class Rotated(BaseModel):
    success: bool = True
    id: str
    password: str = Field(description="The new password, shown only here; the old one is refused from now on")


def _fields(cache: caches.Cache) -> dict:
    obj, s = cache.obj, cache.obj.spec
    where = cache.endpoint
    return {**base(obj), "engine": s.get("engine", "redis"), "version": s.get("version", "7"),
            "memory_mb": s["memory_mb"], "container_memory_mb": s.get("memory"), "persistence": s["persistence"],
            "eviction_policy": s["eviction_policy"], "vpc_id": obj.vpc_id,
            "endpoint": Endpoint(host=where.host, port=where.port) if where else None}


@router.get("", response_model=list[CacheOut], summary="List your caches")
def list_caches(c: Cloud = Depends(cloud("read"))):
    return [CacheOut(**_fields(x)) for x in caches.list_mine(c)]


@router.post("", status_code=201, response_model=CacheCreated, summary="Provision a Redis cache",
             responses=responses(400, 404, 409, 422, 502, 503))
def create_cache(body: CacheIn, c: Cloud = Depends(cloud("write"))):
    made = caches.create(c, body.name, body.memory_mb, persistence=body.persistence, vpc_id=body.vpc_id,
                         eviction_policy=body.eviction_policy)
    return CacheCreated(**_fields(made), password=made.password)


@router.get("/{cache_id}", response_model=CacheDetail, summary="One cache: status, endpoint and live INFO figures",
            responses=responses(404, 502, 503))
def get_cache(cache_id: str, c: Cloud = Depends(cloud("read"))):
    cache = caches.get(c, cache_id)
    stats = Figures(**vars(cache.figures)) if cache.figures else None
    return CacheDetail(**_fields(cache), stats=stats, stats_error=cache.figures_error)


@router.post("/{cache_id}/rotate-password", response_model=Rotated, summary="Give the cache a new password",
             responses=responses(404, 409, 502, 503))
def rotate_password(cache_id: str, c: Cloud = Depends(cloud("write"))):
    cache = caches.rotate_password(c, cache_id)
    return Rotated(id=cache.obj.id, password=cache.password)


@router.delete("/{cache_id}", response_model=Deleted, summary="Stop and remove a cache",
               responses=responses(404, 409, 502, 503))
def delete_cache(cache_id: str, c: Cloud = Depends(cloud("write"))):
    return deleted(caches.delete(c, cache_id))
