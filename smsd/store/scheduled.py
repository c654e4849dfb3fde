"""Scheduled messages: create, delete, find the due ones, expand one into outgoing messages.

A scheduled message names its recipients by kind (numbers with template data, contacts, groups,
conditional groups). At its time the dispatcher expands it: the recipients are resolved and
deduplicated by number (first occurrence wins, in the order numbers, contacts, groups,
conditional groups — RaspiSMS's order), numbers on the user's SMS STOP list are dropped (unless
the user turned the ``smsstop`` setting off or the tag is ``SMS_STOP``), each text is rendered,
and one ``sended`` row with its segments is written per recipient in ONE transaction that also
marks the scheduled row expanded (a compare-and-set: a second expansion creates nothing).
Rendering happens before that transaction, so a large campaign holds the writer only for the
inserts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.rules.senders import SenderError, check_sender
from smsd.store.accounts import check_json
from smsd.store.errors import InvalidValueError, NotFoundError
from smsd.store.options import STOP_MENTION, read_option
from smsd.store.rows import ContactRow, Recipient
from smsd.store.walltime import parse_wall, wall

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Sequence

    from smsd.store.db import Database

    Render = Callable[[str, Recipient, dict[str, object]], str | None]
    Plan = Callable[[str], int]
    ResolveConditional = Callable[[str, list[ContactRow]], list[ContactRow]]

MAX_TEXT = 1000
"""Longest text a front door accepts for a message (RaspiSMS's limit of its API)."""
SMS_STOP_TAG = "SMS_STOP"
"""Tag of the answers to STOP requests: they reach numbers on the STOP list."""


async def create_scheduled(
    db: Database,
    *,
    id_user: int,
    text: str,
    at: str | None,
    flash: bool = False,
    id_phone: int | None = None,
    id_phone_group: int | None = None,
    tag: str | None = None,
    callback_format: str | None = None,
    priority: int = 0,
    numbers: Sequence[Recipient] = (),
    contacts: Sequence[int] = (),
    groups: Sequence[int] = (),
    conditional_groups: Sequence[int] = (),
    mms: bool = False,
    medias: Sequence[int] = (),
    request_report: bool | None = None,
    url_dlr: str | None = None,
    url_response: str | None = None,
    sandbox: bool = False,
    commercial: bool | None = None,
    sender: str | None = None,
    stop_mention: bool = False,
    held: bool = False,
    door_data: str | None = None,
    record: Callable[[sqlite3.Connection, Sequence[int]], None] = lambda _conn, _ids: None,
) -> int:
    """Store a scheduled message and its recipients; return its id.

    ``at`` is local wall time ``YYYY-MM-DD HH:MM:SS`` (``None``: now). ``id_phone`` or
    ``id_phone_group`` (not both) must belong to ``id_user`` (:class:`NotFoundError`
    otherwise). Contacts, groups, conditional groups and medias of other users are skipped, as
    RaspiSMS does. ``request_report`` ``None`` leaves the choice to the phone's setting.
    ``url_dlr`` / ``url_response`` (checked by the caller) get the webhook events of the sends
    and the replies to them (migration 0002). ``held`` stores it as an open transaction: never
    due until :func:`smsd.store.campaign_edits.amend_campaign` releases it; ``door_data`` is a
    front door's own JSON about it (see :mod:`smsd.store.campaign_edits`).

    Core options every door shares (:mod:`smsd.store.features` explains them): ``sandbox``
    (simulated, never on a modem, never charged), ``commercial`` (held during quiet hours;
    ``None``: the user's ``commercial`` setting), ``sender`` (checked with
    :func:`smsd.rules.senders.check_sender`, :class:`InvalidValueError` otherwise; stored only:
    recipients see the SIM's number), ``stop_mention`` (the ``[stop] mention`` text is appended
    to ``text``, so it is counted in the segments and credits).

    ``record`` is called with ``[id]`` inside the same transaction, last (a front door's
    :mod:`smsd.store.idempotency` record); what it raises rolls the message back.
    """
    now = time.time()
    due_at = now if at is None else parse_wall(at)
    at_text = wall(now) if at is None else at
    if id_phone is not None and id_phone_group is not None:
        raise InvalidValueError("give at most one of id_phone and id_phone_group")
    if door_data is not None:
        check_json(door_data, "door data")
    for recipient in numbers:
        if not recipient.number:
            raise InvalidValueError("a recipient number is empty")
        check_json(recipient.data, "number data")
    report = None if request_report is None else int(request_report)
    checked_sender = None if sender is None else _sender(sender)

    def body(conn: sqlite3.Connection) -> int:
        _check_owner(conn, "phone", id_phone, id_user)
        _check_owner(conn, "phone_group", id_phone_group, id_user)
        is_commercial = user_commercial(conn, id_user) if commercial is None else bool(commercial)
        final = with_mention(text, read_option(conn, STOP_MENTION)) if stop_mention else text
        cursor = conn.execute(
            "INSERT INTO scheduled (id_user, at, text, flash, id_phone, id_phone_group, mms, tag, "
            "priority, request_report, due_at, url_dlr, url_response, sandbox, commercial, "
            "sender, stop_mention) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (id_user, at_text, final, int(flash), id_phone, id_phone_group, int(mms), tag,
             priority, report, due_at, url_dlr, url_response, int(sandbox), int(is_commercial),
             checked_sender, int(stop_mention)),
        )  # fmt: skip
        id_scheduled = int(cursor.lastrowid or 0)
        if callback_format is not None:  # the shape url_dlr / url_response posts take
            conn.execute(
                "UPDATE scheduled SET callback_format = ? WHERE id = ?",
                (callback_format, id_scheduled),
            )
        if held or door_data is not None:
            conn.execute(
                "UPDATE scheduled SET held = ?, door_data = ? WHERE id = ?",
                (int(held), door_data, id_scheduled),
            )
        conn.executemany(
            "INSERT INTO scheduled_number (id_scheduled, number, data) VALUES (?, ?, ?)",
            [(id_scheduled, r.number, r.data) for r in numbers],
        )
        for table, column, source, ids in (
            ("scheduled_contact", "id_contact", "contact", contacts),
            ("scheduled_group", "id_group", '"group"', groups),
            ("scheduled_conditional_group", "id_conditional_group", "conditional_group",
             conditional_groups),
            ("scheduled_media", "id_media", "media", medias),
        ):  # fmt: skip
            if ids:
                conn.executemany(
                    f"INSERT INTO {table} (id_scheduled, {column}) "  # noqa: S608 - identifiers are constants, values are bound
                    f"SELECT ?, id FROM {source} WHERE id = ? AND id_user = ?",
                    [(id_scheduled, target, id_user) for target in ids],
                )
        record(conn, [id_scheduled])
        return id_scheduled

    return await db.write("create_scheduled", body)


