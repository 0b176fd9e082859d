"""LocalDriver: the Docker Engine API through the `docker` SDK."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import docker
from cachetools import TTLCache
from docker.errors import APIError, DockerException, NotFound
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ReadTimeout
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_fixed

from cloudfold.drivers.base import (
    AccountSpec,
    Discovered,
    Driver,
    DriverError,
    DriverUnavailable,
    InvalidCredentials,
    LogLine,
)
from cloudfold.drivers.local import mapping
from cloudfold.drivers.local.socket import find_engine

PAGE = 500


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


# Podman answers 500, not 404, for an object removed a moment ago ("no such container");
# "no such file or directory" from a failed start is not one of these
GONE = re.compile(r"no such (container|image|volume|network|object|pod)\b", re.IGNORECASE)


def _image_vanished(exc: BaseException) -> bool:
    """Podman fails a whole image listing when one image is removed while it lists; a retry
    lists again without it."""
    return type(exc) is DriverError and "reading image" in str(exc)


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
    acting_for: str | None = None  # the uuid of the user objects are made for (provision.labels)

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

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NotFound:
            raise
        except (RequestsConnectionError, ReadTimeout, FileNotFoundError, ConnectionRefusedError) as exc:
            raise DriverUnavailable(f"container engine unreachable: {exc}") from exc
        except APIError as exc:
            if GONE.search(str(exc.explanation or "")):
                raise NotFound(str(exc.explanation), response=exc.response) from exc
            raise DriverError(str(exc.explanation or exc)) from exc
        except DockerException as exc:
            if "Connection" in str(exc) or "No such file" in str(exc):
                raise DriverUnavailable(f"container engine unreachable: {exc}") from exc
            raise DriverError(str(exc)) from exc

    def ping(self) -> None:
        self._call(self.client.ping)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- reading -------------------------------------------------------------------
    def pages(self, kinds: tuple[str, ...] | None = None) -> Iterator[list[Discovered]]:
        api = self.client.api
        wanted = kinds or self.kinds
        if "container" in wanted:
            summaries = self._call(api.containers, all=True)
            for start in range(0, len(summaries), PAGE):
                page = []
                for s in summaries[start:start + PAGE]:
                    try:
                        page.append(mapping.container(self._call(api.inspect_container, s["Id"]), self.region))
                    except NotFound:
                        continue  # removed between list and inspect
                yield page
        if "network" in wanted:
            yield [mapping.network(n, self.region) for n in self._call(api.networks)]
        if "volume" in wanted:
            vols = (self._call(api.volumes) or {}).get("Volumes") or []
            yield [mapping.volume(v, self.region) for v in vols]

    def get(self, kind: str, external_id: str) -> Discovered | None:
        api = self.client.api
        try:
            if kind == "container":
                return mapping.container(self._call(api.inspect_container, external_id), self.region)
            if kind in ("network", "subnet"):
                return mapping.network(self._call(api.inspect_network, external_id), self.region)
            if kind == "volume":
                return mapping.volume(self._call(api.inspect_volume, external_id), self.region)
        except NotFound:
            return None
        raise DriverError(f"the local engine has no {kind} objects")

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
            info = self._call(api.info)
            return int(info.get("MemTotal") or 0), int(info.get("NCPU") or 0)

        return self._fact(_capacities, read)

    def is_podman(self) -> bool:
        """Whether the engine is Podman (its compatible API leaves out a few of its own options,
        which its native /libpod API takes), remembered for a few minutes."""
        def read(api) -> bool:
            return any("podman" in str(c.get("Name", "")).lower() for c in self._call(api.version).get("Components") or [])

        return self._fact(_podman, read)

    # -- live figures (seed 004 reads) ----------------------------------------------
    def stats(self, external_id: str) -> dict[str, Any] | None:
        """One sample of a container's usage, or None when it is gone. ``cpu_percent`` is
        `docker stats`' figure (100 = one core busy), None when the engine sends no previous
        sample (Podman): the caller may average ``cpu_total_ns`` over the uptime instead."""
        try:
            return mapping.stats(self._call(self.client.api.stats, external_id, stream=False))
        except NotFound:
            return None

    def sizes(self, external_id: str | None = None) -> dict[str, dict[str, int | None]]:
        """Disk use by container id: ``rw`` (its writable layer) and ``rootfs`` (image + layer)."""
        filters = {"id": external_id} if external_id else None
        rows = self._call(self.client.api.containers, all=True, size=True, filters=filters)
        return {r["Id"]: {"rw": r.get("SizeRw"), "rootfs": r.get("SizeRootFs")} for r in rows}

    def host(self) -> dict[str, Any]:
        """The engine's host: name, engine version, cores, memory; uptime, load and storage
        when the engine runs on this machine (a unix socket), else None."""
        info, version = self._call(self.client.api.info), self._call(self.client.api.version)
        local = (find_engine(self.account.config.get("docker_host")) or "").startswith("unix://")
        return mapping.host(info, version, local)

    # -- acting --------------------------------------------------------------------
    def act(self, kind: str, external_id: str, action: str, **options: Any) -> Discovered | None:
        if kind != "container":
            raise DriverError(f"{action} is not supported for {kind}")
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
            raise DriverError(f"unknown action {action}")
        try:
            self._call(steps[action])
        except NotFound:
            if action == "terminate":
                return None
            raise DriverError(f"container {external_id[:12]} no longer exists") from None
        return None if action == "terminate" else self.get(kind, external_id)

    # -- images --------------------------------------------------------------------
    @retry(retry=retry_if_exception(_image_vanished), stop=stop_after_attempt(3), wait=wait_fixed(0.2), reraise=True)
    def list_images(self, label: str | None = None) -> list[dict[str, Any]]:
        return [_image(a) for a in self._call(self.client.api.images, filters={"label": label} if label else None)]

    def image(self, ref: str) -> dict[str, Any] | None:
        try:
            return _image(self._call(self.client.api.inspect_image, ref))
        except NotFound:
            return None

    def import_image(self, tarball: Path, ref: str, changes: Sequence[str] = ()) -> dict[str, Any] | None:
        """Import a root filesystem tarball as `ref`. Podman ignores an import's tag, so the new
        image is tagged by its id; the image `ref` named before is removed when left untagged and unused."""
        api, (repo, tag) = self.client.api, ref.rsplit(":", 1)
        old = self.image(ref)
        with open(tarball, "rb") as fh:
            answer = self._call(api.import_image_from_data, fh, repository=repo, tag=tag, changes=list(changes))
        self._call(api.tag, _imported_id(answer) or f"{repo}:latest", repo, tag)
        new, old = self.image(ref), old and self.image(old["id"])
        if old and new and old["id"] != new["id"] and not old["tags"]:
            try:
                self._call(api.remove_image, old["id"])
            except (DriverError, NotFound):
                pass  # a container still uses it: keep it
        return new

    # -- logs ----------------------------------------------------------------------
    capabilities = frozenset({"logs"})

    def logs(self, external_id: str, tail: int) -> list[LogLine]:
        try:
            raw = self._call(self.client.api.logs, external_id, stdout=True, stderr=True, timestamps=True,
                             tail=tail)
        except NotFound:
            raise DriverError(f"container {external_id[:12]} no longer exists") from None
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        return [mapping.log_line(line) for line in text.splitlines()[-tail:] if line]
