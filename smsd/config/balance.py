"""Converters and checks of the USSD and balance-watch keys of ``[[phones]]``.

``ussd_timeout`` (seconds), ``balance_ussd`` (a USSD code: digits, ``*``, ``#``, ``+``),
``balance_interval`` (seconds), ``balance_pattern`` (a regular expression with exactly one
group), ``balance_min`` (a number), ``balance_check_every`` (segments, 0 = off). The
``balance_*`` keys mean nothing without ``balance_ussd``: set to other than their default
without it, they are refused.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from smsd.config.converters import Invalid, show
from smsd.config.settings import PhoneConfig

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["BALANCE_KEYS", "amount", "balance_pattern", "check_balance_keys", "ussd_code"]

_USSD_CODE = re.compile(r"[0-9*#+]{1,160}")
BALANCE_KEYS = ("balance_interval", "balance_pattern", "balance_min", "balance_check_every")


def ussd_code(value: object) -> str:
    """A USSD code such as ``"*100#"``: 1 to 160 of ``0-9 * # +``."""
    if not isinstance(value, str) or _USSD_CODE.fullmatch(value) is None:
        raise Invalid(
            f'must be a USSD code of digits, "*", "#" and "+" such as "*100#", got {show(value)}'
        )
    return value


def balance_pattern(value: object) -> str:
    """A regular expression with exactly one group (the amount)."""
    if not isinstance(value, str):
        raise Invalid(f"must be a regular expression (a string), got {show(value)}")
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise Invalid(f"is not a valid regular expression ({exc}): {show(value)}") from exc
    if compiled.groups != 1:
        raise Invalid(
            f"must have exactly one group capturing the amount, has {compiled.groups}: "
            f"{show(value)}"
        )
    return value


def amount(value: object) -> float:
    """A finite number (an amount of credit, possibly 0 or negative)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid(f"must be a number, got {show(value)}")
    return float(value)


def check_balance_keys(phone: PhoneConfig, problem: Callable[[str, str], None]) -> None:
    """Report ``balance_*`` keys set (to other than their default) without ``balance_ussd``."""
    if phone.balance_ussd is not None:
        return
    default = PhoneConfig(name=phone.name, device=phone.device)
    for key in BALANCE_KEYS:
        if getattr(phone, key) != getattr(default, key):
            problem(key, "needs balance_ussd (the USSD code that asks the balance)")
