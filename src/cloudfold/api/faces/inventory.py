"""Seed 002 inventory: /inventory/vms|storage|networks and /inventory/{id}, with
X-Total-Count, X-Page-Size and X-Page-Number headers."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.params import RecordId, Skip
from cloudfold.api.faces.resource_schemas import InventoryItem, inventory_item
from cloudfold.domain import inventory
from cloudfold.domain.context import Principal

router = APIRouter(prefix="/inventory", tags=["inventory"], responses=responses(401, 403, 422, 429))


def _listing(group: str):
    def endpoint(response: Response, provider: str | None = Query(None, max_length=32),
                 region: str | None = Query(None, max_length=64), status: str | None = Query(None, max_length=32),
                 skip: Skip = 0, limit: int = Query(100, ge=1, le=1000),
                 session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
        f = inventory.Filters(kinds=inventory.GROUPS[group], provider=provider, region=region, status=status)
        rows, total = inventory.page(session, p, f, skip, limit)
        response.headers["X-Total-Count"] = str(total)
        response.headers["X-Page-Size"] = str(limit)
        response.headers["X-Page-Number"] = str(skip // limit + 1)
        return [inventory_item(r) for r in rows]

    endpoint.__name__ = f"inventory_{group}"
    return endpoint


for _group, _summary in (("vms", "Virtual machines and containers"), ("storage", "Buckets and volumes"),
                         ("networks", "VPCs, networks and subnets")):
    router.add_api_route(f"/{_group}", _listing(_group), methods=["GET"], response_model=list[InventoryItem],
                         summary=_summary)


@router.get("/{resource_id}", response_model=InventoryItem, summary="One resource", responses=responses(404))
def get_item(resource_id: RecordId, session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return inventory_item(inventory.get(session, p, resource_id))
