"""Actions on resources: one code path for every face that asks (seed 000 /vms/{id}/…,
seed 001 /api/resources/{id}/action, later seed 003/004 faces).

Each action checks the caller's scope for it (the driver declares it), refuses a machine
already in the asked state (409), calls the driver, stores the new state, and writes one
action-history entry, one audit event and one `resource_change` event.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import Resource, ResourceAction
from cloudfold.domain import accounts, audit, driver_errors, events, gone, policy
from cloudfold.domain.context import Context, Principal
from cloudfold.domain.policy import callers
from cloudfold.drivers import registry
from cloudfold.drivers.base import ACTIONS, DriverError, DriverNotImplemented
from cloudfold.errors import BadRequest, CloudfoldError, Conflict, Forbidden, ServiceUnavailable
from cloudfold.jobs.registry import JobContext, job
from cloudfold.security.secretbox import SecretBox
from cloudfold.settings import Settings

ALL_ACTIONS = (*ACTIONS, "health_check")

# what each action needs the machine to be, and what it is already when there is nothing to do
ALREADY = {"start": ("running",), "stop": ("stopped",), "terminate": ("terminated",)}
NEEDS_RUNNING = ("reboot", "reset")


@dataclass
class Outcome:
    resource: Resource
    action: str
    status_before: str
    status_after: str
    message: str


def history(session: Session, resource: Resource, limit: int = 100) -> list[ResourceAction]:
    stmt = (select(ResourceAction).where(ResourceAction.resource_id == resource.id)
            .order_by(ResourceAction.id.desc()).limit(limit))
    return list(session.scalars(stmt))


def _record(session: Session, ctx: Context, resource: Resource, action: str, result: str, before: str,
            after: str | None, message: str, via: str, refused: CloudfoldError | None = None) -> None:
    session.add(ResourceAction(resource_id=resource.id, action=action, result=result, status_before=before,
                               status_after=after, message=message, actor=ctx.actor, via=via,
                               request_id=ctx.request_id))
    audit.record(session, ctx, f"resource.{action}", target=f"resource:{resource.id}", result=result,
                 refused=refused, detail={"via": via, "message": message, "status_before": before,
                                                  "status_after": after, "external_id": resource.external_id})


def _refuse(session: Session, ctx: Context, resource: Resource, action: str, via: str, error: CloudfoldError,
            result: str = audit.BLOCKED) -> CloudfoldError:
    _record(session, ctx, resource, action, result, resource.status, resource.status, error.message, via, error)
    session.commit()
    error.extra["audited"] = True
    return error


def refusal(principal: Principal, resource: Resource, action: str) -> tuple[CloudfoldError, str] | None:
    """Why ``principal`` may not ``action`` ``resource`` now (the error and the audit result), or
    None: every refusal an action can meet before its provider is called (no provider, scope,
    state). No side effect: pages ask it which buttons to show (`offered`)."""
    account = resource.account
    if account is None:
        return Conflict("This resource is tracked by hand: no provider to act through"), audit.BLOCKED
    try:
        driver_cls = registry.driver_class(account.provider_type)
    except DriverNotImplemented as exc:
        return ServiceUnavailable(str(exc)), audit.FAILED
    # who: a member acts only on what they own (a shared machine is admins'); a health check is a read
    if not policy.may(principal, policy.SEE if action == "health_check" else policy.ACT, resource):
        return (Forbidden(f"Only an admin can {action} a shared machine; members act only on what they own"),
                audit.BLOCKED)
    if action != "health_check" and action not in driver_cls.actions:
        return BadRequest(f"{account.provider_type} machines have no {action} action"), audit.BLOCKED
    needed = "read" if action == "health_check" else driver_cls.action_scopes.get(action, "admin")
    if needed == "admin" and resource.owner_id is not None and resource.owner_id == principal.user_id:
        needed = "write"  # a machine the caller made (seed 003 instances) is theirs to control
    if needed not in principal.scopes:
        return Forbidden(f"{action} needs the '{needed}' scope"), audit.BLOCKED
    before = resource.status
    if gone.unmade(resource) and action != "health_check":  # its create task would undo the action
        return (Conflict(f"Resource is still being created; {action} it once its create task has finished"),
                audit.BLOCKED)
    if action in ALREADY and before in ALREADY[action]:
        return Conflict(f"Resource is already {before}"), audit.BLOCKED
    if action in NEEDS_RUNNING and before != "running":
        return Conflict(f"Cannot {action} a resource that is {before}"), audit.BLOCKED
    if resource.vanished and action != "health_check":
        return Conflict("Resource no longer exists at its provider"), audit.BLOCKED
    return None


def offered(principal: Principal, resource: Resource,
            candidates: tuple[str, ...] = ("start", "stop", "reboot")) -> list[str]:
    """The actions ``principal`` may take on ``resource`` now (what a page shows buttons for)."""
    return [a for a in candidates if refusal(principal, resource, a) is None]


def check(session: Session, ctx: Context, resource: Resource, action: str, via: str) -> None:
    """Every refusal an action can meet before its provider is called (`refusal`): recorded
    (history + audit) and raised; an unknown action is refused before anything."""
    if action not in ALL_ACTIONS:
        raise BadRequest(f"Unknown action {action!r}; one of: {', '.join(ALL_ACTIONS)}")
    refused = refusal(ctx.principal, resource, action)
    if refused is not None:
        error, result = refused
        raise _refuse(session, ctx, resource, action, via, error, result)


def perform(session: Session, ctx: Context, bus: events.EventBus, box: SecretBox, settings: Settings,
            resource: Resource, action: str, via: str, options: dict | None = None) -> Outcome:
    check(session, ctx, resource, action, via)
    before = resource.status
    try:
        with accounts.driver(resource.account, box, settings) as driver:
            if action == "health_check":
                driver.ping()
                state = driver.get(resource.kind, resource.external_id)
            else:
                state = driver.act(resource.kind, resource.external_id, action,
                                   **driver.options_for(action, options))
    except DriverError as exc:
        error = driver_errors.translate(exc)
        raise _refuse(session, ctx, resource, action, via, error, audit.FAILED) from exc

    if state is None:
        gone.mark(resource)
    else:
        resource.status, resource.meta, resource.name = state.status, state.metadata, state.name
    resource.last_synced = resource.updated_at = utcnow()
    message = f"{action}: {before} -> {resource.status}"
    _record(session, ctx, resource, action, audit.SUCCESS, before, resource.status, message, via)
    session.commit()
    bus.publish(events.resource_change(action, resource, via=via))
    if action == "terminate":  # issue 13: a terminated instance leaves its load balancers at once
        from cloudfold.domain.loadbalancers import dataplane

        dataplane.instance_gone(session, settings)
    return Outcome(resource, action, before, resource.status, message)


def refresh(session: Session, bus: events.EventBus, box: SecretBox, settings: Settings, resource: Resource) -> Resource:
    """Read a machine's live state from its provider and keep it (a change publishes an event).
    A record still being made (`creating`, no engine object yet) is answered as it is."""
    if resource.account is None or gone.unmade(resource):
        return resource
    try:
        with accounts.driver(resource.account, box, settings) as driver:
            state = driver.get(resource.kind, resource.external_id)
    except DriverError as exc:
        raise driver_errors.translate(exc) from exc
    before = resource.status
    if state is None:
        gone.mark(resource)
    else:
        resource.status, resource.meta = state.status, state.metadata
    resource.last_synced = utcnow()
    session.commit()
    if resource.status != before:
        bus.publish(events.resource_change("update", resource, source="refresh"))
    return resource


def enqueue(session: Session, ctx: Context, queue, resource: Resource, action: str, via: str,
            options: dict | None = None) -> str:
    """Check the action now (refusals answer at once), then run it as a background task;
    returns the task id. The job re-checks, since the state may change meanwhile."""
    check(session, ctx, resource, action, via)
    payload = {"resource_id": resource.id, "action": action, "via": via, "options": options or {},
               **identity(ctx, session)}
    return queue.enqueue("resource.action", payload, ctx.principal.user_id)


def identity(ctx: Context, session: Session) -> dict:
    """The caller, as a job's payload carries it (a job runs as whoever asked for it, with the
    rights they still have when it runs: see `job_context`)."""
    p = ctx.principal
    return {"ip": ctx.ip, "request_id": ctx.request_id, "token_version": callers.token_version(session, p),
            "principal": {"user_id": p.user_id, "user_uuid": p.user_uuid, "email": p.email, "role": p.role,
                          "scopes": sorted(p.scopes), "key_id": p.key_id, "key_prefix": p.key_prefix}}


def claimed_context(payload: dict) -> Context:
    """The Context of the caller an `identity` payload names, as it was when they asked."""
    from cloudfold.domain.context import Principal

    principal = Principal(**{**payload["principal"], "scopes": frozenset(payload["principal"]["scopes"])})
    return Context(principal=principal, ip=payload.get("ip"), request_id=payload.get("request_id"))


def job_context(payload: dict, session: Session) -> Context:
    """The caller's Context with their rights now (user active, key live, session not ended by a
    password reset, scopes within the current role); Forbidden("caller no longer authorised")
    otherwise, before the job changes anything."""
    claimed = claimed_context(payload)
    principal = callers.recheck(session, claimed.principal, payload.get("token_version"))
    return Context(principal=principal, ip=claimed.ip, request_id=claimed.request_id)


@job("resource.action")
def action_job(jctx: JobContext, payload: dict) -> dict:
    runtime = jctx.services
    with jctx.sessions() as session:
        ctx = job_context(payload, session)
        resource = session.get(Resource, payload["resource_id"])
        if resource is None:
            raise LookupError("the resource is no longer in the inventory")
        jctx.log(f"{payload['action']} {resource.kind} {resource.name} ({resource.external_id})")
        out = perform(session, ctx, runtime.events, runtime.secretbox, jctx.settings, resource,
                      payload["action"], payload["via"], payload.get("options"))
        jctx.log(out.message)
        return {"resource_id": resource.id, "status_before": out.status_before, "status": out.status_after}
