"""Phones created through the API: their modems follow the store (the API's ``PhoneControl``).

The daemon starts the configured phones itself; :class:`DaemonPhones` starts the others the store
holds, and starts, restarts or stops one when the API creates, changes, disables or deletes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from smsd.config import LimitConfig, PhoneConfig
from smsd.model import PhoneSnapshot
from smsd.runtime.adapterdata import AdapterData
from smsd.store import accounts

if TYPE_CHECKING:
    from collections.abc import Sequence

    from smsd.runtime.engine import Engine
    from smsd.store.db import Database
    from smsd.store.rows import PhoneRow


class DaemonPhones:
    """Phones created through the API: their modems follow the store (the API's PhoneControl)."""

    def __init__(self, db: Database, engine: Engine, configured: set[str]) -> None:
        self._db = db
        self._engine = engine
        self._configured = configured
        self._log = structlog.get_logger("smsd.daemon")

    async def start_all(self, owner: int, rows: Sequence[PhoneRow]) -> None:
        """Start every phone of ``rows`` (the store's) beyond the configured ones."""
        for row in rows:
            if row.id_user == owner and row.name in self._configured:
                continue
            await self._start(row)

    async def apply(self, id_phone: int) -> None:
        """(Re)start the phone as the store describes it; stop it if deleted or disabled."""
        row = next((r for r in await accounts.phones(self._db) if r.id == id_phone), None)
        running = self._engine.phone_by_id(id_phone)
        if row is None or row.status == "disabled":
            if running is not None:
                await self._engine.remove_phone(running[0], final_status=None)
            return
        await self._start(row)

    def status(self, id_phone: int) -> str | None:
        """The live status of a running phone."""
        running = self._engine.phone_by_id(id_phone)
        return None if running is None else running[1].status.value

    def snapshot(self) -> list[PhoneSnapshot]:
        """Every running phone's live state (status, registration, signal, counters), by id."""
        found = []
        for phone in self._engine.phones.values():
            modem = phone.modem
            network, identity, counters = modem.network, modem.identity, modem.counters
            found.append(
                PhoneSnapshot(
                    id_phone=phone.id_phone,
                    name=phone.settings.name,
                    status=phone.status.value,
                    available=phone.available,
                    connected=modem.ready.is_set(),
                    registered=network.registered,
                    registration=network.registration,
                    operator=network.operator,
                    rssi=network.rssi,
                    signal_dbm=network.dbm,
                    manufacturer=identity.manufacturer,
                    model=identity.model,
                    segments_sent=counters.segments_sent,
                    send_failures=counters.send_failures,
                    received=counters.received,
                    status_reports=counters.status_reports,
                    resets=counters.resets,
                    imei=identity.imei,
                    balance=phone.balance.amount,
                    balance_low=phone.balance.low,
                    iccid=identity.iccid,
                    number=identity.number,
                    last_seen=modem.last_seen,
                )
            )
        return sorted(found, key=lambda snap: snap.id_phone)

    async def _start(self, row: PhoneRow) -> None:
        if row.status == "disabled":
            return
        stored = AdapterData.parse(row.adapter_data)
        if not stored.device:
            self._log.warning("phone_without_device", phone=row.name, id_phone=row.id)
            return
        settings = PhoneConfig(
            name=row.name,
            device=stored.device,
            baudrate=stored.baudrate or 115200,
            pin=stored.pin,
            priority=row.priority,
            limits=tuple(LimitConfig(volume, startpoint) for volume, startpoint in row.limits),
        )
        await self._engine.add_phone(
            settings, key=f"phone-{row.id}", id_phone=row.id, id_user=row.id_user
        )


__all__ = ["DaemonPhones"]
