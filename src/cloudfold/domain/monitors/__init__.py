"""Monitors (issue 10): probes of targets on an interval, their history and uptime.

- `specs`: kinds, targets, per-kind settings, the destination each probe connects to;
- `service`: CRUD (owned, audited, quota-counted, egress-checked), history, uptime;
- `ownership`: the policy rule and the `monitors` quota;
- `probers`: one asyncio probe per kind; `tls`: certificates;
- `engine`: claims due monitors from the database, probes, stores results in batches;
- `auto`: ping + SSH monitors for every inventory machine with an address;
- `views`: seed 000's monitor figures; `domains`: seed 000's domain status and certificate.
"""

from cloudfold.domain.monitors import ownership  # noqa: F401  (registers the policy rule and the quota)
