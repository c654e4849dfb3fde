"""Store shortcuts of the reliability tests: users, phones, webhooks, messages at given ages."""

from __future__ import annotations

import json

from smsd.store import accounts, webhooks
from smsd.store.walltime import wall

NOW = 1_700_000_000.0
"""The checks' clock: messages are placed at minutes before it."""

KEYS = iter(f"{n:032x}" for n in range(1, 10_000))


async def add_user(db, email: str = "a@example.org") -> int:
    return await accounts.ensure_user(db, email=email, api_key=next(KEYS))


async def add_hook(db, id_user: int, url: str = "http://127.0.0.1:9/hook") -> int:
    return await webhooks.create_webhook(
        db, id_user=id_user, url=url, type_="phone_reliability", secret="s" * 32
    )


async def setting(db, id_user: int, name: str, value: str) -> None:
    await accounts.set_setting(db, id_user=id_user, name=name, value=value)


async def sent(
    db, id_user: int, id_phone: int | None, *, state: str, count: int = 1, minutes_ago: float = 30
) -> None:
    """``count`` messages of ``id_user`` through ``id_phone`` in ``state``, sent at that age."""
    at = wall(NOW - minutes_ago * 60)
    await db.atomic(
        "seed",
        lambda conn: conn.executemany(
            "INSERT INTO sended (at, text, destination, id_user, id_phone, state, due_at, "
            "next_attempt_at, segments) VALUES (?, 'hi', '+33612345678', ?, ?, ?, ?, ?, 1)",
            [(at, id_user, id_phone, state, NOW, NOW)] * count,
        ),
    )


async def mix(
    db, id_user: int, id_phone: int, *, failed: int = 0, unknown: int = 0, delivered: int = 0,
    minutes_ago: float = 30,
) -> None:  # fmt: skip
    """Messages with each RaspiSMS status (``unknown`` = state ``sent``) at one age."""
    for state, count in (("failed", failed), ("sent", unknown), ("delivered", delivered)):
        if count:
            await sent(db, id_user, id_phone, state=state, count=count, minutes_ago=minutes_ago)


async def events(db) -> list[dict]:
    found = await db.fetchall("SELECT * FROM webhook_event ORDER BY id")
    return [{**dict(r), "body": json.loads(r["body"])} for r in found]


async def phone_status(db, id_phone: int) -> str:
    found = await db.fetchone("SELECT status FROM phone WHERE id = ?", (id_phone,))
    return str(found["status"])
