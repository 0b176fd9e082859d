"""Seed 002 inventory: /inventory/vms|storage|networks and /inventory/{id}, with
X-Total-Count, X-Page-Size and X-Page-Number headers."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic_core import to_json
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_session, read, require
from cloudfold.api.errors import responses
from cloudfold.api.params import RecordId, Skip
from cloudfold.api.faces.resource_schemas import InventoryItem, inventory_item
from cloudfold.domain import inventory
from cloudfold.domain.context import Principal

router = APIRouter(prefix="/inventory", tags=["inventory"], responses=responses(400, 401, 403, 422, 429))


def _listing(group: str):
    async def endpoint(request: Request, provider: str | None = Query(None, max_length=32),
                       region: str | None = Query(None, max_length=64), status: str | None = Query(None, max_length=32),
                       search: str | None = Query(None, max_length=100, description=(
                           "cloudfold's extension: part of the name or the provider's id, any case")),
                       skip: Skip = 0, limit: int = Query(100, ge=1, le=1000),
                       p: Principal = Depends(require("read"))) -> Response:
        f = inventory.Filters(kinds=inventory.GROUPS[group], provider=provider, region=region, status=status,
                              search=search)
        rows, total = await read(request.app.state.runtime, inventory.page_rows, p, f, skip, limit)
        # plain rows shaped as dicts and serialised by pydantic's core in one call (the read path's cost)
        return Response(to_json([inventory_item(r) for r in rows]), media_type="application/json",
                        headers={"X-Total-Count": str(total), "X-Page-Size": str(limit),
                                 "X-Page-Number": str(skip // limit + 1)})

    endpoint.__name__ = f"inventory_{group}"
    return endpoint


for _group, _summary in (("vms", "Virtual machines and containers"), ("storage", "Buckets and volumes"),
                         ("networks", "VPCs, networks and subnets")):
    router.add_api_route(f"/{_group}", _listing(_group), methods=["GET"], response_model=list[InventoryItem],
                         summary=_summary)


@router.get("/{resource_id}", response_model=InventoryItem, summary="One resource", responses=responses(404))
def get_item(resource_id: RecordId, session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return inventory_item(inventory.get(session, p, resource_id))
