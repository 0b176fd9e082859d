"""The Proxmox driver against tests/pve_standin.py: an HTTPS stand-in shaped after the
documented PVE API (not a live Proxmox). The driver runs unchanged: proxmoxer's https backend,
real TLS verification against a throwaway CA."""

from __future__ import annotations

import socket
import threading
import time

import proxmoxer  # noqa: F401  (the extra is part of the test install: a missing SDK fails)
import pytest
from pve_standin import PveStandin, demo_state, make_tls_files

from cloudfold.drivers import registry
from cloudfold.drivers.base import (
    AccountSpec,
    Conflict,
    DriverError,
    DriverUnavailable,
    InvalidCredentials,
    InvalidRequest,
    NotFound,
    UpstreamError,
)
from cloudfold.drivers.proxmox.driver import ProxmoxDriver

TOKEN = {"user": "root@pam", "token_name": "cloudfold", "token_value": "0b6a4a56-5b8d-4a3e-9f7e-1d2c3b4a5f60"}
PASSWORD = {"user": "root@pam", "password": "correct-horse"}


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    return make_tls_files(tmp_path_factory.mktemp("pve-tls"))


@pytest.fixture
def pve(tls):
    _, cert, key = tls
    with PveStandin(demo_state(), cert, key) as server:
        yield server


@pytest.fixture
def make_driver(pve, tls):
    ca = str(tls[0])
    opened = []

    def build(credentials=None, **config):
        cfg = {"host": pve.host, "verify_ssl": ca, "timeout": 5, **config}
        driver = ProxmoxDriver(AccountSpec(id="pve", provider_type="proxmox", region=None,
                                           credentials=dict(credentials or TOKEN), config=cfg))
        opened.append(driver)
        return driver

    yield build
    for d in opened:
        d.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- validate ---------------------------------------------------------------------------
@pytest.mark.parametrize("credentials", [
    TOKEN,
    PASSWORD,
    {"token_name": "root@pam!cloudfold", "token_value": "x"},  # full token id names the user
    {"user": "root@pam", "token_name": "root@pam!cloudfold", "token_value": "x"},
    {**TOKEN, "password": "also-there"},
])
def test_validate_accepts_token_or_password(credentials):
    ProxmoxDriver.validate(credentials, {"host": "pve.example.com"})
    registry.validate("proxmox", credentials, {"host": "pve.example.com:8006"})


@pytest.mark.parametrize("credentials", [
    {},
    {"user": "root@pam"},
    {"user": "root@pam", "token_name": "cloudfold"},
    {"user": "root@pam", "token_value": "secret"},
    {"token_name": "cloudfold", "token_value": "secret"},
    {"password": "pw"},
    {"user": "root", "password": "pw"},  # no realm
    {"user": "root@pam", "password": ""},
    {"user": "alice@pve", "token_name": "root@pam!cloudfold", "token_value": "x"},  # someone else's token
])
def test_validate_rejects_incomplete_credentials(credentials):
    with pytest.raises(InvalidCredentials):
        ProxmoxDriver.validate(credentials, {"host": "pve.example.com"})
    with pytest.raises(InvalidCredentials):
        registry.validate("proxmox", credentials, {"host": "pve.example.com"})


@pytest.mark.parametrize("config", [
    {"host": "pve"}, {"host": "10.0.0.5:8443"}, {"host": "https://pve.lan:8006/"}, {"host": "[fd00::5]:8006"},
    {"host": "fd00::5"}, {"host": "pve", "port": 443}, {"host": "pve", "port": "8006"},
    {"host": "pve", "verify_ssl": False}, {"host": "pve", "verify_ssl": "/etc/pve/pve-root-ca.pem"},
    {"host": "pve", "timeout": 2.5, "task_timeout": 60, "region": "dc-1"},
])
def test_validate_accepts_config(config):
    ProxmoxDriver.validate(TOKEN, config)


