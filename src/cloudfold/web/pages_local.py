"""The Local cloud page: the signed-in user's VPCs with their subnets, instances and volumes
(`domain/localcloud`, as `/vpcs`, `/instances`, `/volumes` answer), their load balancers (with
target states), auto-scaling groups, gateway routes and caches, read-only, as `GET
/loadbalancers`, `/autoscaling/groups`, `/gateway/routes` and `/caches` answer (the same face
functions: their visibility and shapes), and a form that launches
an instance from a template (`domain/templates`: every image of the local engine), checked by
the API's `InstanceIn` and created by `instances.create`. Starting and stopping an instance is
its machine page's buttons (the one action path); VPCs, subnets and volumes are made and deleted
with the forms of `pages_local_forms.py`, which re-render this page (`view`) with their errors."""

from __future__ import annotations

import shlex

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from cloudfold.api.deps import context, get_session
from cloudfold.api.errors import audit_refusal, status_for
from cloudfold.api.faces import autoscaling as groups_face
from cloudfold.api.faces import caches as caches_face
from cloudfold.api.faces import loadbalancers as lbs_face
from cloudfold.api.faces import routes_gateway as routes_face
from cloudfold.api.faces.instances import InstanceIn
from cloudfold.api.faces.instances import out as instance_out
from cloudfold.api.faces.volumes import out as volume_out
from cloudfold.api.faces.vpcs import subnet_out, vpc_out
from cloudfold.domain import templates
from cloudfold.domain.context import Principal
from cloudfold.domain.localcloud import instances, networks, volumes
from cloudfold.domain.localcloud.core import Cloud
from cloudfold.errors import CloudfoldError
from cloudfold.runtime import Runtime
from cloudfold.web.forms import FORM, field_of, in_session, needs, parsed, scoped_form
from cloudfold.web.render import PageRoute, page, redirect

router = APIRouter(prefix="/ui/local", route_class=PageRoute, include_in_schema=False)

FIELDS = ("name", "template", "subnet_id", "ports", "command", "cpu", "memory")


def cloud_of(request: Request, session: Session, p: Principal) -> Cloud:
    runtime: Runtime = request.app.state.runtime
    return Cloud(session, context(request, p), runtime.events, runtime.secretbox, runtime.settings)


def view(request: Request, session: Session, p: Principal, status: int = 200, **values):
    cloud = cloud_of(request, session, p)
    vpcs = [(vpc_out(v), [subnet_out(s) for s in networks.list_subnets(cloud, v.id)])
            for v in networks.list_vpcs(cloud)]
    attached = volumes.attachments(cloud, p.user_id)
    services = {"lbs": lbs_face.list_lbs(cloud), "groups": groups_face.list_groups(cloud),
                "routes": routes_face.list_routes(cloud), "caches": caches_face.list_caches(cloud)}
    return page(request, "local.html", status, vpcs=vpcs, **services,
                instances=[instance_out(i) for i in instances.list_mine(cloud)],
                volumes=[volume_out(v, attached.get(v.id, [])) for v in volumes.list_mine(cloud)],
                can_launch="write" in p.scopes, values=values.pop("values", {}), errors=values.pop("errors", {}),
                which=values.pop("which", "launch"), **values)


@router.get("")
def local_page(request: Request, session: Session = Depends(get_session), p: Principal = Depends(needs("read"))):
    return view(request, session, p)


@router.get("/templates")
def template_choices(request: Request, selected: str = Query("", max_length=200),
                     session: Session = Depends(get_session), p: Principal = Depends(needs("write"))):
    """The launch form's template choices: every image of the engine, asked of the engine
    (slow on a busy one), so the page loads them after it shows (htmx, `hx-trigger=load`)."""
    runtime: Runtime = request.app.state.runtime
    try:
        offered, engine_error = templates.list_all(session, runtime.settings, runtime.secretbox), None
    except CloudfoldError as exc:  # no engine: the form says why it cannot launch
        offered, engine_error = [], exc.message
    return page(request, "_template_choices.html", templates=[t for t in offered if t.available],
                engine_error=engine_error, selected=selected)


def _launch_body(form: dict[str, str], image: str) -> dict:
    command = form.get("command", "").strip()
    try:
        argv = shlex.split(command) if command else None
    except ValueError:
        argv = command  # unbalanced quotes: given as one string, as the API takes it
    return {"name": form.get("name", "").strip(), "image": image, "subnet_id": form.get("subnet_id") or None,
            "ports": form.get("ports", "").strip() or None, "command": argv,
            "cpu": form.get("cpu") or None, "memory": form.get("memory") or None}


@router.post("/instances")
async def launch(request: Request):
    p, form = await scoped_form(request, "write")
    runtime: Runtime = request.app.state.runtime

    def run(session: Session):
        if not form.get("template"):
            return view(request, session, p, 400, values=form, errors={"template": "Choose a template"})
        try:
            image = templates.info(session, runtime.settings, runtime.secretbox, form["template"]).template.image
        except CloudfoldError as exc:
            return view(request, session, p, status_for(exc), values=form, errors={"template": exc.message})
        body, errors = parsed(InstanceIn, _launch_body(form, image))
        if body is None:
            errors = {("template" if k == "image" else k): v for k, v in errors.items()}
            return view(request, session, p, 400, values=form, errors=errors)
        made = instances.create(cloud_of(request, session, p), instances.Launch(**body.model_dump()))
        return made.resource_id

    try:
        done = await in_session(request, run)
    except CloudfoldError as exc:
        await audit_refusal(request, exc)
        field = field_of(exc.message, ("subnet_id", "subnet", "ports", "port", "name", "cpu", "memory", "command"))
        field = {"subnet": "subnet_id", "port": "ports"}.get(field, field)
        status, errors = status_for(exc), {field if field in FIELDS else FORM: exc.message}
        return await in_session(request, lambda s: view(request, s, p, status, values=form, errors=errors))
    if isinstance(done, int):
        return redirect(f"/ui/machines/{done}")
    return done
