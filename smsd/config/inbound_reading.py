"""Reading ``[[rules]]``, ``[[commands]]``, ``[smtp]`` and ``[email_in]`` (see ``inbound``).

Each function takes the top-level table of :mod:`smsd.config.reading` and records problems
under the dotted key path like every other section; :func:`check_inbound` cross-checks them
against the users (a rule names a configured user; mail needs ``[smtp]``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from smsd.config.converters import Invalid, boolean, email, integer, number, show
from smsd.config.inbound import EmailInConfig, RuleConfig, SmtpConfig
from smsd.config.settings import TcpListen
from smsd.matching import RULE_KEYS, Command, RuleError, rule_from_definition

if TYPE_CHECKING:
    from smsd.config.reading import _Table
    from smsd.config.settings import UserConfig

__all__ = ["check_inbound", "read_commands", "read_email_in", "read_rules", "read_smtp"]

_NAME: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
_DOMAIN: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
_NUMBER: Final = re.compile(r"\+?[0-9]{3,15}")


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"must be a non-empty string, got {show(value)}")
    return value


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise Invalid(f"must be an array of strings, got {show(value)}")
    return tuple(value)


def _numbers(value: object) -> tuple[str, ...]:
    found = _strings(value)
    for entry in found:
        if not _NUMBER.fullmatch(entry.replace(" ", "")):
            raise Invalid(f"must be phone numbers such as +33612345678, got {show(entry)}")
    return tuple(entry.replace(" ", "") for entry in found)


def _argv(value: object) -> tuple[str, ...]:
    found = _strings(value)
    if not found:
        raise Invalid('must name the program to run: an array like ["/usr/bin/uptime"]')
    if not found[0].startswith("/"):
        raise Invalid(f"the program must be an absolute path, got {show(found[0])}")
    return found


def _name(value: object) -> str:
    text = _text(value)
    if not _NAME.fullmatch(text):
        raise Invalid(f"must be letters, digits, '.', '_' or '-' (up to 64), got {show(value)}")
    return text


def _password(value: object) -> str:
    text = _text(value)
    if ":" in text or any(c.isspace() for c in text):
        raise Invalid("must not contain ':' or white space (the SMS is <password>:<name>)")
    if len(text) < 8:
        raise Invalid("must be at least 8 characters")
    return text


def _port(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise Invalid(f"must be a port from 1 to 65535, got {show(value)}")
    return value


def _tcp(value: object) -> TcpListen:
    text = _text(value)
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise Invalid(f'must be "host:port", got {show(value)}')
    return TcpListen(host.strip("[]"), int(port))


def _domain(value: object) -> str:
    text = _text(value)
    if not _DOMAIN.fullmatch(text):
        raise Invalid(f"must be a domain name such as sms.local, got {show(value)}")
    return text.lower()


def read_rules(top: _Table) -> tuple[RuleConfig, ...]:
    """``[[rules]]``: each needs ``user`` and at least one action."""
    found: list[RuleConfig] = []
    for table in top.tables("rules"):
        user = table.require("user", email, "")
        definition: dict[str, object] = {k: table.data[k] for k in RULE_KEYS if k in table.data}
        table.known.update(RULE_KEYS)
        table.finish()
        if table.broken:
            continue
        try:
            rule = rule_from_definition(definition)
        except RuleError as exc:
            table.problem(exc.field, exc.reason)
            continue
        found.append(RuleConfig(user=user, rule=rule))
    return tuple(found)


def read_commands(top: _Table) -> tuple[Command, ...]:
    """``[[commands]]``: RaspiSMS's SMS commands (off unless configured)."""
    found: list[Command] = []
    for table in top.tables("commands"):
        command = Command(
            name=table.require("name", _name, ""),
            argv=table.require("argv", _argv, ()),
            password=table.require("password", _password, ""),
            allowed_numbers=table.require("allowed_numbers", _numbers, ()),
            reply=table.get("reply", boolean, default=False),
            timeout=table.get("timeout", number(), 30.0),
        )
        table.finish()
        found.append(command)
    seen: dict[str, int] = {}
    for index, command in enumerate(found):
        if command.name and command.name in seen:
            top.problem(
                f"commands[{index}].name",
                f"duplicate {command.name!r}: already commands[{seen[command.name]}]",
            )
        seen.setdefault(command.name, index)
    return tuple(found)


def read_smtp(top: _Table) -> SmtpConfig | None:
    """``[smtp]``, or ``None`` when the section is absent (nothing is mailed)."""
    present = "smtp" in top.data
    table = top.table("smtp")
    d = SmtpConfig()
    config = SmtpConfig(
        host=table.get("host", _text, d.host),
        port=table.get("port", _port, d.port),
        from_address=table.require("from", email, d.from_address) if present else d.from_address,
        username=table.get("username", _text, None),
        password=table.get("password", _text, None),
        starttls=table.get("starttls", boolean, None),
        tls=table.get("tls", boolean, default=False),
        timeout=table.get("timeout", number(), d.timeout),
    )
    table.finish()
    if config.tls and config.starttls:
        table.problem("starttls", "cannot be used with tls = true (choose one)")
    if (config.username is None) != (config.password is None):
        table.problem("password" if config.password is None else "username",
                      "username and password go together")  # fmt: skip
    return config if present else None


def read_email_in(top: _Table) -> EmailInConfig:
    """``[email_in]``: the e-mail to SMS listener (off by default)."""
    table = top.table("email_in")
    d = EmailInConfig()
    config = EmailInConfig(
        enabled=table.get("enabled", boolean, default=d.enabled),
        listen=table.get("listen", _tcp, d.listen),
        domain=table.get("domain", _domain, d.domain),
        allowed_senders=tuple(
            s.lower() for s in table.get("allowed_senders", _strings, d.allowed_senders)
        ),
        max_size=table.get("max_size", integer(1024), d.max_size),
        max_length=table.get("max_length", integer(1), d.max_length),
    )
    table.finish()
    return config


def check_inbound(
    top: _Table,
    users: tuple[UserConfig, ...],
    rules: tuple[RuleConfig, ...],
    smtp: SmtpConfig | None,
) -> None:
    """Problems across sections: unknown rule users, mail wanted without ``[smtp]``."""
    emails = {user.email.lower() for user in users}
    for index, rule in enumerate(rules):
        if rule.user and rule.user.lower() not in emails:
            top.problem(f"rules[{index}].user", f"no [[users]] entry has e-mail {rule.user!r}")
        if rule.rule.email is not None and smtp is None:
            top.problem(f"rules[{index}].email", "needs an [smtp] section to send mail")
    for index, user in enumerate(users):
        if getattr(user, "transfer", None) and smtp is None:
            top.problem(f"users[{index}].transfer", "needs an [smtp] section to send mail")
