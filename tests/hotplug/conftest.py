"""Fixtures for hot-plug tests: a store, a running engine, a watcher over a temp link directory.

Devices are virtual modems on pseudo-terminals; "plugging one in" is creating a symlink to its
pty in the watched directory (as udev creates ``/dev/smsd/...``), "pulling it" is removing the
link or unplugging the pty.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import TYPE_CHECKING

import pytest
from hotplug_settings import FAST

from smsd.config import PhoneConfig
from smsd.modem.virtual import Faults, PtyModem, VirtualModem
from smsd.runtime.engine import Engine
from smsd.runtime.hotplug import HotplugWatcher
from smsd.store import accounts
from smsd.store.db import Database

if TYPE_CHECKING:
    from pathlib import Path


class HotplugRig:
    """A database, an engine with its watcher, and virtual modems to plug in and out."""

    def __init__(self, db: Database, id_user: int, links: Path) -> None:
        self.db = db
        self.id_user = id_user
        self.links = links
        self.engine = Engine(db, id_user=id_user)
        self.watcher = HotplugWatcher(
            db,
            self.engine,
            patterns=[str(links / "*")],
            id_user=id_user,
            template=PhoneConfig(name="", device="", **FAST),  # type: ignore[arg-type]
            interval=0.1,
            probe_timeout=2.0,
        )
        self.modems: dict[str, PtyModem] = {}
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, *, watch: bool = True) -> None:
        await self.engine.recover()
        self._tasks.append(asyncio.create_task(self.engine.run()))
        if watch:
            self._tasks.append(asyncio.create_task(self.watcher.run()))

    async def modem(self, name: str, faults: Faults | None = None, **options) -> PtyModem:
        """Start a virtual modem (its IMEI and ICCID derive from ``name``) on a pty."""
        pty = PtyModem(VirtualModem(name=name, faults=faults or Faults(), **options))
        await pty.start()
        self.modems[name] = pty
        return pty

    def plug(self, link: str, pty: PtyModem) -> Path:
        """Point the link ``link`` in the watched directory at ``pty`` (replacing an old one)."""
        path = self.links / link
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.symlink(pty.path, path)  # noqa: PTH211 - mirrors udev's SYMLINK
        return path

    def pull(self, link: str) -> None:
        (self.links / link).unlink()

    def wire(self, name: str) -> list:
        """Every SMS-SUBMIT the virtual modem ``name`` received, decoded."""
        return [item.decoded for item in self.modems[name].modem.submitted]

    def phone_named(self, name: str):
        return next((p for p in self.engine.phones.values() if p.settings.name == name), None)

    async def close(self) -> None:
        for task in reversed(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
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
    links = tmp_path / "dev-smsd"
    links.mkdir()
    made = HotplugRig(db, id_user, links)
    yield made
    await made.close()
