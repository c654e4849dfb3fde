"""A small client of the daemon's HTTP API, for ``smsd send`` and ``smsd inbox``.

It reaches the API over TCP or the Unix socket ``[api] listen`` names, sends the key as
``X-Api-Key``, and turns every failure (daemon not running, refused key, unexpected answer) into a
:class:`ClientError` with a one-line message and the exit code it means.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from smsd import __version__
from smsd.config import Config, TcpListen, UnixListen

if TYPE_CHECKING:
    import aiohttp

EXIT_FAILURE = 1
EXIT_USAGE = 2
API_KEY_ENV = "SMSD_API_KEY"
"""Environment variable holding the API key of ``send`` and ``inbox``."""


class ClientError(Exception):
    """A failure to report on one line, with the exit code it means."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


PAGE_SIZE = 25
"""Rows per page of ``/api/list/…`` (RaspiSMS's)."""
_NEWEST = 2**63 - 1  # ``before`` this id: the newest rows
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104 - mapped to loopback


@dataclass(frozen=True)
class Endpoint:
    """Where the API is: a base URL, and a Unix socket to reach it through (or ``None``)."""

    base: str
    socket: str | None = None

    def __str__(self) -> str:
        return f"unix:{self.socket}" if self.socket else self.base


def endpoint(url: str | None, listen: TcpListen | UnixListen) -> Endpoint:
    """The API's endpoint: ``url`` if given (``http(s)://…`` or ``unix:/path``), else ``listen``."""
    if url is None:
        if isinstance(listen, UnixListen):
            return Endpoint("http://localhost", str(listen.path))
        if listen.port == 0:
            raise ClientError("[api] listen uses port 0 (any free port): pass --url", EXIT_USAGE)
        host = _ANY_ADDRESS.get(listen.host, listen.host)
        return Endpoint(f"http://{TcpListen(host, listen.port)}")
    if url.startswith("unix:"):
        if not url.removeprefix("unix:"):
            raise ClientError(
                "--url unix: needs a socket path (unix:/run/smsd/api.sock)", EXIT_USAGE
            )
        return Endpoint("http://localhost", url.removeprefix("unix:"))
    full = url if "://" in url else f"http://{url}"
    try:
        parts = urlsplit(full)
        valid = parts.scheme in {"http", "https"} and bool(parts.hostname)
        valid = valid and parts.port != 0
    except ValueError:
        valid = False
    if not valid:
        raise ClientError(f"--url {url!r}: expected http://HOST:PORT or unix:/PATH", EXIT_USAGE)
    return Endpoint(full.rstrip("/"))


def configured_key(config: Config) -> str | None:
    """The API key of the configuration's first admin user (else first user), if any."""
    users = sorted(config.users, key=lambda user: not user.admin)
    return users[0].api_key if users else None


def _unreachable(where: Endpoint, exc: aiohttp.ClientConnectorError) -> str:
    error = exc.os_error
    if isinstance(error, ConnectionRefusedError):
        return f"connection refused by {where}: is the daemon running? (see --url)"
    if isinstance(error, FileNotFoundError) and where.socket:
        return f"no socket at {where.socket}: is the daemon running? (see --url)"
    if isinstance(error, PermissionError):
        return f"permission denied on {where}: run as a user allowed to reach the API"
    return f"cannot reach the daemon at {where}: {error.strerror or error}"


async def _call(
    session: aiohttp.ClientSession,
    where: Endpoint,
    path: str,
    data: list[tuple[str, str]] | None = None,
    *,
    method: str | None = None,
) -> object:
    """One API request (POST when ``data`` is given); its ``response``, or :class:`ClientError`."""
    import aiohttp  # noqa: PLC0415 - loaded by the commands that talk HTTP only

    method = method or ("GET" if data is None else "POST")
    try:
        async with session.request(method, where.base + path, data=data) as reply:
            status, text = reply.status, await reply.text()
    except aiohttp.ClientConnectorError as exc:
        raise ClientError(_unreachable(where, exc)) from exc
    except TimeoutError as exc:
        raise ClientError(f"no answer from {where} in time (see --timeout)") from exc
    except aiohttp.ClientError as exc:
        raise ClientError(f"talking to {where} failed: {str(exc) or type(exc).__name__}") from exc
    if status == 204:  # a deletion that went through: no body
        return None
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict) or not isinstance(document.get("error"), int):
        raise ClientError(f"{where} answered HTTP {status}, not as the smsd API: check --url")
    code = document["error"]
    if code == 1:
        raise ClientError(
            f"the daemon refused the API key (error 1): check --api-key or ${API_KEY_ENV}"
        )
    if code == 16:
        raise ClientError("the daemon refused the request: this API user is suspended (error 16)")
    if code:
        raise ClientError(
            f"the daemon refused the request (error {code}): {document.get('message')}"
        )
    return document.get("response")


def _session(where: Endpoint, api_key: str, timeout: float) -> aiohttp.ClientSession:
    import aiohttp  # noqa: PLC0415 - loaded by the commands that talk HTTP only

    connector = aiohttp.UnixConnector(path=where.socket) if where.socket else None
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout),
        headers={"X-Api-Key": api_key, "User-Agent": f"smsd/{__version__}"},
    )