@pytest.mark.parametrize("config", [
    {}, {"host": ""}, {"host": 5}, {"host": "http://pve"}, {"host": "pve/api2/json"},
    {"host": "pve:notaport"}, {"host": "pve", "port": 0}, {"host": "pve", "port": 70000},
    {"host": "pve", "port": True}, {"host": "pve:8006", "port": 443}, {"host": "pve", "timeout": 0},
    {"host": "pve", "timeout": "10"}, {"host": "pve", "task_timeout": -1}, {"host": "pve", "verify_ssl": 1},
    {"host": "pve", "region": ""},
])
def test_validate_rejects_config(config):
    with pytest.raises(InvalidCredentials):
        ProxmoxDriver.validate(TOKEN, config)


def test_registry_resolves_the_driver():
    assert registry.driver_class("proxmox") is ProxmoxDriver
    spec = AccountSpec(id="x", provider_type="proxmox", region=None, credentials=TOKEN, config={"host": "h"})
    assert isinstance(registry.open_driver(spec), ProxmoxDriver)


def test_misconfigured_account_is_a_driver_error():
    driver = ProxmoxDriver(AccountSpec(id="x", provider_type="proxmox", region=None, credentials={}, config={}))
    with pytest.raises(DriverError, match="misconfigured"):
        driver.ping()


# -- reading ----------------------------------------------------------------------------
def test_ping(make_driver, pve):
    make_driver().ping()
    assert pve.state.paths() == ["/version"]


def test_pages_one_per_node_per_type(make_driver, pve):
    pages = list(make_driver().pages())
    assert [[d.external_id for d in p] for p in pages] == [
        ["pve1/qemu/100", "pve1/qemu/101", "pve1/qemu/102", "pve1/qemu/9000"],
        ["pve1/lxc/200"],
        ["pve2/qemu/300"],
        ["pve2/lxc/301", "pve2/lxc/302"],
    ]
    assert pve.state.paths() == ["/nodes", "/nodes/pve1/qemu", "/nodes/pve1/lxc", "/nodes/pve2/qemu", "/nodes/pve2/lxc"]
    by_id = {d.external_id: d for p in pages for d in p}
    web = by_id["pve1/qemu/100"]
    assert (web.kind, web.name, web.status, web.region) == ("vm", "web1", "running", "pve1")
    assert web.tags == {"prod": "", "web": ""}
    assert web.metadata["tags"] == ["prod", "web"]
    assert {k: web.metadata[k] for k in ("node", "vmid", "type", "cpus", "maxmem", "maxdisk", "template")} == {
        "node": "pve1", "vmid": 100, "type": "qemu", "cpus": 4, "maxmem": 2 * 1024**3,
        "maxdisk": 32 * 1024**3, "template": False}
    assert web.metadata["uptime"] > 0 and web.metadata["mem"] > 0 and web.metadata["cpu"] > 0
    assert by_id["pve1/qemu/101"].status == "stopped" and by_id["pve1/qemu/101"].metadata["uptime"] == 0
    assert by_id["pve1/qemu/102"].status == "paused"  # status running + qmpstatus paused
    assert by_id["pve1/qemu/9000"].metadata["template"] is True
    ct = by_id["pve1/lxc/200"]
    assert (ct.kind, ct.name, ct.status, ct.tags) == ("container", "ct-dns", "running", {"infra": ""})
    assert by_id["pve2/lxc/301"].region == "pve2"


def test_pages_kinds_filter_and_region_override(make_driver, pve):
    driver = make_driver(region="homelab")
    pages = list(driver.pages(("container",)))
    assert [[d.external_id for d in p] for p in pages] == [["pve1/lxc/200"], ["pve2/lxc/301", "pve2/lxc/302"]]
    assert {d.region for p in pages for d in p} == {"homelab"}
    assert list(driver.pages(("storage", "dns_zone"))) == []


def test_pages_accepts_pve7_string_vmids(make_driver, pve):
    pve.state.legacy_lxc_vmid = True
    ids = [d.external_id for p in make_driver().pages(("container",)) for d in p]
    assert ids == ["pve1/lxc/200", "pve2/lxc/301", "pve2/lxc/302"]


def test_pages_offline_node_comes_from_cluster_resources(make_driver, pve):
    pve.state.nodes["pve2"].status = "offline"
    pages = list(make_driver().pages())
    assert [[d.external_id for d in p] for p in pages][2:] == [["pve2/qemu/300"], ["pve2/lxc/301", "pve2/lxc/302"]]
    app2 = pages[2][0]
    assert (app2.status, app2.name, app2.metadata["node_status"]) == ("unknown", "app2", "offline")
    assert "/nodes/pve2/qemu" not in pve.state.paths()
    assert pve.state.paths().count("/cluster/resources") == 1


