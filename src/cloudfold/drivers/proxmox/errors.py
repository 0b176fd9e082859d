"""proxmoxer / requests exceptions -> the typed driver errors, by HTTP status.

PVE puts its error message in the HTTP reason phrase (``500 Configuration file
'nodes/pve/qemu-server/100.conf' does not exist``); proxmoxer keeps it as
``ResourceException.content`` and any per-parameter errors of the body as ``.errors``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
import urllib3.exceptions
from proxmoxer.core import AuthenticationError, ResourceException

from cloudfold.drivers.base import Conflict, DriverError, DriverUnavailable, InvalidRequest, NotFound, UpstreamError

# 595-599: pveproxy could not reach the node it proxies to (AnyEvent::HTTP pseudo codes);
# 502-504: a reverse proxy in front of the API could not reach it
UNREACHABLE = {502, 503, 504, 595, 596, 597, 598, 599}


class GuestMissing(NotFound):
    """PVE says the guest does not exist (404, or 500 "... does not exist")."""


# Residue: PVE answers a guest whose config file is missing with a 500 and says so only in the
# reason phrase ("Configuration file '…/100.conf' does not exist"); no field or code tells it
# apart from any other 500, so that one phrase is matched (PVE's API has no 404 for it).
MISSING_CONFIG = "does not exist"
BY_STATUS = {400: InvalidRequest, 404: GuestMissing, 409: Conflict}


def message_of(exc: ResourceException) -> str:
    text = str(exc.content or exc.status_message or "").strip()
    errors = exc.errors
    if isinstance(errors, dict) and errors and not isinstance(errors.get("errors"), (bytes, str)):
        detail = "; ".join(f"{k}: {str(v).strip()}" for k, v in errors.items())
        text = f"{text} ({detail})" if text else detail
    return text or "no message"


def translate(exc: Exception, what: str) -> DriverError:
    """The driver error for ``exc``, raised while doing ``what`` (e.g. "GET /nodes"). The
    message names the call and the HTTP status; PVE's own text is kept in ``upstream`` only."""
    if isinstance(exc, DriverError):
        return exc
    if isinstance(exc, ResourceException):
        code, text = exc.status_code, message_of(exc)
        if code == 500 and MISSING_CONFIG in text.lower():
            return GuestMissing(f"Proxmox: not found ({what}): {code}", upstream=text)
        if code in BY_STATUS:
            return BY_STATUS[code](f"Proxmox refused ({what}): {code}", upstream=text)
        if code == 401:
            return DriverError(f"Proxmox rejected the credentials ({what}): 401", upstream=text)
        if code == 403:
            return DriverError(f"Proxmox denied permission ({what}): 403", upstream=text)
        if code in UNREACHABLE:
            return DriverUnavailable(f"Proxmox node unreachable ({what}): {code}", upstream=text)
        return UpstreamError(f"Proxmox API error ({what}): {code}", upstream=text)
    if isinstance(exc, AuthenticationError):  # password login refused at POST /access/ticket
        return DriverError("Proxmox login failed (POST /access/ticket)", upstream=str(exc))
    if isinstance(exc, requests.exceptions.Timeout):
        return DriverUnavailable(f"Proxmox API timed out ({what}): {exc}")
    if isinstance(exc, requests.exceptions.SSLError):
        if "timed out" in str(exc).lower():
            return DriverUnavailable(f"Proxmox API timed out during TLS handshake ({what})")
        return DriverError(f"Proxmox TLS failure ({what}): {exc}. A self-signed PVE certificate needs "
                           "config verify_ssl set to the CA bundle path, or false")
    # below, the exception's text may quote what the other side sent (a banner, a bad status
    # line): the message names the failure's kind, the text goes to the log only
    if isinstance(exc, requests.exceptions.ConnectionError):
        return DriverUnavailable(f"Proxmox API unreachable ({what}): {_cause(exc)}", upstream=str(exc))
    if isinstance(exc, requests.exceptions.RequestException):
        return DriverError(f"Proxmox request failed ({what}): {_cause(exc)}", upstream=str(exc))
    if isinstance(exc, (urllib3.exceptions.HTTPError, OSError)):
        return DriverUnavailable(f"Proxmox API connection failed ({what}): {_cause(exc)}", upstream=str(exc))
    if isinstance(exc, NotImplementedError):  # proxmoxer.core.config_failure
        return DriverError(f"Proxmox client misconfigured: {exc}")
    return DriverError(f"Proxmox call failed ({what}): {type(exc).__name__}", upstream=str(exc))


def _cause(exc: BaseException) -> str:
    """The innermost cause's kind (e.g. NewConnectionError, BadStatusLine), and its errno."""
    seen = exc
    for _ in range(8):
        inner = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
        if not isinstance(inner, BaseException) or inner is seen:
            break
        seen = inner
    errno = getattr(seen, "errno", None)
    return type(seen).__name__ + (f" (errno {errno})" if isinstance(errno, int) else "")


# what the boundary translates; anything else is a bug and propagates unchanged
TRANSLATED = (ResourceException, AuthenticationError, requests.exceptions.RequestException,
              urllib3.exceptions.HTTPError, OSError, NotImplementedError)


@contextmanager
def boundary(what: str) -> Iterator[None]:
    try:
        yield
    except TRANSLATED as exc:
        raise translate(exc, what) from exc
