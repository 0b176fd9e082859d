"""The Local cloud page's create and delete forms for VPCs, subnets and volumes: each checked by
the API face's own request model (`VpcIn`, `SubnetIn`, `VolumeIn`) and carried out by the same
domain functions `POST/DELETE /vpcs`, `/vpcs/{id}/subnets`, `/subnets/{id}` and `/volumes`
call (`domain/localcloud/networks`, `volumes`), so ownership, quotas, range overlaps (409) and
a volume in use (409) are the API's rules, audited as the API's are. The page itself is
`pages_local.py`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import Field

from cloudfold.api.faces.volumes import VolumeIn
from cloudfold.api.faces.vpcs import SubnetIn, VpcIn
from cloudfold.domain.localcloud import networks, volumes
from cloudfold.web.forms import removed, submitted
from cloudfold.web.pages_local import cloud_of, view
from cloudfold.web.render import PageRoute

router = APIRouter(prefix="/ui/local", route_class=PageRoute, include_in_schema=False)

NETWORKS, VOLUMES = "/ui/local#networks", "/ui/local#volumes"
VPC_FIELDS = ("cidr_block", "name")
SUBNET_FIELDS = ("cidr_block", "availability_zone", "name", "vpc_id")
VOLUME_FIELDS = ("size_gb", "name")


class SubnetForm(SubnetIn):
    """The subnet form: the API's body plus the VPC it goes in (the API's path parameter)."""
    vpc_id: str = Field("", max_length=64)


def _text(form: dict[str, str], *names: str) -> dict[str, str | None]:
    """The form's fields as the API's body: trimmed; an empty one None (the API's default, or
    its "valid integer" refusal), but an empty name or VPC stays "" (the API's refusal names it)."""
    return {n: form.get(n, "").strip() or ("" if n in ("name", "vpc_id") else None) for n in names}


async def _create(request: Request, which: str, model, body_of, fields: tuple[str, ...], act, done: str,
                  aliases: dict[str, str] | None = None):
    def again(session, p, form: dict[str, str], status: int, errors: dict[str, str]):
        return view(request, session, p, status, which=which, values=form, errors=errors)

    def run(session, p, body):
        return act(cloud_of(request, session, p), body)

    return await submitted(request, model, body_of, fields, run, again, done, aliases)


@router.post("/vpcs")
async def create_vpc(request: Request):
    return await _create(request, "vpc", VpcIn, lambda form: _text(form, "name", "cidr_block"), VPC_FIELDS,
                         lambda cloud, body: networks.create_vpc(cloud, body.name, body.cidr_block), NETWORKS)


@router.post("/subnets")
async def create_subnet(request: Request):
    def act(cloud, body: SubnetForm):
        return networks.create_subnet(cloud, body.vpc_id, body.name, body.cidr_block, body.availability_zone)

    return await _create(request, "subnet", SubnetForm,
                         lambda form: _text(form, "vpc_id", "name", "cidr_block", "availability_zone"), SUBNET_FIELDS,
                         act, NETWORKS, aliases={"VPC": "vpc_id"})


@router.post("/volumes")
async def create_volume(request: Request):
    return await _create(request, "volume", VolumeIn, lambda form: _text(form, "name", "size_gb"), VOLUME_FIELDS,
                         lambda cloud, body: volumes.create(cloud, body.name, body.size_gb), VOLUMES)


@router.post("/vpcs/{vpc_id}/delete")
async def delete_vpc(request: Request, vpc_id: str):
    return await removed(request, lambda s, p: networks.delete_vpc(cloud_of(request, s, p), vpc_id), NETWORKS)


@router.post("/subnets/{subnet_id}/delete")
async def delete_subnet(request: Request, subnet_id: str):
    return await removed(request, lambda s, p: networks.delete_subnet(cloud_of(request, s, p), subnet_id), NETWORKS)


@router.post("/volumes/{volume_id}/delete")
async def delete_volume(request: Request, volume_id: str):
    return await removed(request, lambda s, p: volumes.delete(cloud_of(request, s, p), volume_id), VOLUMES)
