"""Locally built images and seed 004 templates, against the real Podman engine of engine.py:
the busybox image serves HTTP from a container, the `cloudfold images` commands run as
subprocesses, and /api/templates reports what the engine holds. The slow debootstrap build is
not run here: only the command it would run is checked."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import tarfile
import time
import urllib.request
import uuid
from pathlib import Path

import docker
import pytest

from conftest import assert_error
from helpers_api import wait_until
from engine import BUSYBOX, IMAGE, TEST_LABELS
from inventory_support import register

from cloudfold.domain.templates import HOST_ARCH
from cloudfold.drivers import registry
from cloudfold.drivers.local.driver import engine_spec
from cloudfold.images import SPECS, builder, rootfs
from cloudfold.images.specs import LABEL, normalize

MISSING = "unix:///nonexistent/podman.sock"
INFO_FIELDS = {"id", "name", "description", "distribution", "version", "architecture", "size", "checksum", "url",
               "available", "storage", "path"}
LIST_FIELDS = {"id", "name", "description", "distribution", "version", "featured", "size", "available"}


def _fetch(url: str, timeout: float = 15.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _image_id(engine, ref: str) -> str | None:
    try:
        return engine.images.get(ref).id
    except docker.errors.ImageNotFound:
        return None


# -- the builder ---------------------------------------------------------------------------

def test_busybox_rootfs_has_the_applets_users_and_web_root(tmp_path):
    tar_path = rootfs.busybox_rootfs(BUSYBOX, tmp_path, lambda _m: None)
    with tarfile.open(tar_path) as tar:
        members = {m.name: m for m in tar.getmembers()}
        passwd = tar.extractfile("etc/passwd").read().decode()
        index = tar.extractfile("www/index.html").read().decode()
    assert members["bin/busybox"].isfile() and members["bin/busybox"].size > 500_000
    linked = {name.rsplit("/", 1)[-1] for name, m in members.items() if m.issym() and m.linkname == "/bin/busybox"}
    assert set(rootfs.REQUIRED_APPLETS) <= linked and len(linked) > 100
    assert passwd.startswith("root:x:0:0:root:/root:/bin/sh")
    assert members["tmp"].mode == 0o1777 and members["etc/group"].isfile() and "cloudfold" in index


def test_debootstrap_builder_runs_the_expected_commands_without_running_them(tmp_path, monkeypatch):
    debian = next(s for s in SPECS if s.builder == "debootstrap")
    assert debian.slow and debian not in builder.selected() and debian in builder.selected(debian=True)
    assert rootfs.debootstrap_command(Path("/r"), "bookworm") == [
        "debootstrap", "--variant=minbase", "bookworm", "/r", "http://deb.debian.org/debian"]

    ran: list[list[str]] = []
    monkeypatch.setattr(rootfs, "_run", lambda command, progress: ran.append(command))
    monkeypatch.setattr(rootfs.shutil, "which", lambda name: f"/usr/sbin/{name}")
    monkeypatch.setattr(rootfs.os, "geteuid", lambda: 0)
    out = rootfs.debootstrap_rootfs(debian, tmp_path, lambda _m: None, mirror="http://mirror.example/debian")
    root = str(tmp_path / "root")
    assert ran == [["debootstrap", "--variant=minbase", "bookworm", root, "http://mirror.example/debian"],
                   ["tar", "--numeric-owner", "--xattrs", "-C", root, "-cf", str(out), "."]]

    monkeypatch.setattr(rootfs.os, "geteuid", lambda: 1000)
    with pytest.raises(rootfs.BuildError, match="needs root"):
        rootfs.debootstrap_rootfs(debian, tmp_path, lambda _m: None)


def test_built_busybox_image_serves_http_from_a_container(engine, engine_socket):
    steps: list[str] = []
    driver = registry.open_driver(engine_spec(engine_socket))
    try:
        image = builder.build(driver, BUSYBOX, steps.append)
    finally:
        driver.close()
    assert steps[0] == "making the root filesystem" and any(s.startswith("importing") for s in steps)
    assert image["id"] == _image_id(engine, BUSYBOX.ref) and image["labels"][LABEL] == BUSYBOX.ref
    assert normalize(BUSYBOX.ref) in {normalize(t) for t in image["tags"]} and image["size"] > 500_000
    assert _image_id(engine, IMAGE) is not None  # the image it replaced is kept while tagged elsewhere

    c = engine.containers.run(BUSYBOX.ref, ["httpd", "-f", "-p", "8080", "-h", "/www"], detach=True,
                              name=f"cf-test-{uuid.uuid4().hex[:8]}", labels=TEST_LABELS,
                              ports={"8080/tcp": ("127.0.0.1", None)})
    try:
        c.reload()
        port = c.ports["8080/tcp"][0]["HostPort"]
        assert b"cloudfold/busybox works" in _fetch(f"http://127.0.0.1:{port}/")
        code, out = c.exec_run(["sh", "-c", "hostname && env && ps && wget -q -O - http://127.0.0.1:8080/"])
        assert code == 0 and b"PATH=/usr/local/sbin" in out and b"httpd" in out and b"busybox works" in out
    finally:
        c.remove(force=True)


def test_a_build_removes_the_earlier_builds_no_container_uses(engine, engine_socket, monkeypatch):
    """Earlier builds left untagged are pruned by the next build (Podman lists images ~0.1 s
    each, so they slowed every template listing); one a container still runs stays."""
    spec = dataclasses.replace(BUSYBOX, name=f"localhost/cf-prune-{uuid.uuid4().hex[:8]}")
    mine = {"label": f"{LABEL}={spec.ref}"}
    driver = registry.open_driver(engine_spec(engine_socket))
    try:
        builder.build(driver, spec)
        c = engine.containers.run(spec.ref, ["sleep", "300"], detach=True, labels=TEST_LABELS)
        in_use = c.image.id
        builder.build(driver, spec)  # the first: untagged, in use, kept
        monkeypatch.setattr(builder, "PRUNE_AFTER", "0s")
        builder.build(driver, spec)  # the second: untagged, unused, removed

        def untagged() -> list[str]:
            return [i.id for i in engine.images.list(all=True, filters=mine) if not i.tags]

        assert untagged() == [in_use]
        c.remove(force=True)
        builder.build(driver, spec)
        # Podman may count a just-removed container's image as used for a moment: prune again
        def pruned() -> bool:
            driver.prune_untagged(mine["label"], "0s")
            return untagged() == []

        wait_until(pruned, timeout=15)
        assert len(engine.images.list(all=True, filters=mine)) == 1  # the build just made
    finally:
        for image in engine.images.list(all=True, filters=mine):
            engine.images.remove(image.id, force=True)
        driver.close()


# -- the CLI -------------------------------------------------------------------------------

def _cli(*args: str, docker_host: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFOLD_")}
    env.update(CLOUDFOLD_DOCKER_HOST=docker_host, COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "cloudfold", "images", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_builds_and_lists_images(engine, engine_socket):
    before = _image_id(engine, BUSYBOX.ref)
    built = _cli("build", docker_host=engine_socket)
    assert built.returncode == 0, built.stdout + built.stderr
    if before not in (_image_id(engine, BUSYBOX.ref), _image_id(engine, IMAGE)):
        assert pytest.raises(docker.errors.ImageNotFound, engine.images.get, before)  # replaced and untagged: removed
    assert f"{BUSYBOX.ref}: built sha256:{_image_id(engine, BUSYBOX.ref)[7:19]}" in built.stdout
    assert "cloudfold/debian" not in built.stdout  # only with --debian

    listed = _cli("list", docker_host=engine_socket)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split("│")[1].strip(): line for line in listed.stdout.splitlines() if line.count("│") > 4}
    assert "present" in rows[BUSYBOX.ref] and _image_id(engine, BUSYBOX.ref)[7:19] in rows[BUSYBOX.ref]
    debian_present = _image_id(engine, "cloudfold/debian:12") is not None
    assert ("present" if debian_present else "not built") in rows["cloudfold/debian:12"]

    down = _cli("build", docker_host=MISSING)
    assert down.returncode == 1 and "unreachable" in down.stdout + down.stderr


# -- templates -----------------------------------------------------------------------------

@pytest.fixture
def extra_image(engine):
    """A tagged image outside the catalog (its own id: a distinct one-file rootfs)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))
    repo = f"localhost/cf-extra-{uuid.uuid4().hex[:8]}"
    answer = engine.api.import_image_from_data(buf.getvalue(), repository=repo, tag="v1",
                                               changes=[f"LABEL cf.test={uuid.uuid4().hex}"])
    image_id = json.loads(answer.splitlines()[-1])["status"]
    engine.api.tag(image_id, repo, "v1")
    yield f"{repo}:v1", image_id
    engine.images.remove(image_id, force=True)


