"""The one ownership rule: may this principal see / change / act on / delete / be told about
this object? Every face and domain service asks here, as a predicate on a loaded object
(`may`, `check`) or as a SQL filter for a list (`accounts`, `resources`, `cloud_objects`,
`tasks`, `audit_events`). The rules (docs/architecture.md, "Ownership"):

- admins see and change everything;
- an account belongs to its owner; a shared account (no owner, like the auto-registered
  local engine) is seen by everyone and changed only by admins;
- a record's owner is its maker (`owner_id`: hand-tracked records, seed 003/004 creations,
  containers labelled with a cloudfold owner), else its account's owner; a record with an
  owner is that owner's alone (others: 404); a record of a shared account with no owner is
  seen by everyone and changed, deleted or acted on only by admins;
- tasks and their results and logs: the task's owner; audit entries: their actor;
- an event is told to whoever may see its object (`may_hear`).

A new object kind registers its rule with `rule(Model)` (see `rules.py`).
"""

from cloudfold.domain.policy.rules import (
    ACT,
    CHANGE,
    DELETE,
    SEE,
    VERBS,
    accounts,
    audit_events,
    check,
    cloud_objects,
    cost_records,
    event_facts,
    may,
    may_hear,
    owner_of,
    resource_counts,
    resources,
    rule,
    tasks,
)

__all__ = ["ACT", "CHANGE", "DELETE", "SEE", "VERBS", "accounts", "audit_events", "check", "cloud_objects", "cost_records",
           "event_facts", "may", "may_hear", "owner_of", "resource_counts", "resources", "rule", "tasks"]
