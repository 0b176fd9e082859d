"""Enforcement: measure each rule, tell its owner once per period and threshold, and stop
machines when a `stop` or `lockdown` threshold is crossed — safely:

- every stop goes through the one action path (`actions.perform`, as the rule's owner: audit
  line, action history row, `/ws` event), so the owner's rights now decide what may stop, and
  only machines the owner can see are ever considered;
- `dry_run` (the rule's, or the request's): decisions say what would stop; nothing changes;
- grace: a machine is first marked with the time it will stop (`budget_marks`) and the owner
  is told; it stops at a run after that time only if the rule is still crossed then (a rule no
  longer crossed clears its marks);
- the protection label/tag (`protect_label`) exempts a machine;
- `stop` stops at most `max_stops` machines per run (`lockdown` stops every unprotected one);
- every decision is a `budget_decisions` row readable through the API.

Runs on `POST /api/budget/enforce` and on the schedule (`budgets.enforce_due`, every
`schedule_tick_seconds`, acting on rules due by the `budget_enforce_interval` setting)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from cloudfold.db.base import utcnow
from cloudfold.db.models import BudgetDecision, BudgetMark, BudgetRule, Resource
from cloudfold.domain import actions, audit, policy, runtime_settings
from cloudfold.domain.budgets import notices, ownership, scope
from cloudfold.domain.budgets.rules import get, scope_of
from cloudfold.domain.budgets.status import Status, of as status_of, owner_principal
from cloudfold.domain.context import SYSTEM, Context, Principal
from cloudfold.domain.costs import money
from cloudfold.errors import CloudfoldError
from cloudfold.jobs.registry import JobContext, job

log = logging.getLogger("cloudfold.budgets")
STOPPING = ("stop", "lockdown")
LEASE_SECONDS = 600  # longer than any run; a run that died frees its rule after it


@dataclass
class Run:
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    rules: int = 0
    decisions: list[BudgetDecision] = field(default_factory=list)

    def count(self, decision: str) -> int:
        return sum(d.decision == decision for d in self.decisions)


@dataclass
class _Rule:
    """One rule's enforcement in one run."""
    session: Session
    services: object  # the Runtime: events, secretbox, settings
    run: Run
    rule: BudgetRule
    st: Status
    owner: Principal
    dry: bool  # the rule's dry run or the request's: stop nothing
    now: datetime
    preview: bool = False  # the request's dry run: tell no one and change no mark either

    def decide(self, decision: str, reason: str, threshold: dict | None = None, resource: Resource | None = None,
               stop_at: datetime | None = None) -> BudgetDecision:
        d = BudgetDecision(rule_id=self.rule.id, owner_id=self.rule.owner_id, run_id=self.run.run_id,
                           period_start=self.st.period_start, threshold=threshold and threshold["percent"],
                           action=threshold and threshold["action"], decision=decision, reason=reason[:500],
                           resource_id=resource.id if resource else None,
                           resource_name=resource.name[:300] if resource else None, dry_run=self.dry,
                           stop_at=stop_at, spent_micros=self.st.spent.amount_micros, created_at=self.now)
        self.session.add(d)
        self.run.decisions.append(d)
        return d

    def spent_text(self) -> str:
        r = self.rule
        return (f"{money.shown(self.st.spent.amount_micros)} of {money.shown(r.amount_micros)} {r.currency} "
                f"({self.st.percent}%) in the period from {self.st.period_start}")

    def notify_thresholds(self) -> None:
        told = set(self.session.scalars(select(BudgetDecision.threshold).where(
            BudgetDecision.rule_id == self.rule.id, BudgetDecision.period_start == self.st.period_start,
            BudgetDecision.decision == "notified")))
        for t in self.st.crossed:
            if t["percent"] in told:
                continue
            if self.preview:
                self.decide("would_notify", f"{self.spent_text()}: threshold {t['percent']}% crossed", t)
                continue
            subject = f"[BUDGET {t['percent']}%] {self.rule.name}: {self.st.percent}% spent"
            channels = notices.tell(self.session, self.rule, subject, [self.spent_text(), f"action: {t['action']}"
                                    + (" (dry run)" if self.dry and t["action"] in STOPPING else "")],
                                    {"threshold": t, "percent": self.st.percent}, self.now)
            self.decide("notified", f"{self.spent_text()}: threshold {t['percent']}% crossed; told {channels} "
                        f"channel(s)", t)

    def marks(self) -> dict[int, BudgetMark]:
        return {m.resource_id: m for m in self.session.scalars(select(BudgetMark).where(
            BudgetMark.rule_id == self.rule.id))}

    def clear(self, marks: dict[int, BudgetMark], keep: set[int], reason: str) -> None:
        for resource_id, mark in marks.items():
            if resource_id not in keep:
                resource = self.session.get(Resource, resource_id)
                self.decide("cleared", reason, {"percent": mark.threshold, "action": "stop"}, resource)
                self.session.delete(mark)

    def enforce(self) -> None:
        self.notify_thresholds()
        acting = next((t for t in reversed(self.st.crossed) if t["action"] in STOPPING), None)
        marks = self.marks()
        if acting is None:
            if not self.dry:
                self.clear(marks, set(), "the budget is no longer crossed: the stop is called off")
            self.session.commit()
            return
        candidates = [m for m in scope.machines(self.session, self.owner, scope_of(self.rule))
                      if m.status == "running"]
        cap = self.rule.max_stops if acting["action"] == "stop" else None
        stops, newly_marked = 0, []
        keep: set[int] = set()
        for machine in candidates:
            if scope.protected(machine, self.rule.protect_label):
                self.decide("skipped", f"protected by the {self.rule.protect_label!r} label/tag", acting, machine)
                continue
            if not policy.may(self.owner, policy.ACT, machine):
                self.decide("skipped", "the rule's owner may see but not stop this machine (shared)", acting, machine)
                continue
            if self.dry:
                self.decide("would_stop", f"dry run: {self.spent_text()} crossed {acting['percent']}% "
                            f"({acting['action']})", acting, machine)
                continue
            mark = marks.get(machine.id)
            if mark is None and self.rule.grace_seconds > 0:
                stop_at = self.now + timedelta(seconds=self.rule.grace_seconds)
                self.session.add(BudgetMark(rule_id=self.rule.id, resource_id=machine.id,
                                            threshold=acting["percent"], period_start=self.st.period_start,
                                            stop_at=stop_at, created_at=self.now))
                self.decide("marked", f"{self.spent_text()} crossed {acting['percent']}%: will stop at "
                            f"{stop_at.isoformat()} unless the budget is no longer crossed then", acting, machine,
                            stop_at)
                newly_marked.append((machine, stop_at))
                keep.add(machine.id)
                continue
            if mark is not None and mark.stop_at > self.now:
                keep.add(machine.id)  # still in its grace period
                continue
            if cap is not None and stops >= cap:
                keep.add(machine.id)
                self.decide("skipped", f"the cap of {cap} machine(s) stopped per run was reached; "
                            "it comes first at the next run", acting, machine)
                continue
            marks.pop(machine.id, None)
            stops += self.stop(machine, acting, mark)
        if not self.dry:
            self.clear(marks, keep, "no longer a running, unprotected machine in scope: its mark is dropped")
        if newly_marked:
            lines = [f"{m.name} (id {m.id}) stops at {at.isoformat()}" for m, at in newly_marked]
            notices.tell(self.session, self.rule, f"[BUDGET] {self.rule.name}: {len(newly_marked)} machine(s) "
                         "will be stopped", [self.spent_text(), *lines],
                         {"marked": [{"resource_id": m.id, "name": m.name, "stop_at": at.isoformat()}
                                     for m, at in newly_marked]}, self.now)
        self.session.commit()

    def stop(self, machine: Resource, threshold: dict, mark: BudgetMark | None) -> int:
        if mark is not None:
            self.session.delete(mark)
        ctx = Context(principal=self.owner, extra={"budget_rule": self.rule.id})
        reason = f"{self.spent_text()} crossed {threshold['percent']}% ({threshold['action']})"
        self.session.commit()
        try:
            actions.perform(self.session, ctx, self.services.events, self.services.secretbox,
                            self.services.settings, machine, "stop", via=f"budget rule {self.rule.id}")
        except CloudfoldError as exc:
            self.decide("failed", f"{reason}; the stop failed: {exc.message}", threshold, machine)
            return 0
        self.decide("stopped", reason, threshold, machine)
        return 1


