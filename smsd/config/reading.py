"""Reading the file: TOML parsed, each section converted and checked, every problem collected.

`load_config` reports a syntax error as ``<file>:<line>:<column>: <what>``; meaning errors name
the dotted key path (array entries counted from zero) and are all reported together.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar, cast

from smsd.config.balance import amount, balance_pattern, check_balance_keys, ussd_code
from smsd.config.converters import (
    Invalid,
    api_key,
    baudrate,
    boolean,
    choice,
    device,
    email,
    file_path,
    globs,
    integer,
    listen_address,
    number,
    phone_name,
    pin,
    show,
    startpoint,
    url_prefix,
)
from smsd.config.doors_reading import read_smspartner
from smsd.config.features import read_billing, read_quiet_hours, read_stop, segment_price
from smsd.config.inbound_reading import (
    check_inbound,
    read_commands,
    read_email_in,
    read_rules,
    read_smtp,
)
from smsd.config.mqtt import read_mqtt
from smsd.config.settings import (
    DEFAULT_DATABASE,
    DIALECTS,
    INTEGRITY_CHECKS,
    LOG_FORMATS,
    LOG_LEVELS,
    VIRTUAL,
    ApiConfig,
    Config,
    DaemonConfig,
    HotplugConfig,
    LimitConfig,
    PhoneConfig,
    UserConfig,
    WebConfig,
    WebhooksConfig,
)
from smsd.errors import ConfigError
from smsd.phone import check_region

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    from smsd.config.settings import IntegrityCheck, LogFormat, LogLevel

__all__ = ["load_config"]


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
            self.problem(None, f"must be a table, got {show(data)}")

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
        except Invalid as exc:
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
            self.problem(key, f"must be an array of tables, got {show(value)}")
            return []
        where = self.where(key)
        return [_Table(item, f"{where}[{i}]", self.problems) for i, item in enumerate(value)]

    def finish(self) -> None:
        """Report every key nobody asked for."""
        for key in self.data:
            if key not in self.known:
                import difflib  # noqa: PLC0415 - only an unknown key needs a suggestion

                close = difflib.get_close_matches(key, sorted(self.known), n=1, cutoff=0.75)
                hint = f" (did you mean {json.dumps(close[0])}?)" if close else ""
                self.problem(key, f"unknown key{hint}")


def _build(top: _Table, base: Path) -> Config:
    daemon = _daemon(top.table("daemon"), base)
    api = _api(top.table("api"), base)
    users = tuple(_user(table) for table in top.tables("users"))
    phones = tuple(_phone(table) for table in top.tables("phones"))
    hotplug = _hotplug(top.table("hotplug"))
    webhooks = _webhooks(top.table("webhooks"))
    rules, commands = read_rules(top), read_commands(top)
    smtp, email_in = read_smtp(top), read_email_in(top)
    check_inbound(top, users, rules, smtp)
    billing = read_billing(top.table("billing"))
    quiet_hours = read_quiet_hours(top.table("quiet_hours"))
    stop = read_stop(top.table("stop"))
    mqtt = read_mqtt(top.table("mqtt"), base)
    web = _web(top.table("web"))
    top.finish()
    _unique(top, "users", "email", [user.email for user in users])
    _unique(top, "users", "api_key", [user.api_key for user in users], secret=True)
    _unique(top, "phones", "name", [phone.name for phone in phones])
    _unique(top, "phones", "device", [p.device if p.device != VIRTUAL else None for p in phones])
    return Config(
        daemon=daemon, api=api, users=users, phones=phones, hotplug=hotplug, webhooks=webhooks,
        rules=rules, commands=commands, smtp=smtp, email_in=email_in,
        billing=billing, quiet_hours=quiet_hours, stop=stop, mqtt=mqtt, web=web,
    )  # fmt: skip


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
        database=table.get("database", file_path(base), base / DEFAULT_DATABASE),
        log_format=cast("LogFormat", table.get("log_format", choice(LOG_FORMATS), "auto")),
        log_level=cast("LogLevel", table.get("log_level", choice(LOG_LEVELS), "info")),
        at_least_once=table.get("at_least_once", boolean, default=False),
        report_window_hours=table.get("report_window_hours", number(unit="hours"), 72.0),
        part_timeout=table.get("part_timeout", number(), 1800.0),
        integrity_check=cast(
            "IntegrityCheck", table.get("integrity_check", choice(INTEGRITY_CHECKS), "quick")
        ),
    )
    table.finish()
    return config


def _region(value: object) -> str:
    """An ISO 3166 region code libphonenumber knows (``"FR"``), upper-cased."""
    if not isinstance(value, str):
        raise Invalid(f'must be a region code such as "FR", got {show(value)}')
    try:
        return check_region(value)
    except ValueError:
        raise Invalid(f'must be a region code such as "FR" or "GB", got {show(value)}') from None


def _file_mode(value: object) -> int:
    """Unix permission bits, written in octal in TOML (``0o660``)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0o777:
        raise Invalid(
            f"must be permission bits from 0o000 to 0o777 (e.g. 0o660), got {show(value)}"
        )
    return value