def _by_id(body: dict) -> dict[str, dict]:
    assert body["total"] == len(body["templates"])
    return {t["id"]: t for t in body["templates"]}


def test_templates_list_featured_all_and_info(make_client, make_account, engine, engine_socket, extra_image):
    client = make_client(docker_host=engine_socket)
    h = make_account("member", client).headers
    busybox_id = _image_id(engine, BUSYBOX.ref)

    featured = _by_id(client.get("/api/templates", headers=h).json())
    assert set(featured) == {"busybox-1-standard", "debian-12-standard"}
    busybox = featured["busybox-1-standard"]
    assert set(busybox) == LIST_FIELDS and busybox["featured"] and busybox["available"]
    assert busybox["size"] == engine.images.get(BUSYBOX.ref).attrs["Size"]
    assert busybox["distribution"] == "busybox" and busybox["version"] == "1"
    assert featured["debian-12-standard"]["available"] is (_image_id(engine, "cloudfold/debian:12") is not None)

    everything = _by_id(client.get("/api/templates/all", headers=h).json())
    ref, extra_id = extra_image
    extra = everything[normalize(ref).replace(":", "-")]
    assert extra["available"] and not extra["featured"] and extra["version"] == "v1"
    assert set(featured) <= set(everything)
    # another tag of a catalog template's image makes no second template
    assert not any(t["name"] == normalize(BUSYBOX.name) for t in everything.values())

    info = client.get("/api/templates/busybox-1-standard/info", headers=h).json()
    assert set(info) == INFO_FIELDS
    assert info == {**info, "checksum": busybox_id, "url": None, "available": True, "storage": "local",
                    "path": BUSYBOX.ref, "architecture": HOST_ARCH, "size": busybox["size"]}
    r = client.get(f"/api/templates/{extra['id']}/info", headers=h)
    assert r.status_code == 200, r.text
    extra_info = r.json()
    assert extra_info["checksum"] == extra_id and extra_info["path"].endswith(ref.split("/", 1)[1])

    assert_error(client.get("/api/templates/no-such-template/info", headers=h), 404, "NOT_FOUND")
    for path in ("/api/templates", "/api/templates/all", "/api/templates/busybox-1-standard/info"):
        assert_error(client.get(path), 401, "UNAUTHORIZED")


