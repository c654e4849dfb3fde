"""Send commands: parsed from MQTT payloads, stored through the core like an API post.

Two shapes:

- on ``<base>/send``, a JSON object ``{"to": "+33612345678", "text": "...", "phone": "dongle-1"
  (a name or an id, optional), "priority": 0 (optional, higher first), "ref": ... (optional,
  echoed in the result)}``;
- on ``<base>/send/33612345678``, the text itself (UTF-8), to ``+33612345678``.

:func:`execute` stores the message with :func:`smsd.store.scheduled.create_scheduled`, the call
``POST /api/scheduled/`` makes, in one transaction: the command is durable when it returns. The
result is ``{"ok": true, "id": <scheduled id>, "to": ..., "ref": ...}`` or ``{"ok": false,
"error": <code>, "message": ..., "ref": ...}`` with a code of :data:`ERRORS`.

A command is stored once (:mod:`smsd.store.idempotency`, records written in the message's
transaction): :func:`delivery_key` names a delivery by the bridge's client id, its packet id
and the digest of topic and payload, so the broker's redelivery of a command whose PUBACK was
lost (even across a restart of smsd) is answered with the first result; :func:`ref_key` makes a
JSON command's ``ref`` an idempotency key of the user: the same ``ref`` with the same command
within 24 h answers the first result again, with another command the error ``ref_reused``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.phone import to_e164
from smsd.store import accounts
from smsd.store.errors import StoreError
from smsd.store.idempotency import CommandKey, KeyReusedError, Once, digest, once
from smsd.store.rows import Recipient
from smsd.store.scheduled import MAX_TEXT, create_scheduled

if TYPE_CHECKING:
    from collections.abc import Sequence

    from smsd.store.db import Database
    from smsd.store.idempotency import Recorder

__all__ = [
    "ERRORS",
    "MAX_TEXT",
    "CommandError",
    "SendCommand",
    "delivery_key",
    "execute",
    "parse_json",
    "parse_plain",
    "ref_key",
    "ref_of",
]

MAX_PAYLOAD = 16 * 1024
PRIORITY_RANGE = range(-1_000_000, 1_000_001)

ERRORS = {
    "bad_payload": "the payload is not a JSON object (or not UTF-8 text)",
    "bad_to": "to must be a phone number in international form (+33612345678)",
    "bad_text": f"text must be a non-empty string of at most {MAX_TEXT} characters",
    "bad_phone": "phone must be the name or id of one of the user's phones",
    "bad_priority": "priority must be an integer from -1000000 to 1000000",
    "not_stored": "the message could not be stored",
    "ref_reused": "this ref was already used in the last 24 h for a different command",
}


class CommandError(Exception):
    """A command refused: ``code`` (a key of :data:`ERRORS`) and a message."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(detail or ERRORS[code])
        self.code = code


@dataclass(frozen=True)
class SendCommand:
    """One SMS to send."""

    to: str
    text: str
    phone: str | int | None = None
    priority: int = 0
    ref: object = None


def _text(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise CommandError("bad_text")
    return value


def _to(value: object) -> str:
    number = to_e164(value)
    if number is None:
        raise CommandError("bad_to")
    return number


def parse_json(payload: bytes) -> SendCommand:
    """The command of a JSON payload on ``<base>/send``."""
    return _command(_object(payload))


def _object(payload: bytes) -> dict[str, object]:
    if len(payload) > MAX_PAYLOAD:
        raise CommandError("bad_payload", f"the payload is over {MAX_PAYLOAD} bytes")
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CommandError("bad_payload") from None
    if not isinstance(data, dict):
        raise CommandError("bad_payload")
    return data


def ref_of(payload: bytes) -> object:
    """The ``ref`` of a JSON command, if it can be read at all (for the error's result)."""
    try:
        return _object(payload).get("ref")
    except CommandError:
        return None


def _command(data: dict[str, object]) -> SendCommand:
    phone = data.get("phone")
    if phone is not None and (
        isinstance(phone, bool) or not isinstance(phone, str | int) or phone == ""
    ):
        raise CommandError("bad_phone")
    priority = data.get("priority", 0)
    if (
        isinstance(priority, bool)
        or not isinstance(priority, int)
        or priority not in PRIORITY_RANGE
    ):
        raise CommandError("bad_priority")
    return SendCommand(
        to=_to(data.get("to")),
        text=_text(data.get("text")),
        phone=phone,
        priority=priority,
        ref=data.get("ref"),
    )


def parse_plain(number: str, payload: bytes) -> SendCommand:
    """The command of a plain-text payload on ``<base>/send/<digits>``."""
    if len(payload) > MAX_PAYLOAD:
        raise CommandError("bad_payload", f"the payload is over {MAX_PAYLOAD} bytes")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise CommandError("bad_payload") from None
    return SendCommand(to=_to(number), text=_text(text))


def delivery_key(client_id: str, mid: int, topic: str, payload: bytes) -> CommandKey:
    """The name of one delivery of a command across restarts (packet ids are reused: digest)."""
    fingerprint = digest(topic, payload)
    return CommandKey("mqtt", f"{client_id}:{mid}:{fingerprint}", fingerprint)


def ref_key(command: SendCommand) -> CommandKey | None:
    """The ``ref`` of ``command`` as an idempotency key, with the command's digest; or ``None``."""
    if command.ref is None:
        return None
    ref = json.dumps(command.ref, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    what = json.dumps(
        [command.to, command.text, command.phone, command.priority],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return CommandKey("mqtt-ref", digest(ref), digest(what))


async def execute(
    db: Database,
    command: SendCommand,
    *,
    id_user: int,
    keys: Sequence[CommandKey] = (),
    remember: Sequence[CommandKey] = (),
) -> Once:
    """Store the message for ``id_user`` (committed on return), unless already stored.

    Unless one of ``keys`` names a command already stored, the message is stored; the answer
    holds its scheduled id (``replayed``: the earlier command's). ``remember`` are keys
    recorded with the message but not looked up (see :func:`smsd.store.idempotency.once`).
    """
    id_phone: int | None = None
    if command.phone is not None:
        owned = await accounts.phones(db, id_user)
        found = [
            p.id
            for p in owned
            if p.name == command.phone or (isinstance(command.phone, int) and p.id == command.phone)
        ]
        if not found:
            raise CommandError("bad_phone", f"no phone {command.phone!r} for this user")
        id_phone = found[0]

    async def create(record: Recorder) -> list[int]:
        return [
            await create_scheduled(
                db,
                id_user=id_user,
                text=command.text,
                at=None,
                id_phone=id_phone,
                priority=command.priority,
                numbers=[Recipient(number=command.to)],
                record=record,
            )
        ]

    try:
        return await once(db, id_user=id_user, keys=keys, remember=remember, create=create)
    except KeyReusedError as exc:
        raise CommandError("ref_reused") from exc
    except StoreError as exc:
        raise CommandError("not_stored", f"the message could not be stored: {exc}") from exc
