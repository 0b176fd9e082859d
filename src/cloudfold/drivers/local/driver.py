"""LocalDriver: the Docker Engine API through the `docker` SDK."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import docker
from cachetools import TTLCache
from docker.errors import APIError, DockerException
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ReadTimeout
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_fixed

from cloudfold.drivers.base import (
    ACTIONS,
    AccountSpec,
    Conflict,
    Discovered,
    Driver,
    DriverError,
    DriverUnavailable,
    InvalidCredentials,
    InvalidRequest,
    LogLine,
    NotFound,
    PortInUse,
    UpstreamError,
)
from cloudfold.drivers.local import mapping
from cloudfold.drivers.local.socket import find_engine

PAGE = 500
STATS_WORKERS = 8  # stats calls in flight at once (one container per call)
log = logging.getLogger("cloudfold.drivers.local")


def engine_spec(docker_host: str | None = None) -> AccountSpec:
    """An account for an engine named only by its URL (None: auto-detect), for callers
    without a registered account (the CLI, templates before any account exists)."""
    return AccountSpec(id="local", provider_type="local", region="local", credentials={},
                       config={"docker_host": docker_host} if docker_host else {})


def _image(attrs: dict[str, Any]) -> dict[str, Any]:
    """An engine image, as list and inspect both report it (inspect adds the architecture)."""
    image_id = attrs["Id"] if attrs["Id"].startswith("sha256:") else f"sha256:{attrs['Id']}"
    return {"id": image_id, "tags": [t for t in attrs.get("RepoTags") or [] if t != "<none>:<none>"],
            "digests": [d for d in attrs.get("RepoDigests") or [] if d != "<none>@<none>"],
            "size": attrs.get("Size"), "architecture": attrs.get("Architecture"),
            "labels": attrs.get("Labels") or (attrs.get("Config") or {}).get("Labels") or {}}


# Facts of an engine that a request would otherwise ask for again and again, kept per engine
# URL in this process for a few minutes (each process asks once; nothing relies on sharing):
# the API version the SDK probes whenever a client is made (GET /version: ~0.45 s on
# Podman), and the host's memory and CPUs a create is checked against (GET /info: ~0.3 s).
FACTS_TTL_S = 300
_api_versions: TTLCache = TTLCache(maxsize=256, ttl=FACTS_TTL_S)
_capacities: TTLCache = TTLCache(maxsize=256, ttl=FACTS_TTL_S)
_podman: TTLCache = TTLCache(maxsize=256, ttl=FACTS_TTL_S)


# How the engine's HTTP status says what failed. Podman answers most failures 500 and names
# the failure in the answer's structured `cause` field: the text of one of its own sentinel
# errors (libpod/define/errors.go, e.g. ErrNoSuchCtr "no such container") or of the system
# call's (EADDRINUSE "address already in use"). Those are matched whole, never searched for in
# the message. Residue: Docker has no `cause`; its taken port is a 500 ("port is already
# allocated" in the message only), so on Docker it stays an UpstreamError. Docker answers 403
# for a change the object's state forbids (a network with endpoints, an overlapping pool).
BY_STATUS = {400: InvalidRequest, 403: Conflict, 404: NotFound, 409: Conflict, 503: DriverUnavailable}
BY_CAUSE = {
    "no such container": NotFound, "no such pod": NotFound, "no such volume": NotFound,
    "no such network": NotFound, "network not found": NotFound, "no such image": NotFound,
    "image not known": NotFound, "no such object": NotFound, "volume not found": NotFound,
    "address already in use": PortInUse,
    "that name is already in use": Conflict, "network already exists": Conflict,
    "volume already exists": Conflict, "network is being used": Conflict, "volume is being used": Conflict,
    "container already exists": Conflict, "container state improper": Conflict,
    "container is running": Conflict, "pod already exists": Conflict,
}


def classify(exc: APIError) -> DriverError:
    """The typed driver error for an engine's error answer, from its status and `cause`."""
    status = getattr(exc, "status_code", None)
    cause = ""
    if exc.response is not None:
        try:
            body = exc.response.json()
            cause = str(body.get("cause") or "") if isinstance(body, dict) else ""
        except ValueError:
            pass
    known = cause.strip().lower() if cause.strip().lower() in BY_CAUSE else ""  # else it may quote the request
    kind = BY_STATUS.get(status) or BY_CAUSE.get(known) or UpstreamError
    return kind(f"container engine: HTTP {status}" + (f" ({known})" if known else ""),
                upstream=str(exc.explanation or exc))


