"""Images of one program copied from this host's Debian packages: the installed binaries, the
shared libraries `ldd` lists for them (and the program interpreter), on the busybox base
(`rootfs.add_busybox`), so no registry or mirror is needed. `cloudfold/redis:7` is Debian's
redis-server and redis-cli (package `redis-server`, which scripts/install-test-deps installs)."""

from __future__ import annotations

import os
import re
import subprocess
import tarfile
from pathlib import Path, PurePosixPath

from cloudfold.images.rootfs import BuildError, Progress, _entry, add_busybox
from cloudfold.images.specs import ImageSpec

REDIS_BINARIES = ("/usr/bin/redis-server", "/usr/bin/redis-cli")
REDIS_DIRS = {"etc/redis": 0o755}  # the cache's config file goes here (domain/caches)
_LDD_LINE = re.compile(r"^\s*(?:\S+\s+=>\s+)?(/\S+)\s+\(0x[0-9a-f]+\)\s*$")


def shared_libraries(binary: str) -> list[str]:
    """The absolute paths of the shared objects ``binary`` loads (its interpreter included), as
    `ldd` lists them; a library ldd cannot find is a BuildError."""
    try:
        out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BuildError(f"ldd {binary} failed: {exc}") from None
    if "not found" in out:
        missing = [line.split()[0] for line in out.splitlines() if "not found" in line]
        raise BuildError(f"{binary} needs libraries that are not installed: {', '.join(missing)}")
    return [m.group(1) for m in map(_LDD_LINE.match, out.splitlines()) if m]


def add_program(tar: tarfile.TarFile, binaries: tuple[str, ...], progress: Progress) -> None:
    """Copy each binary (a symlink's target, under the binary's own name: redis-server is a link to
    redis-check-rdb, and picks its mode by the name it runs as) and every library it loads, each at
    the path the loader looks for it, with the directories leading there."""
    libraries: set[str] = set()
    for binary in binaries:
        if not os.access(binary, os.X_OK):
            raise BuildError(f"{binary} is not installed (Debian: apt-get install redis-server)")
        libraries.update(shared_libraries(binary))
    progress(f"copying {len(binaries)} programs and {len(libraries)} shared libraries")
    made = {m.name for m in tar.getmembers() if m.isdir()}
    for path in sorted(libraries) + list(binaries):
        for parent in reversed(PurePosixPath(path.lstrip("/")).parents[:-1]):
            if str(parent) not in made:
                _entry(tar, str(parent), tarfile.DIRTYPE, 0o755)
                made.add(str(parent))
        info = tar.gettarinfo(os.path.realpath(path), arcname=path.lstrip("/"))
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        with open(os.path.realpath(path), "rb") as fh:
            tar.addfile(info, fh)


def redis_rootfs(spec: ImageSpec, workdir: Path, progress: Progress, **_options) -> Path:
    dest = workdir / "rootfs.tar"
    with tarfile.open(dest, "w") as tar:
        add_busybox(tar, progress)
        for name, mode in REDIS_DIRS.items():
            _entry(tar, name, tarfile.DIRTYPE, mode)
        add_program(tar, REDIS_BINARIES, progress)
    return dest
