"""Seed 000 topology: /topology and its parts, computed from the synced inventory the caller
can see (see domain/topology.py for what a "VM" is here). Nothing here calls a provider:
sync first (POST /api/resources/sync/{provider}) for fresh data."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from cloudfold.api.deps import get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces.service_schemas import (
    ContainersByVm,
    DatabasesByVm,
    NetworkList,
    ServicesByVm,
    ServiceType,
    ServiceTypes,
    Summaries,
    TopologyOut,
    VmList,
    container_node,
    host_ref,
    network_out,
    service_summary,
    summaries_of,
    vm_node,
)
from cloudfold.domain import topology
from cloudfold.domain.context import Principal

router = APIRouter(prefix="/topology", tags=["topology"], responses=responses(401, 403, 429))


def _topology(session: Session = Depends(get_session), p: Principal = Depends(require("read"))) -> topology.Topology:
    return topology.build(session, p)


def _per_host(t: topology.Topology, field: str, shape) -> list[dict]:
    """Hosts that have any of `field` (services, containers, databases), each with them shaped."""
    return [{**host_ref(h.host), field: [shape(x) for x in getattr(h, field)]} for h in t.hosts if getattr(h, field)]


@router.get("", response_model=TopologyOut, summary="Get complete topology data")
def full(t: topology.Topology = Depends(_topology)):
    return TopologyOut(vms=[vm_node(h) for h in t.hosts], services=[service_summary(s) for s in t.services],
                       containers=[container_node(c) for c in t.containers],
                       databases=[container_node(c) for c in t.databases],
                       networks=[network_out(n) for n in t.networks],
                       summaries=summaries_of(t), generated_at=t.generated_at)


@router.get("/vms", response_model=VmList, summary="Get VM topology table")
def vms(t: topology.Topology = Depends(_topology)):
    return VmList(vms=[vm_node(h) for h in t.hosts], total=len(t.hosts))


@router.get("/services-by-vm", response_model=ServicesByVm, summary="Get services grouped by VM")
def services_by_vm(t: topology.Topology = Depends(_topology)):
    return ServicesByVm(vms=_per_host(t, "services", service_summary), total=len(t.services))


@router.get("/service-types", response_model=ServiceTypes, summary="Get services grouped by type")
def service_types(t: topology.Topology = Depends(_topology)):
    return ServiceTypes(types=[ServiceType(type=k, count=len(v), services=[service_summary(s) for s in v])
                               for k, v in t.by_type()], total=len(t.services))


@router.get("/containers", response_model=ContainersByVm, summary="Get all containers by VM")
def containers(t: topology.Topology = Depends(_topology)):
    return ContainersByVm(vms=_per_host(t, "containers", container_node), total=len(t.containers))


@router.get("/databases", response_model=DatabasesByVm, summary="Get database allocations by VM")
def databases(t: topology.Topology = Depends(_topology)):
    """Containers running a database server: by image name (postgres, mysql, mariadb, redis,
    mongo, …) or by the label `cloudfold.role=database` (engine from `cloudfold.database`)."""
    return DatabasesByVm(vms=_per_host(t, "databases", container_node), total=sum(len(h.databases) for h in t.hosts))


@router.get("/networks", response_model=NetworkList, summary="Get Docker networks")
def networks(t: topology.Topology = Depends(_topology)):
    return NetworkList(networks=[network_out(n) for n in t.networks], total=len(t.networks))


@router.get("/summaries", response_model=Summaries, summary="Get storage and container summaries")
def summaries(t: topology.Topology = Depends(_topology)):
    return summaries_of(t)
