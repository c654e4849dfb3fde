"""The inbox: received messages, and the parts of concatenated ones held until complete.

A part is committed as soon as it is read (so a restart keeps it) and is unique per
(phone, sender, reference, total, sequence, service-centre timestamp): reading the SIM again
after a restart adds nothing. When every part is there, the whole message is stored and its
parts deleted in one transaction. A received message is unique per ``dedupe_key`` (the caller
builds it from the phone, the sender, the timestamp and the content), so storing it twice
stores it once. The modem's copy may be deleted once these calls return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.store.db import change, row
from smsd.store.errors import InvalidValueError
from smsd.store.rows import PartRow
from smsd.store.smsstop import handle_keyword
from smsd.store.walltime import parse_wall

if TYPE_CHECKING:
    from collections.abc import Sequence

    import aiosqlite

    from smsd.store.db import Database

MAX_PARTS = 255
"""A concatenated message has at most 255 parts (one octet in the user-data header)."""


async def store_part(
    db: Database,
    *,
    id_phone: int,
    sender: str,
    reference: int,
    total: int,
    seq: int,
    text: str | None,
    data: bytes | None,
    smsc_timestamp: str,
    pdu: str,
    now: float,
) -> bool:
    """Hold one part of a concatenated message; ``False`` if that part was already held."""
    if not 1 <= seq <= total <= MAX_PARTS:
        raise InvalidValueError(f"part {seq} of {total} is not a valid part number")
    if reference < 0:
        raise InvalidValueError(f"a concatenation reference is >= 0, not {reference}")
    parse_wall(smsc_timestamp, field="smsc_timestamp")
    return bool(
        await db.execute(
            "INSERT INTO received_part (id_phone, sender, reference, total, seq, text, data, "
            "smsc_timestamp, pdu, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id_phone, sender, reference, total, seq, smsc_timestamp) DO NOTHING",
            (id_phone, sender, reference, total, seq, text, data, smsc_timestamp, pdu, now),
        )
    )


def _one_per_seq(parts: Sequence[PartRow]) -> list[PartRow]:
    """The first-held copy of each sequence number, in sequence order."""
    chosen: dict[int, PartRow] = {}
    for part in sorted(parts, key=lambda p: (p.seq, p.id)):
        chosen.setdefault(part.seq, part)
    return list(chosen.values())


async def complete_parts(
    db: Database, *, id_phone: int, sender: str, reference: int, total: int
) -> list[PartRow] | None:
    """All parts of that message in sequence order once every one is held, else ``None``."""
    found = await db.fetchall(
        "SELECT * FROM received_part "
        "WHERE id_phone = ? AND sender = ? AND reference = ? AND total = ? ORDER BY seq, id",
        (id_phone, sender, reference, total),
    )
    parts = _one_per_seq([PartRow.of(r) for r in found])
    if [p.seq for p in parts] != list(range(1, total + 1)):
        return None
    return parts


async def store_received(
    db: Database,
    *,
    id_user: int,
    id_phone: int,
    origin: str,
    text: str,
    at: str,
    dedupe_key: str,
    incomplete: bool = False,
    part_ids: Sequence[int] = (),
) -> int | None:
    """Store a received message (``unread``) and delete its held parts, in one transaction.

    Returns the new id, or ``None`` when a message with ``dedupe_key`` is already stored (the
    parts are deleted all the same: they are accounted for). Other held copies of the same
    parts (same phone, sender, reference, total and sequence) are deleted with them.
    """
    parse_wall(at, field="at")
    if not dedupe_key:
        raise InvalidValueError("a received message needs a dedupe key")

    async def body(conn: aiosqlite.Connection) -> int | None:
        found = await row(
            conn,
            "INSERT INTO received (at, text, origin, status, id_user, id_phone, dedupe_key, "
            "incomplete) VALUES (?, ?, ?, 'unread', ?, ?, ?, ?) "
            "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
            (at, text, origin, id_user, id_phone, dedupe_key, int(incomplete)),
        )
        # Each given part goes, with any other held copy of the same part (a copy re-sent by
        # the service centre with another timestamp), so nothing of this message lingers.
        await conn.executemany(
            "DELETE FROM received_part WHERE id IN ("
            "  SELECT o.id FROM received_part AS o JOIN received_part AS g ON g.id = ? "
            "  AND o.id_phone = g.id_phone AND o.sender = g.sender "
            "  AND o.reference = g.reference AND o.total = g.total AND o.seq = g.seq)",
            [(part,) for part in part_ids],
        )
        if found is None:
            return None
        # STOP / START (RaspiSMS's SMS STOP), honoured in the transaction that stores the text.
        await handle_keyword(conn, id_user=id_user, id_phone=id_phone, origin=origin, text=text)
        return int(found["id"])

    return await db.atomic("store_received", body)


async def expired_parts(
    db: Database, *, older_than: float, id_phone: int | None = None
) -> list[list[PartRow]]:
    """Incomplete messages whose first part was held before ``older_than``: their parts, by seq.

    The caller stores what came (``incomplete=True``) with :func:`store_received`, which
    deletes them.
    """
    where = "" if id_phone is None else "WHERE id_phone = :phone"
    found = await db.fetchall(
        "SELECT p.* FROM received_part AS p JOIN ("  # noqa: S608 - identifiers are constants, values are bound
        f"  SELECT id_phone, sender, reference, total FROM received_part {where} "
        "  GROUP BY id_phone, sender, reference, total HAVING min(received_at) < :before"
        ") AS e USING (id_phone, sender, reference, total) "
        "ORDER BY p.id_phone, p.sender, p.reference, p.total, p.seq, p.id",
        {"phone": id_phone, "before": older_than},
    )
    groups: dict[tuple[int, str, int, int], list[PartRow]] = {}
    for r in found:
        part = PartRow.of(r)
        groups.setdefault((part.id_phone, part.sender, part.reference, part.total), []).append(part)
    return [_one_per_seq(parts) for parts in groups.values()]


async def mark_read(db: Database, *, id_user: int, id_received: int, read: bool = True) -> bool:
    """Set a received message ``read`` (or back to ``unread``); ``False`` if there is none."""

    async def body(conn: aiosqlite.Connection) -> bool:
        return bool(
            await change(
                conn,
                "UPDATE received SET status = ?, updated_at = datetime('now', 'localtime') "
                "WHERE id = ? AND id_user = ?",
                ("read" if read else "unread", id_received, id_user),
            )
        )

    return await db.atomic("mark_read", body)


__all__ = [
    "MAX_PARTS",
    "PartRow",
    "complete_parts",
    "expired_parts",
    "mark_read",
    "store_part",
    "store_received",
]
