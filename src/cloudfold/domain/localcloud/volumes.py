"""Volumes of the local cloud: named engine volumes. `size_gb` is recorded (and labelled on
the volume); the engine's `local` volume driver does not enforce it. A volume outlives the
instances that mount it, and cannot be deleted while an instance still uses it."""

from __future__ import annotations

from cloudfold.db.models import CloudObject
from cloudfold.domain import quotas
from cloudfold.domain.localcloud import core, retries
from cloudfold.domain.localcloud.core import Cloud
from cloudfold.drivers.local import provision
from cloudfold.errors import Conflict


def create(cloud: Cloud, name: str, size_gb: int) -> CloudObject:
    made = retries.replayed(cloud, "volume")
    if made is not None:
        return made
    account = core.local_account(cloud)
    spec = {"size_gb": size_gb}
    quotas.claim_object(cloud.session, cloud.settings, cloud.principal, "volume", spec)
    object_id = core.new_id()
    engine_name = core.engine_name(name, object_id)
    obj = core.reserve(cloud, account, "volume", "volume", object_id=object_id, name=name, engine_name=engine_name,
                       spec=spec, via="volumes", answered=False)
    return core.make(cloud, obj, lambda driver: provision.create_volume(driver, engine_name, object_id, size_gb),
                     provision.remove_volume)


def list_mine(cloud: Cloud) -> list[CloudObject]:
    return core.mine(cloud, "volume")


def get(cloud: Cloud, volume_id: str) -> CloudObject:
    return core.get(cloud, "volume", volume_id)


def attachments(cloud: Cloud, owner_id: int | None = None) -> dict[str, list[CloudObject]]:
    """Volume id -> the live instances that mount it, the owner's only when given (one query
    for a whole list)."""
    found: dict[str, list[CloudObject]] = {}
    stmt = core.objects("instance")
    if owner_id is not None:
        stmt = stmt.where(CloudObject.owner_id == owner_id)
    for instance in cloud.session.scalars(stmt):
        for m in instance.spec.get("volumes") or []:
            found.setdefault(m["volume_id"], []).append(instance)
    return found


def state(attached: list[CloudObject]) -> str:
    """A volume's status: `in-use` while a live instance mounts it, else `available`."""
    return "in-use" if attached else "available"


def users(cloud: Cloud, volume: CloudObject) -> list[CloudObject]:
    """The live instances that mount this volume, whoever made them (an admin may mount
    another user's volume)."""
    return attachments(cloud).get(volume.id, [])


def delete(cloud: Cloud, volume_id: str) -> CloudObject:
    volume = get(cloud, volume_id)
    attached = users(cloud, volume)
    if attached:
        names = ", ".join(f"{i.name} ({i.resource.status})" for i in attached)
        raise Conflict(f"Volume {volume.name!r} is attached to instance(s) {names}; delete them first")
    core.delete(cloud, volume, core.remover(cloud, volume.resource.account, provision.remove_volume,
                                            volume.resource.external_id))
    return volume
