"""Converters: each checks one kind of configuration value and returns it typed.

A wrong value raises `Invalid` with the wording of the problem (the value quoted, secrets never
echoed); the reader records it under the key's dotted path.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from typing import TYPE_CHECKING, Final

from smsd.config.settings import (
    BAUDRATES,
    EXAMPLE_API_KEY,
    MIN_API_KEY,
    VIRTUAL,
    TcpListen,
    UnixListen,
)
from smsd.windows import StartpointError, validate_startpoint

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = [
    "Invalid",
    "api_key",
    "baudrate",
    "boolean",
    "choice",
    "device",
    "email",
    "file_path",
    "globs",
    "integer",
    "listen_address",
    "number",
    "phone_name",
    "pin",
    "show",
    "startpoint",
    "url_prefix",
]

_UNIX_PATH_MAX: Final = 107  # sun_path holds 108 bytes including the terminating NUL

_NAME = re.compile(r"[A-Za-z0-9._-]+")
_PIN = re.compile(r"[0-9]{4,8}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_API_KEY = re.compile(r"[!-~]+")  # visible ASCII: it travels in query strings and headers
_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)*/?")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_HOST_PORT = re.compile(r"(?:\[(?P<v6>[^\]]*)\]|(?P<host>[^:\[\]]*)):(?P<port>[0-9]{1,5})")
_SERIAL_URL = re.compile(r"(?:socket|rfc2217)://(?P<address>[^/?]+)(?:\?.*)?")


class Invalid(Exception):  # noqa: N818 - internal signal carrying a problem's wording
    """A value is wrong; the message says what was expected."""


def show(value: object) -> str:
    """A value as the message quotes it (TOML-like, shortened)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False)
        return shown if len(shown) <= 50 else shown[:46] + '..."'
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, int | float):
        return str(value)
    return f"a {type(value).__name__}"  # dates and times


def boolean(value: object) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, got {show(value)}")
    return value


def integer(minimum: int) -> Callable[[object], int]:
    """A converter to an integer of at least ``minimum``."""
    wording = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"

    def convert(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise Invalid(f"must be {wording}, got {show(value)}")
        return value

    return convert


def number(*, allow_zero: bool = False, unit: str = "seconds") -> Callable[[object], float]:
    """A converter to a finite positive number (or zero when allowed) of ``unit``."""
    wording = f"a number of {unit} >= 0" if allow_zero else f"a positive number of {unit}"

    def convert(value: object) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
            or (value == 0 and not allow_zero)
        ):
            raise Invalid(f"must be {wording}, got {show(value)}")
        return float(value)

    return convert


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid(f"must be a string, got {show(value)}")
    return value


def _matching(pattern: re.Pattern[str], wording: str) -> Callable[[object], str]:
    def convert(value: object) -> str:
        text = _string(value)
        if not pattern.fullmatch(text):
            raise Invalid(f"must be {wording}, got {show(value)}")
        return text

    return convert


def choice(options: tuple[str, ...]) -> Callable[[object], str]:
    """A converter to one of ``options``."""

    def convert(value: object) -> str:
        if value not in options:
            listed = ", ".join(json.dumps(option) for option in options)
            raise Invalid(f"must be one of {listed}, got {show(value)}")
        return value

    return convert


def file_path(base: Path) -> Callable[[object], Path]:
    """A converter to a file path, relative ones taken from ``base``."""

    def convert(value: object) -> Path:
        text = _string(value)
        if not text or "\0" in text:
            raise Invalid(f"must be a file path, got {show(value)}")
        return base / text  # an absolute path replaces base

    return convert


def _host_port(text: str) -> TcpListen:
    match = _HOST_PORT.fullmatch(text)
    if not match:
        hint = " (write IPv6 addresses in brackets: [::1]:8080)" if text.count(":") > 1 else ""
        raise Invalid(f'must be "host:port"{hint}, got {show(text)}')
    port = int(match["port"])
    if port > 65535:
        raise Invalid(f"port must be 0 to 65535, got {port}")
    if match["v6"] is not None:
        try:
            host = str(ipaddress.IPv6Address(match["v6"]))
        except ValueError:
            raise Invalid(f"not an IPv6 address: {show(match['v6'])}") from None
        return TcpListen(host, port)
    host = match["host"]
    numeric = re.fullmatch(r"[0-9.]+", host) is not None
    if numeric:
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise Invalid(f"not an IPv4 address: {show(host)}") from None
    elif len(host) > 253 or not _HOSTNAME.fullmatch(host):
        raise Invalid(f"not a host name or address: {show(host)}")
    return TcpListen(host, port)