def test_pages_unreachable_online_node_fails_the_listing(make_driver, pve):
    pve.state.nodes["pve2"].reachable = False  # /nodes says online, proxying to it fails (595)
    pages = make_driver().pages()
    assert len(next(pages)) == 4 and len(next(pages)) == 1
    with pytest.raises(DriverUnavailable, match="595"):
        next(pages)


def test_get(make_driver):
    driver = make_driver()
    vm = driver.get("vm", "pve1/qemu/102")
    assert (vm.external_id, vm.name, vm.status, vm.metadata["qmpstatus"]) == ("pve1/qemu/102", "paused1", "paused", "paused")
    ct = driver.get("container", "pve2/lxc/302")
    assert (ct.kind, ct.status, ct.region) == ("container", "running", "pve2")


def test_get_missing_is_none(make_driver):
    driver = make_driver()
    assert driver.get("vm", "pve1/qemu/999") is None
    assert driver.get("vm", "pve2/qemu/100") is None  # lives on pve1
    assert driver.get("container", "pve1/lxc/100") is None  # a VM, not a container


def test_get_bad_ids(make_driver):
    driver = make_driver()
    for kind, ext in [("vm", "pve1/qemu"), ("vm", "pve1/kvm/100"), ("vm", "pve1/qemu/abc"),
                      ("vm", "pve1/lxc/200"), ("storage", "pve1/qemu/100")]:
        with pytest.raises(DriverError):
            driver.get(kind, ext)
    with pytest.raises(DriverError, match="500") as info:
        driver.get("vm", "nosuchnode/qemu/100")
    assert "hostname lookup" in info.value.upstream and "hostname" not in str(info.value)  # PVE's text: log only


# -- acting -----------------------------------------------------------------------------
def task_polls(pve, type_):
    return [p for p in pve.state.paths("GET") if p.startswith("/nodes/") and f":{type_}:" in p]


@pytest.mark.parametrize("kind,ext,action,before,after,task", [
    ("vm", "pve1/qemu/101", "start", "stopped", "running", "qmstart"),
    ("vm", "pve1/qemu/100", "stop", "running", "stopped", "qmshutdown"),
    ("vm", "pve1/qemu/100", "reboot", "running", "running", "qmreboot"),
    ("vm", "pve1/qemu/102", "reset", "paused", "running", "qmreset"),
    ("container", "pve2/lxc/301", "start", "stopped", "running", "vzstart"),
    ("container", "pve1/lxc/200", "stop", "running", "stopped", "vzshutdown"),
    ("container", "pve1/lxc/200", "reboot", "running", "running", "vzreboot"),
])
def test_power_actions_wait_for_the_task(make_driver, pve, kind, ext, action, before, after, task):
    pve.state.task_polls = 3
    driver = make_driver()
    assert driver.get(kind, ext).status == before
    result = driver.act(kind, ext, action)
    assert result.external_id == ext and result.status == after
    node, type_, vmid = ext.split("/")
    verb = "shutdown" if action == "stop" else action  # a graceful stop is PVE's shutdown
    assert ("POST", f"/nodes/{node}/{type_}/{vmid}/status/{verb}") in pve.state.log
    assert len(task_polls(pve, task)) == 4  # 3 x running, then stopped
    guest = pve.state.guests[int(vmid)]
    assert guest.status == ("running" if after in ("running", "paused") else "stopped")


@pytest.mark.parametrize("ext,task", [("pve1/qemu/100", "qmstop"), ("pve1/lxc/200", "vzstop")])
def test_forced_stop_is_pve_stop(make_driver, pve, ext, task):
    kind = "vm" if "/qemu/" in ext else "container"
    assert make_driver().act(kind, ext, "stop", force=True).status == "stopped"
    node, type_, vmid = ext.split("/")
    writes = [(m, p) for m, p in pve.state.log if m != "GET"]
    assert writes == [("POST", f"/nodes/{node}/{type_}/{vmid}/status/stop")]
    assert task_polls(pve, task)


