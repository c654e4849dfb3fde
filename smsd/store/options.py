"""Configured values the store reads (``[billing]``, ``[stop]``), kept in ``core_option``.

The daemon writes them at start (:func:`set_options`), so every front door reads the same values
through the store without holding configuration of its own. A name not written takes its
default from :data:`DEFAULTS`. Per-phone segment prices are named ``segment_price:<phone name>``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from smsd.store.errors import InvalidValueError

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping

    from smsd.store.db import Database

__all__ = [
    "CURRENCY",
    "DEFAULTS",
    "SEGMENT_PRICE",
    "STOP_MENTION",
    "STOP_RESPONSE",
    "option",
    "read_option",
    "set_options",
]

CURRENCY = "currency"
SEGMENT_PRICE = "segment_price"
STOP_MENTION = "stop_mention"
STOP_RESPONSE = "stop_response"

DEFAULTS: dict[str, str] = {
    CURRENCY: "EUR",
    SEGMENT_PRICE: "0",
    STOP_MENTION: "STOP au numéro d'envoi",
    STOP_RESPONSE: "Demande prise en compte, vous ne recevrez plus de messages.",
}


def read_option(conn: sqlite3.Connection, name: str) -> str:
    """The value of ``name`` inside a transaction (its default when not set)."""
    found = conn.execute("SELECT value FROM core_option WHERE name = ?", (name,)).fetchone()
    return DEFAULTS.get(name.partition(":")[0], "") if found is None else str(found[0])


async def option(db: Database, name: str) -> str:
    """The value of ``name`` (its default when not set)."""
    return await db.read(lambda conn: read_option(conn, name))


async def set_options(db: Database, values: Mapping[str, str]) -> None:
    """Replace every stored option with ``values`` (names absent take their defaults)."""
    for name, value in values.items():
        if name.partition(":")[0] == SEGMENT_PRICE:
            check_price(value)

    def body(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM core_option")
        conn.executemany(
            "INSERT INTO core_option (name, value) VALUES (?, ?)", sorted(values.items())
        )

    await db.write("set_options", body)


def check_price(value: str) -> Decimal:
    """A price as a non-negative :class:`~decimal.Decimal`; :class:`InvalidValueError` otherwise."""
    try:
        price = Decimal(value)
    except InvalidOperation as exc:
        raise InvalidValueError(f"a price is a decimal number, not {value!r}") from exc
    if not price.is_finite() or price < 0:
        raise InvalidValueError(f"a price is a decimal number >= 0, not {value!r}")
    return price
