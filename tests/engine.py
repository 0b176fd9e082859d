"""A real container engine for the tests: Podman's Docker-compatible API service, started
once per test session on a private socket, with the product's busybox image built locally
(no registry is reachable on these machines; see ../shared/ENVIRONMENT.md)."""

from __future__ import annotations

import subprocess
import uuid

import docker
import pytest

import podman_service

from cloudfold.drivers import registry
from cloudfold.drivers.local.driver import engine_spec
from cloudfold.images import SPECS, builder

BUSYBOX = next(s for s in SPECS if s.builder == "busybox")

IMAGE = "localhost/cloudfold-busybox:test"
# every container and volume a test session makes carries TEST_LABELS; the session removes
# only its own at the end, so test sessions sharing one engine never remove each other's
TEST_LABELS = {"cloudfold.test": uuid.uuid4().hex}


def build_busybox_image(client: docker.DockerClient, url: str) -> str:
    """The product's cloudfold/busybox:1 (what `cloudfold images build` makes), tagged IMAGE too.
    IMAGE moves to the new build in one step (a concurrent test session never misses it); the
    image it named before is removed once nothing names it."""
    try:
        old = client.images.get(IMAGE).id
    except docker.errors.ImageNotFound:
        old = None
    driver = registry.open_driver(engine_spec(url))
    try:
        image = builder.build(driver, BUSYBOX)
    finally:
        driver.close()
    client.api.tag(image["id"], *IMAGE.rsplit(":", 1))
    if old is not None and old != image["id"]:
        try:
            if not client.images.get(old).tags:
                client.images.remove(old)
        except docker.errors.APIError:
            pass  # in use by a container, or already gone
    return IMAGE


@pytest.fixture(scope="session")
def engine_socket(tmp_path_factory) -> str:
    """Base URL of a running Podman API service; fails (never skips) when Podman is missing."""
    try:
        proc, url = podman_service.start(tmp_path_factory.mktemp("podman"))
    except podman_service.PodmanMissing as exc:
        pytest.fail(str(exc))
    client = docker.DockerClient(base_url=url, timeout=60)
    try:
        client.ping()
        build_busybox_image(client, url)  # under a second: always the current builder's image
        yield url
    finally:
        mine = [f"cloudfold.test={TEST_LABELS['cloudfold.test']}"]
        for c in client.containers.list(all=True, filters={"label": mine}):
            c.remove(force=True)
        for v in client.volumes.list(filters={"label": mine}):
            try:
                v.remove(force=True)
            except docker.errors.APIError:
                pass
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def engine(engine_socket):
    client = docker.DockerClient(base_url=engine_socket, timeout=60)
    yield client
    client.close()


@pytest.fixture
def make_container(engine):
    """Run a labelled busybox container; every one made is removed after the test."""
    made = []

    def run(command=("sleep", "300"), name: str | None = None, **kwargs):
        c = engine.containers.run(IMAGE, list(command), detach=True, name=name or f"cf-test-{uuid.uuid4().hex[:8]}",
                                  labels={**TEST_LABELS, **kwargs.pop("labels", {})}, **kwargs)
        made.append(c)
        return c

    yield run
    for c in made:
        try:
            c.remove(force=True)
        except docker.errors.NotFound:
            pass
