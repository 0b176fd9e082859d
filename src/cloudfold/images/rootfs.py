"""Root filesystem tarballs made from Debian packages: one builder per ImageSpec.builder.

A builder gets the spec, a scratch directory and a progress callback, and returns the path
of an uncompressed tarball of the image's root filesystem.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

from cloudfold.images.specs import ImageSpec

Progress = Callable[[str], None]

# applets the tests, examples and templates rely on; every other applet is linked too
REQUIRED_APPLETS = ("sh", "httpd", "sleep", "wget", "nc", "ip", "hostname", "cat", "ls", "echo", "mkdir",
                    "true", "env", "ps", "top", "vi")
DIRS = {"bin": 0o755, "sbin": 0o755, "usr": 0o755, "usr/bin": 0o755, "usr/sbin": 0o755, "etc": 0o755,
        "root": 0o700, "tmp": 0o1777, "data": 0o777, "www": 0o755, "proc": 0o555, "sys": 0o555, "dev": 0o755,
        "var": 0o755, "var/log": 0o755, "run": 0o755}
FILES = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/www:/bin/false\n"
                  "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    "etc/group": "root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\n",
    "www/index.html": "<!doctype html>\n<title>cloudfold</title>\n<h1>cloudfold/busybox works</h1>\n",
}
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBIAN_SUITES = {"11": "bullseye", "12": "bookworm", "13": "trixie"}


class BuildError(RuntimeError):
    """A root filesystem could not be made (a missing tool, a failed command)."""


def find_busybox() -> str:
    path = shutil.which("busybox") or "/bin/busybox"
    if not os.path.exists(path):
        raise BuildError("busybox is not installed: apt-get install busybox-static")
    if not is_static(path):
        raise BuildError(f"{path} is dynamically linked: apt-get install busybox-static")
    return path


def is_static(path: str) -> bool:
    """True for an ELF executable without a program interpreter (PT_INTERP)."""
    with open(path, "rb") as fh:
        head = fh.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2:  # 64-bit ELF only
            return False
        endian = "<" if head[5] == 1 else ">"
        phoff, = struct.unpack_from(endian + "Q", head, 32)
        phentsize, phnum = struct.unpack_from(endian + "HH", head, 54)
        fh.seek(phoff)
        table = fh.read(phentsize * phnum)
    return all(struct.unpack_from(endian + "I", table, i * phentsize)[0] != 3 for i in range(phnum))


def applets(busybox: str) -> list[str]:
    """Every applet's install path (``usr/bin/wget``), as the binary itself lists them."""
    out = subprocess.run([busybox, "--list-full"], capture_output=True, text=True, check=True).stdout
    paths = sorted({line.strip().lstrip("/") for line in out.splitlines() if line.strip()} - {"bin/busybox"})
    missing = set(REQUIRED_APPLETS) - {p.rsplit("/", 1)[-1] for p in paths}
    if missing:
        raise BuildError(f"{busybox} lacks applets: {', '.join(sorted(missing))}")
    return [p for p in paths if "/" in p]  # linuxrc and the like stay out


def _entry(tar: tarfile.TarFile, name: str, kind: bytes, mode: int = 0o755, link: str = "", data: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.linkname, info.mtime = kind, mode, link, 0
    payload = data.encode()
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload) if payload else None)


def add_busybox(tar: tarfile.TarFile, progress: Progress) -> None:
    """The busybox base every locally built image starts from: directories, busybox and its
    applet links, users and the web root."""
    busybox = find_busybox()
    links = applets(busybox)
    progress(f"packing busybox and {len(links)} applet links")
    for name, mode in DIRS.items():
        _entry(tar, name, tarfile.DIRTYPE, mode)
    tar.add(busybox, arcname="bin/busybox")
    for path in links:
        _entry(tar, path, tarfile.SYMTYPE, 0o777, link="/bin/busybox")
    for name, text in FILES.items():
        _entry(tar, name, tarfile.REGTYPE, 0o644, data=text)


def busybox_rootfs(spec: ImageSpec, workdir: Path, progress: Progress, **_options) -> Path:
    dest = workdir / "rootfs.tar"
    with tarfile.open(dest, "w") as tar:
        add_busybox(tar, progress)
    return dest


def debootstrap_command(target: Path, suite: str, mirror: str = DEBIAN_MIRROR, variant: str = "minbase") -> list[str]:
    return ["debootstrap", f"--variant={variant}", suite, str(target), mirror]


def debootstrap_rootfs(spec: ImageSpec, workdir: Path, progress: Progress, mirror: str | None = None,
                       **_options) -> Path:
    if shutil.which("debootstrap") is None:
        raise BuildError("debootstrap is not installed: apt-get install debootstrap")
    if os.geteuid() != 0:
        raise BuildError("debootstrap needs root")
    suite = DEBIAN_SUITES.get(spec.version)
    if suite is None:
        raise BuildError(f"no Debian suite known for version {spec.version}")
    root = workdir / "root"
    _run(debootstrap_command(root, suite, mirror or DEBIAN_MIRROR), progress)
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for item in (root / junk).glob("*"):
            if item.is_file():
                item.unlink()
    progress("packing the root filesystem")
    dest = workdir / "rootfs.tar"
    _run(["tar", "--numeric-owner", "--xattrs", "-C", str(root), "-cf", str(dest), "."], progress)
    return dest


def _run(command: list[str], progress: Progress) -> None:
    """Run a command, passing each line of its output to progress; raise with its tail on failure."""
    tail: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        for line in proc.stdout:
            line = line.rstrip()
            if line:
                progress(line)
                tail = (tail + [line])[-5:]
    if proc.returncode != 0:
        raise BuildError(f"{command[0]} failed ({proc.returncode}): {' / '.join(tail)}")


def redis_rootfs(spec: ImageSpec, workdir: Path, progress: Progress, **options) -> Path:
    from cloudfold.images.binaries import redis_rootfs as build  # it builds on this module's busybox base

    return build(spec, workdir, progress, **options)


BUILDERS: dict[str, Callable[..., Path]] = {"busybox": busybox_rootfs, "debootstrap": debootstrap_rootfs,
                                            "redis": redis_rootfs}
