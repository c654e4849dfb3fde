"""Expanding a scheduled message into outgoing messages: by the dispatcher, or as it is accepted.

A scheduled message names its recipients by kind (numbers with template data, contacts, groups,
conditional groups). Expanding it resolves and deduplicates them by number (first occurrence
wins, in the order numbers, contacts, groups, conditional groups — RaspiSMS's order), drops the
numbers on the user's SMS STOP list (unless the user turned the ``smsstop`` setting off or the
tag is ``SMS_STOP``), renders each text, and writes one ``sended`` row with its segments per
recipient in ONE transaction that also marks the scheduled row expanded (a compare-and-set: a
second expansion creates nothing).

Two ways in:

- :func:`expand_scheduled`, the dispatcher's, for a message whose time came: it reads through
  the reader connection and renders before its write, so a large campaign holds the writer only
  for the inserts;
- :func:`expand_on_accept`, run inside the transaction that stores a message
  (:func:`smsd.store.scheduled.create_scheduled`, :func:`smsd.store.submissions.submit_all`)
  when the runtime installed an :class:`AcceptExpansion` on the database: a message due now,
  not held, not commercial (quiet hours are the dispatcher's to judge), not sandbox (the
  dispatcher settles those), to numbers and contacts only (groups and conditional groups are
  campaigns: their size is unknown until read) and at most
  :attr:`AcceptExpansion.most_recipients` of them is expanded at once. The message is then
  ``queued`` when its acceptance commits: one durable commit instead of two, and no round
  through the dispatcher. Anything else, or an expansion that fails (it runs in a savepoint of
  its own), is left to the dispatcher, exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.store.errors import InvalidValueError
from smsd.store.rows import ContactRow, Recipient
from smsd.store.walltime import wall

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

    from smsd.store.claiming import Claim
    from smsd.store.db import Database

    Render = Callable[[str, Recipient, dict[str, object]], str | None]
    Plan = Callable[[str], int]
    ResolveConditional = Callable[[str, list[ContactRow]], list[ContactRow]]

__all__ = [
    "MOST_RECIPIENTS",
    "SMS_STOP_TAG",
    "AcceptClaim",
    "AcceptExpansion",
    "accepting",
    "expand_on_accept",
    "expand_scheduled",
]

SMS_STOP_TAG = "SMS_STOP"
"""Tag of the answers to STOP requests: they reach numbers on the STOP list."""
MOST_RECIPIENTS = 200
"""Recipients a message may have to be expanded as it is accepted; a bigger campaign is left to
the dispatcher, so that accepting it stays quick and holds the writer briefly."""


@dataclass(frozen=True)
class AcceptExpansion:
    """What expanding a message as it is accepted needs from the runtime.

    ``render`` and ``plan`` are the dispatcher's hooks (:func:`expand_scheduled`); they run in
    the writer's thread, so they must be plain functions that touch no event loop. ``wake`` is
    called on the event loop once messages expanded this way are committed (the senders look),
    with how many and whether every one of them is free (neither pinned to a phone nor sent
    through a phone group: any phone of the top priority may take it).
    """

    render: Render
    plan: Plan
    wake: Callable[[int, bool], None]
    most_recipients: int = MOST_RECIPIENTS
    claimant: Callable[[], AcceptClaim | None] | None = None
    """An idle phone that claims its next message in the accepting transaction itself (on the
    event loop, before that transaction is queued), or ``None``: see :class:`AcceptClaim`."""


@dataclass(frozen=True)
class AcceptClaim:
    """An idle phone's offer to claim in the transaction that accepts a free message.

    The phone's sender, idle and free to send now, is reserved for the offer: it claims nothing
    on its own until ``deliver`` is called, on the event loop, once that transaction committed
    or failed, with the claim made (``None``: nothing claimed) and the messages the claim failed
    because their user's quota could not pay for them. One durable commit fewer before the
    message leaves (the claim rides with its acceptance), and no second sender woken for it.
    """

    id_phone: int
    deliver: Callable[[Claim | None, list[tuple[int, str]]], None]


@dataclass(frozen=True)
class _Loaded:
    """What expanding one scheduled message reads, in one visit to a connection's thread."""

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