def _api(table: _Table, base: Path) -> ApiConfig:
    defaults = ApiConfig()
    config = ApiConfig(
        listen=table.get("listen", listen_address(base), defaults.listen),
        prefix=table.get("prefix", url_prefix, defaults.prefix),
        html_escape=table.get("html_escape", boolean, defaults.html_escape),
        max_body_bytes=table.get("max_body_bytes", integer(1024), defaults.max_body_bytes),
        default_region=table.get("default_region", _region, defaults.default_region),
        public=table.get("public", boolean, defaults.public),
        socket_mode=table.get("socket_mode", _file_mode, defaults.socket_mode),
        max_auth_failures=table.get("max_auth_failures", integer(0), defaults.max_auth_failures),
        auth_failure_window=table.get(
            "auth_failure_window", number(), defaults.auth_failure_window
        ),
        dialects=table.get("dialects", _dialects, defaults.dialects),
        session_lifetime=table.get("session_lifetime", number(), defaults.session_lifetime),
        smspartner=read_smspartner(table.table("smspartner")),
    )
    table.finish()
    return config


def _dialects(value: object) -> tuple[str, ...]:
    """A list of front door names, each known, none twice (may be empty: no HTTP door)."""
    listed = ", ".join(json.dumps(name) for name in DIALECTS)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"must be a list of names among {listed}, got {show(value)}")
    unknown = [v for v in value if v not in DIALECTS]
    if unknown:
        raise Invalid(f"unknown dialect {json.dumps(unknown[0])}: known are {listed}")
    if len(set(value)) != len(value):
        raise Invalid("names a dialect twice")
    return tuple(value)


def _user(table: _Table) -> UserConfig:
    config = UserConfig(
        email=table.require("email", email, ""),
        api_key=table.require("api_key", api_key, ""),
        admin=table.get("admin", boolean, default=False),
        transfer=table.get("transfer", boolean, None),
    )
    table.finish()
    return config


def _phone(table: _Table) -> PhoneConfig:
    d = PhoneConfig(name="", device="")
    config = PhoneConfig(
        name=table.require("name", phone_name, ""),
        device=table.require("device", device, ""),
        baudrate=table.get("baudrate", baudrate, d.baudrate),
        pin=table.get("pin", pin, d.pin),
        priority=table.get("priority", integer(0), d.priority),
        delivery_reports=table.get("delivery_reports", boolean, d.delivery_reports),
        poll_interval=table.get("poll_interval", number(), d.poll_interval),
        health_interval=table.get("health_interval", number(), d.health_interval),
        submit_timeout=table.get("submit_timeout", number(), d.submit_timeout),
        command_timeout=table.get("command_timeout", number(), d.command_timeout),
        min_interval=table.get("min_interval", number(allow_zero=True), d.min_interval),
        retries=table.get("retries", integer(0), d.retries),
        hangup_calls=table.get("hangup_calls", boolean, d.hangup_calls),
        limits=tuple(_limit(limit) for limit in table.tables("limits")),
        segment_price=table.get("segment_price", segment_price, d.segment_price),
        ussd_timeout=table.get("ussd_timeout", number(), d.ussd_timeout),
        balance_ussd=table.get("balance_ussd", ussd_code, d.balance_ussd),
        balance_interval=table.get("balance_interval", number(), d.balance_interval),
        balance_pattern=table.get("balance_pattern", balance_pattern, d.balance_pattern),
        balance_min=table.get("balance_min", amount, d.balance_min),
        balance_check_every=table.get("balance_check_every", integer(0), d.balance_check_every),
    )
    check_balance_keys(config, table.problem)
    table.finish()
    return config


def _limit(table: _Table) -> LimitConfig:
    config = LimitConfig(
        volume=table.require("volume", integer(1), 1),
        startpoint=table.require("startpoint", startpoint, "today"),
    )
    table.finish()
    return config


def _hotplug(table: _Table) -> HotplugConfig:
    config = HotplugConfig(
        devices=table.get("devices", globs, ()),
        baudrate=table.get("baudrate", baudrate, 115200),
    )
    table.finish()
    return config


def _webhooks(table: _Table) -> WebhooksConfig:
    d = WebhooksConfig()
    config = WebhooksConfig(
        timeout=table.get("timeout", number(), d.timeout),
        max_age=table.get("max_age", number(), d.max_age),
        concurrency=table.get("concurrency", integer(1), d.concurrency),
        per_target=table.get("per_target", integer(1), d.per_target),
        retry_initial=table.get("retry_initial", number(), d.retry_initial),
        retry_max=table.get("retry_max", number(), d.retry_max),
        reply_window=table.get("reply_window", number(allow_zero=True), d.reply_window),
        retention=table.get("retention", number(allow_zero=True), d.retention),
        allow_link_local=table.get("allow_link_local", boolean, d.allow_link_local),
    )
    table.finish()
    return config


def _web(table: _Table) -> WebConfig:
    d = WebConfig()
    config = WebConfig(
        enabled=table.get("enabled", boolean, d.enabled),
        session_lifetime=table.get("session_lifetime", number(), d.session_lifetime),
        refresh=table.get("refresh", number(), d.refresh),
    )
    table.finish()
    return config