def test_stop_declares_graceful_and_forced():
    assert ProxmoxDriver.actions["stop"] == {"force", "timeout"}
    assert ProxmoxDriver.options_for("stop", {"force": True, "timeout": 5, "other": 1}) == {"force": True, "timeout": 5}
    assert ProxmoxDriver.options_for("start", {"force": True}) == {}


def test_reset_on_lxc_is_refused_without_calling_pve(make_driver, pve):
    with pytest.raises(DriverError, match="reset not supported for LXC"):
        make_driver().act("container", "pve1/lxc/200", "reset")
    assert pve.state.log == []


def test_terminate_running_guest_stops_then_deletes(make_driver, pve):
    driver = make_driver()
    assert driver.act("vm", "pve1/qemu/100", "terminate") is None
    assert 100 not in pve.state.guests
    writes = [(m, p) for m, p in pve.state.log if m != "GET"]
    assert writes == [("POST", "/nodes/pve1/qemu/100/status/stop"), ("DELETE", "/nodes/pve1/qemu/100")]
    assert task_polls(pve, "qmstop") and task_polls(pve, "qmdestroy")
    assert driver.get("vm", "pve1/qemu/100") is None


def test_terminate_stopped_container_deletes_directly(make_driver, pve):
    assert make_driver().act("container", "pve2/lxc/301", "terminate") is None
    assert 301 not in pve.state.guests
    assert [(m, p) for m, p in pve.state.log if m != "GET"] == [("DELETE", "/nodes/pve2/lxc/301")]


def test_terminate_is_idempotent(make_driver, pve):
    assert make_driver().act("vm", "pve1/qemu/999", "terminate") is None
    assert [m for m, _ in pve.state.log] == ["GET"]


def test_terminate_protected_guest_fails_after_stopping(make_driver, pve):
    with pytest.raises(DriverError) as info:
        make_driver().act("container", "pve2/lxc/302", "terminate")
    assert "protection mode enabled" in info.value.upstream
    assert pve.state.guests[302].status == "stopped"


def test_action_on_missing_guest(make_driver):
    with pytest.raises(DriverError, match="not found") as info:
        make_driver().act("vm", "pve1/qemu/999", "start")
    assert "does not exist" in info.value.upstream


@pytest.mark.parametrize("status,reason,typed", [
    (404, "no such guest", NotFound),
    (500, "Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist", NotFound),
    (500, "got timeout", UpstreamError),
    (595, "No route to host", DriverUnavailable),
    (400, "Parameter verification failed.", InvalidRequest),
    (409, "VM is locked (backup)", Conflict),
])
def test_errors_are_typed_by_pve_status(make_driver, pve, status, reason, typed):
    pve.state.answers["/nodes/pve1/qemu/100/status/shutdown"] = (status, reason)
    with pytest.raises(typed) as info:
        make_driver().act("vm", "pve1/qemu/100", "stop")
    assert f"{status}" in str(info.value) and reason not in str(info.value)  # PVE's words: logged only
    assert info.value.upstream and reason in info.value.upstream


def test_a_404_reads_as_gone(make_driver, pve):
    pve.state.answers["/nodes/pve1/qemu/100/status/current"] = (404, "no such guest")
    assert make_driver().get("vm", "pve1/qemu/100") is None


def test_action_refused_by_pve(make_driver):
    with pytest.raises(DriverError) as info:
        make_driver().act("vm", "pve1/qemu/100", "start")
    assert "already running" in info.value.upstream


def test_unknown_action(make_driver):
    with pytest.raises(DriverError, match="unknown action"):
        make_driver().act("vm", "pve1/qemu/100", "hibernate")


def test_failed_task_reports_its_exitstatus(make_driver, pve):
    pve.state.fail_tasks["qmstart"] = "start failed: QEMU exited with code 1"
    with pytest.raises(DriverError, match="Proxmox task start of VM 101 on node pve1 failed") as info:
        make_driver().act("vm", "pve1/qemu/101", "start")
    assert info.value.upstream == "start failed: QEMU exited with code 1"  # the task's text: log only
    assert pve.state.guests[101].status == "stopped"


