"""The one egress rule: where the server may connect on a user's behalf.

Every server-side outbound connection made for a user (provider endpoints now; monitors,
webhooks, gateway and cron targets as they come) asks this package first:

    approved = egress.check_url(url, trusted=..., settings=settings)   # BadRequest when refused
    with egress.guard(settings, trusted, [approved]):                  # pinned while connecting
        ...connect...

Non-admins may not reach loopback, link-local, private (RFC 1918, CGNAT, ULA), unspecified,
multicast or reserved addresses, the cloud metadata address, or this server's own interface
addresses, unless the operator allow-lists the name or range (`egress_allow`). Names are
resolved once; the approved addresses are the only ones the connection may use.
"""

from cloudfold.domain.egress.rules import Approved, check_host, check_url, guard, refusal
from cloudfold.domain.egress.trust import owner_trusted

__all__ = ["Approved", "check_host", "check_url", "guard", "owner_trusted", "refusal"]
