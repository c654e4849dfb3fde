"""The configuration file: TOML read into frozen dataclasses, every mistake reported at once.

:func:`load_config` reads a file; :func:`default_config` is the embedded default (one virtual
modem, ``./smsd.sqlite3``, the API on ``127.0.0.1:8080``, no users so the daemon creates one);
:func:`render` prints the effective settings with secrets masked. ``config.example.toml``
documents every key and its default.

Errors are :class:`~smsd.errors.ConfigError`. A TOML syntax error names the place as
``<file>:<line>:<column>: <what>``. Meaning errors name the dotted key path, with array entries
counted from zero (``phones[1].baudrate`` is the second ``[[phones]]``); all of them are collected
and reported together, one per line. Unknown keys are errors: a typo must not be ignored.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import math
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, TypeVar, cast

from smsd.errors import ConfigError
from smsd.windows import StartpointError, validate_startpoint

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    from _typeshed import DataclassInstance

LogFormat = Literal["auto", "console", "journal", "json"]
LogLevel = Literal["debug", "info", "warning", "error"]
LOG_FORMATS: Final = ("auto", "console", "journal", "json")
LOG_LEVELS: Final = ("debug", "info", "warning", "error")
VIRTUAL: Final = "virtual"
DEFAULT_PHONE: Final = "virtual-1"
DEFAULT_DATABASE: Final = "smsd.sqlite3"
EXAMPLE_API_KEY: Final = "change-me-to-at-least-32-random-characters"
"""The placeholder key of ``config.example.toml``: refused, so that nobody deploys it."""
MIN_API_KEY: Final = 32
# Rates a Linux tty accepts (termios B50 ... B4000000).
BAUDRATES: Final = frozenset({
    50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600,
    115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000,
    2500000, 3000000, 3500000, 4000000,
})  # fmt: skip
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


# ---------------------------------------------------------------------------------- the settings


@dataclass(frozen=True)
class TcpListen:
    """The API listens on a TCP address (port 0 picks a free port)."""

    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class UnixListen:
    """The API listens on a Unix stream socket."""

    path: Path

    def __str__(self) -> str:
        return f"unix:{self.path}"


@dataclass(frozen=True)
class DaemonConfig:
    """``[daemon]``: storage, logging and delivery semantics."""

    database: Path
    log_format: LogFormat = "auto"
    log_level: LogLevel = "info"
    at_least_once: bool = False
    """Resend a segment interrupted by a crash (``True``) or mark it ``interrupted`` (default)."""
    report_window_hours: float = 72.0
    """Hours during which a status report can still be matched to a sent message."""
    part_timeout: float = 1800.0
    """Seconds to wait for missing parts of a concatenated incoming message before storing it."""


@dataclass(frozen=True)
class ApiConfig:
    """``[api]``: the HTTP server."""

    listen: TcpListen | UnixListen = TcpListen("127.0.0.1", 8080)
    prefix: str = "/raspisms"
    """Routes answer under this prefix and at the root; ``""`` for the root only."""
    html_escape: bool = True
    """Escape ``&``, ``<``, ``>`` in JSON text, as RaspiSMS does."""
    max_body_bytes: int = 8 * 1024 * 1024


@dataclass(frozen=True)
class UserConfig:
    """``[[users]]``: an API user and its key."""

    email: str
    api_key: str = field(repr=False)
    admin: bool = False


@dataclass(frozen=True)
class LimitConfig:
    """At most ``volume`` segments sent since ``startpoint`` (a RaspiSMS start point)."""

    volume: int
    startpoint: str


@dataclass(frozen=True)
class PhoneConfig:
    """``[[phones]]``: one modem and how to use it."""

    name: str
    device: str
    baudrate: int = 115200
    pin: str | None = field(default=None, repr=False)
    priority: int = 0
    delivery_reports: bool = True
    poll_interval: float = 60.0
    health_interval: float = 30.0
    submit_timeout: float = 60.0
    command_timeout: float = 5.0
    min_interval: float = 0.0
    retries: int = 3
    limits: tuple[LimitConfig, ...] = ()


@dataclass(frozen=True)
class HotplugConfig:
    """``[hotplug]``: device globs watched for modems appearing and disappearing."""

    devices: tuple[str, ...] = ()
    baudrate: int = 115200


@dataclass(frozen=True)
class Config:
    """The whole configuration; ``source`` is the file it came from (``None``: the default)."""

    daemon: DaemonConfig
    api: ApiConfig
    users: tuple[UserConfig, ...]
    phones: tuple[PhoneConfig, ...]
    hotplug: HotplugConfig
    source: Path | None = None


def default_config(directory: Path) -> Config:
    """The embedded default: one virtual modem, ``smsd.sqlite3`` in ``directory``, no users."""
    return Config(
        daemon=DaemonConfig(database=directory.absolute() / DEFAULT_DATABASE),
        api=ApiConfig(),
        users=(),
        phones=(PhoneConfig(name=DEFAULT_PHONE, device=VIRTUAL),),
        hotplug=HotplugConfig(),
    )


# ------------------------------------------------------------------------------------- reading


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate the TOML file at ``path``; raise :class:`ConfigError` on any problem."""
    source = Path(path)
    name = str(path)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line, column = _position_of_byte(raw, exc.start)
        raise ConfigError(f"{name}:{line}:{column}: not UTF-8 text") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_syntax_message(name, text, exc)) from exc
    problems: list[str] = []
    config = _build(_Table(data, "", problems), source.absolute().parent)
    if problems:
        raise ConfigError("\n".join(f"{name}: {problem}" for problem in problems))
    return replace(config, source=source.absolute())