def test_templates_file_adds_overrides_and_chooses_featured(tmp_path, make_client, make_account, engine_socket):
    toml = tmp_path / "templates.toml"
    toml.write_text(f'''featured = ["web-1"]

[templates.web-1]
image = "{IMAGE}"
name = "Web server"
distribution = "busybox"
version = "1"

[templates.busybox-1-standard]
name = "Tiny BusyBox"
''')
    client = make_client(docker_host=engine_socket, templates_file=toml)
    h = make_account("member", client).headers
    featured = client.get("/api/templates", headers=h).json()
    assert [(t["id"], t["name"], t["available"]) for t in featured["templates"]] == [("web-1", "Web server", True)]
    everything = _by_id(client.get("/api/templates/all", headers=h).json())
    assert everything["busybox-1-standard"]["name"] == "Tiny BusyBox" and not everything["busybox-1-standard"]["featured"]

    missing = tmp_path / "templates.json"
    missing.write_text(json.dumps({"templates": {"gone-1": {"image": "localhost/cf-never-built:1", "featured": True}}}))
    client = make_client(docker_host=engine_socket, templates_file=missing)
    info = client.get("/api/templates/gone-1/info", headers=h).json()
    assert info == {**info, "available": False, "size": None, "checksum": None, "path": "localhost/cf-never-built:1"}
    assert "gone-1" in _by_id(client.get("/api/templates", headers=h).json())

    bad = tmp_path / "bad.toml"
    bad.write_text('[templates.x]\nimage = "a:1"\ncolour = "red"\n')
    r = make_client(docker_host=engine_socket, templates_file=bad).get("/api/templates", headers=h)
    assert_error(r, 500, "INTERNAL_ERROR")
    assert "templates_file" in r.json()["message"]


def test_templates_without_an_engine_and_from_the_local_account(make_client, make_account, engine_socket):
    client = make_client(docker_host=MISSING)
    h = make_account("member", client).headers
    offline = _by_id(client.get("/api/templates", headers=h).json())
    assert set(offline) == {"busybox-1-standard", "debian-12-standard"}
    assert not any(t["available"] for t in offline.values())
    assert _by_id(client.get("/api/templates/all", headers=h).json()).keys() == offline.keys()
    info = client.get("/api/templates/busybox-1-standard/info", headers=h).json()
    assert info["available"] is False and info["checksum"] is None

    register(make_account("admin", client), "local", "podman", {"docker_host": engine_socket})
    online = _by_id(client.get("/api/templates", headers=h).json())
    assert online["busybox-1-standard"]["available"] is True  # the account's engine beats settings.docker_host
