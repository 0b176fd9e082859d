"""The Local cloud page's create and delete forms for VPCs, subnets and volumes: each checked by
the API face's own request model (`VpcIn`, `SubnetIn`, `VolumeIn`) and carried out by the same
domain functions `POST/DELETE /vpcs`, `/vpcs/{id}/subnets`, `/subnets/{id}` and `/volumes`
call (`domain/localcloud/networks`, `volumes`), so ownership, quotas, range overlaps (409) and
a volume in use (409) are the API's rules, audited as the API's are. The page itself is
`pages_local.py`."""

from __future__ import annotations

from fastapi import APIRouter, Request

from cloudfold.api.faces.volumes import VolumeIn
from cloudfold.api.faces.vpcs import SubnetIn, VpcIn
from cloudfold.domain.localcloud import networks, volumes
from cloudfold.web.forms import removed, scoped_form, submitted
from cloudfold.web.pages_local import cloud_of, view
from cloudfold.web.render import PageRoute

router = APIRouter(prefix="/ui/local", route_class=PageRoute, include_in_schema=False)

NETWORKS, VOLUMES = "/ui/local#networks", "/ui/local#volumes"
VPC_FIELDS = ("cidr_block", "name")
SUBNET_FIELDS = ("cidr_block", "availability_zone", "name", "vpc_id")
VOLUME_FIELDS = ("size_gb", "name")


def _text(form: dict[str, str], *names: str) -> dict[str, str | None]:
    """The form's fields as the API's body: trimmed, an empty optional one left out (None)."""
    return {n: form.get(n, "").strip() or (None if n != "name" else "") for n in names}


async def _create(request: Request, which: str, model, data: dict, fields: tuple[str, ...], act, done: str,
                  aliases: dict[str, str] | None = None):
    p, form = await scoped_form(request, "write")

    def again(session, status: int, errors: dict[str, str]):
        return view(request, session, p, status, which=which, values=form, errors=errors)

    return await submitted(request, model, data(form), fields,
                           lambda session, body: act(cloud_of(request, session, p), body, form), again, done, aliases)


@router.post("/vpcs")
async def create_vpc(request: Request):
    return await _create(request, "vpc", VpcIn, lambda form: _text(form, "name", "cidr_block"), VPC_FIELDS,
                         lambda cloud, body, _: networks.create_vpc(cloud, body.name, body.cidr_block), NETWORKS)


@router.post("/subnets")
async def create_subnet(request: Request):
    def act(cloud, body, form):
        return networks.create_subnet(cloud, form.get("vpc_id", ""), body.name, body.cidr_block,
                                      body.availability_zone)

    return await _create(request, "subnet", SubnetIn,
                         lambda form: _text(form, "name", "cidr_block", "availability_zone"), SUBNET_FIELDS, act,
                         NETWORKS, aliases={"VPC": "vpc_id"})


@router.post("/volumes")
async def create_volume(request: Request):
    return await _create(request, "volume", VolumeIn,
                         lambda form: {"name": form.get("name", "").strip(), "size_gb": form.get("size_gb", "").strip()},
                         VOLUME_FIELDS, lambda cloud, body, _: volumes.create(cloud, body.name, body.size_gb), VOLUMES)


@router.post("/vpcs/{vpc_id}/delete")
async def delete_vpc(request: Request, vpc_id: str):
    return await removed(request, lambda s, p: networks.delete_vpc(cloud_of(request, s, p), vpc_id), NETWORKS)


@router.post("/subnets/{subnet_id}/delete")
async def delete_subnet(request: Request, subnet_id: str):
    return await removed(request, lambda s, p: networks.delete_subnet(cloud_of(request, s, p), subnet_id), NETWORKS)


@router.post("/volumes/{volume_id}/delete")
async def delete_volume(request: Request, volume_id: str):
    return await removed(request, lambda s, p: volumes.delete(cloud_of(request, s, p), volume_id), VOLUMES)
