"""Build an image: make its root filesystem tarball, import it into the engine, tag it."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from cloudfold.drivers.base import DriverError
from cloudfold.drivers.local.driver import LocalDriver
from cloudfold.images.rootfs import BUILDERS, Progress
from cloudfold.images.specs import LABEL, SPECS, ImageSpec

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PRUNE_AFTER = "1m"  # an untagged build older than this is an earlier one, not another build's in flight


def _quiet(_message: str) -> None:
    pass


def config_changes(spec: ImageSpec) -> list[str]:
    """Dockerfile instructions applied at import: the runtime config a bare rootfs lacks."""
    return [f"ENV PATH={PATH}", f"CMD {json.dumps(list(spec.command))}", f"LABEL {LABEL}={spec.ref}",
            f"LABEL org.opencontainers.image.description={json.dumps(spec.description)}"]


def build(driver: LocalDriver, spec: ImageSpec, progress: Progress = _quiet, mirror: str | None = None,
          workdir: Path | None = None) -> dict:
    """Build one image into the driver's engine and return the engine's view of it
    (``id``, ``tags``, ``size``, …). Raises BuildError or DriverError."""
    with tempfile.TemporaryDirectory(prefix="cloudfold-image-", dir=workdir) as tmp:
        progress("making the root filesystem")
        tarball = BUILDERS[spec.builder](spec, Path(tmp), progress, mirror=mirror)
        progress(f"importing {tarball.stat().st_size / 1e6:.1f} MB into the engine")
        image = driver.import_image(tarball, spec.ref, config_changes(spec))
    if image is None:
        raise DriverError(f"the engine did not keep {spec.ref}")
    progress(f"removing earlier builds of {spec.ref} no container uses")
    driver.prune_untagged(f"{LABEL}={spec.ref}", PRUNE_AFTER)
    return image


def selected(debian: bool = False) -> list[ImageSpec]:
    """The specs `cloudfold images build` makes: the quick ones, plus the slow ones on request."""
    return [s for s in SPECS if not s.slow or debian]