def test_task_with_warnings_counts_as_done(make_driver, pve):
    pve.state.fail_tasks["vzstart"] = "WARNINGS: 1"
    assert make_driver().act("container", "pve2/lxc/301", "start").status == "running"


def test_task_wait_is_bounded(make_driver, pve):
    pve.state.task_polls = 10**6
    start = time.monotonic()
    with pytest.raises(DriverError, match="still running after 0.5s"):
        make_driver(task_timeout=0.5).act("vm", "pve1/qemu/101", "start")
    assert time.monotonic() - start < 3


# -- auth -------------------------------------------------------------------------------
def test_password_login_uses_ticket_and_csrf(make_driver, pve):
    driver = make_driver(PASSWORD)
    assert len(list(driver.pages())) == 4
    assert driver.act("vm", "pve1/qemu/101", "start").status == "running"
    assert pve.state.tickets  # a ticket was issued and used


def test_bad_password(make_driver):
    with pytest.raises(DriverError, match="login failed") as info:
        make_driver({"user": "root@pam", "password": "wrong"}).ping()
    assert not isinstance(info.value, DriverUnavailable)


def test_bad_token_value(make_driver):
    with pytest.raises(DriverError, match="rejected the credentials") as info:
        make_driver({**TOKEN, "token_value": "nope"}).ping()
    assert "invalid token value" in info.value.upstream
    assert not isinstance(info.value, DriverUnavailable)
    assert "401" in str(info.value)


def test_unknown_token(make_driver):
    with pytest.raises(DriverError, match="401") as info:
        list(make_driver({**TOKEN, "token_name": "other"}).pages())
    assert "no such token 'other'" in info.value.upstream


def test_read_only_token_gets_permission_error_on_actions(make_driver):
    driver = make_driver({"user": "audit@pve", "token_name": "ro", "token_value": "ro-secret"})
    assert len(list(driver.pages())) == 4
    with pytest.raises(DriverError, match="denied permission .*: 403") as info:
        driver.act("vm", "pve1/qemu/100", "stop")
    assert "Permission check failed (/vms/100, VM.PowerMgmt)" in info.value.upstream


# -- reachability / TLS -----------------------------------------------------------------
def test_closed_port_is_unavailable_fast(tls):
    driver = ProxmoxDriver(AccountSpec(id="x", provider_type="proxmox", region=None, credentials=TOKEN,
                                       config={"host": f"127.0.0.1:{free_port()}", "verify_ssl": False}))
    start = time.monotonic()
    with pytest.raises(DriverUnavailable, match="unreachable"):
        driver.ping()
    with pytest.raises(DriverUnavailable):
        list(driver.pages())
    assert time.monotonic() - start < 2


def test_closed_port_with_password_login_is_unavailable(tls):
    driver = ProxmoxDriver(AccountSpec(id="x", provider_type="proxmox", region=None, credentials=PASSWORD,
                                       config={"host": "127.0.0.1", "port": free_port(), "verify_ssl": False}))
    with pytest.raises(DriverUnavailable):
        driver.ping()


def test_silent_server_times_out_as_unavailable():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts TCP (backlog) but never answers the TLS handshake
    conns = []
    stop = threading.Event()

    def hold():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conns.append(listener.accept()[0])
            except OSError:
                continue

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    try:
        driver = ProxmoxDriver(AccountSpec(
            id="x", provider_type="proxmox", region=None, credentials=TOKEN,
            config={"host": f"127.0.0.1:{listener.getsockname()[1]}", "verify_ssl": False, "timeout": 0.5}))
        start = time.monotonic()
        with pytest.raises(DriverUnavailable, match="timed out"):
            driver.ping()
        assert time.monotonic() - start < 3
    finally:
        stop.set()
        holder.join(timeout=2)
        for c in conns:
            c.close()
        listener.close()


def test_untrusted_certificate_is_a_driver_error(make_driver):
    with pytest.raises(DriverError, match="certificate verify failed") as info:
        make_driver(verify_ssl=True).ping()  # the stand-in's CA is not a system CA
    assert not isinstance(info.value, DriverUnavailable)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_verify_ssl_false_skips_verification(make_driver):
    make_driver(verify_ssl=False).ping()
