"""Dates as the provider writes them: PHP ``DateTime`` objects and ``d.m.Y H:i:s`` text.

The core keeps local wall text (``YYYY-MM-DD HH:MM:SS``) and unix seconds. A date object is
``{"date": "2023-11-02 22:44:43.000000", "timezone_type": 3, "timezone": "Europe/Paris"}``: the
server's local time zone by name (``/etc/localtime``'s IANA name, else ``TZ``, else ``UTC`` for
a clock at UTC), or the zone a client asks for (``timezone=Australia/Sydney``), into which the
time is converted.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smsd.api.smsgateway24.answers import fail

__all__ = ["Zone", "human", "local_zone", "zone_named"]

_WALL = "%Y-%m-%d %H:%M:%S"


class Zone:
    """A time zone with the name answers show."""

    def __init__(self, name: str, info: tzinfo | None) -> None:
        self.name = name
        self.info = info
        """``None``: the server's local time (wall text is shown as stored)."""

    def _moment(self, value: str | float) -> datetime | None:
        if isinstance(value, str):
            try:
                naive = datetime.strptime(value, _WALL)  # noqa: DTZ007 - local wall time
            except ValueError:
                return None
            if self.info is None:
                return naive
            return naive.astimezone().astimezone(self.info)
        if self.info is None:
            return datetime.fromtimestamp(value)  # noqa: DTZ006 - local wall time
        return datetime.fromtimestamp(value, self.info)

    def date(self, value: str | float | None) -> dict[str, object] | None:
        """The date object of local wall text or unix seconds (``None`` stays ``None``)."""
        if value is None:
            return None
        moment = self._moment(value)
        if moment is None:
            return None
        text = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
        return {"date": text, "timezone_type": 3, "timezone": self.name}

    def wall(self, text: str) -> str:
        """A wall time given in this zone as the server's local wall text (for filters)."""
        if self.info is None:
            return text
        moment = datetime.strptime(text, _WALL).replace(tzinfo=self.info)
        return moment.astimezone().strftime(_WALL)


def human(value: str | float | None, zone: Zone) -> str | None:
    """``d.m.Y H:i:s`` text of a date (the ``…humanformat`` fields)."""
    found = zone.date(value)
    if found is None:
        return None
    moment = datetime.strptime(str(found["date"]), "%Y-%m-%d %H:%M:%S.%f")  # noqa: DTZ007
    return moment.strftime("%d.%m.%Y %H:%M:%S")


def _local_name() -> str:
    link = Path("/etc/localtime")
    try:
        target = str(link.resolve())
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        return target.split("zoneinfo/", 1)[1]
    configured = os.environ.get("TZ", "").lstrip(":")
    if configured:
        return configured
    return "UTC" if time.timezone == 0 and not time.daylight else time.tzname[0]


def local_zone() -> Zone:
    """The server's local time zone."""
    return Zone(_local_name(), None)


def zone_named(name: str | None) -> Zone:
    """The zone a client asked for (``timezone``), else the server's; an unknown name is refused."""
    if name is None:
        return local_zone()
    if name.upper() == "UTC":
        return Zone("UTC", UTC)
    try:
        return Zone(name, ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise fail("timezone", f"unknown time zone {name!r} (e.g. Europe/Paris)") from exc
