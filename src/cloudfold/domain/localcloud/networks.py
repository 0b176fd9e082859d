"""VPCs and subnets of the local cloud.

A VPC is an address range kept by cloudfold (the inventory record is tracked by hand,
`manual`, so a sync never marks it vanished), plus, once an instance in it publishes ports, an
engine network of its own those ports are published through (its "edge", isolated from other
VPCs' edges; see drivers/local/provision.py). Each subnet is a real engine
network with its CIDR, inside its VPC and overlapping no sibling. VPC ranges never overlap
each other, whoever owns them, since all subnets share one engine host.
"""

from __future__ import annotations

import ipaddress
import logging
from ipaddress import IPv4Network

from cloudfold import rfc1918
from cloudfold.db.models import CloudObject
from cloudfold.domain import quotas
from cloudfold.domain.localcloud import core, retries
from cloudfold.domain.localcloud.core import Cloud
from cloudfold.drivers.base import Discovered
from cloudfold.drivers.local import provision
from cloudfold.errors import BadRequest, CloudfoldError, Conflict

log = logging.getLogger("cloudfold.localcloud")

SMALLEST_VPC, LARGEST_VPC, SMALLEST_SUBNET = 28, 16, 29
EDGE_PREFIX = 24  # an edge network's range: 253 instances of one VPC that publish ports


def parse_cidr(text: str, what: str) -> IPv4Network:
    try:
        net = ipaddress.IPv4Network(text)
    except ValueError as exc:
        raise BadRequest(f"{what} {text!r} is not an IPv4 CIDR block: {exc}") from None
    if not rfc1918.contains(net):
        raise BadRequest(f"{what} {text} is not a private address range (RFC 1918: {rfc1918.NAMES})")
    return net


def _cidr(obj: CloudObject) -> IPv4Network:
    return ipaddress.IPv4Network(obj.spec["cidr_block"])


def _taken(cloud: Cloud) -> list[IPv4Network]:
    """Every range cloudfold gave out on the engine host: VPCs (whoever owns them) and their
    edge networks."""
    vpcs = list(cloud.session.scalars(core.objects("vpc")))
    return [_cidr(v) for v in vpcs] + [IPv4Network(v.spec["edge_cidr"]) for v in vpcs if v.spec.get("edge_cidr")]


def _first_free(candidates, taken: list[IPv4Network]) -> IPv4Network | None:
    return next((c for c in candidates if not any(c.overlaps(t) for t in taken)), None)


def _engine_ranges(cloud: Cloud, account) -> list[IPv4Network]:
    """Ranges the engine's networks already use (an automatic VPC range skips them, so its
    subnets never clash on the engine). An engine that does not answer adds none: the VPC is
    only a range until its first subnet, whose create then reports the engine."""
    try:
        with core.engine(cloud, account) as driver:
            return provision.network_ranges(driver)
    except CloudfoldError as exc:  # unreachable (503) or erring (502): the range is still cloudfold's to give
        log.warning("the automatic VPC range cannot skip the engine's networks: %s", exc.message)
        return []


# -- VPCs ------------------------------------------------------------------------------

def create_vpc(cloud: Cloud, name: str, cidr_block: str | None = None) -> CloudObject:
    made = retries.replayed(cloud, "vpc")
    if made is not None:
        return made
    account = core.local_account(cloud)
    core.lock_account(cloud, account)  # choosing a free range and storing it: one request at a time
    quotas.claim_object(cloud.session, cloud.settings, cloud.principal, "vpc", {}, locked=True)
    taken = _taken(cloud)
    if cidr_block is not None:
        net = parse_cidr(cidr_block, "cidr_block")
        if not LARGEST_VPC <= net.prefixlen <= SMALLEST_VPC:
            raise BadRequest(f"A VPC's cidr_block must be between /{LARGEST_VPC} and /{SMALLEST_VPC}")
        clash = next((t for t in taken if net.overlaps(t)), None)
        if clash is not None:
            raise Conflict(f"cidr_block {net} overlaps a range another VPC or its edge network uses ({clash})")
    else:
        pool = ipaddress.IPv4Network(cloud.settings.local_vpc_pool)
        prefix = max(cloud.settings.local_vpc_prefix, pool.prefixlen)
        net = _first_free(pool.subnets(new_prefix=prefix), taken + _engine_ranges(cloud, account))
        if net is None:
            raise Conflict(f"The VPC address pool {pool} is used up; give a cidr_block")
    object_id = core.new_id()
    found = Discovered(kind="network", external_id=f"vpc-{object_id}", name=name, status="available",
                       region=account.region, metadata={"cidr_block": str(net), "local_cloud": "vpc"})
    return core.record(cloud, account, "vpc", "network", found, object_id=object_id, name=name, manual=True,
                       spec={"cidr_block": str(net)})


def list_vpcs(cloud: Cloud) -> list[CloudObject]:
    return core.mine(cloud, "vpc")


def get_vpc(cloud: Cloud, vpc_id: str) -> CloudObject:
    return core.get(cloud, "vpc", vpc_id)