def _rows(found: object) -> list[dict[str, object]]:
    if not isinstance(found, list):
        raise ClientError("the daemon answered a list request with something else")
    return [item for item in found if isinstance(item, dict)]


async def _phone_id(session: aiohttp.ClientSession, where: Endpoint, name: str) -> int:
    names: list[str] = []
    path = "/api/list/phone/"
    while True:
        page = _rows(await _call(session, where, path))
        for phone in page:
            if phone.get("name") == name:
                return int(str(phone.get("id")))
            names.append(str(phone.get("name")))
        if len(page) < PAGE_SIZE:
            break
        path = f"/api/list/phone/after/{page[-1].get('id')}/"
    known = ", ".join(names) or "none"
    raise ClientError(f"no phone named {name!r} for this API user (phones: {known})")


async def send(
    where: Endpoint, api_key: str, *, to: str, text: str, phone: str | None, timeout: float
) -> str:
    """Schedule ``text`` to ``to`` now (through the phone named ``phone``); the line to print."""
    async with _session(where, api_key, timeout) as session:
        fields = [("text", text), ("numbers[]", to)]
        if phone is not None:
            fields.append(("id_phone", str(await _phone_id(session, where, phone))))
        found = await _call(session, where, "/api/scheduled/", data=fields)
    return f"scheduled message {found}\n"


async def inbox(where: Endpoint, api_key: str, *, limit: int, timeout: float) -> str:
    """The user's ``limit`` latest received messages, newest last, as text to print."""
    rows: list[dict[str, object]] = []
    before: object = _NEWEST
    async with _session(where, api_key, timeout) as session:
        while len(rows) < limit:
            page = _rows(await _call(session, where, f"/api/list/received/before/{before}/"))
            rows[:0] = page
            if len(page) < PAGE_SIZE:
                break
            before = page[0].get("id")
    if not rows:
        return "no received messages\n"
    lines = []
    for row in rows[-limit:]:
        head = f"#{row.get('id')}  {row.get('at')}  {row.get('origin')}  {row.get('status')}"
        lines.append(_printable(head))
        lines.append("    " + _printable(str(row.get("text", ""))).replace("\n", "\n    "))
    return "\n".join(lines) + "\n"


USSD_ENDED = {
    "not_supported": "the network does not support this code",
    "timeout": "no answer in time; the session was cancelled",
    "cancelled": "the session was cancelled",
    "failed": "the request failed",
}


async def ussd(
    where: Endpoint,
    api_key: str,
    *,
    phone: str | None,
    session: int | None,
    text: str | None,
    cancel: bool,
    wait: float,
    timeout: float,
) -> tuple[str, bool]:
    """Send a USSD code (``phone``), reply to or poll a session, or cancel it.

    Returns the text to print and whether the session ended well (answered, or waiting for a
    reply); a session that ended otherwise is reported with its reason.
    """
    async with _session(where, api_key, max(timeout, wait + 5)) as http:
        if session is None:
            if phone is None or text is None:
                raise ClientError("give --phone NAME and a USSD code, or --session ID", 2)
            id_phone = await _phone_id(http, where, phone)
            fields = [("id_phone", str(id_phone)), ("code", text), ("wait", f"{wait:g}")]
            found = await _call(http, where, "/api/ussd/", data=fields)
        elif cancel:
            await _call(http, where, f"/api/ussd/{session}/", method="DELETE")
            found = await _call(http, where, f"/api/ussd/{session}/")
        elif text is not None:
            fields = [("reply", text), ("wait", f"{wait:g}")]
            found = await _call(http, where, f"/api/ussd/{session}/", data=fields)
        else:
            found = await _call(http, where, f"/api/ussd/{session}/")
    if not isinstance(found, dict):
        raise ClientError("the daemon answered a USSD request with something else")
    return _ussd_text(found)


def _ussd_text(found: dict[str, object]) -> tuple[str, bool]:
    status, ident = found.get("status"), found.get("id")
    answer = _printable(str(found.get("answer") or ""))
    if status == "waiting_reply":
        hint = f"(session {ident} waits for a reply: smsd ussd --session {ident} REPLY)"
        return f"{answer}\n{hint}\n", True
    if status == "pending":
        return f"(session {ident}: no answer yet; see it with smsd ussd --session {ident})\n", True
    if status == "done":
        return f"{answer}\n", True
    if status == "cancelled":
        return f"session {ident}: cancelled\n", True
    reason = USSD_ENDED.get(str(status), str(status))
    error = found.get("error")
    detail = f" ({_printable(str(error))})" if error and status == "failed" else ""
    head = f"{answer}\n" if answer else ""
    return f"{head}session {ident}: {reason}{detail}\n", False


def _printable(text: str) -> str:
    """``text`` with control characters shown as escapes (an SMS must not drive the terminal)."""
    return "".join(
        char if char.isprintable() or char == "\n" else f"\\x{ord(char):02x}" for char in text
    )


__all__ = [
    "API_KEY_ENV",
    "PAGE_SIZE",
    "ClientError",
    "Endpoint",
    "configured_key",
    "endpoint",
    "inbox",
    "send",
    "ussd",
]