def _sender(sender: str) -> str:
    try:
        return check_sender(sender)
    except SenderError as exc:
        raise InvalidValueError(str(exc)) from exc


def with_mention(text: str, mention: str) -> str:
    """``text`` with the STOP mention appended on a line of its own (not twice)."""
    if not mention or text.rstrip().endswith(mention):
        return text
    return f"{text.rstrip()}\n{mention}"


def user_commercial(conn: sqlite3.Connection, id_user: int) -> bool:
    """The user's ``commercial`` setting: are their messages commercial by default (no)?"""
    found = conn.execute(
        "SELECT value FROM setting WHERE id_user = ? AND name = 'commercial'", (id_user,)
    ).fetchone()
    return found is not None and str(found[0]) not in {"0", ""}


def _check_owner(conn: sqlite3.Connection, table: str, id_row: int | None, id_user: int) -> None:
    if id_row is None:
        return
    found = conn.execute(f"SELECT id_user FROM {table} WHERE id = ?", (id_row,)).fetchone()  # noqa: S608 - identifiers are constants, values are bound
    if found is None or int(found[0]) != id_user:
        raise NotFoundError(f"no {table} {id_row} for user {id_user}")


async def delete_scheduled(db: Database, *, id_user: int, id_scheduled: int) -> bool:
    """Delete a scheduled message not yet expanded; ``False`` if there is none (or it was sent)."""
    return bool(
        await db.execute(
            "DELETE FROM scheduled WHERE id = ? AND id_user = ? AND expanded_at IS NULL",
            (id_scheduled, id_user),
        )
    )


async def due_scheduled(db: Database, *, now: float, limit: int = 100) -> list[int]:
    """Ids of scheduled messages due at ``now``, not held, not yet expanded, oldest first.

    A message held by quiet hours (``deferred_to`` later than ``now``) is not due.
    """
    return [d.id for d in await due_entries(db, now=now, limit=limit)]


