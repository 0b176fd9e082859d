"""Helpers for the metric history tests: a member's hand-tracked machine and readings stored
through the domain's one ingestion path (as a sampler would), at chosen times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cloudfold.domain.metrics import store

MB = 2**20


def machine(account, name: str = "box", kind: str = "container") -> tuple[int, int]:
    """A hand-tracked machine owned by `account`: (resource id, vmid)."""
    r = account.client.post("/api/resources", json={"name": name, "resource_type": kind, "status": "running"},
                            headers=account.headers)
    assert r.status_code == 201, r.text
    rid = int(r.json()["id"])
    return rid, rid + 99


def reading(rid: int, at: datetime, cpu: float | None, mem: int = 100 * MB, limit: int = 400 * MB,
            net: tuple[int, int] = (0, 0), disk: tuple[int, int] = (0, 0)) -> store.Reading:
    return store.Reading(rid, at, {"cpu_percent": cpu, "mem_bytes": mem, "mem_limit_bytes": limit,
                                   "net_in_bytes": net[0], "net_out_bytes": net[1],
                                   "disk_read_bytes": disk[0], "disk_write_bytes": disk[1]})


def ingest(client, readings) -> list:
    rt = client.app.state.runtime
    with rt.sessions() as session:
        written = store.ingest(session, readings)
        session.commit()
        return [(w.time, w.cpu_percent, w.net_in_rate) for w in written]


def aligned_now(step: int = 3600) -> datetime:
    """A few minutes into the current hour bucket, in the past (so a 1h range covers it)."""
    now = datetime.now(timezone.utc)
    epoch = int(now.timestamp())
    start = datetime.fromtimestamp(epoch - epoch % 300, timezone.utc)
    return start if now - start >= timedelta(seconds=90) else start - timedelta(seconds=300)
