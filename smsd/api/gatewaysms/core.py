"""The core calls this door makes for credit, prices, sender names and test messages.

Every rule lives in the core; this module only translates its answers and refusals into the
door's (402 for credit, 422 for a sender). Credit is counted per recipient on the text that
recipient will receive.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from smsd.api.gatewaysms.jokers import fill
from smsd.api.gatewaysms.replies import GatewayError
from smsd.store.scheduled import create_scheduled

if TYPE_CHECKING:
    from collections.abc import Iterable

    from smsd.store.db import Database
    from smsd.store.rows import Recipient

__all__ = [
    "check_sender",
    "create_message",
    "credit_text",
    "ensure_credit",
    "needed_credits",
    "segment_price",
]


def check_sender(sender: str) -> str:
    """The sender as the core accepts it; 422 naming ``sender`` otherwise."""
    # CALL POINT (core sender names): smsd.rules.senders.check_sender once on main.
    return sender


def needed_credits(body: str, fields: Iterable[dict[str, object]]) -> int:
    """Credits the core will charge for ``body`` sent to recipients with these ``fields``."""
    # CALL POINT (core credit quotas): smsd.rules.credits.credits_for once on main.
    return sum(1 for _ in (fill(body, f) for f in fields))


async def ensure_credit(db: Database, *, id_user: int, needed: int, now: float) -> None:
    """402 when the user's quota cannot pay ``needed`` credits now."""
    # CALL POINT (core credit quotas): smsd.store.quota.check_credit once on main.
    del db, id_user, needed, now


async def credit_text(db: Database, *, id_user: int, now: float) -> str | None:
    """The user's remaining credit as the envelope's string; ``None`` without a quota."""
    # CALL POINT (core credit quotas): smsd.store.quota.remaining_credit once on main.
    del db, id_user, now
    return None


async def segment_price(db: Database) -> Decimal:
    """What one segment costs (the core's billing); 0 when none is configured."""
    # CALL POINT (core billing): smsd.store.billing.billing once on main.
    del db
    return Decimal(0)


async def create_message(
    db: Database,
    *,
    id_user: int,
    template: str,
    at: str | None,
    flash: bool,
    priority: int,
    numbers: list[Recipient],
    held: bool,
    door_data: str,
    sender: str,
    test: bool,
) -> int:
    """Store the message in the core; return its id."""
    if test:
        # CALL POINT (core sandbox): create_scheduled(sandbox=True, sender=…) once on main.
        raise GatewayError(422, "Invalid request: test: not available", {"test": "unavailable"})
    del sender
    return await create_scheduled(
        db,
        id_user=id_user,
        text=template,
        at=at,
        flash=flash,
        priority=priority,
        numbers=numbers,
        held=held,
        door_data=door_data,
    )
