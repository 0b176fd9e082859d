"""The local driver's typed errors, from a real Podman engine's HTTP status and `cause`, and
what the project answers for each (domain/driver_errors)."""

from __future__ import annotations

import socket
import uuid

import pytest
from engine import IMAGE, TEST_LABELS

from cloudfold.domain.driver_errors import translate
from cloudfold.domain.quotas import NOT_AVAILABLE
from cloudfold.drivers import base, registry
from cloudfold.drivers.base import Conflict, DriverError, NotFound, PortInUse
from cloudfold.drivers.local import provision
from cloudfold.drivers.local.driver import LocalDriver, engine_spec


@pytest.fixture
def driver(engine_socket):
    opened = LocalDriver(engine_spec(engine_socket))
    yield opened
    opened.close()


def _spec(**kwargs) -> provision.ContainerSpec:
    return provision.ContainerSpec(name=f"cf-typed-{uuid.uuid4().hex[:8]}", image=IMAGE, object_id="typed",
                                   command=["sleep", "300"], labels=dict(TEST_LABELS), **kwargs)


def test_a_missing_container_is_not_found(driver):
    missing = "cf-typed-never-made"
    assert driver.get("container", missing) is None
    for call in (lambda: driver.act("container", missing, "stop"), lambda: driver.logs(missing, 10)):
        with pytest.raises(NotFound) as caught:
            call()
        assert "404" in str(caught.value) and missing not in str(caught.value)  # the engine's words: logged only
        assert missing in caught.value.upstream
    assert driver.act("container", missing, "terminate") is None  # already gone


def test_a_taken_port_is_port_in_use(driver, engine):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        with pytest.raises(PortInUse) as caught:
            provision.create_container(driver, _spec(ports=[(port, 80, "tcp")]))
    finally:
        holder.close()
    assert "address already in use" in str(caught.value)  # Podman's cause: the kind, no address
    assert str(port) not in str(caught.value)
    assert not engine.containers.list(all=True, filters={"label": f"cloudfold.test={TEST_LABELS['cloudfold.test']}",
                                                         "name": "cf-typed-"})  # the failed one was removed
    error = translate(caught.value)
    assert error.code == "CONFLICT" and error.message == NOT_AVAILABLE


def test_a_taken_name_is_conflict(driver):
    spec = _spec(start=False)
    made = provision.create_container(driver, spec)
    try:
        with pytest.raises(Conflict) as caught:
            provision.create_container(driver, spec)
        assert not isinstance(caught.value, PortInUse) and translate(caught.value).code == "CONFLICT"
    finally:
        provision.remove_container(driver, made.external_id)


def test_a_range_in_use_is_conflict(driver):
    cidr = f"10.{200 + uuid.uuid4().int % 50}.{uuid.uuid4().int % 250}.0/24"
    first = provision.create_network(driver, f"cf-typed-{uuid.uuid4().hex[:8]}", cidr, "typed")
    try:
        with pytest.raises(Conflict, match="overlapping"):
            provision.create_network(driver, f"cf-typed-{uuid.uuid4().hex[:8]}", cidr, "typed")
    finally:
        provision.remove_network(driver, first.external_id)


def test_an_unknown_action_or_kind_is_invalid(driver):
    for call in (lambda: driver.act("container", "x", "hibernate"), lambda: driver.act("volume", "x", "stop")):
        with pytest.raises(DriverError) as caught:
            call()
        assert translate(caught.value).code == "BAD_REQUEST"


def test_drivers_declare_capabilities_and_action_options():
    local, aws, proxmox = (registry.driver_class(t) for t in ("local", "aws", "proxmox"))
    assert {"logs", "stats", "host", "provisioning"} <= local.capabilities
    assert not aws.supports("stats") and not proxmox.supports("logs")
    assert local.actions["stop"] == {"force", "timeout"} and aws.actions["stop"] == {"force"}
    assert aws.options_for("stop", {"force": True, "timeout": 3}) == {"force": True}


@pytest.mark.parametrize("raised,code", [
    (NotFound("x"), "CONFLICT"), (Conflict("x"), "CONFLICT"), (PortInUse("x"), "CONFLICT"),
    (base.QuotaExceeded("x"), "CONFLICT"), (base.InvalidRequest("x"), "BAD_REQUEST"),
    (base.Unavailable("x"), "SERVICE_UNAVAILABLE"), (base.DriverNotImplemented("x"), "SERVICE_UNAVAILABLE"),
    (base.UpstreamError("x"), "UPSTREAM_ERROR"), (DriverError("x"), "UPSTREAM_ERROR"),
])
def test_one_translation_for_every_driver_error(raised, code):
    raised.upstream = "the provider's own words"
    error = translate(raised, "Container engine")
    assert error.code == code and "the provider's own words" not in error.message


def test_an_answer_that_is_not_json_is_an_upstream_error(driver):
    """Podman answers `stats` of a container it is removing with an empty body: an upstream
    error (the caller skips that sample), never a JSONDecodeError that ends the request in a 500."""
    import json

    from cloudfold.drivers.base import UpstreamError

    def empty_answer():
        return json.loads("")

    with pytest.raises(UpstreamError) as caught:
        driver.call(empty_answer)
    assert "unreadable answer" in str(caught.value)
