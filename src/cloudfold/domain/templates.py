"""Seed 004 templates: a catalog that maps template ids to container engine images.

The defaults are the images cloudfold builds (:mod:`cloudfold.images`), all featured.
``settings.templates_file`` (TOML, or JSON when it ends in ``.json``) adds templates,
overrides fields of the defaults, and may choose the featured ones::

    featured = ["busybox-1-standard", "web-1"]    # optional: else each template's own flag

    [templates.web-1]
    image = "localhost/web:1"
    name = "Web server"
    distribution = "busybox"
    version = "1"

Availability, size and checksum come from the engine (through the local driver): the first
registered `local` account's, else ``settings.docker_host``, else an auto-detected one. With
no engine reachable the catalog is still listed, every template unavailable. ``list_all``
adds every other tagged image of the engine.
"""

from __future__ import annotations

import json
import platform
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from cloudfold.domain import accounts, driver_errors
from cloudfold.drivers.base import DriverUnavailable
from cloudfold.drivers.local.driver import LocalDriver
from cloudfold.errors import CloudfoldError, NotFound
from cloudfold.images import SPECS, normalize
from cloudfold.images.specs import LABEL
from cloudfold.security.secretbox import SecretBox
from cloudfold.settings import Settings

HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
TEMPLATE_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


class Template(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=TEMPLATE_ID)
    image: str = Field(min_length=1)
    name: str
    description: str = ""
    distribution: str = "unknown"
    version: str = ""
    architecture: str = HOST_ARCH
    featured: bool = False


class _Override(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image: str | None = Field(None, min_length=1)
    name: str | None = None
    description: str | None = None
    distribution: str | None = None
    version: str | None = None
    architecture: str | None = None
    featured: bool | None = None


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    featured: list[str] | None = None
    templates: dict[str, _Override] = Field(default_factory=dict)


def _defaults() -> dict[str, Template]:
    made = (Template(id=f"{s.name.rsplit('/', 1)[-1]}-{s.tag}-standard", image=s.ref, name=s.title,
                     description=s.description, distribution=s.distribution, version=s.version, featured=True)
            for s in SPECS if s.template)
    return {t.id: t for t in made}


def catalog(settings: Settings) -> dict[str, Template]:
    """Every configured template by id; the file is read on each call, so edits apply at once."""
    templates = _defaults()
    path = settings.templates_file
    if path is None:
        return templates
    try:
        text = path.read_text()
        data = _File.model_validate(json.loads(text) if path.suffix == ".json" else tomllib.loads(text))
        for tid, override in data.templates.items():
            fields = override.model_dump(exclude_none=True)
            base = templates.get(tid)
            templates[tid] = (Template.model_validate({**base.model_dump(), **fields}) if base
                              else Template(id=tid, **{"name": tid, **fields}))
    except (OSError, ValueError) as exc:  # ValidationError and the decoders' errors are ValueErrors
        detail = exc.errors(include_url=False) if isinstance(exc, ValidationError) else None
        raise CloudfoldError(f"templates_file {path} is not usable: {_first_line(exc)}", detail) from exc
    if data.featured is not None:
        unknown = sorted(set(data.featured) - set(templates))
        if unknown:
            raise CloudfoldError(f"templates_file {path} features unknown templates: {', '.join(unknown)}")
        templates = {tid: t.model_copy(update={"featured": tid in data.featured}) for tid, t in templates.items()}
    return templates


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@contextmanager
def _engine(session: Session, settings: Settings, box: SecretBox) -> Iterator[LocalDriver]:
    with driver_errors.translated("Container engine"), \
            accounts.driver(accounts.first_local(session), box, settings, local_default=True) as driver:
        yield driver


def _images(driver: LocalDriver) -> list[dict[str, Any]]:
    try:
        return driver.list_images()
    except DriverUnavailable:
        return []  # no engine: the catalog is listed, nothing available


def _tid(ref: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", ref.lower()).strip("-.")[:90] or "image"


def _from_image(image: dict[str, Any], taken: set[str]) -> Template:
    """A template for an engine image outside the catalog, named after its first tag."""
    ref = min(image["tags"], key=lambda t: (t.endswith(":latest"), t))
    short = normalize(ref)
    repo, tag = short.rsplit(":", 1)
    tid = _tid(short)
    if tid in taken:
        tid = f"{tid}-{image['id'][7:19]}"
    return Template(id=tid, image=ref, name=short, description=f"Image {short} of the local container engine",
                    distribution=repo.rsplit("/", 1)[-1], version=tag,
                    architecture=image.get("architecture") or HOST_ARCH)


def _rows(templates: dict[str, Template], images: list[dict[str, Any]],
          everything: bool) -> list[tuple[Template, dict[str, Any] | None]]:
    by_ref = {normalize(tag): image for image in images for tag in image["tags"]}
    rows = [(t, by_ref.get(normalize(t.image))) for t in templates.values() if everything or t.featured]
    if not everything:
        return rows
    seen = {image["id"] for _, image in rows if image}
    taken = set(templates)
    for image in images:
        if image["id"] in seen or not image["tags"]:
            continue  # already a catalog template, or untagged (no reference to run it by)
        template = _from_image(image, taken)
        seen.add(image["id"])
        taken.add(template.id)
        rows.append((template, image))
    return rows


@dataclass
class Listed:
    """A template, with its image's size when the engine has it (`available`)."""
    template: Template
    available: bool
    size: int | None  # bytes of the engine's image


@dataclass
class Details(Listed):
    """One template's details: the architecture, the image's id and where it was pulled from."""
    architecture: str = HOST_ARCH
    checksum: str | None = None
    url: str | None = None


def _listed(template: Template, image: dict[str, Any] | None) -> Listed:
    return Listed(template, image is not None, image["size"] if image else None)


def _listing(session: Session, settings: Settings, box: SecretBox, everything: bool) -> list[Listed]:
    templates = catalog(settings)
    with _engine(session, settings, box) as driver:
        images = _images(driver)
    return [_listed(t, image) for t, image in _rows(templates, images, everything)]


def list_featured(session: Session, settings: Settings, box: SecretBox) -> list[Listed]:
    """The featured templates of the catalog, each with its availability in the engine."""
    return _listing(session, settings, box, everything=False)


def list_all(session: Session, settings: Settings, box: SecretBox) -> list[Listed]:
    """Every catalog template, then every other tagged image present in the engine."""
    return _listing(session, settings, box, everything=True)


def _url(image: dict[str, Any] | None) -> str | None:
    """The registry reference of an image pulled from one; None for images built here."""
    if image is None or LABEL in image["labels"]:
        return None
    return next((d for d in image["digests"] if not d.startswith("localhost/")), None)


def info(session: Session, settings: Settings, box: SecretBox, template_id: str) -> Details:
    templates = catalog(settings)
    with _engine(session, settings, box) as driver:
        images = _images(driver)
        found = next(((t, image) for t, image in _rows(templates, images, everything=True) if t.id == template_id),
                     None)
        if found is None:
            raise NotFound(f"Template '{template_id}' not found")
        template, image = found
        if image is not None:
            image = driver.image(image["id"]) or image  # inspect adds the architecture
    return Details(**vars(_listed(template, image)),
                   architecture=(image or {}).get("architecture") or template.architecture,
                   checksum=image["id"] if image else None, url=_url(image))