def listen_address(base: Path) -> Callable[[object], TcpListen | UnixListen]:
    """A converter to where the API listens: ``host:port``, ``[v6]:port`` or ``unix:path``."""

    def convert(value: object) -> TcpListen | UnixListen:
        text = _string(value)
        if text.startswith("unix:"):
            path = file_path(base)(text.removeprefix("unix:"))
            if len(str(path).encode()) > _UNIX_PATH_MAX:
                raise Invalid(f"socket path longer than {_UNIX_PATH_MAX} bytes: {path}")
            return UnixListen(path)
        return _host_port(text)

    return convert


def url_prefix(value: object) -> str:
    """``""`` or a URL path such as ``/raspisms``, without its trailing slash."""
    text = _string(value)
    if not _PREFIX.fullmatch(text) or {".", ".."} & set(text.split("/")):
        raise Invalid(f'must be "" or a URL path such as "/raspisms", got {show(value)}')
    return text.rstrip("/")


email = _matching(_EMAIL, "an e-mail address")
"""An e-mail address (a user's login)."""


def api_key(value: object) -> str:
    """An API key: long enough, visible ASCII, not the example's placeholder."""
    if not isinstance(value, str):  # never echo a secret, even a wrong one
        raise Invalid("must be a string")
    if len(value) < MIN_API_KEY:
        raise Invalid(f"must be at least {MIN_API_KEY} characters, got {len(value)}")
    if not _API_KEY.fullmatch(value):
        raise Invalid("must be visible ASCII characters only (no spaces)")
    if value == EXAMPLE_API_KEY:
        raise Invalid("is the example's placeholder: generate a random key")
    return value


phone_name = _matching(_NAME, "letters, digits, '.', '_' or '-'")
"""A phone's name."""


def device(value: object) -> str:
    """``virtual``, an absolute device path or a ``socket://`` / ``rfc2217://`` URL."""
    text = _string(value)
    if text == VIRTUAL or (text.startswith("/") and "\0" not in text and len(text) > 1):
        return text
    url = _SERIAL_URL.fullmatch(text)
    if url:
        _host_port(url["address"])
        return text
    raise Invalid(
        'must be "virtual", an absolute device path or a socket://host:port or '
        f"rfc2217://host:port URL, got {show(value)}"
    )


def baudrate(value: object) -> int:
    """A rate a Linux tty accepts."""
    rate = integer(1)(value)
    if rate not in BAUDRATES:
        common = "9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600"
        raise Invalid(f"must be a standard rate ({common}, ...), got {rate}")
    return rate


def pin(value: object) -> str:
    """A SIM PIN: a string of 4 to 8 digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise Invalid(
            'must be a quoted string of 4 to 8 digits (pin = "0123"): '
            "as a number, leading zeros would be lost"
        )
    if not isinstance(value, str) or not _PIN.fullmatch(value):
        raise Invalid("must be a string of 4 to 8 digits")  # not echoed: a PIN is a secret
    return value


def startpoint(value: object) -> str:
    """A RaspiSMS start point of a sending limit."""
    text = _string(value)
    try:
        validate_startpoint(text)
    except StartpointError:
        raise Invalid(
            'must be a RaspiSMS start point such as "today", "-24 hours", "this week midnight", '
            f'"this month midnight", "-1 month" or "-N hours|days|weeks|months", got {show(value)}'
        ) from None
    return text


def globs(value: object) -> tuple[str, ...]:
    """An array of absolute device globs."""
    if not isinstance(value, list):
        raise Invalid(
            f'must be an array of absolute globs such as "/dev/smsd/*", got {show(value)}'
        )
    for item in value:
        if not isinstance(item, str) or not item.startswith("/") or "\0" in item:
            raise Invalid(
                f'each entry must be an absolute glob such as "/dev/smsd/*", got {show(item)}'
            )
    return tuple(value)
