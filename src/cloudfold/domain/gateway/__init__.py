"""The API gateway (issue 13, seed 003 /routes): one listener of the proxy (`gateway_port`)
mapping path prefixes to the caller's instances, load balancers, or (through the egress rule)
other URLs. `service` (routes), `resolve` (what a target names), `ownership` (policy rule,
`routes` quota)."""

from cloudfold.domain.gateway import ownership  # noqa: F401  (registers the policy rule and quota)