def delete_vpc(cloud: Cloud, vpc_id: str) -> CloudObject:
    vpc = get_vpc(cloud, vpc_id)
    used = {kind: len(list(cloud.session.scalars(core.objects(kind).where(CloudObject.vpc_id == vpc.id))))
            for kind in ("subnet", *core.CONTAINER_KINDS)}
    if any(used.values()):
        raise Conflict(f"VPC {vpc.name!r} still has {used['subnet']} subnet(s), {used['instance']} instance(s) and "
                       f"{used['cache']} cache(s); delete them first")
    edge = vpc.spec.get("edge")  # recorded before it was made: it may not exist, which is fine
    core.delete(cloud, vpc, core.remover(cloud, vpc.resource.account, provision.remove_network, edge)
                if edge else lambda: None)
    return vpc


def edge_name(vpc: CloudObject) -> str:
    """The engine name of the VPC's edge network."""
    return f"{core.engine_name(vpc.name, vpc.id)}-edge"


def edge_range(cloud: Cloud, vpc: CloudObject, engine_ranges: list[IPv4Network]) -> str:
    """The address range of the VPC's edge network, which is about to be made: the one recorded
    on the VPC when the engine still has it free (a process died before making the network),
    else a new /24 from the top of `local_vpc_pool` (VPCs take theirs from the bottom) that no
    VPC, edge or engine network uses. Chosen and recorded under the account's lock, before the
    engine call, so two launches never pick one range, and the engine never picks one that
    another client of it is giving out at the same moment."""
    core.lock_account(cloud, vpc.resource.account)
    cloud.session.refresh(vpc)
    recorded = vpc.spec.get("edge_cidr")
    if recorded and not any(IPv4Network(recorded).overlaps(r) for r in engine_ranges):
        return recorded
    pool = IPv4Network(cloud.settings.local_vpc_pool)
    prefix = max(EDGE_PREFIX, pool.prefixlen)
    others = [t for t in _taken(cloud) if str(t) != recorded]
    net = _first_free(reversed(list(pool.subnets(new_prefix=prefix))), others + engine_ranges)
    if net is None:
        raise Conflict(f"The VPC address pool {pool} has no free /{prefix} left for the network VPC "
                       f"{vpc.name!r} publishes ports through; free a VPC or widen local_vpc_pool")
    vpc.spec = {**vpc.spec, "edge": edge_name(vpc), "edge_cidr": str(net)}
    cloud.session.commit()
    return str(net)


# -- subnets ---------------------------------------------------------------------------

def create_subnet(cloud: Cloud, vpc_id: str, name: str, cidr_block: str | None = None,
                  availability_zone: str | None = None) -> CloudObject:
    vpc = get_vpc(cloud, vpc_id)
    made = retries.replayed(cloud, "subnet")
    if made is not None and made.vpc_id == vpc.id:
        return made
    account = vpc.resource.account
    core.lock_account(cloud, account)
    quotas.claim_object(cloud.session, cloud.settings, cloud.principal, "subnet", {}, locked=True)
    outer = _cidr(vpc)
    siblings = list(cloud.session.scalars(core.objects("subnet").where(CloudObject.vpc_id == vpc.id)))
    if cidr_block is not None:
        net = parse_cidr(cidr_block, "cidr_block")
        if not net.subnet_of(outer):
            raise BadRequest(f"cidr_block {net} is not inside VPC {vpc.name!r} ({outer})")
        if net.prefixlen > SMALLEST_SUBNET:
            raise BadRequest(f"cidr_block {net} is too small: a subnet needs at least a /{SMALLEST_SUBNET}")
        clash = next((s for s in siblings if net.overlaps(_cidr(s))), None)
        if clash is not None:
            raise BadRequest(f"cidr_block {net} overlaps subnet {clash.name!r} ({_cidr(clash)})")
    else:
        prefix = min(outer.prefixlen + 2, SMALLEST_SUBNET)
        net = _first_free(outer.subnets(new_prefix=prefix), [_cidr(s) for s in siblings])
        if net is None:
            raise Conflict(f"VPC {vpc.name!r} has no free /{prefix} left; give a cidr_block")
    object_id = core.new_id()
    zone = availability_zone or f"{account.region or 'local'}-a"
    engine_name = core.engine_name(name, object_id)
    obj = core.reserve(cloud, account, "subnet", "subnet", object_id=object_id, name=name, engine_name=engine_name,
                       spec={"cidr_block": str(net), "availability_zone": zone}, via="subnets", answered=False,
                       vpc_id=vpc.id)  # stored first: a concurrent create sees its range as taken
    return core.make(cloud, obj, lambda driver: provision.create_network(driver, engine_name, str(net), object_id),
                     provision.remove_network,
                     spec=lambda found: {"gateway": found.metadata.get("gateway"), "network": found.name})


def list_subnets(cloud: Cloud, vpc_id: str) -> list[CloudObject]:
    vpc = get_vpc(cloud, vpc_id)
    return list(cloud.session.scalars(core.objects("subnet").where(CloudObject.vpc_id == vpc.id)))


def get_subnet(cloud: Cloud, subnet_id: str) -> CloudObject:
    return core.get(cloud, "subnet", subnet_id)


def delete_subnet(cloud: Cloud, subnet_id: str) -> CloudObject:
    subnet = get_subnet(cloud, subnet_id)
    users = sum(len(list(cloud.session.scalars(core.objects(kind).where(CloudObject.subnet_id == subnet.id))))
                for kind in core.CONTAINER_KINDS)
    if users:
        raise Conflict(f"Subnet {subnet.name!r} still has {users} instance(s) or cache(s); delete them first")
    core.delete(cloud, subnet, core.remover(cloud, subnet.resource.account, provision.remove_network,
                                            subnet.resource.external_id))
    return subnet