@dataclass(frozen=True)
class Due:
    """A scheduled message whose time came: what the dispatcher needs to judge it."""

    id: int
    id_user: int
    commercial: bool
    sandbox: bool


async def due_entries(db: Database, *, now: float, limit: int = 100) -> list[Due]:
    """The scheduled messages due at ``now``, oldest first, not held by quiet hours."""
    found = await db.fetchall(
        "SELECT id, id_user, commercial, sandbox FROM scheduled "
        "WHERE expanded_at IS NULL AND held = 0 AND due_at <= ? "
        "AND (deferred_to IS NULL OR deferred_to <= ?) ORDER BY due_at, id LIMIT ?",
        (now, now, limit),
    )
    return [
        Due(int(r["id"]), int(r["id_user"]), bool(r["commercial"]), bool(r["sandbox"]))
        for r in found
    ]


@dataclass(frozen=True)
class _Loaded:
    """What expanding one scheduled message reads, in one visit to the reader's thread."""

    scheduled: sqlite3.Row
    numbers: list[sqlite3.Row]
    members: list[sqlite3.Row]
    """Contacts named directly, then members of the named groups, in RaspiSMS's order."""
    conditions: list[str]
    everyone: list[sqlite3.Row]
    """The user's contacts, read only when a conditional group needs them."""
    stopped: frozenset[str]


_MEMBERS = (
    (
        "SELECT c.* FROM scheduled_contact AS t JOIN contact AS c ON c.id = t.id_contact "
        "WHERE t.id_scheduled = ? AND c.id_user = ? ORDER BY t.id"
    ),
    (
        "SELECT c.* FROM scheduled_group AS t "
        "JOIN group_contact AS gc ON gc.id_group = t.id_group "
        "JOIN contact AS c ON c.id = gc.id_contact "
        "WHERE t.id_scheduled = ? AND c.id_user = ? ORDER BY t.id, gc.id"
    ),
)


def _load(conn: sqlite3.Connection, id_scheduled: int, *, conditional: bool) -> _Loaded | None:
    scheduled = conn.execute(
        "SELECT * FROM scheduled WHERE id = ? AND expanded_at IS NULL AND held = 0",
        (id_scheduled,),
    ).fetchone()
    if scheduled is None:
        return None
    id_user = int(scheduled["id_user"])
    numbers = conn.execute(
        "SELECT number, data FROM scheduled_number WHERE id_scheduled = ? ORDER BY id",
        (id_scheduled,),
    ).fetchall()
    members = [r for sql in _MEMBERS for r in conn.execute(sql, (id_scheduled, id_user))]
    conditions = [
        str(r[0])
        for r in conn.execute(
            "SELECT g.condition FROM scheduled_conditional_group AS t "
            "JOIN conditional_group AS g ON g.id = t.id_conditional_group "
            "WHERE t.id_scheduled = ? AND g.id_user = ? ORDER BY t.id",
            (id_scheduled, id_user),
        )
    ]
    everyone: list[sqlite3.Row] = []
    if conditions and conditional:
        everyone = conn.execute(
            "SELECT * FROM contact WHERE id_user = ? ORDER BY id", (id_user,)
        ).fetchall()
    stopped: frozenset[str] = frozenset()
    if _stop_applies(conn, id_user, scheduled["tag"]):
        stopped = frozenset(
            str(r[0])
            for r in conn.execute("SELECT number FROM smsstop WHERE id_user = ?", (id_user,))
        )
    return _Loaded(scheduled, numbers, members, conditions, everyone, stopped)