def _image_vanished(exc: BaseException) -> bool:
    """Podman fails a whole image listing when one image is removed while it lists; a retry
    lists again without it."""
    return isinstance(exc, UpstreamError)


def _imported_id(answer: str) -> str | None:
    """The new image's id from an import's answer (JSON lines carrying "sha256:…")."""
    for line in reversed(answer.splitlines()):
        try:
            fields = json.loads(line)
        except ValueError:
            continue
        for value in (fields.get("id"), fields.get("status")):
            if isinstance(value, str) and value.startswith("sha256:"):
                return value
    return None


class LocalDriver(Driver):
    provider_type = "local"
    kinds = ("container", "network", "volume")
    config_fields = ("docker_host",)
    # stop: graceful (SIGTERM, then SIGKILL after `timeout` s) or `force` (kill at once)
    actions: ClassVar[dict[str, frozenset[str]]] = {a: frozenset({"timeout", "force"} if a == "stop" else {"timeout"} if a == "reboot" else ())
               for a in ACTIONS}
    capabilities = frozenset({"logs", "stats", "host", "provisioning", "metrics"})
    acting_for: str | None = None  # the uuid of the user objects are made for (provision.labels)
    made_by: str | None = None  # the process making objects (domain/workers.py), labelled on them

    def __init__(self, account) -> None:
        super().__init__(account)
        self._client: docker.DockerClient | None = None
        self._base_url: str | None = None
        self.region = account.region or "local"

    @classmethod
    def validate(cls, credentials: dict[str, Any], config: dict[str, Any]) -> None:
        host = config.get("docker_host")
        if host is not None and (not isinstance(host, str) or not host.startswith(("unix://", "tcp://", "ssh://", "http://", "https://"))):
            raise InvalidCredentials("docker_host must be a unix://, tcp://, ssh:// or http(s):// URL")
        timeout = config.get("timeout")
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise InvalidCredentials("timeout must be a positive number of seconds")

    # -- connection ----------------------------------------------------------------
    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            base_url = find_engine(self.account.config.get("docker_host"))
            if base_url is None:
                raise DriverUnavailable("no container engine found (set config.docker_host)")
            try:
                self._client = docker.DockerClient(base_url=base_url, timeout=self.account.config.get("timeout", 30),
                                                   version=_api_versions.get(base_url))  # None: probe
            except DockerException as exc:
                raise DriverUnavailable(f"container engine unreachable: {exc}") from exc
            _api_versions[base_url] = self._client.api.api_version
            self._base_url = base_url
        return self._client

    def call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (RequestsConnectionError, ReadTimeout, FileNotFoundError, ConnectionRefusedError) as exc:
            raise DriverUnavailable(f"container engine unreachable: {exc}") from exc
        except APIError as exc:
            raise classify(exc) from exc
        except ValueError as exc:  # an answer that is not JSON (Podman sends an empty one for a container it is removing)
            raise UpstreamError("container engine: unreadable answer", upstream=str(exc)) from exc
        except DockerException as exc:  # not an answer of the engine's: a transport failure, or the SDK's own
            if isinstance(exc.__context__, (OSError, RequestsConnectionError)):
                raise DriverUnavailable(f"container engine unreachable: {type(exc.__context__).__name__}") from exc
            raise UpstreamError(f"container engine: {type(exc).__name__}", upstream=str(exc)) from exc

    def ping(self) -> None:
        self.call(self.client.ping)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- reading -------------------------------------------------------------------
    def pages(self, kinds: tuple[str, ...] | None = None) -> Iterator[list[Discovered]]:
        api = self.client.api
        wanted = kinds or self.kinds
        if "container" in wanted:
            summaries = self.call(api.containers, all=True)
            for start in range(0, len(summaries), PAGE):
                page = []
                for s in summaries[start:start + PAGE]:
                    try:
                        page.append(mapping.container(self.call(api.inspect_container, s["Id"]), self.region))
                    except NotFound:
                        continue  # removed between list and inspect
                yield page
        if "network" in wanted:
            yield [mapping.network(n, self.region) for n in self.call(api.networks)]
        if "volume" in wanted:
            vols = (self.call(api.volumes) or {}).get("Volumes") or []
            yield [mapping.volume(v, self.region) for v in vols]

    def published_ports(self) -> set[tuple[int, str]]:
        """(host port, protocol) of every port any container on the engine publishes, running
        or not: a rootful Podman forwards them with firewall rules and holds no socket, so a
        bind test on the host does not see them, and a second container on the same port would
        start and never receive its traffic."""
        return {(int(p["PublicPort"]), p.get("Type") or "tcp")
                for s in self.call(self.client.api.containers, all=True)
                for p in s.get("Ports") or [] if p.get("PublicPort")}

    def get(self, kind: str, external_id: str) -> Discovered | None:
        api = self.client.api
        try:
            if kind == "container":
                return mapping.container(self.call(api.inspect_container, external_id), self.region)
            if kind in ("network", "subnet"):
                return mapping.network(self.call(api.inspect_network, external_id), self.region)
            if kind == "volume":
                return mapping.volume(self.call(api.inspect_volume, external_id), self.region)
        except NotFound:
            return None
        raise InvalidRequest(f"the local engine has no {kind} objects")

    def _fact(self, cache: TTLCache, read):
        """A fact of this engine from ``cache``, else ``read(api)``, kept there."""
        api = self.client.api
        found = cache.get(self._base_url)
        if found is None:
            found = cache[self._base_url] = read(api)
        return found

    def capacity(self) -> tuple[int, int]:
        """(memory bytes, CPUs) of the engine's host, remembered for a few minutes."""
        def read(api) -> tuple[int, int]:
            info = self.call(api.info)
            return int(info.get("MemTotal") or 0), int(info.get("NCPU") or 0)

        return self._fact(_capacities, read)

    def is_podman(self) -> bool:
        """Whether the engine is Podman (its compatible API leaves out a few of its own options,
        which its native /libpod API takes), remembered for a few minutes."""
        def read(api) -> bool:
            return any("podman" in str(c.get("Name", "")).lower() for c in self.call(api.version).get("Components") or [])

        return self._fact(_podman, read)

    # -- live figures (seed 004 reads) ----------------------------------------------
    def stats(self, external_id: str) -> dict[str, Any] | None:
        """One sample of a container's usage, or None when it is gone. ``cpu_percent`` is
        `docker stats`' figure (100 = one core busy), None when the engine sends no previous
        sample (Podman): the caller may average ``cpu_total_ns`` over the uptime instead."""
        try:
            return mapping.stats(self.call(self.client.api.stats, external_id, stream=False))
        except NotFound:
            return None

    def stats_many(self, external_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """A stats sample of each running container named, read side by side (the engine's API
        has one container per call); one that is gone, stopped or errs meanwhile is left out.
        An engine that cannot be reached raises DriverUnavailable."""
        def one(external_id: str) -> dict[str, Any] | None:
            try:
                return self.stats(external_id)
            except DriverUnavailable:
                raise
            except DriverError as exc:  # stopped or removed meanwhile: no sample, the rest stands
                log.info("no stats for %s: %s", external_id[:12], exc)
                return None

        with ThreadPoolExecutor(max_workers=min(STATS_WORKERS, len(external_ids) or 1)) as pool:
            found = dict(zip(external_ids, pool.map(one, external_ids)))
        return {k: v for k, v in found.items() if v}

    def metrics(self, external_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The engine's stats of each running container named, as metric readings (counters)."""
        now = datetime.now(timezone.utc)
        return {k: mapping.reading(v, now) for k, v in self.stats_many(external_ids).items()}

    def sizes(self, external_id: str | None = None) -> dict[str, dict[str, int | None]]:
        """Disk use by container id: ``rw`` (its writable layer) and ``rootfs`` (image + layer)."""
        filters = {"id": external_id} if external_id else None
        rows = self.call(self.client.api.containers, all=True, size=True, filters=filters)
        return {r["Id"]: {"rw": r.get("SizeRw"), "rootfs": r.get("SizeRootFs")} for r in rows}

    def host(self) -> dict[str, Any]:
        """The engine's host: name, engine version, cores, memory; uptime, load and storage
        when the engine runs on this machine (a unix socket), else None."""
        info, version = self.call(self.client.api.info), self.call(self.client.api.version)
        local = (find_engine(self.account.config.get("docker_host")) or "").startswith("unix://")
        return mapping.host(info, version, local)

    # -- acting --------------------------------------------------------------------
    def act(self, kind: str, external_id: str, action: str, **options: Any) -> Discovered | None:
        if kind != "container":
            raise InvalidRequest(f"{action} is not supported for {kind}")
        api = self.client.api
        timeout = options.get("timeout")
        timeout = int(self.account.config.get("stop_timeout", 10) if timeout is None else timeout)
        steps = {
            "start": lambda: api.start(external_id),
            "stop": (lambda: api.kill(external_id)) if options.get("force") else (lambda: api.stop(external_id, timeout=timeout)),
            "reboot": lambda: api.restart(external_id, timeout=timeout),
            "reset": lambda: (api.kill(external_id), api.start(external_id)),
            "terminate": lambda: api.remove_container(external_id, force=True),
        }
        if action not in steps:
            raise InvalidRequest(f"unknown action {action}")
        try:
            self.call(steps[action])
        except NotFound:
            if action == "terminate":
                return None
            raise
        return None if action == "terminate" else self.get(kind, external_id)

    # -- images --------------------------------------------------------------------
    @retry(retry=retry_if_exception(_image_vanished), stop=stop_after_attempt(3), wait=wait_fixed(0.2), reraise=True)
    def list_images(self, label: str | None = None) -> list[dict[str, Any]]:
        """The engine's images. Podman fails a listing with "image not known" when an image is
        removed while it lists (another build replacing a tag): the listing is asked again."""
        for attempt in range(3):
            try:
                return [_image(a) for a in self.call(self.client.api.images, filters={"label": label} if label else None)]
            except NotFound:
                if attempt == 2:
                    raise
        return []

    def image(self, ref: str) -> dict[str, Any] | None:
        try:
            return _image(self.call(self.client.api.inspect_image, ref))
        except NotFound:
            return None

    def import_image(self, tarball: Path, ref: str, changes: Sequence[str] = ()) -> dict[str, Any] | None:
        """Import a root filesystem tarball as `ref`. Podman ignores an import's tag, so the new
        image is tagged by its id; the image `ref` named before is removed when left untagged and unused."""
        api, (repo, tag) = self.client.api, ref.rsplit(":", 1)
        old = self.image(ref)
        with open(tarball, "rb") as fh:
            answer = self.call(api.import_image_from_data, fh, repository=repo, tag=tag, changes=list(changes))
        self.call(api.tag, _imported_id(answer) or f"{repo}:latest", repo, tag)
        new, old = self.image(ref), old and self.image(old["id"])
        if old and new and old["id"] != new["id"] and not old["tags"]:
            try:
                self.call(api.remove_image, old["id"])
            except DriverError:
                pass  # a container still uses it: keep it
        return new

    def prune_untagged(self, label: str, older_than: str) -> int:
        """Remove the untagged images carrying ``label`` that no container uses and that are
        older than ``older_than`` (a duration such as "1m": a build that imported an image and
        has not tagged it yet keeps it); returns how many went. Podman lists images slowly
        (~0.1 s each), so earlier builds left behind slow every listing of templates."""
        answer = self.call(self.client.api.prune_images,
                           filters={"dangling": True, "label": label, "until": older_than})
        return len((answer or {}).get("ImagesDeleted") or [])

    # -- logs ----------------------------------------------------------------------
    def logs(self, external_id: str, tail: int) -> list[LogLine]:
        raw = self.call(self.client.api.logs, external_id, stdout=True, stderr=True, timestamps=True, tail=tail)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        return [mapping.log_line(line) for line in text.splitlines()[-tail:] if line]