def _lease(session: Session, rule_id: int, now: datetime) -> bool:
    """Take the rule's enforcement lease (one run of a rule at a time, in any process)."""
    taken = session.execute(update(BudgetRule).where(
        BudgetRule.id == rule_id, or_(BudgetRule.enforcing_until.is_(None), BudgetRule.enforcing_until < now))
        .values(enforcing_until=now + timedelta(seconds=LEASE_SECONDS))
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return bool(taken)


def enforce_rule(session: Session, services, run: Run, rule: BudgetRule, *, dry_run: bool = False,
                 now: datetime | None = None) -> None:
    """Enforce one rule, unless another run is enforcing it now (then it is left to that one)."""
    owner = owner_principal(session, rule)
    now = now or utcnow()
    if owner is None or not _lease(session, rule.id, utcnow()):
        return
    rule_id = rule.id
    try:
        run.rules += 1
        _Rule(session, services, run, rule, status_of(session, rule, now), owner, rule.dry_run or dry_run,
              now, preview=dry_run).enforce()
    finally:
        session.rollback()
        session.execute(update(BudgetRule).where(BudgetRule.id == rule_id)
                        .values(last_enforced_at=now, enforcing_until=None)
                        .execution_options(synchronize_session=False))
        session.commit()


def run(session: Session, ctx: Context, services, *, rule_id: int | None = None, dry_run: bool = False) -> Run:
    """Enforce one rule (which the caller may change) or every enabled rule they may change."""
    viewer = ctx.principal
    if rule_id is not None:
        targets = [get(session, viewer, rule_id, policy.CHANGE).id]
    else:
        targets = list(session.scalars(ownership.rules(select(BudgetRule.id), viewer)
                                       .where(BudgetRule.enabled.is_(True)).order_by(BudgetRule.id)))
    result = Run()
    for target in targets:
        rule = session.get(BudgetRule, target)
        if rule is not None:
            enforce_rule(session, services, result, rule, dry_run=dry_run)
    audit.record(session, ctx, "budget.enforce", target=f"budget_run:{result.run_id}",
                 detail={"rules": targets, "dry_run": dry_run, "stopped": result.count("stopped"),
                         "marked": result.count("marked"), "would_stop": result.count("would_stop")})
    session.commit()
    return result


def decisions(session: Session, viewer: Principal, *, rule_id: int | None = None, run_id: str | None = None,
              limit: int = 100) -> list[BudgetDecision]:
    stmt = select(BudgetDecision)
    if rule_id is not None:
        get(session, viewer, rule_id)
        stmt = stmt.where(BudgetDecision.rule_id == rule_id)
    if run_id is not None:
        stmt = stmt.where(BudgetDecision.run_id == run_id)
    return list(session.scalars(ownership.decisions(stmt, viewer).order_by(BudgetDecision.id.desc()).limit(limit)))


def claim_due(session: Session, now: datetime) -> list[int]:
    """Take the rules due now (each by one process only); next due `budget_enforce_interval` on."""
    period = runtime_settings.value(session, "budget_enforce_interval")
    due = session.execute(select(BudgetRule.id, BudgetRule.next_enforce_at)
                          .where(BudgetRule.enabled.is_(True), BudgetRule.next_enforce_at <= now)
                          .order_by(BudgetRule.next_enforce_at).limit(500)).all()
    claimed = [rule_id for rule_id, at in due if session.execute(
        update(BudgetRule).where(BudgetRule.id == rule_id, BudgetRule.next_enforce_at == at)
        .values(next_enforce_at=now + timedelta(seconds=period)).execution_options(synchronize_session=False)
    ).rowcount]
    session.commit()
    return claimed


@job("budgets.enforce_due")
def enforce_due_job(jctx: JobContext, payload: dict) -> dict:
    now = utcnow()
    result = Run()
    with jctx.sessions() as session:
        claimed = claim_due(session, now)
    for rule_id in claimed:
        with jctx.sessions() as session:
            rule = session.get(BudgetRule, rule_id)
            if rule is None:
                continue
            try:
                enforce_rule(session, jctx.services, result, rule, now=now)
            except Exception:  # one rule's failure never stops the others
                session.rollback()
                log.exception("enforcing budget rule %s failed", rule_id)
    if claimed:
        with jctx.sessions() as session:
            audit.record(session, SYSTEM, "budget.enforce", target=f"budget_run:{result.run_id}",
                         detail={"rules": claimed, "scheduled": True, "stopped": result.count("stopped"),
                                 "marked": result.count("marked"), "would_stop": result.count("would_stop")})
            session.commit()
    return {"rules": len(claimed), "stopped": result.count("stopped"), "marked": result.count("marked")}
