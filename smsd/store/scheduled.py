"""Scheduled messages: create, delete, find the due ones, expand one into outgoing messages.

A scheduled message names its recipients by kind (numbers with template data, contacts, groups,
conditional groups). At its time the dispatcher expands it into one outgoing message per
recipient (:mod:`smsd.store.expansion`). A message due now is expanded in the very transaction
that stores it when the runtime allows it (:attr:`smsd.store.db.Database.accept_expansion`; see
:func:`smsd.store.expansion.expand_on_accept` for which messages qualify): it is ``queued``
when :func:`create_scheduled` returns, and the senders are woken.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.rules.senders import SenderError, check_sender
from smsd.store.accounts import check_json
from smsd.store.claiming import claim_on_accept
from smsd.store.errors import InvalidValueError, NotFoundError
from smsd.store.expansion import SMS_STOP_TAG, accepting, expand_on_accept, expand_scheduled
from smsd.store.options import STOP_MENTION, read_option
from smsd.store.walltime import parse_wall, wall

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Sequence

    from smsd.store.claiming import Claim
    from smsd.store.db import Database
    from smsd.store.expansion import AcceptClaim, AcceptExpansion
    from smsd.store.rows import Recipient

MAX_TEXT = 1000
"""Longest text a front door accepts for a message (RaspiSMS's limit of its API)."""


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

    ``record`` is called with ``[id]`` inside the same transaction, once the message is stored
    (a front door's :mod:`smsd.store.idempotency` record); what it raises rolls the message back.
    """
    now = time.time()
    due_at = now if at is None else parse_wall(at)
    at_text = wall(now) if at is None else at
    _check_arguments(numbers, id_phone, id_phone_group, door_data)
    report = None if request_report is None else int(request_report)
    checked_sender = None if sender is None else _sender(sender)
    hook = accepting(
        db,
        due=due_at <= now and not held and not sandbox,
        recipients=len(numbers) + len(contacts),
        campaign=bool(groups or conditional_groups),
    )
    free = id_phone is None and id_phone_group is None
    offer = hook.claimant() if hook is not None and hook.claimant is not None and free else None
    refused: list[tuple[int, str]] = []

    def body(conn: sqlite3.Connection) -> tuple[int, list[int] | None, Claim | None]:
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
        if hook is None or is_commercial:  # quiet hours: the dispatcher judges a commercial one
            return id_scheduled, None, None
        queued = expand_on_accept(conn, id_scheduled, now=now, hook=hook, contacts=bool(contacts))
        if offer is None or not queued:
            return id_scheduled, queued, None
        return id_scheduled, queued, claim_on_accept(conn, offer.id_phone, now=now, refused=refused)

    done = db.submit("create_scheduled", body)
    if offer is not None:  # delivered even if this caller is cancelled meanwhile
        done.add_done_callback(lambda _done: _deliver(offer, _done, refused))
    # With an offer out, a cancelled caller must not cancel the write's future: its callback
    # answers the offer (without one, the plain future is awaited, as Database.write does).
    id_scheduled, expanded, claim = await (done if offer is None else asyncio.shield(done))
    _announce(db, hook, expanded, claimed=claim is not None, free=free)
    return id_scheduled


def _announce(
    db: Database,
    hook: AcceptExpansion | None,
    expanded: list[int] | None,
    *,
    claimed: bool,
    free: bool,
) -> None:
    """Tell the runtime what the acceptance queued (the phone that claimed one knows it)."""
    if expanded is not None:
        db.accepted_in_full()
    if hook is not None and expanded and len(expanded) > claimed:
        hook.wake(len(expanded) - claimed, free)


def _deliver(
    offer: AcceptClaim,
    done: asyncio.Future[tuple[int, list[int] | None, Claim | None]],
    refused: list[tuple[int, str]],
) -> None:
    """Hand the accepting transaction's claim (or nothing, if it failed) to the phone offered."""
    failed = done.cancelled() or done.exception() is not None
    offer.deliver(None if failed else done.result()[2], [] if failed else refused)


def _check_arguments(
    numbers: Sequence[Recipient],
    id_phone: int | None,
    id_phone_group: int | None,
    door_data: str | None,
) -> None:
    if id_phone is not None and id_phone_group is not None:
        raise InvalidValueError("give at most one of id_phone and id_phone_group")
    if door_data is not None:
        check_json(door_data, "door data")
    for recipient in numbers:
        if not recipient.number:
            raise InvalidValueError("a recipient number is empty")
        check_json(recipient.data, "number data")


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
