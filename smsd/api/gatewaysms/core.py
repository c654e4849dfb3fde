"""The core calls this door makes for credit, prices, sender names and test messages.

Every rule lives in the core (:mod:`smsd.store.quota`, :mod:`smsd.store.billing`,
:mod:`smsd.rules.senders`, :mod:`smsd.rules.credits`, sandbox messages in
:mod:`smsd.store.scheduled`); this module only translates the core's answers and refusals into
the door's: 402 for credit, 422 naming ``sender``. Credit is counted per recipient on the text
that recipient will receive (its jokers filled).

``credit`` in the envelope is the user's remaining credit: in money (remaining credits times the
``[billing]`` segment price, one credit being one part of 160/70 characters) when a segment
price is configured, else the number of credits; ``null`` for a user without a quota.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.api.gatewaysms.jokers import fill
from smsd.api.gatewaysms.replies import GatewayError
from smsd.rules.credits import credits_for
from smsd.rules.senders import SenderError
from smsd.rules.senders import check_sender as core_check_sender
from smsd.store import quota
from smsd.store.billing import Balance, balance, billing
from smsd.store.errors import StoreError
from smsd.store.scheduled import create_scheduled

if TYPE_CHECKING:
    from collections.abc import Iterable
    from decimal import Decimal

    from smsd.store.db import Database
    from smsd.store.idempotency import Recorder
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
    try:
        return core_check_sender(sender)
    except SenderError as exc:
        raise GatewayError(422, f"Invalid request: sender: {exc}", {"sender": str(exc)}) from exc


def needed_credits(body: str, fields: Iterable[dict[str, object]]) -> int:
    """Credits the core will charge for ``body`` sent to recipients with these ``fields``."""
    return sum(credits_for(fill(body, each)) for each in fields)


async def ensure_credit(db: Database, *, id_user: int, needed: int, now: float) -> None:
    """402 when the user's quota cannot pay ``needed`` credits now."""
    try:
        await quota.check_credit(db, id_user=id_user, needed=needed, now=now)
    except quota.InsufficientCreditError as exc:
        raise GatewayError(
            402,
            f"Insufficient credit: the message needs {exc.needed} credits, {exc.remaining} left",
        ) from exc


async def credit_text(db: Database, *, id_user: int, now: float) -> str | None:
    """The user's remaining credit as the envelope's string; ``None`` without a quota."""
    try:
        left = await balance(db, id_user=id_user, now=now)
    except StoreError:  # the period could not be renewed (read-only store): as last stored
        found = await quota.get_quota(db, id_user)
        prices = await billing(db)
        left = Balance(
            None if found is None else found.remaining, prices.currency, prices.segment_price
        )
    if left.credits is None:
        return None
    return str(left.money) if left.segment_price else str(left.credits)


async def segment_price(db: Database) -> Decimal:
    """What one segment costs (the core's billing); 0 when none is configured."""
    return (await billing(db)).segment_price


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
    record: Recorder,
) -> int:
    """Store the message in the core (``test``: a sandbox message); return its id.

    ``record`` writes the request's :mod:`smsd.store.idempotency` record in the same transaction.
    """
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
        sender=sender,
        sandbox=test,
        record=record,
    )
