"""Incoming rules as values: what a rule is, whether a received message matches it, and commands.

Pure code (no I/O, no clock): the configuration file and the API both build a :class:`Rule`
with :func:`make_rule`, which refuses a bad rule with a :class:`RuleError` naming the field; the
runtime (:mod:`smsd.runtime.rules`) asks :func:`matches` about each received message and
:func:`parse_command` whether it is one of RaspiSMS's SMS commands (``<password>:<name>``).

A rule matches when every condition it has holds:

- ``senders`` (``from`` in the file): the sender is one of them. An entry is a number
  (``"+33612345678"``, compared on its digits), a prefix ending in ``*`` (``"+336*"``), or a
  contact group of the user (``"group:Family"``);
- ``phone``: the message came in on the phone of that name;
- ``keyword``: the first word of the text, in any case (``INFO`` matches ``info please``);
- ``pattern`` (``match`` in the file): a regular expression found anywhere in the text.

Its actions are an auto-reply template (rendered by the dispatcher with the sender's contact data
as ``contact``), forwarding as SMS to numbers, forwarding by e-mail, a webhook, and marking the
message read. The first rule that matches acts; with ``continue`` the next ones are tried too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, TypeVar

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "DEFAULT_WINDOW",
    "MAX_PATTERN",
    "RULE_KEYS",
    "Command",
    "CommandRequest",
    "Incoming",
    "Rule",
    "RuleError",
    "definition_of",
    "first_word",
    "is_short_code",
    "make_rule",
    "matches",
    "number_key",
    "parse_command",
    "rule_from_definition",
    "select",
]

DEFAULT_WINDOW: Final = 86400.0
"""Seconds during which a rule auto-replies to one sender at most once."""
MAX_PATTERN: Final = 500
MAX_TEXT: Final = 1600
"""Longest reply template (ten concatenated parts of GSM-7 text)."""
_PREFIX: Final = re.compile(r"\+?[0-9]{1,15}\*")
_NUMBER: Final = re.compile(r"\+?[0-9]{3,15}")
_INTERNATIONAL: Final = re.compile(r"\+[1-9][0-9]{6,14}")
_EMAIL: Final = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")
_COMMAND: Final = re.compile(r"(?s)\s*([^:\s]+):([A-Za-z0-9._-]+)\s*")
_GROUP: Final = "group:"
T = TypeVar("T")


class RuleError(ValueError):
    """A rule is malformed; ``field`` names what is wrong (the configuration key)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.reason = message


@dataclass(frozen=True)
class Rule:
    """One incoming rule of a user (see the module docstring)."""

    senders: tuple[str, ...] = ()
    phone: str | None = None
    keyword: str | None = None
    pattern: str | None = None
    reply: str | None = None
    forward_to: tuple[str, ...] = ()
    email: str | None = None
    webhook: str | None = None
    mark_read: bool = False
    window: float = DEFAULT_WINDOW
    keep_going: bool = False
    compiled: re.Pattern[str] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Incoming:
    """What matching needs of a received message."""

    origin: str
    text: str
    phone: str | None = None
    groups: frozenset[str] = frozenset()
    """Names of the sender's contact groups (of the message's user)."""


def number_key(number: str) -> str:
    """The digits of ``number`` (``+33 6 12`` and ``+33612`` meet)."""
    return "".join(c for c in number if c.isdigit())


def is_short_code(origin: str) -> bool:
    """Whether ``origin`` is a short code or an alphanumeric sender: never answered."""
    return _NUMBER.fullmatch(origin.strip()) is None or len(number_key(origin)) < 7


def first_word(text: str) -> str:
    """The first word of ``text`` (split on white space), or ``""``."""
    words = text.split(maxsplit=1)
    return words[0] if words else ""


def _sender(entry: object, where: str) -> str:
    if not isinstance(entry, str) or not entry.strip():
        raise RuleError(where, 'each entry is a number, a prefix like "+336*" or "group:<name>"')
    entry = entry.strip()
    if entry.startswith(_GROUP):
        if not entry[len(_GROUP) :].strip():
            raise RuleError(where, f"{entry!r} names no group")
        return entry
    compact = entry.replace(" ", "")
    if _PREFIX.fullmatch(compact) or _NUMBER.fullmatch(compact):
        return compact
    raise RuleError(where, f'{entry!r} is not a number, a prefix like "+336*" or "group:<name>"')


def _number(entry: object, where: str) -> str:
    if not isinstance(entry, str) or not _INTERNATIONAL.fullmatch(entry.replace(" ", "")):
        raise RuleError(where, f"{entry!r} is not an international number such as +33612345678")
    return entry.replace(" ", "")


