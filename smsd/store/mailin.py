"""Mail accepted by the e-mail to SMS listener: one outgoing message per mail, once.

A mail is recorded in ``mail_in`` under a key made of its Message-ID and recipients, in the
transaction that writes its scheduled message (linked in ``rule_cause`` with kind ``email``):
a client sending the same mail again does not send the SMS again.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from smsd.store.db import change, row
from smsd.store.rules import insert_outgoing

if TYPE_CHECKING:
    from collections.abc import Sequence

    import aiosqlite

    from smsd.store.db import Database
    from smsd.store.rows import Recipient

__all__ = ["record_mail"]


async def record_mail(
    db: Database,
    *,
    id_user: int,
    dedupe_key: str,
    sender: str,
    text: str,
    recipients: Sequence[Recipient],
) -> int | None:
    """Turn an accepted mail into one outgoing message, once per ``dedupe_key``.

    Returns the scheduled id, or ``None`` when that mail was already accepted.
    """
    now = time.time()

    async def body(conn: aiosqlite.Connection) -> int | None:
        taken = await row(
            conn,
            "INSERT INTO mail_in (id_user, dedupe_key, sender, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id_user, dedupe_key) DO NOTHING RETURNING id",
            (id_user, dedupe_key, sender, now),
        )
        if taken is None:
            return None
        id_scheduled = await insert_outgoing(
            conn, id_user=id_user, text=text, recipients=recipients, kind="email", now=now
        )
        await change(
            conn, "UPDATE mail_in SET id_scheduled = ? WHERE id = ?", (id_scheduled, taken["id"])
        )
        return id_scheduled

    return await db.atomic("record_mail", body)
