"""What a segment costs on the SIM plan (``[billing]``), for doors that report a cost.

``[billing] currency`` and ``segment_price`` (overridable per phone with ``[[phones]]
segment_price``) are written to ``core_option`` by the daemon. A message's cost is its segments
times the price of the phone that sent it (the default price before a phone took it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.store.options import CURRENCY, SEGMENT_PRICE, check_price, read_option
from smsd.store.quota import remaining_credit

if TYPE_CHECKING:
    import sqlite3
    from decimal import Decimal

    from smsd.store.db import Database

__all__ = ["Balance", "Billing", "balance", "billing", "phone_price_option"]


@dataclass(frozen=True)
class Billing:
    """The currency and the price of one segment."""

    currency: str
    segment_price: Decimal

    def cost(self, segments: int) -> Decimal:
        """What ``segments`` segments cost."""
        return self.segment_price * segments


def phone_price_option(phone_name: str) -> str:
    """The option name of a phone's own segment price."""
    return f"{SEGMENT_PRICE}:{phone_name}"


def _billing(conn: sqlite3.Connection, id_phone: int | None) -> Billing:
    price = read_option(conn, SEGMENT_PRICE)
    if id_phone is not None:
        found = conn.execute(
            "SELECT o.value FROM phone AS p JOIN core_option AS o "
            "ON o.name = 'segment_price:' || p.name WHERE p.id = ?",
            (id_phone,),
        ).fetchone()
        if found is not None:
            price = str(found[0])
    return Billing(read_option(conn, CURRENCY), check_price(price))


async def billing(db: Database, *, id_phone: int | None = None) -> Billing:
    """The currency and segment price (of ``id_phone`` when it has its own)."""
    return await db.read(lambda conn: _billing(conn, id_phone))


@dataclass(frozen=True)
class Balance:
    """What a user has left: credits (``None``: unlimited) and their worth at the default price."""

    credits: int | None
    currency: str
    segment_price: Decimal

    @property
    def money(self) -> Decimal | None:
        """``credits`` times the segment price (``None`` when unlimited)."""
        return None if self.credits is None else self.segment_price * self.credits


async def balance(db: Database, *, id_user: int, now: float) -> Balance:
    """``id_user``'s remaining credits (renewed first) and what they are worth."""
    left = await remaining_credit(db, id_user, now=now)
    money = await billing(db)
    return Balance(left, money.currency, money.segment_price)