def _load(
    conn: sqlite3.Connection,
    id_scheduled: int,
    *,
    conditional: bool,
    campaign: bool = True,
    contacts: bool = True,
) -> _Loaded | None:
    """What expanding needs.

    ``campaign=False``: the caller knows it names no group; ``contacts=False``: nor any contact.
    """
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
    members = [
        r
        for sql in _MEMBERS[: 2 if campaign else int(contacts)]
        for r in conn.execute(sql, (id_scheduled, id_user))
    ]
    conditions = (
        [
            str(r[0])
            for r in conn.execute(
                "SELECT g.condition FROM scheduled_conditional_group AS t "
                "JOIN conditional_group AS g ON g.id = t.id_conditional_group "
                "WHERE t.id_scheduled = ? AND g.id_user = ? ORDER BY t.id",
                (id_scheduled, id_user),
            )
        ]
        if campaign
        else []
    )
    everyone: list[sqlite3.Row] = []
    if conditions and conditional:
        everyone = conn.execute(
            "SELECT * FROM contact WHERE id_user = ? ORDER BY id", (id_user,)
        ).fetchall()
    named = None
    if not campaign:  # every recipient is known: ask the STOP list about them alone
        named = [str(r["number"]) for r in (*numbers, *members)]
    stopped = _stopped(conn, id_user, scheduled["tag"], named)
    return _Loaded(scheduled, numbers, members, conditions, everyone, stopped)


@dataclass(frozen=True)
class _Expansion:
    """The outgoing messages one scheduled message becomes: (number, text, segments) each."""

    loaded: _Loaded
    messages: list[tuple[str, str, int]]


def _expansion(
    loaded: _Loaded, render: Render, plan: Plan, resolve: ResolveConditional | None
) -> _Expansion:
    """Recipients resolved, STOP list applied, texts rendered and counted (no statement run)."""
    scheduled = loaded.scheduled
    targets = [(r, m) for r, m in _recipients(loaded, resolve) if r.number not in loaded.stopped]
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
    return _Expansion(loaded, messages)


