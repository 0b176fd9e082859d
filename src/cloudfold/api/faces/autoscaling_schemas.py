"""Shapes of seed 003's `/autoscaling/groups` (fields as EC2 Auto Scaling and poyrazK/thecloud
name them: `min_instances`, `max_instances`, `desired_count` are accepted for `min_size`,
`max_size`, `desired_capacity`, and a flat `image`/`ports`/`vpc_id`… for `launch_template`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, Field, create_model, model_validator
from pydantic.fields import FieldInfo

from cloudfold.api.faces.instances import InstanceIn
from cloudfold.api.faces.localcloud_common import NAME_PATTERN, Body
from cloudfold.domain.autoscaling import specs
from cloudfold.domain.inputs import PlainText

# the instance fields of seed 003 (POST /instances), without the name (`<group>-<n>`) and volumes
TEMPLATE = {n: f for n, f in InstanceIn.model_fields.items() if n not in ("name", "volumes")}
LaunchTemplate = create_model(
    "LaunchTemplate", __base__=Body, __doc__="What each instance of the group is launched with (POST /instances' fields)",
    **{n: (f.annotation, f) for n, f in TEMPLATE.items()})
LaunchTemplatePatch = create_model(
    "LaunchTemplatePatch", __base__=Body, __doc__="Launch template fields to change (new instances use them)",
    **{n: (f.annotation | None, FieldInfo.merge_field_infos(f, default=None, default_factory=None))
       for n, f in TEMPLATE.items()})
FLAT = tuple(n for n in LaunchTemplate.model_fields)
SIZE = Field(ge=0, le=specs.MAX_SIZE)


class ScheduleEntry(Body):
    cron: PlainText = Field(min_length=1, max_length=120, description="5-field cron expression, UTC ('0 8 * * 1-5')")
    desired: int = Field(ge=0, le=specs.MAX_SIZE, description="The desired capacity from this time on")


class TargetCpuPolicy(Body):
    type: Literal["target_cpu"]
    target_percent: float = Field(ge=1, le=100, description="Average CPU of the instances to keep, in percent of "
                                  "the template's cpu (one core when none), over the last "
                                  "CLOUDFOLD_AUTOSCALING_CPU_WINDOW_SECONDS of metric history")
    cooldown_s: int = Field(specs.DEFAULT_COOLDOWN, ge=0, le=specs.MAX_COOLDOWN,
                            description="Seconds after a change before the policy changes the capacity again")


class SchedulePolicy(Body):
    type: Literal["schedule"]
    entries: list[ScheduleEntry] = Field(min_length=1, max_length=specs.MAX_ENTRIES,
                                         description="The latest entry to fire sets the desired capacity")


Policy = Annotated[TargetCpuPolicy | SchedulePolicy, Field(discriminator="type")]


class _GroupFields(Body):
    @model_validator(mode="before")
    @classmethod
    def _flat_template(cls, data: Any) -> Any:
        """thecloud's flat fields (image, ports, vpc_id, …) as the launch template."""
        if isinstance(data, dict) and any(k in data for k in FLAT):
            flat = {k: data[k] for k in FLAT if k in data}
            rest = {k: v for k, v in data.items() if k not in FLAT}
            if isinstance(rest.get("launch_template"), dict):
                flat = {**rest["launch_template"], **flat}
            return {**rest, "launch_template": flat}
        return data

    def spec(self) -> specs.GroupSpec:
        given = set(self.model_fields_set)
        values = {f: getattr(self, f) for f in given if f != "launch_template"}
        given.discard("launch_template")
        if self.launch_template is not None:  # null: no change
            values["template"] = self.launch_template.model_dump(exclude_unset=True)
            given.add("template")
        if "policy" in given and self.policy is not None:
            values["policy"] = self.policy.model_dump()
        return specs.GroupSpec(**values, given=frozenset(given))


class GroupIn(_GroupFields):
    name: str = Field(min_length=1, max_length=48, pattern=NAME_PATTERN,
                      description="Instances are named <name>-<n>; letters, digits, '.', '_' or '-'")
    launch_template: LaunchTemplate
    min_size: int = Field(validation_alias=AliasChoices("min_size", "min_instances"), ge=0, le=specs.MAX_SIZE)
    max_size: int = Field(validation_alias=AliasChoices("max_size", "max_instances"), ge=1, le=specs.MAX_SIZE)
    desired_capacity: int | None = Field(None, validation_alias=AliasChoices("desired_capacity", "desired_count"),
                                         ge=0, le=specs.MAX_SIZE, description="Default: min_size")
    load_balancer_id: str | None = Field(None, max_length=36, description="A load balancer of yours the "
                                         "instances are registered with (with target_port)")
    target_port: int | None = Field(None, ge=1, le=65535, description="The instances' port the load balancer sends to")
    policy: Policy | None = None
    health_check_grace_s: int = Field(60, ge=0, le=86400, description="Seconds a new instance may fail the load "
                                      "balancer's health check before it is replaced")


class GroupUpdate(_GroupFields):
    """The fields given change; launch_template fields given replace those kept (new instances
    use them)."""
    name: str | None = Field(None, min_length=1, max_length=48, pattern=NAME_PATTERN)
    launch_template: LaunchTemplatePatch | None = None
    min_size: int | None = Field(None, validation_alias=AliasChoices("min_size", "min_instances"), ge=0,
                                 le=specs.MAX_SIZE)
    max_size: int | None = Field(None, validation_alias=AliasChoices("max_size", "max_instances"), ge=1,
                                 le=specs.MAX_SIZE)
    desired_capacity: int | None = Field(None, validation_alias=AliasChoices("desired_capacity", "desired_count"),
                                         ge=0, le=specs.MAX_SIZE)
    policy: Policy | None = None
    health_check_grace_s: int | None = Field(None, ge=0, le=86400)


class Member(BaseModel):
    id: str = Field(description="The instance (GET /instances/{id})")
    name: str
    status: str


class GroupOut(BaseModel):
    id: str
    name: str
    status: str = Field(description="active, or deleting")
    launch_template: LaunchTemplate
    min_size: int = Field(description="The group never has fewer instances (thecloud: min_instances)")
    max_size: int = Field(description="The group never has more instances (thecloud: max_instances)")
    desired_capacity: int = Field(description="The number of instances the reconciler keeps (thecloud: desired_count)")
    current_count: int = Field(description="Instances of the group now (being made included)")
    instances: list[Member]
    load_balancer_id: str | None = Field(description="The load balancer the instances are registered with")
    target_port: int | None = Field(description="The instances' port the load balancer sends to")
    policy: Policy | None = Field(description="How the desired capacity changes on its own (none: only by PUT)")
    health_check_grace_s: int = Field(description="Seconds a new instance may fail the load balancer's health check")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, shown: dict[str, Any]) -> GroupOut:
        return cls(**{k: v for k, v in shown.items() if k != "template"}, launch_template=shown["template"])


class ActivityOut(BaseModel):
    id: int
    group_id: str
    action: str = Field(description="launch, terminate, or scale")
    cause: str = Field(description="Why it was done")
    status: str = Field(description="in_progress, succeeded, or failed")
    instance_id: str | None
    message: str | None = Field(description="What happened (why it failed)")
    started_at: datetime
    ended_at: datetime | None


class GroupDeleted(BaseModel):
    success: bool = True
    id: str
    status: str = Field(description="deleted; or deleting: the reconciler finishes it")
    keep_instances: bool
