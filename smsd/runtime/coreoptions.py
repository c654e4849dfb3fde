"""At start: hand the store the configured values of the core features every door reads.

``[billing]`` (currency, segment price, each phone's own price) and ``[stop]`` (mention and
answer) go to the store's ``core_option`` table; deferrals of commercial messages are released
so the quiet-hours rule now in force judges them again (a window moved, a rule turned off).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.store import deferral
from smsd.store.billing import phone_price_option
from smsd.store.options import CURRENCY, SEGMENT_PRICE, STOP_MENTION, STOP_RESPONSE, set_options

if TYPE_CHECKING:
    from smsd.config import Config
    from smsd.store.db import Database

__all__ = ["apply_core_options", "core_options"]


def core_options(config: Config) -> dict[str, str]:
    """The ``core_option`` values of ``config``."""
    values = {
        CURRENCY: config.billing.currency,
        SEGMENT_PRICE: config.billing.segment_price,
        STOP_MENTION: config.stop.mention,
        STOP_RESPONSE: config.stop.response,
    }
    for phone in config.phones:
        if phone.segment_price is not None:
            values[phone_price_option(phone.name)] = phone.segment_price
    return values


async def apply_core_options(db: Database, config: Config) -> int:
    """Write the options and release the deferrals; return how many messages were released."""
    await set_options(db, core_options(config))
    return await deferral.release_all(db)