def _text(value: object, where: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RuleError(where, "must be a string")
    if not value.strip():
        raise RuleError(where, "must not be empty")
    if len(value) > limit:
        raise RuleError(where, f"is longer than {limit} characters")
    return value


def make_rule(  # noqa: C901 - one check per field, in the order they are documented
    *,
    senders: object = (),
    phone: object = None,
    keyword: object = None,
    pattern: object = None,
    reply: object = None,
    forward_to: object = (),
    email: object = None,
    webhook: object = None,
    mark_read: object = False,
    window: object = DEFAULT_WINDOW,
    keep_going: object = False,
) -> Rule:
    """A checked :class:`Rule`; :class:`RuleError` names the first bad field (file key names)."""
    if isinstance(senders, str) or not isinstance(senders, list | tuple):
        raise RuleError("from", "must be an array of numbers, prefixes or groups")
    checked_senders = tuple(_sender(entry, f"from[{i}]") for i, entry in enumerate(senders))
    checked_phone = _text(phone, "phone", 100)
    checked_keyword = _text(keyword, "keyword", 100)
    if checked_keyword is not None and len(checked_keyword.split()) != 1:
        raise RuleError("keyword", "must be one word")
    checked_pattern = _text(pattern, "match", MAX_PATTERN)
    compiled = None
    if checked_pattern is not None:
        try:
            compiled = re.compile(checked_pattern)
        except re.error as exc:
            raise RuleError("match", f"is not a regular expression: {exc}") from None
    checked_reply = _text(reply, "reply", MAX_TEXT)
    if isinstance(forward_to, str) or not isinstance(forward_to, list | tuple):
        raise RuleError("forward_to", "must be an array of phone numbers")
    forwards = tuple(_number(entry, f"forward_to[{i}]") for i, entry in enumerate(forward_to))
    checked_email = _text(email, "email", 254)
    if checked_email is not None and not _EMAIL.fullmatch(checked_email):
        raise RuleError("email", f"{checked_email!r} is not an e-mail address")
    checked_webhook = _text(webhook, "webhook", 2000)
    if checked_webhook is not None and not checked_webhook.lower().startswith(
        ("http://", "https://")
    ):
        raise RuleError("webhook", "must be an http:// or https:// URL")
    if not isinstance(mark_read, bool):
        raise RuleError("mark_read", "must be true or false")
    if isinstance(window, bool) or not isinstance(window, int | float) or not window >= 0:
        raise RuleError("window", "must be a number of seconds >= 0")
    if not isinstance(keep_going, bool):
        raise RuleError("continue", "must be true or false")
    if not (checked_reply or forwards or checked_email or checked_webhook or mark_read):
        raise RuleError("reply", "a rule needs an action: reply, forward_to, email, webhook "
                        "or mark_read")  # fmt: skip
    return Rule(
        senders=checked_senders,
        phone=checked_phone,
        keyword=checked_keyword,
        pattern=checked_pattern,
        reply=checked_reply,
        forward_to=forwards,
        email=checked_email,
        webhook=checked_webhook,
        mark_read=mark_read,
        window=float(window),
        keep_going=keep_going,
        compiled=compiled,
    )


RULE_KEYS: Final[tuple[str, ...]] = (
    "from", "phone", "keyword", "match", "reply", "forward_to", "email", "webhook", "mark_read",
    "window", "continue",
)  # fmt: skip
"""A rule's keys as the configuration file and the API spell them."""
_ARGUMENTS: Final = dict(zip(RULE_KEYS, (
    "senders", "phone", "keyword", "pattern", "reply", "forward_to", "email", "webhook",
    "mark_read", "window", "keep_going",
), strict=True))  # fmt: skip


def rule_from_definition(definition: Mapping[str, object]) -> Rule:
    """A checked :class:`Rule` from its keys (:data:`RULE_KEYS`); unknown keys are refused."""
    for key in definition:
        if key not in _ARGUMENTS:
            raise RuleError(key, "unknown key")
    return make_rule(**{_ARGUMENTS[key]: value for key, value in definition.items()})


def definition_of(rule: Rule) -> dict[str, object]:
    """The keys of ``rule`` that differ from the defaults, as :func:`rule_from_definition` reads."""
    values: dict[str, object] = {
        "from": list(rule.senders), "phone": rule.phone, "keyword": rule.keyword,
        "match": rule.pattern, "reply": rule.reply, "forward_to": list(rule.forward_to),
        "email": rule.email, "webhook": rule.webhook, "mark_read": rule.mark_read,
        "window": rule.window, "continue": rule.keep_going,
    }  # fmt: skip
    defaults: dict[str, object] = {
        "from": [], "forward_to": [], "mark_read": False, "window": DEFAULT_WINDOW,
        "continue": False,
    }  # fmt: skip
    return {k: v for k, v in values.items() if v is not None and v != defaults.get(k)}


def _sender_matches(entry: str, message: Incoming) -> bool:
    if entry.startswith(_GROUP):
        return entry[len(_GROUP) :].strip() in message.groups
    origin = number_key(message.origin)
    if entry.endswith("*"):
        return bool(origin) and origin.startswith(number_key(entry))
    return bool(origin) and origin == number_key(entry)


def matches(rule: Rule, message: Incoming) -> bool:
    """Whether ``message`` meets every condition of ``rule``."""
    if rule.senders and not any(_sender_matches(entry, message) for entry in rule.senders):
        return False
    if rule.phone is not None and rule.phone != message.phone:
        return False
    if rule.keyword is not None and (
        first_word(message.text).casefold() != rule.keyword.casefold()
    ):
        return False
    if rule.pattern is not None:
        compiled = rule.compiled or re.compile(rule.pattern)
        if compiled.search(message.text) is None:
            return False
    return True


def select(rules: list[tuple[T, Rule]], message: Incoming) -> list[tuple[T, Rule]]:
    """The rules that act on ``message``, in order: up to the first match without ``continue``."""
    chosen: list[tuple[T, Rule]] = []
    for key, rule in rules:
        if matches(rule, message):
            chosen.append((key, rule))
            if not rule.keep_going:
                break
    return chosen


# ---------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Command:
    """A ``[[commands]]`` entry: run ``argv`` when ``<password>:<name>`` comes from a number."""

    name: str
    argv: tuple[str, ...]
    password: str = field(repr=False)
    allowed_numbers: tuple[str, ...]
    reply: bool = False
    timeout: float = 30.0


@dataclass(frozen=True)
class CommandRequest:
    """A received text shaped like a command: the password given and the command's name."""

    password: str = field(repr=False)
    name: str


def parse_command(text: str) -> CommandRequest | None:
    """``<password>:<name>`` (one line, no spaces) as a request, else ``None``."""
    found = _COMMAND.fullmatch(text)
    if found is None:
        return None
    return CommandRequest(password=found[1], name=found[2])