def _position_of_byte(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _syntax_message(name: str, text: str, exc: tomllib.TOMLDecodeError) -> str:
    """Reformat tomllib's ``What (at line L, column C)`` as ``file:L:C: What``."""
    message = str(exc)
    match = re.fullmatch(r"(?s)(.*) \(at line (\d+), column (\d+)\)", message)
    if match:
        return f"{name}:{match[2]}:{match[3]}: {match[1]}"
    what = message.removesuffix(" (at end of document)")
    lines = text.split("\n")
    return f"{name}:{len(lines)}:{len(lines[-1]) + 1}: {what} (at end of file)"


class _Invalid(Exception):  # noqa: N818 - internal signal carrying a problem's wording
    """A value is wrong; the message says what was expected."""


_T = TypeVar("_T")
_MISSING: Final = object()


class _Table:
    """One TOML table being read: hands out converted values and records every problem."""

    def __init__(self, data: object, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        self.data: dict[str, object] = {}
        self.known: set[str] = set()
        self.broken = not isinstance(data, dict)
        if isinstance(data, dict):
            self.data = data
        else:  # reported once, not also as a table missing every required key
            self.problem(None, f"must be a table, got {_show(data)}")

    def where(self, key: str | None) -> str:
        if key is None:
            return self.path or "(top level)"
        return f"{self.path}.{key}" if self.path else key

    def problem(self, key: str | None, message: str) -> None:
        self.problems.append(f"{self.where(key)}: {message}")

    def get(self, key: str, convert: Callable[[object], _T], default: _T) -> _T:
        """The converted value of ``key``, or ``default`` when absent or invalid (recorded)."""
        self.known.add(key)
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            return default
        try:
            return convert(value)
        except _Invalid as exc:
            self.problem(key, str(exc))
            return default

    def require(self, key: str, convert: Callable[[object], _T], placeholder: _T) -> _T:
        if key not in self.data:
            self.known.add(key)
            if not self.broken:
                self.problem(key, "is required")
            return placeholder
        return self.get(key, convert, placeholder)

    def table(self, key: str) -> _Table:
        self.known.add(key)
        return _Table(self.data.get(key, {}), self.where(key), self.problems)

    def tables(self, key: str) -> list[_Table]:
        """An array of tables (``[[key]]`` or a list of inline tables)."""
        self.known.add(key)
        value = self.data.get(key, [])
        if not isinstance(value, list):
            self.problem(key, f"must be an array of tables, got {_show(value)}")
            return []
        where = self.where(key)
        return [_Table(item, f"{where}[{i}]", self.problems) for i, item in enumerate(value)]

    def finish(self) -> None:
        """Report every key nobody asked for."""
        for key in self.data:
            if key not in self.known:
                close = difflib.get_close_matches(key, sorted(self.known), n=1, cutoff=0.75)
                hint = f" (did you mean {json.dumps(close[0])}?)" if close else ""
                self.problem(key, f"unknown key{hint}")


def _build(top: _Table, base: Path) -> Config:
    daemon = _daemon(top.table("daemon"), base)
    api = _api(top.table("api"), base)
    users = tuple(_user(table) for table in top.tables("users"))
    phones = tuple(_phone(table) for table in top.tables("phones"))
    hotplug = _hotplug(top.table("hotplug"))
    top.finish()
    _unique(top, "users", "email", [user.email for user in users])
    _unique(top, "users", "api_key", [user.api_key for user in users], secret=True)
    _unique(top, "phones", "name", [phone.name for phone in phones])
    _unique(top, "phones", "device", [p.device if p.device != VIRTUAL else None for p in phones])
    return Config(daemon=daemon, api=api, users=users, phones=phones, hotplug=hotplug)


def _unique(
    top: _Table, array: str, key: str, values: list[str | None], *, secret: bool = False
) -> None:
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        if value is None or value == "":
            continue
        if value in seen:
            shown = "" if secret else f" {json.dumps(value)}"
            top.problem(
                f"{array}[{index}].{key}", f"duplicate{shown}: already {array}[{seen[value]}]"
            )
        else:
            seen[value] = index


def _daemon(table: _Table, base: Path) -> DaemonConfig:
    config = DaemonConfig(
        database=table.get("database", _path(base), base / DEFAULT_DATABASE),
        log_format=cast("LogFormat", table.get("log_format", _choice(LOG_FORMATS), "auto")),
        log_level=cast("LogLevel", table.get("log_level", _choice(LOG_LEVELS), "info")),
        at_least_once=table.get("at_least_once", _boolean, default=False),
        report_window_hours=table.get("report_window_hours", _number(unit="hours"), 72.0),
        part_timeout=table.get("part_timeout", _number(), 1800.0),
    )
    table.finish()
    return config


def _api(table: _Table, base: Path) -> ApiConfig:
    defaults = ApiConfig()
    config = ApiConfig(
        listen=table.get("listen", _listen(base), defaults.listen),
        prefix=table.get("prefix", _prefix, defaults.prefix),
        html_escape=table.get("html_escape", _boolean, defaults.html_escape),
        max_body_bytes=table.get("max_body_bytes", _integer(1024), defaults.max_body_bytes),
    )
    table.finish()
    return config


def _user(table: _Table) -> UserConfig:
    config = UserConfig(
        email=table.require("email", _email, ""),
        api_key=table.require("api_key", _api_key, ""),
        admin=table.get("admin", _boolean, default=False),
    )
    table.finish()
    return config


def _phone(table: _Table) -> PhoneConfig:
    d = PhoneConfig(name="", device="")
    config = PhoneConfig(
        name=table.require("name", _name, ""),
        device=table.require("device", _device, ""),
        baudrate=table.get("baudrate", _baudrate, d.baudrate),
        pin=table.get("pin", _pin, d.pin),
        priority=table.get("priority", _integer(0), d.priority),
        delivery_reports=table.get("delivery_reports", _boolean, d.delivery_reports),
        poll_interval=table.get("poll_interval", _number(), d.poll_interval),
        health_interval=table.get("health_interval", _number(), d.health_interval),
        submit_timeout=table.get("submit_timeout", _number(), d.submit_timeout),
        command_timeout=table.get("command_timeout", _number(), d.command_timeout),
        min_interval=table.get("min_interval", _number(allow_zero=True), d.min_interval),
        retries=table.get("retries", _integer(0), d.retries),
        limits=tuple(_limit(limit) for limit in table.tables("limits")),
    )
    table.finish()
    return config


def _limit(table: _Table) -> LimitConfig:
    config = LimitConfig(
        volume=table.require("volume", _integer(1), 1),
        startpoint=table.require("startpoint", _startpoint, "today"),
    )
    table.finish()
    return config


def _hotplug(table: _Table) -> HotplugConfig:
    config = HotplugConfig(
        devices=table.get("devices", _globs, ()),
        baudrate=table.get("baudrate", _baudrate, 115200),
    )
    table.finish()
    return config


# ---------------------------------------------------------------------------------- converters


def _show(value: object) -> str:
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


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false, got {_show(value)}")
    return value


def _integer(minimum: int) -> Callable[[object], int]:
    wording = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"

    def convert(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise _Invalid(f"must be {wording}, got {_show(value)}")
        return value

    return convert


def _number(*, allow_zero: bool = False, unit: str = "seconds") -> Callable[[object], float]:
    wording = f"a number of {unit} >= 0" if allow_zero else f"a positive number of {unit}"

    def convert(value: object) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
            or (value == 0 and not allow_zero)
        ):
            raise _Invalid(f"must be {wording}, got {_show(value)}")
        return float(value)

    return convert


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"must be a string, got {_show(value)}")
    return value


def _choice(options: tuple[str, ...]) -> Callable[[object], str]:
    def convert(value: object) -> str:
        if value not in options:
            listed = ", ".join(json.dumps(option) for option in options)
            raise _Invalid(f"must be one of {listed}, got {_show(value)}")
        return value

    return convert


def _path(base: Path) -> Callable[[object], Path]:
    def convert(value: object) -> Path:
        text = _string(value)
        if not text or "\0" in text:
            raise _Invalid(f"must be a file path, got {_show(value)}")
        return base / text  # an absolute path replaces base

    return convert


def _host_port(text: str) -> TcpListen:
    match = _HOST_PORT.fullmatch(text)
    if not match:
        hint = " (write IPv6 addresses in brackets: [::1]:8080)" if text.count(":") > 1 else ""
        raise _Invalid(f'must be "host:port"{hint}, got {_show(text)}')
    port = int(match["port"])
    if port > 65535:
        raise _Invalid(f"port must be 0 to 65535, got {port}")
    if match["v6"] is not None:
        try:
            host = str(ipaddress.IPv6Address(match["v6"]))
        except ValueError:
            raise _Invalid(f"not an IPv6 address: {_show(match['v6'])}") from None
        return TcpListen(host, port)
    host = match["host"]
    numeric = re.fullmatch(r"[0-9.]+", host) is not None
    if numeric:
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise _Invalid(f"not an IPv4 address: {_show(host)}") from None
    elif len(host) > 253 or not _HOSTNAME.fullmatch(host):
        raise _Invalid(f"not a host name or address: {_show(host)}")
    return TcpListen(host, port)


def _listen(base: Path) -> Callable[[object], TcpListen | UnixListen]:
    def convert(value: object) -> TcpListen | UnixListen:
        text = _string(value)
        if text.startswith("unix:"):
            path = _path(base)(text.removeprefix("unix:"))
            if len(str(path).encode()) > _UNIX_PATH_MAX:
                raise _Invalid(f"socket path longer than {_UNIX_PATH_MAX} bytes: {path}")
            return UnixListen(path)
        return _host_port(text)

    return convert


def _prefix(value: object) -> str:
    text = _string(value)
    if not _PREFIX.fullmatch(text) or {".", ".."} & set(text.split("/")):
        raise _Invalid(f'must be "" or a URL path such as "/raspisms", got {_show(value)}')
    return text.rstrip("/")


def _email(value: object) -> str:
    text = _string(value)
    if not _EMAIL.fullmatch(text):
        raise _Invalid(f"must be an e-mail address, got {_show(value)}")
    return text


def _api_key(value: object) -> str:
    if not isinstance(value, str):  # never echo a secret, even a wrong one
        raise _Invalid("must be a string")
    if len(value) < MIN_API_KEY:
        raise _Invalid(f"must be at least {MIN_API_KEY} characters, got {len(value)}")
    if not _API_KEY.fullmatch(value):
        raise _Invalid("must be visible ASCII characters only (no spaces)")
    if value == EXAMPLE_API_KEY:
        raise _Invalid("is the example's placeholder: generate a random key")
    return value


def _name(value: object) -> str:
    text = _string(value)
    if not _NAME.fullmatch(text):
        raise _Invalid(f"must be letters, digits, '.', '_' or '-', got {_show(value)}")
    return text


def _device(value: object) -> str:
    text = _string(value)
    if text == VIRTUAL or (text.startswith("/") and "\0" not in text and len(text) > 1):
        return text
    url = _SERIAL_URL.fullmatch(text)
    if url:
        _host_port(url["address"])
        return text
    raise _Invalid(
        'must be "virtual", an absolute device path or a socket://host:port or '
        f"rfc2217://host:port URL, got {_show(value)}"
    )


def _baudrate(value: object) -> int:
    rate = _integer(1)(value)
    if rate not in BAUDRATES:
        common = "9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600"
        raise _Invalid(f"must be a standard rate ({common}, ...), got {rate}")
    return rate


def _pin(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise _Invalid(
            'must be a quoted string of 4 to 8 digits (pin = "0123"): '
            "as a number, leading zeros would be lost"
        )
    if not isinstance(value, str) or not _PIN.fullmatch(value):
        raise _Invalid("must be a string of 4 to 8 digits")  # not echoed: a PIN is a secret
    return value


def _startpoint(value: object) -> str:
    text = _string(value)
    try:
        validate_startpoint(text)
    except StartpointError:
        raise _Invalid(
            'must be a RaspiSMS start point such as "today", "-24 hours", "this week midnight", '
            f'"this month midnight", "-1 month" or "-N hours|days|weeks|months", got {_show(value)}'
        ) from None
    return text


def _globs(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Invalid(
            f'must be an array of absolute globs such as "/dev/smsd/*", got {_show(value)}'
        )
    for item in value:
        if not isinstance(item, str) or not item.startswith("/") or "\0" in item:
            raise _Invalid(
                f'each entry must be an absolute glob such as "/dev/smsd/*", got {_show(item)}'
            )
    return tuple(value)


# ------------------------------------------------------------------------------------- render


def render(config: Config, *, mask: bool = True) -> str:
    """The effective settings as TOML, for ``smsd check-config``; API keys and PINs masked.

    Unmasked, the text loads back into an equal configuration.
    """
    origin = str(config.source) if config.source else "the embedded default"
    out = [f"# Effective configuration, from {origin}."]
    out += ["", "[daemon]", *_assignments(config.daemon, mask=mask)]
    out += ["", "[api]", *_assignments(config.api, mask=mask)]
    if not config.users:
        out += ["", "# No [[users]]: smsd creates one at start and prints its key once."]
    for user in config.users:
        out += ["", "[[users]]", *_assignments(user, mask=mask)]
    if not config.phones:
        out += ["", "# No [[phones]]."]
    for phone in config.phones:
        out += ["", "[[phones]]", *_assignments(phone, mask=mask)]
    out += ["", "[hotplug]", *_assignments(config.hotplug, mask=mask)]
    return "\n".join(out) + "\n"


def _assignments(settings: DataclassInstance, *, mask: bool) -> list[str]:
    """``key = value`` lines for each field of a settings dataclass, secrets masked."""
    lines = []
    for spec in fields(settings):
        value = getattr(settings, spec.name)
        if value is None:
            continue  # absent optional key (pin)
        if mask and spec.name == "api_key":
            value = value[:4] + "*" * (len(value) - 4)
        elif mask and spec.name == "pin":
            value = "****"
        lines.append(f"{spec.name} = {_toml(value)}")
    return lines


def _toml(value: object) -> str:
    """A TOML literal for a string, boolean, number, path, address, limit, or tuple of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, LimitConfig):
        return f"{{ volume = {value.volume}, startpoint = {_toml(value.startpoint)} }}"
    # JSON strings are TOML basic strings once DEL, the one control JSON leaves alone, is escaped.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")
