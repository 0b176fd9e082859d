"""The dashboard's pages: Overview, Inventory and a machine's detail. Each reads through the
domain core the API uses (`domain/dashboard`, `domain/inventory`, `domain/actions`) under the
signed-in user's visibility, and holds no rule of its own."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cloudfold.api.deps import context, count_action, get_runtime, get_session
from cloudfold.domain import actions, dashboard, inventory
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime
from cloudfold.web.forms import pager
from cloudfold.web.render import PageRoute, page, redirect
from cloudfold.web.session import checked_form, page_principal

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)

PAGE_SIZES = (25, 50, 100)
KINDS = (*inventory.COMPUTE, *inventory.STORAGE, *inventory.NETWORK)
SORTS = {"oldest": "Oldest first", "newest": "Newest first"}
ACTION_PATH = "POST /ui/machines/{id}/action"


@router.get("")
def overview(request: Request, session: Session = Depends(get_session), p: Principal = Depends(page_principal)):
    stats = dashboard.stats(session, p)
    return page(request, "overview.html", stats=stats, groups=dashboard.breakdown(session, p))


@router.get("/inventory")
def inventory_page(request: Request, kind: str = Query("", max_length=32), provider: str = Query("", max_length=32),
                   status: str = Query("", max_length=32), region: str = Query("", max_length=64),
                   q: str = Query("", max_length=100), sort: str = Query("oldest", pattern="^(oldest|newest)$"),
                   page_no: int = Query(1, alias="page", ge=1, le=100_000), size: int = Query(50, ge=1, le=100),
                   runtime: Runtime = Depends(get_runtime), p: Principal = Depends(page_principal)):
    size = size if size in PAGE_SIZES else 50
    filters = inventory.Filters(kinds=(kind,) if kind else None, provider=provider or None, status=status or None,
                                region=region or None, search=q or None)
    rows, total = inventory.page_rows(runtime.engine, p, filters, skip=(page_no - 1) * size, limit=size,
                                      newest_first=sort == "newest")
    chosen = {"q": q, "kind": kind, "provider": provider, "status": status, "region": region}
    links = pager("/ui/inventory", {**chosen, "sort": sort, "size": size}, page_no, size, total)
    return page(request, "inventory.html", rows=rows, total=total, chosen=chosen, kinds=KINDS, size=size,
                sort=sort, sorts=SORTS, sizes=PAGE_SIZES, pager=links)


def _machine(request: Request, session: Session, p: Principal, resource_id: int, status: int = 200, **values):
    row = inventory.get(session, p, resource_id)
    return page(request, "machine.html", status, row=row, history=actions.history(session, row, 20),
                offered=actions.offered(p, row), **values)


@router.get("/machines/{resource_id}")
def machine(request: Request, resource_id: int, session: Session = Depends(get_session),
            p: Principal = Depends(page_principal)):
    return _machine(request, session, p, resource_id)


@router.post("/machines/{resource_id}/action")
async def act(request: Request, resource_id: int, runtime: Runtime = Depends(get_runtime)):
    form = await checked_form(request)
    p: Principal = request.state.ui_principal
    await count_action(runtime, p)  # the API's limit on machine actions, per user

    def run():
        with runtime.sessions() as session:
            row = inventory.get(session, p, resource_id)
            actions.perform(session, context(request, p), runtime.events, runtime.secretbox, runtime.settings, row,
                            form.get("action", ""), via=ACTION_PATH)

    await run_in_threadpool(run)
    return redirect(f"/ui/machines/{resource_id}")
