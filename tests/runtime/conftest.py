"""Fixtures for runtime tests: a real SQLite file, virtual modems on pseudo-terminals, an engine."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from smsd.config import PhoneConfig
from smsd.modem.virtual import Faults, PtyModem, VirtualModem
from smsd.runtime.engine import Engine
from smsd.store import accounts
from smsd.store.db import Database

FAST = {
    "health_interval": 0.5,
    "poll_interval": 2.0,
    "command_timeout": 1.0,
    "submit_timeout": 3.0,
}


class Rig:
    """A database, an engine, and virtual modems the test can poke."""

    def __init__(self, db: Database, id_user: int) -> None:
        self.db = db
        self.id_user = id_user
        self.engine = Engine(db, id_user=id_user)
        self.modems: dict[str, PtyModem] = {}
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.engine.recover()
        self.task = asyncio.create_task(self.engine.run())

    async def add(self, name: str, faults: Faults | None = None, **settings: object):
        pty = PtyModem(VirtualModem(name=name, faults=faults or Faults()))
        path = await pty.start()
        self.modems[name] = pty
        options = dict(FAST)
        options.update(settings)
        phone = await self.engine.add_phone(PhoneConfig(name=name, device=path, **options))  # type: ignore[arg-type]
        await asyncio.wait_for(phone.modem.ready.wait(), timeout=10)
        return phone

    def wire(self, name: str | None = None) -> list:
        """Every SMS-SUBMIT the virtual modems received, decoded."""
        names = [name] if name else list(self.modems)
        return [item.decoded for n in names for item in self.modems[n].modem.submitted]

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.engine.close()
        for pty in self.modems.values():
            await pty.stop()
        await self.db.close()


@pytest.fixture
async def rig(tmp_path):
    db = await Database.open(tmp_path / "smsd.sqlite3")
    id_user = await accounts.ensure_user(
        db, email="admin@example.org", api_key="k" * 32, admin=True
    )
    made = Rig(db, id_user)
    yield made
    await made.close()
