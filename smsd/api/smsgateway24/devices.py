"""``getalldevices``: each of the user's phones (one GSM modem each) as a device.

A device shows the seed's fields from the phone row and the modem's live state as the daemon
sees it now (:class:`~smsd.api.state.PhoneSnapshot`): ``title`` is the phone's name, ``imei``
and ``serialnumber`` the modem's IMEI, ``lastseen`` the last time the modem answered a network
check, ``siminfo`` its one SIM (slot ``"0"``) with ``IccId``, ``Number``, ``Roaming``,
``CountryIso`` (from the SIM's number), ``CarrierName`` (the operator), and our additions
``SignalDbm`` and ``SignalRssi`` (``AT+CSQ``). Also ours: ``online`` (connected and registered),
``status`` (the phone's status: ``available``, ``unavailable``, ``disabled`` …). ``appversion``
is smsd's version. A phone whose modem is not running has ``online`` false, no ``lastseen`` and
its SIM as last stored (ICCID from the hot-plug watcher, when it saw one).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import phonenumbers

from smsd import __version__
from smsd.api.smsgateway24.answers import ok
from smsd.api.smsgateway24.dates import Zone, human, local_zone
from smsd.api.smsgateway24.fields import read_values
from smsd.api.smsgateway24.tokens import token_user
from smsd.api.state import DB, PHONES, PhoneSnapshot
from smsd.store import accounts, devices

if TYPE_CHECKING:
    from aiohttp import web

    from smsd.store.rows import PhoneRow

__all__ = ["get_all_devices", "render_device"]


def _country(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ""
    return (phonenumbers.region_code_for_number(parsed) or "").lower()


def _stored(row: PhoneRow) -> dict[str, object]:
    try:
        data = json.loads(row.adapter_data)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def render_device(
    row: PhoneRow, created: str | None, live: PhoneSnapshot | None, zone: Zone
) -> dict[str, object]:
    """One device as ``getalldevices`` shows it."""
    stored = _stored(row)
    imei = (live.imei if live else "") or str(stored.get("imei") or "")
    iccid = (live.iccid if live else "") or str(stored.get("iccid") or "")
    number = live.number if live else ""
    sim = {
        "Slot": "0",
        "IccId": iccid,
        "Number": number,
        "Roaming": "1" if live is not None and live.registration == "registered_roaming" else "0",
        "CountryIso": _country(number) if number else "",
        "CarrierName": live.operator if live else "",
        "SignalDbm": live.signal_dbm if live else None,
        "SignalRssi": live.rssi if live else None,
    }
    last_seen = live.last_seen if live else None
    return {
        "id": row.id,
        "title": row.name,
        "number": number or None,
        "imei": imei or None,
        "created": zone.date(created),
        "createdhumanformat": human(created, zone),
        "lastseen": zone.date(last_seen),
        "lastseenhumanformat": human(last_seen, zone),
        "serialnumber": imei or None,
        "siminfo": [sim],
        "appversion": __version__,
        "isappversionactual": True,
        "delaybetweeneachsms": None,
        "delaybetweenrequest": None,
        "subscription": True,
        "online": bool(live and live.connected and live.registered),
        "status": live.status if live else row.status,
        "model": " ".join(p for p in (live.manufacturer, live.model) if p) if live else "",
    }


async def get_all_devices(request: web.Request) -> web.Response:
    """``getalldevices``: the account's devices with their SIMs and live state."""
    values = await read_values(request)
    user = await token_user(request, values)
    db = request.app[DB]
    rows = await accounts.phones(db, user.id)
    created = await devices.created_at(db, user.id)
    control = request.app.get(PHONES)
    live = {snap.id_phone: snap for snap in control.snapshot()} if control is not None else {}
    zone = local_zone()
    listed = {
        str(row.id): render_device(row, created.get(row.id), live.get(row.id), zone) for row in rows
    }
    return ok(count=len(listed), device=listed)
