"""Fixtures for call tests: a real SQLite file, a user with a phone, a modem driver on a pty."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import pytest
from support.driver import QUICK
from support.store import add_phone, db, user

from smsd.modem.driver import Modem
from smsd.modem.settings import ModemConfig
from smsd.modem.virtual import Faults, PtyModem, VirtualModem
from smsd.runtime.receiver import Receiver

if TYPE_CHECKING:
    from smsd.store.db import Database

__all__ = ["db", "user"]


@pytest.fixture
async def phone(db, user) -> int:
    return await add_phone(db, user, "m1", adapter="adapters\\SerialModemAdapter")


class CallRig:
    """A virtual modem on a pty, a driver running against it, its receiver writing to ``db``."""

    def __init__(self, db: Database, id_user: int, id_phone: int) -> None:
        self.db = db
        self.id_user = id_user
        self.id_phone = id_phone
        self.pty: PtyModem | None = None
        self.modem: Modem | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self, faults: Faults | None = None, **config: object) -> Modem:
        self.pty = PtyModem(VirtualModem(name="m1", faults=faults or Faults()))
        path = await self.pty.start()
        settings = dict(QUICK)
        settings.update(config)
        receiver = Receiver(self.db, id_phone=self.id_phone, id_user=self.id_user, name="m1")
        self.modem = Modem(
            ModemConfig(name="m1", device=path, **settings),  # type: ignore[arg-type]
            on_incoming=receiver.handle,
        )
        self.task = asyncio.create_task(self.modem.run())
        await asyncio.wait_for(self.modem.ready.wait(), timeout=10)
        return self.modem

    @property
    def virtual(self) -> VirtualModem:
        assert self.pty is not None
        return self.pty.modem

    async def close(self) -> None:
        if self.modem is not None:
            self.modem.stop()
        if self.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, timeout=10)
        if self.pty is not None:
            await self.pty.stop()


@pytest.fixture
async def call_rig(db, user, phone):
    made = CallRig(db, user, phone)
    yield made
    await made.close()