async def expand_scheduled(
    db: Database,
    id_scheduled: int,
    *,
    now: float,
    render: Render,
    plan: Plan,
    resolve_conditional: ResolveConditional | None = None,
) -> list[int]:
    """Turn a due scheduled message into queued outgoing messages; return their ids.

    ``render(text, recipient, metas)`` gives the text for one recipient, ``None`` to skip it;
    ``metas`` is ``{"number": …}`` for a bare number and the contact's fields (no data) for a
    contact. ``plan(text)`` gives the number of segments. ``resolve_conditional(condition,
    contacts)`` selects the user's contacts a conditional group's condition matches; without it
    conditional groups add nobody. A blank text is skipped unless the message is an MMS.
    Returns ``[]`` when the scheduled message is gone or was already expanded.
    """
    loaded = await db.read(
        lambda conn: _load(conn, id_scheduled, conditional=resolve_conditional is not None)
    )
    if loaded is None:
        return []
    scheduled = loaded.scheduled
    targets = [
        (r, m)
        for r, m in _recipients(loaded, resolve_conditional)
        if r.number not in loaded.stopped
    ]
    mms = bool(scheduled["mms"])
    messages: list[tuple[str, str, int]] = []
    for recipient, metas in targets:
        text = render(str(scheduled["text"]), recipient, metas)
        if text is None or (not text.strip() and not mms):
            continue
        segments = plan(text)
        if segments < 0:
            raise InvalidValueError(f"plan() gave {segments} segments")
        messages.append((recipient.number, text, segments))
    at = wall(now)
    pinned = scheduled["id_phone"]
    values = [
        (at, text, number, scheduled["flash"], scheduled["id_user"], pinned, scheduled["mms"],
         id_scheduled, scheduled["tag"], scheduled["priority"], now, now, segments,
         scheduled["request_report"], pinned, scheduled["id_phone_group"],
         scheduled["sandbox"], scheduled["sender"])
        for number, text, segments in messages
    ]  # fmt: skip
    most = max((m[2] for m in messages), default=0)

    def body(conn: sqlite3.Connection) -> list[int]:
        claimed = conn.execute(
            "UPDATE scheduled SET expanded_at = ? WHERE id = ? AND expanded_at IS NULL",
            (now, id_scheduled),
        ).rowcount
        if not claimed:
            return []
        conn.executemany(
            "INSERT INTO sended (at, text, destination, flash, id_user, id_phone, mms, "
            "originating_scheduled, tag, state, priority, due_at, next_attempt_at, segments, "
            "request_report, pinned_phone, id_phone_group, sandbox, sender) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        conn.execute(
            "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ?) "
            "INSERT INTO sended_segment (id_sended, seq, state) "
            "SELECT s.id, n.k, 'queued' FROM sended AS s JOIN n ON n.k <= s.segments "
            "WHERE s.originating_scheduled = ? ORDER BY s.id, n.k",
            (most, id_scheduled),
        )
        if mms:
            conn.execute(
                "INSERT INTO sended_media (id_sended, id_media) "
                "SELECT s.id, m.id_media FROM sended AS s "
                "JOIN scheduled_media AS m ON m.id_scheduled = s.originating_scheduled "
                "WHERE s.originating_scheduled = ? ORDER BY s.id, m.id",
                (id_scheduled,),
            )
        found = conn.execute(
            "SELECT id FROM sended WHERE originating_scheduled = ? ORDER BY id", (id_scheduled,)
        )
        return [int(r[0]) for r in found]

    return await db.write("expand_scheduled", body)


def _recipients(
    loaded: _Loaded, resolve: ResolveConditional | None
) -> list[tuple[Recipient, dict[str, object]]]:
    """Every recipient of a scheduled message, deduplicated by number, first occurrence first."""
    found: list[tuple[Recipient, dict[str, object]]] = []
    seen: set[str] = set()

    def add(recipient: Recipient, metas: dict[str, object]) -> None:
        if recipient.number not in seen:
            seen.add(recipient.number)
            found.append((recipient, metas))

    for r in loaded.numbers:
        add(Recipient(number=str(r["number"]), data=str(r["data"])), {"number": str(r["number"])})
    for r in loaded.members:
        contact = ContactRow.of(r)
        add(_as_recipient(contact), contact.metas())
    if loaded.conditions and resolve is not None:
        everyone = [ContactRow.of(r) for r in loaded.everyone]
        for condition in loaded.conditions:
            for contact in resolve(condition, list(everyone)):
                add(_as_recipient(contact), contact.metas())
    return found


def _as_recipient(contact: ContactRow) -> Recipient:
    return Recipient(number=contact.number, data=contact.data, id_contact=contact.id)


def _stop_applies(conn: sqlite3.Connection, id_user: int, tag: object) -> bool:
    if tag == SMS_STOP_TAG:
        return False
    setting = conn.execute(
        "SELECT value FROM setting WHERE id_user = ? AND name = 'smsstop'", (id_user,)
    ).fetchone()
    return setting is None or str(setting[0]) not in {"0", ""}


__all__ = [
    "SMS_STOP_TAG",
    "Due",
    "create_scheduled",
    "delete_scheduled",
    "due_entries",
    "due_scheduled",
    "expand_scheduled",
    "user_commercial",
    "with_mention",
]
