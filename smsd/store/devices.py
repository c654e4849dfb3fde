"""Which phone row a plugged-in device is: identity (IMEI, ICCID) and where it was last seen.

A phone's ``adapter_data`` JSON holds how to reach its modem (``device``, ``baudrate``, ``pin``);
the hot-plug watcher adds ``imei`` and ``iccid`` there, so a dongle plugged in again (on another
tty, through another hub port) is recognised as the same phone and keeps its id, its history
and its limits.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from smsd.store.accounts import phones
from smsd.store.db import row
from smsd.store.errors import InvalidValueError

if TYPE_CHECKING:
    import aiosqlite

    from smsd.store.db import Database
    from smsd.store.rows import PhoneRow

# Match rank: the SIM (ICCID) carries the number and the operator's sending limits, so it counts
# more than the modem (IMEI); a phone matching both outranks either.
_MATCH = (
    "SELECT id, "
    "  (CASE WHEN :iccid != '' AND json_extract(adapter_data, '$.iccid') = :iccid THEN 2 ELSE 0 END"
    "   + CASE WHEN :imei != '' AND json_extract(adapter_data, '$.imei') = :imei THEN 1 ELSE 0 END)"
    "  AS rank "
    "FROM phone WHERE json_type(adapter_data) = 'object' "
    "ORDER BY rank DESC, id LIMIT 1"
)


async def find_phone(db: Database, *, imei: str = "", iccid: str = "") -> PhoneRow | None:
    """The phone whose stored identity matches ``iccid`` and/or ``imei`` best, or ``None``.

    A phone matching both wins, then one matching the ICCID, then one matching the IMEI; among
    equals the oldest.
    """
    if not imei and not iccid:
        return None
    found = await db.fetchone(_MATCH, {"imei": imei, "iccid": iccid})
    if found is None or int(found["rank"]) == 0:
        return None
    id_phone = int(found["id"])
    return next((phone for phone in await phones(db) if phone.id == id_phone), None)


def _patch(device: str, baudrate: int, imei: str, iccid: str) -> str:
    if not device:
        raise InvalidValueError("a device path is needed")
    values: dict[str, object] = {"device": device, "baudrate": baudrate}
    if imei:
        values["imei"] = imei
    if iccid:
        values["iccid"] = iccid
    return json.dumps(values)


async def record_device(
    db: Database, id_phone: int, *, device: str, baudrate: int, imei: str = "", iccid: str = ""
) -> None:
    """Store where phone ``id_phone``'s modem is now and its identity (other keys are kept).

    An empty ``imei`` or ``iccid`` leaves the stored one alone (a SIM that hides its ICCID
    before its PIN is entered does not erase what was learned before).
    """
    patch = _patch(device, baudrate, imei, iccid)
    changed = await db.execute(
        "UPDATE phone SET adapter_data = json_patch(adapter_data, ?), "
        "updated_at = datetime('now', 'localtime') WHERE id = ?",
        (patch, id_phone),
    )
    if not changed:
        raise InvalidValueError(f"no phone {id_phone}")


async def create_device_phone(
    db: Database,
    *,
    id_user: int,
    name: str,
    adapter: str,
    device: str,
    baudrate: int,
    imei: str = "",
    iccid: str = "",
) -> int:
    """Create the phone ``name`` of ``id_user`` for a newly seen device; return its id.

    If ``id_user`` already has a phone of that name, that row is taken over (its device and
    identity updated, everything else kept) rather than duplicated.
    """
    if not name:
        raise InvalidValueError("a phone needs a name")
    patch = _patch(device, baudrate, imei, iccid)

    async def body(conn: aiosqlite.Connection) -> int:
        found = await row(
            conn,
            "INSERT INTO phone (id_user, name, adapter, adapter_data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id_user, name) DO UPDATE SET "
            "adapter_data = json_patch(phone.adapter_data, excluded.adapter_data), "
            "updated_at = datetime('now', 'localtime') RETURNING id",
            (id_user, name, adapter, patch),
        )
        assert found is not None
        return int(found["id"])

    return await db.atomic("create_device_phone", body)


async def created_at(db: Database, id_user: int) -> dict[int, str]:
    """When each phone of ``id_user`` was created (local wall text), by phone id."""
    found = await db.fetchall("SELECT id, created_at FROM phone WHERE id_user = ?", (id_user,))
    return {int(r["id"]): str(r["created_at"]) for r in found}


__all__ = ["create_device_phone", "created_at", "find_phone", "record_device"]
