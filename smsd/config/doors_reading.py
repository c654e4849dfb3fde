"""Reading ``[api.smspartner]``, the SMSPartner door's settings.

The reader functions take the section being read (anything with the ``get`` and ``finish`` of
:mod:`smsd.config.reading`'s tables), so this module stays below the reader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

from smsd.config.converters import Invalid, boolean, show
from smsd.config.doors import SmsPartnerConfig
from smsd.phone import check_region

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["read_smspartner"]

_T = TypeVar("_T")


class Section(Protocol):
    """What a reader needs of a configuration table."""

    def get(self, key: str, convert: Callable[[object], _T], default: _T) -> _T:
        """The converted value of ``key``, or ``default`` (problems recorded by the table)."""

    def finish(self) -> None:
        """Report the keys nobody asked for."""


def _region(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid(f'must be a region code such as "FR", got {show(value)}')
    try:
        return check_region(value)
    except ValueError:
        raise Invalid(f'must be a region code such as "FR" or "GB", got {show(value)}') from None


def read_smspartner(table: Section) -> SmsPartnerConfig:
    """``[api.smspartner]`` read from ``table``."""
    defaults = SmsPartnerConfig()
    config = SmsPartnerConfig(
        default_region=table.get("default_region", _region, defaults.default_region),
        commercial=table.get("commercial", boolean, defaults.commercial),
    )
    table.finish()
    return config