_INSERT_SENDED = (
    "INSERT INTO sended (at, text, destination, flash, id_user, id_phone, mms, "
    "originating_scheduled, tag, state, priority, due_at, next_attempt_at, segments, "
    "request_report, pinned_phone, id_phone_group, sandbox, sender) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _write(conn: sqlite3.Connection, id_scheduled: int, now: float, made: _Expansion) -> list[int]:
    """Mark the scheduled message expanded and insert its messages; ``[]`` if already expanded."""
    scheduled = made.loaded.scheduled
    claimed = conn.execute(
        "UPDATE scheduled SET expanded_at = ? WHERE id = ? AND expanded_at IS NULL",
        (now, id_scheduled),
    ).rowcount
    if not claimed:
        return []
    at = wall(now)
    pinned = scheduled["id_phone"]
    rows = [
        (at, text, number, scheduled["flash"], scheduled["id_user"], pinned, scheduled["mms"],
         id_scheduled, scheduled["tag"], scheduled["priority"], now, now, segments,
         scheduled["request_report"], pinned, scheduled["id_phone_group"], scheduled["sandbox"],
         scheduled["sender"])
        for number, text, segments in made.messages
    ]  # fmt: skip
    one = None  # the usual message has one recipient: its id without a query
    if len(rows) == 1:
        one = conn.execute(_INSERT_SENDED, rows[0]).lastrowid
    else:
        conn.executemany(_INSERT_SENDED, rows)
    if one is not None:  # from a list: the recursive query costs SQLite temporary tables
        conn.executemany(
            "INSERT INTO sended_segment (id_sended, seq, state) VALUES (?, ?, 'queued')",
            [(one, seq) for seq in range(1, made.messages[0][2] + 1)],
        )
    else:
        conn.execute(
            "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ?) "
            "INSERT INTO sended_segment (id_sended, seq, state) "
            "SELECT s.id, n.k, 'queued' FROM sended AS s JOIN n ON n.k <= s.segments "
            "WHERE s.originating_scheduled = ? ORDER BY s.id, n.k",
            (max((m[2] for m in made.messages), default=0), id_scheduled),
        )
    if scheduled["mms"]:
        conn.execute(
            "INSERT INTO sended_media (id_sended, id_media) "
            "SELECT s.id, m.id_media FROM sended AS s "
            "JOIN scheduled_media AS m ON m.id_scheduled = s.originating_scheduled "
            "WHERE s.originating_scheduled = ? ORDER BY s.id, m.id",
            (id_scheduled,),
        )
    if one is not None:
        return [int(one)]
    found = conn.execute(
        "SELECT id FROM sended WHERE originating_scheduled = ? ORDER BY id", (id_scheduled,)
    )
    return [int(r[0]) for r in found]


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
    made = _expansion(loaded, render, plan, resolve_conditional)
    return await db.write("expand_scheduled", lambda conn: _write(conn, id_scheduled, now, made))


def accepting(
    db: Database, *, due: bool, recipients: int, campaign: bool = False
) -> AcceptExpansion | None:
    """The database's :class:`AcceptExpansion` if a message may be expanded as it is accepted.

    ``due``: due now and neither held nor sandbox; ``recipients``: numbers and contacts named
    (or items of a bulk); ``campaign``: it names groups or conditional groups. ``None``: the
    dispatcher expands it at its time.
    """
    hook = db.accept_expansion
    if hook is None or not due or campaign or recipients > hook.most_recipients:
        return None
    return hook


def expand_on_accept(
    conn: sqlite3.Connection,
    id_scheduled: int,
    *,
    now: float,
    hook: AcceptExpansion,
    contacts: bool = True,
) -> list[int] | None:
    """Expand a message just stored, in the transaction storing it; ``None``: the dispatcher's.

    The caller has checked what only it knows (due now, not held, not commercial, not sandbox,
    numbers and contacts only — no group or conditional group is read —, at most
    ``hook.most_recipients`` of them). An expansion that
    raises is rolled back to a savepoint of its own: the message stays stored, unexpanded, for
    the dispatcher. ``[]`` when it had nobody to send to (marked expanded, as the dispatcher
    would). ``contacts=False``: the message names numbers only (no contact is looked for).
    """
    conn.execute("SAVEPOINT expand_on_accept")
    try:
        loaded = _load(conn, id_scheduled, conditional=False, campaign=False, contacts=contacts)
        if loaded is None or loaded.conditions:
            ids = None
        else:
            ids = _write(conn, id_scheduled, now, _expansion(loaded, hook.render, hook.plan, None))
    except Exception:  # noqa: BLE001 - the dispatcher expands it later, and reports what fails
        conn.execute("ROLLBACK TO expand_on_accept")
        ids = None
    conn.execute("RELEASE expand_on_accept")
    return ids


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


def _stopped(
    conn: sqlite3.Connection, id_user: int, tag: object, named: list[str] | None
) -> frozenset[str]:
    """The numbers of the user's STOP list that the message must skip.

    Nobody when the tag is :data:`SMS_STOP_TAG` or the user turned the ``smsstop`` setting off
    (``0`` or empty). ``named``: only these numbers are asked about (one statement, however long
    the list); ``None``: the whole list is read.
    """
    if tag == SMS_STOP_TAG:
        return frozenset()
    if named is not None and len(named) <= MOST_RECIPIENTS:
        if not named:
            return frozenset()
        marks = ", ".join("?" * len(named))
        found = conn.execute(
            f"SELECT number FROM smsstop WHERE id_user = ? AND number IN ({marks}) "  # noqa: S608 - placeholders only
            "AND NOT EXISTS (SELECT 1 FROM setting WHERE id_user = ? AND name = 'smsstop' "
            "AND value IN ('0', ''))",
            (id_user, *named, id_user),
        )
        return frozenset(str(r[0]) for r in found)
    setting = conn.execute(
        "SELECT value FROM setting WHERE id_user = ? AND name = 'smsstop'", (id_user,)
    ).fetchone()
    if setting is not None and str(setting[0]) in {"0", ""}:
        return frozenset()
    return frozenset(
        str(r[0]) for r in conn.execute("SELECT number FROM smsstop WHERE id_user = ?", (id_user,))
    )
