"""Seed 001's budget API: `/api/budget/rules` CRUD, `GET /api/budget/status`, `POST
/api/budget/enforce`, and cloudfold's `GET /api/budget/decisions` (what enforcement decided
and why). Rules live in `domain/budgets/`."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_runtime, get_session, require
from cloudfold.api.errors import responses
from cloudfold.api.faces.budget_schemas import (
    DecisionOut,
    EnforceIn,
    EnforceOut,
    RuleIn,
    RuleOut,
    RuleUpdate,
    StatusList,
    StatusOut,
)
from cloudfold.domain.budgets import enforce, rules, status
from cloudfold.domain.context import Principal
from cloudfold.runtime import Runtime

router = APIRouter(tags=["budget"], responses=responses(401, 403, 429))
ONE = responses(404, 422)
CHANGE = responses(400, 404, 409, 422)


@router.get("/api/budget/rules", response_model=list[RuleOut], summary="List budget rules (yours; admins: all)")
def list_rules(session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return [RuleOut.of(r) for r in rules.visible(session, p)]


@router.post("/api/budget/rules", response_model=RuleOut, status_code=201, responses=CHANGE,
          summary="Create budget rule (a dry run until an admin turns dry_run off)")
def create_rule(body: RuleIn, request: Request, session: Session = Depends(get_session),
                runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    return RuleOut.of(rules.create(session, context(request, p), runtime.settings, body.spec()))


@router.get("/api/budget/rules/{rule_id}", response_model=RuleOut, responses=ONE, summary="Get rule details")
def get_rule(rule_id: int, session: Session = Depends(get_session), p: Principal = Depends(require("read"))):
    return RuleOut.of(rules.get(session, p, rule_id))


@router.put("/api/budget/rules/{rule_id}", response_model=RuleOut, responses=CHANGE,
         summary="Update rule (the fields given)")
def update_rule(rule_id: int, body: RuleUpdate, request: Request, session: Session = Depends(get_session),
                p: Principal = Depends(require("write"))):
    return RuleOut.of(rules.update(session, context(request, p), rule_id, body.spec()))


@router.delete("/api/budget/rules/{rule_id}", status_code=204, responses=ONE, summary="Delete rule")
def delete_rule(rule_id: int, request: Request, session: Session = Depends(get_session),
                p: Principal = Depends(require("write"))):
    rules.delete(session, context(request, p), rule_id)
    return Response(status_code=204)


@router.get("/api/budget/status", response_model=StatusList, responses=ONE,
         summary="Check all budget statuses: spent, forecast, percent, threshold crossed")
def budget_status(rule_id: int | None = Query(None), session: Session = Depends(get_session),
                  p: Principal = Depends(require("read"))):
    chosen = [rules.get(session, p, rule_id)] if rule_id is not None else rules.visible(session, p)
    shown = [StatusOut.of(status.of(session, r)) for r in chosen]
    return StatusList(budgets=shown, total=len(shown))


@router.post("/api/budget/enforce", response_model=EnforceOut, responses=CHANGE,
          summary="Run budget enforcement now (every rule you may change, or one)")
def run_enforcement(request: Request, body: EnforceIn | None = Body(None), session: Session = Depends(get_session),
                    runtime: Runtime = Depends(get_runtime), p: Principal = Depends(require("write"))):
    body = body or EnforceIn()
    return EnforceOut.of(enforce.run(session, context(request, p), runtime, rule_id=body.rule_id,
                                     dry_run=body.dry_run))


@router.get("/api/budget/decisions", response_model=list[DecisionOut], responses=ONE,
         summary="What enforcement decided, and why (newest first)")
def list_decisions(rule_id: int | None = Query(None), run_id: str | None = Query(None, max_length=36),
                   limit: int = Query(100, ge=1, le=1000), session: Session = Depends(get_session),
                   p: Principal = Depends(require("read"))):
    return [DecisionOut.of(d) for d in enforce.decisions(session, p, rule_id=rule_id, run_id=run_id, limit=limit)]
