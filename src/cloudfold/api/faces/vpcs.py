"""Seed 003 Networks (VPC) and Subnets: /vpcs, /vpcs/{vpc_id}/subnets, /subnets/{id}."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import Field

from cloudfold.api.errors import responses
from cloudfold.api.faces.localcloud_common import NAME, Body, Deleted, ObjectOut, base, cloud, deleted
from cloudfold.db.models import CloudObject
from cloudfold.domain.localcloud import networks
from cloudfold.domain.localcloud.core import Cloud

router = APIRouter(tags=["vpcs"], responses=responses(401, 403, 429))
CIDR = Field(None, max_length=18, description="IPv4 CIDR block, e.g. 10.0.1.0/24 (allocated when left out)")


class VpcIn(Body):
    name: str = NAME
    cidr_block: str | None = CIDR


class SubnetIn(Body):
    name: str = NAME
    cidr_block: str | None = CIDR
    availability_zone: str | None = Field(None, max_length=64)


class VpcOut(ObjectOut):
    cidr_block: str


class SubnetOut(ObjectOut):
    vpc_id: str
    cidr_block: str
    availability_zone: str
    gateway: str | None


def vpc_out(obj: CloudObject) -> VpcOut:
    return VpcOut(**base(obj), cidr_block=obj.spec["cidr_block"])


def subnet_out(obj: CloudObject) -> SubnetOut:
    return SubnetOut(**base(obj), vpc_id=obj.vpc_id, cidr_block=obj.spec["cidr_block"],
                     availability_zone=obj.spec["availability_zone"], gateway=obj.spec.get("gateway"))


@router.get("/vpcs", response_model=list[VpcOut], summary="List your VPCs")
def list_vpcs(c: Cloud = Depends(cloud("read"))):
    return [vpc_out(v) for v in networks.list_vpcs(c)]


@router.post("/vpcs", status_code=201, response_model=VpcOut, summary="Create a VPC",
             responses=responses(400, 409, 422, 503))
def create_vpc(body: VpcIn, c: Cloud = Depends(cloud("write"))):
    return vpc_out(networks.create_vpc(c, body.name, body.cidr_block))


@router.get("/vpcs/{vpc_id}", response_model=VpcOut, summary="One VPC", responses=responses(404))
def get_vpc(vpc_id: str, c: Cloud = Depends(cloud("read"))):
    return vpc_out(networks.get_vpc(c, vpc_id))


@router.delete("/vpcs/{vpc_id}", response_model=Deleted, summary="Delete a VPC without subnets or instances",
               responses=responses(404, 409, 502, 503))
def delete_vpc(vpc_id: str, c: Cloud = Depends(cloud("write"))):
    return deleted(networks.delete_vpc(c, vpc_id))


@router.get("/vpcs/{vpc_id}/subnets", response_model=list[SubnetOut], summary="List a VPC's subnets",
            responses=responses(404))
def list_subnets(vpc_id: str, c: Cloud = Depends(cloud("read"))):
    return [subnet_out(s) for s in networks.list_subnets(c, vpc_id)]


@router.post("/vpcs/{vpc_id}/subnets", status_code=201, response_model=SubnetOut, summary="Create a subnet",
             responses=responses(400, 404, 409, 422, 502, 503))
def create_subnet(vpc_id: str, body: SubnetIn, c: Cloud = Depends(cloud("write"))):
    return subnet_out(networks.create_subnet(c, vpc_id, body.name, body.cidr_block, body.availability_zone))


@router.get("/subnets/{subnet_id}", response_model=SubnetOut, summary="One subnet", responses=responses(404))
def get_subnet(subnet_id: str, c: Cloud = Depends(cloud("read"))):
    return subnet_out(networks.get_subnet(c, subnet_id))


@router.delete("/subnets/{subnet_id}", response_model=Deleted, summary="Delete a subnet without instances",
               responses=responses(404, 409, 502, 503))
def delete_subnet(subnet_id: str, c: Cloud = Depends(cloud("write"))):
    return deleted(networks.delete_subnet(c, subnet_id))
