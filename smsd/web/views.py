"""What each page shows, gathered from the core: plain values for the templates.

No SQL here and no HTML: the store answers (:mod:`smsd.store.dashboard`, :mod:`smsd.store.accounts`)
and the running phones' live state comes from the daemon's :class:`~smsd.api.state.PhoneControl`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from smsd.store import accounts, dashboard, outbox
from smsd.web.chart import HOURS, Chart, build_chart
from smsd.windows import StartpointError, window_start

if TYPE_CHECKING:
    from collections.abc import Sequence

    from smsd.api.state import PhoneControl, PhoneSnapshot
    from smsd.store.db import Database
    from smsd.store.rows import PhoneRow, UserRow

__all__ = ["LimitUse", "Overview", "PhoneCard", "overview", "phone_cards", "signal_bars"]

_WALL = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class LimitUse:
    """One sending limit of a phone and what its window has used."""

    volume: int
    startpoint: str
    used: int

    @property
    def percent(self) -> int:
        """Share of the limit used, 0 to 100."""
        return min(100, round(100 * self.used / self.volume)) if self.volume else 100


@dataclass(frozen=True)
class PhoneCard:
    """One phone as its card shows it."""

    id: int
    name: str
    owner: int
    status: str
    connected: bool
    registration: str
    operator: str
    signal_dbm: int | None
    bars: int
    model: str
    sent_today: int
    limits: tuple[LimitUse, ...]
    last_error: str | None
    balance: float | None
    balance_low: bool


@dataclass(frozen=True)
class Overview:
    """The overview page: phones, queue, chart."""

    phones: tuple[PhoneCard, ...]
    queue: dashboard.QueueFigures
    chart: Chart


def signal_bars(dbm: int | None) -> int:
    """0 to 4 bars from a signal in dBm (-113 or below is none, -73 or above is full)."""
    if dbm is None:
        return 0
    return max(0, min(4, (dbm + 113 + 9) // 10))


async def _card(
    db: Database, row: PhoneRow, live: PhoneSnapshot | None, now: datetime
) -> PhoneCard:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    uses = []
    for volume, startpoint in row.limits:
        try:
            start = window_start(startpoint, now)
        except StartpointError:
            continue
        used = await outbox.sent_volume(db, id_phone=row.id, since_wall=start.strftime(_WALL))
        uses.append(LimitUse(volume, startpoint, used))
    since = (now - timedelta(hours=HOURS)).strftime(_WALL)
    return PhoneCard(
        id=row.id,
        name=row.name,
        owner=row.id_user,
        status=live.status if live is not None else row.status,
        connected=live.connected if live is not None else False,
        registration=live.registration if live is not None else "unknown",
        operator=live.operator if live is not None else "",
        signal_dbm=live.signal_dbm if live is not None else None,
        bars=signal_bars(live.signal_dbm if live is not None else None),
        model=" ".join(filter(None, (live.manufacturer, live.model))) if live else "",
        sent_today=await outbox.sent_volume(
            db, id_phone=row.id, since_wall=midnight.strftime(_WALL)
        ),
        limits=tuple(uses),
        last_error=await dashboard.last_failure(db, row.id, since=since),
        balance=live.balance if live is not None else None,
        balance_low=live.balance_low if live is not None else False,
    )


async def visible_phones(db: Database, user: UserRow) -> list[PhoneRow]:
    """The phones ``user`` may see: every phone for an admin, else their own."""
    return await accounts.phones(db, None if user.admin else user.id)


async def phone_cards(
    db: Database, user: UserRow, control: PhoneControl | None, now: datetime
) -> tuple[PhoneCard, ...]:
    """A card for each phone the user may see, with its live state when it runs."""
    live: dict[int, PhoneSnapshot] = {}
    if control is not None:
        live = {snap.id_phone: snap for snap in control.snapshot()}
    rows: Sequence[PhoneRow] = await visible_phones(db, user)
    return tuple([await _card(db, row, live.get(row.id), now) for row in rows])


async def overview(
    db: Database, user: UserRow, control: PhoneControl | None, now: datetime
) -> Overview:
    """Everything the overview page shows."""
    since = (now - timedelta(hours=HOURS - 1)).replace(minute=0, second=0, microsecond=0)
    counts = await dashboard.hourly_volumes(db, user.id, since=since.strftime(_WALL))
    return Overview(
        phones=await phone_cards(db, user, control, now),
        queue=await dashboard.queue_figures(db, user.id),
        chart=build_chart(counts, now),
    )
