"""Reading SMS: ``getallsms`` (sent and received, with the seed's filters) and ``getsmsstatus``.

Both read the core's history (:mod:`smsd.store.history`) and render each entry with the ids and
status codes of :mod:`smsd.api.smsgateway24.statuses`. ``getallsms`` filters on ``device_id``,
``status``, ``begindate``/``enddate`` (when the SMS was accepted or received, bounds included; a
day alone means its midnight), ``sim``, ``customerid``, ``phone`` (the other party's number);
``orderbydesc=1`` gives the newest first, ``onlycount=1`` only the ``count``, and ``timezone``
the zone dates are shown in (and ``begindate``/``enddate`` read in). At most :data:`MAX_LISTED`
SMS are listed (``count`` still counts them all).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.api.smsgateway24.answers import fail, ok
from smsd.api.smsgateway24.dates import Zone, zone_named
from smsd.api.smsgateway24.fields import integer, moment, one_number, read_values, switch, text
from smsd.api.smsgateway24.sending import URGENT_PRIORITY
from smsd.api.smsgateway24.statuses import TITLES, door_id, entry_of, status_of
from smsd.api.smsgateway24.tokens import token_user
from smsd.api.state import DB, REGION
from smsd.store.history import HistoryEntry, HistoryFilter, entry, history

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["MAX_LISTED", "get_all_sms", "get_sms_status", "render_sms"]

MAX_LISTED = 10_000


def render_sms(item: HistoryEntry, zone: Zone) -> dict[str, object]:
    """One SMS as ``getallsms`` shows it."""
    status = status_of(item)
    incoming = item.kind == "received"
    return {
        "id": door_id(item),
        "sendto": item.number,
        "body": item.text,
        "customerid": item.customer_id,
        "status": status,
        "statustitle": TITLES.get(status, "unknown"),
        "deviceid": item.id_phone,
        "sim": 0,
        "urgent": None if incoming else int(item.priority >= URGENT_PRIORITY),
        "created": zone.date(item.created_at),
        "senttime": zone.date(item.sent_at),
        "timetosend": zone.date(item.due_at),
        "paketid": item.campaign,
        "pakettitle": item.campaign_tag,
        "paketbody": item.campaign_text,
        "incoming": incoming,
    }


def _status_filter(values: dict[str, object]) -> int | None:
    status = integer(values, "status", low=1, high=101)
    if status is not None and status not in TITLES:
        raise fail("status", f"unknown status {status} (1, 2, 3, 5 to 12, 100, 101)")
    return status


def _phone_filter(values: dict[str, object], region: str | None) -> str | None:
    written = text(values, "phone", required=False)
    if written is None:
        return None
    number = one_number(written, region)
    if number is None:
        raise fail("phone", f"{written!r} is not a valid phone number")
    return number


async def get_all_sms(request: web.Request) -> web.Response:
    """``getallsms``: the account's SMS, sent and received, filtered."""
    values = await read_values(request)
    user = await token_user(request, values)
    zone = zone_named(text(values, "timezone", required=False, limit=64))
    status = _status_filter(values)
    sim = integer(values, "sim", low=0, high=1)
    begin, end = moment(values, "begindate"), moment(values, "enddate")
    raw_end = values.get("enddate")
    if end is not None and isinstance(raw_end, str) and len(raw_end.strip()) == 10:
        end = end[:10] + " 23:59:59"
    wanted = HistoryFilter(
        id_phone=integer(values, "device_id", low=1),
        number=_phone_filter(values, request.app.get(REGION)),
        begin=None if begin is None else zone.wall(begin),
        end=None if end is None else zone.wall(end),
        customer_id=integer(values, "customerid", low=-(2**63), high=2**63 - 1),
        newest_first=switch(values, "orderbydesc"),
    )
    found = [] if sim == 1 else await history(request.app[DB], user.id, wanted)
    if status is not None:
        found = [item for item in found if status_of(item) == status]
    if switch(values, "onlycount"):
        return ok(count=len(found))
    listed = {str(door_id(item)): render_sms(item, zone) for item in found[:MAX_LISTED]}
    return ok(count=len(found), smss=listed)


async def get_sms_status(request: web.Request) -> web.Response:
    """``getsmsstatus``: the status of one SMS."""
    values = await read_values(request)
    user = await token_user(request, values)
    sms_id = integer(values, "sms_id", required=True, low=1)
    assert sms_id is not None
    named = entry_of(sms_id)
    found = None if named is None else await entry(request.app[DB], user.id, *named)
    if found is None:
        raise fail("sms_id", f"no sms {sms_id}")
    status = status_of(found)
    return ok(
        sms_id=sms_id,
        status=status,
        status_description=TITLES.get(status, "unknown"),
        customerid=found.customer_id,
        deviceid=found.id_phone,
    )
