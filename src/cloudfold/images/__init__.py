"""Base images built locally from Debian packages (no registry needed): root filesystem
tarballs imported into the container engine through the Docker Engine API."""

from cloudfold.images.specs import SPECS, ImageSpec, normalize

__all__ = ["SPECS", "ImageSpec", "normalize"]
