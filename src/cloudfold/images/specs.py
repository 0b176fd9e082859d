"""The images cloudfold can build, declared once: templates and the CLI read them from here."""

from __future__ import annotations

from dataclasses import dataclass

LABEL = "cloudfold.image"  # set on every image cloudfold builds; its value is the image's reference


@dataclass(frozen=True)
class ImageSpec:
    name: str  # repository, e.g. "cloudfold/busybox"
    tag: str
    builder: str  # a key of cloudfold.images.rootfs.BUILDERS
    title: str
    description: str
    distribution: str
    version: str
    slow: bool = False  # built only when asked for by name (minutes, needs a Debian mirror)
    command: tuple[str, ...] = ("/bin/sh",)  # the image's CMD
    template: bool = True  # offered as a seed 004 template (the cache image is for /caches only)

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.tag}"


SPECS: tuple[ImageSpec, ...] = (
    ImageSpec("cloudfold/busybox", "1", "busybox", "BusyBox 1",
              "BusyBox from Debian's busybox-static: sh, httpd, wget, nc, ip and the other applets",
              "busybox", "1"),
    ImageSpec("cloudfold/debian", "12", "debootstrap", "Debian 12 (bookworm)",
              "Debian 12 bookworm, minimal base system (debootstrap --variant=minbase)",
              "debian", "12", slow=True),
    ImageSpec("cloudfold/redis", "7", "redis", "Redis 7",
              "Debian's redis-server and redis-cli on the BusyBox base (the image of seed 003's caches)",
              "redis", "7", command=("redis-server", "--protected-mode", "no"), template=False),
)

_PREFIXES = ("docker.io/library/", "docker.io/", "localhost/")


def normalize(ref: str) -> str:
    """One spelling for an image reference whichever engine reports it: Docker says
    ``cloudfold/busybox:1``, Podman ``docker.io/cloudfold/busybox:1`` or ``localhost/…``."""
    for prefix in _PREFIXES:
        if ref.startswith(prefix):
            ref = ref[len(prefix):]
            break
    last = ref.rsplit("/", 1)[-1]
    return ref if ":" in last or "@" in last else f"{ref}:latest"

