"""``[billing]``, ``[quiet_hours]`` and ``[stop]``: the settings of the core's shared features.

Values stay plain (strings, booleans, tuples) so ``smsd check-config`` renders them back as
TOML that loads into an equal configuration; the runtime turns them into rules.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Final, Protocol, TypeVar

from smsd.config.converters import Invalid, boolean, show
from smsd.config.settings import BillingConfig, QuietHoursConfig, StopConfig

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "DAY_NAMES",
    "BillingConfig",
    "QuietHoursConfig",
    "StopConfig",
    "read_billing",
    "read_quiet_hours",
    "read_stop",
    "segment_price",
]

DAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_CURRENCY = re.compile(r"[A-Z]{3}")
_T = TypeVar("_T")


class _Table(Protocol):
    """What the reader's table offers (``smsd.config.reading._Table``)."""

    def get(self, key: str, convert: Callable[[object], _T], default: _T) -> _T: ...
    def finish(self) -> None: ...


def segment_price(value: object) -> str:
    """A price: a number >= 0 (TOML number or decimal text), kept as decimal text."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Invalid(f"must be a number >= 0 such as 0.05, got {show(value)}")
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        raise Invalid(f"must be a number >= 0 such as 0.05, got {show(value)}") from None
    if not price.is_finite() or price < 0:
        raise Invalid(f"must be a number >= 0 such as 0.05, got {show(value)}")
    return str(price)


def _currency(value: object) -> str:
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise Invalid(
            f'must be an ISO 4217 code of three capitals such as "EUR", got {show(value)}'
        )
    return value


def _clock(value: object) -> str:
    if not isinstance(value, str) or not _CLOCK.fullmatch(value):
        raise Invalid(f'must be a time "HH:MM" such as "20:00", got {show(value)}')
    return value


def _days(value: object) -> tuple[str, ...]:
    wording = f"must be an array of day names among {', '.join(DAY_NAMES)}, got {show(value)}"
    if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
        raise Invalid(wording)
    names = tuple(str(d).lower()[:3] for d in value)
    if any(d not in DAY_NAMES for d in names):
        raise Invalid(wording)
    if not names:
        raise Invalid("must name at least one day (else commercial messages never go out)")
    return tuple(d for d in DAY_NAMES if d in names)


def _country(value: object) -> str:
    if value == "":
        return ""
    if not isinstance(value, str):
        raise Invalid(f'must be a country code such as "FR", got {show(value)}')
    import holidays  # noqa: PLC0415 - loaded only when quiet hours name a country

    code = value.upper()
    if code not in holidays.list_supported_countries():
        raise Invalid(
            f'must be a country code the holidays library knows, such as "FR", got {show(value)}'
        )
    return code


def _text(limit: int) -> Callable[[object], str]:
    def convert(value: object) -> str:
        if not isinstance(value, str) or len(value) > limit:
            raise Invalid(f"must be a string of at most {limit} characters, got {show(value)}")
        return value

    return convert


def read_billing(table: _Table) -> BillingConfig:
    """Read ``[billing]``."""
    d = BillingConfig()
    config = BillingConfig(
        currency=table.get("currency", _currency, d.currency),
        segment_price=table.get("segment_price", segment_price, d.segment_price),
    )
    table.finish()
    return config


def read_quiet_hours(table: _Table) -> QuietHoursConfig:
    """Read ``[quiet_hours]``."""
    d = QuietHoursConfig()
    config = QuietHoursConfig(
        enabled=table.get("enabled", boolean, d.enabled),
        start=table.get("start", _clock, d.start),
        end=table.get("end", _clock, d.end),
        days=table.get("days", _days, d.days),
        country=table.get("country", _country, d.country),
    )
    table.finish()
    return config


def read_stop(table: _Table) -> StopConfig:
    """Read ``[stop]``."""
    d = StopConfig()
    config = StopConfig(
        mention=table.get("mention", _text(160), d.mention),
        response=table.get("response", _text(1000), d.response),
    )
    table.finish()
    return config
