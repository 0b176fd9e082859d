"""Which host ports a user may publish: members only from `publish_port_range`; admins any.
A port that is taken answers the same whoever holds it (`NOT_AVAILABLE`), so no one learns
which ports other users publish."""

from __future__ import annotations

from collections.abc import Iterable

from cloudfold.domain.context import Principal
from cloudfold.domain.quotas.enforce import enforced
from cloudfold.errors import Forbidden
from cloudfold.settings import Settings

NOT_AVAILABLE = "A requested host port is not available: it is in use. Choose another port"


def check_publish(settings: Settings, principal: Principal | None, host_ports: Iterable[int]) -> None:
    if not enforced(principal):
        return
    allowed = settings.publish_ports
    outside = sorted(p for p in set(host_ports) if p not in allowed)
    if outside:
        raise Forbidden(f"host port {outside[0]} is outside the range you may publish: "
                        f"{settings.publish_port_range}", detail={"ports": outside,
                                                                   "allowed": settings.publish_port_range})
