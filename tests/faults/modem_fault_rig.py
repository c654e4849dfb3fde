"""Helpers of the modem-fault tests: a daemon on two virtual modems, its JSON log, the outbox."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from support.fault_rig import (
    API_KEY,
    EMAIL,
    PHONE_SETTINGS,
    DaemonProcess,
    start_modems,
    tear_down,
)
from support.polling import until

from smsd.modem.virtual import Faults
from smsd.store import accounts
from smsd.store.db import Database

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    from smsd.modem.virtual import PtyModem

PRIORITIES = {"m1": 5, "m2": 1}  # m1 is preferred: the fault hits the modem that gets the work


def write_config(directory: Path, modems: dict[str, PtyModem]) -> Path:
    """One user, m1 preferred over m2, JSON logs, API on a free loopback port."""
    phones = "".join(
        f'\n[[phones]]\nname = "{name}"\ndevice = "{pty.path}"\n'
        f"priority = {PRIORITIES[name]}\n{PHONE_SETTINGS}"
        for name, pty in modems.items()
    )
    text = (
        '[daemon]\ndatabase = "smsd.sqlite3"\nlog_format = "json"\nlog_level = "info"\n'
        '\n[api]\nlisten = "127.0.0.1:0"\n'
        f'\n[[users]]\nemail = "{EMAIL}"\napi_key = "{API_KEY}"\nadmin = true\n{phones}'
    )
    path = directory / "smsd.toml"
    path.write_text(text, encoding="utf-8")
    return path


def events(daemon: DaemonProcess) -> list[dict[str, Any]]:
    """Every JSON event the daemon logged, all runs (non-JSON lines are ignored)."""
    found = []
    for run in range(1, daemon.runs + 1):
        path = daemon.config.parent / f"daemon-{run}.log"
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                item = json.loads(line)
                if isinstance(item, dict):
                    found.append(item)
    return found


def named(daemon: DaemonProcess, event: str, modem: str | None = None) -> list[dict[str, Any]]:
    """The events called ``event`` (of ``modem`` when given)."""
    return [
        e
        for e in events(daemon)
        if e.get("event") == event and (modem is None or e.get("modem") == modem)
    ]


@dataclass
class Rig:
    """A running daemon over m1 and m2 and the store it writes (opened beside it)."""

    daemon: DaemonProcess
    modems: dict[str, PtyModem]
    db: Database
    id_user: int
    scheduled: int = 0

    async def until(
        self, predicate: Callable[[], Awaitable[bool] | object], timeout: float, what: str
    ) -> None:
        """Poll ``predicate`` until true; fail with the daemon's log after ``timeout`` seconds."""
        try:
            await until(predicate, timeout, 0.1)
        except TimeoutError:
            pytest.fail(f"timed out waiting for {what}\n{self.daemon.logs()}")

    async def schedule(self, count: int, text: str = "fault test {n}") -> None:
        """``count`` messages of one segment to distinct numbers, due now, posted to the API
        (which wakes the daemon's dispatcher, as any client's post does)."""
        numbers = []
        for _ in range(count):
            self.scheduled += 1
            numbers.append(("numbers[]", f"+3361{self.scheduled:07d}"))
        listening = named(self.daemon, "api_listening")[-1]  # the current run's address
        url = f"http://{listening['address']}/api/scheduled/"
        form = [("text", text.format(n=self.scheduled)), *numbers]
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=form, headers={"X-Api-Key": API_KEY}) as response,
        ):
            assert response.status == 201, await response.text()

    async def states(self) -> dict[str, int]:
        """Outgoing messages by state."""
        rows = await self.db.fetchall("SELECT state, count(*) AS n FROM sended GROUP BY state")
        return {str(r["state"]): int(r["n"]) for r in rows}

    async def settled(self) -> bool:
        """Every scheduled message expanded and no outgoing message queued or in flight."""
        found = await self.db.fetchone(
            "SELECT (SELECT count(*) FROM scheduled WHERE expanded_at IS NULL) AS waiting, "
            "(SELECT count(*) FROM sended WHERE state IN ('queued', 'sending')) AS busy, "
            "(SELECT count(*) FROM sended) AS total"
        )
        assert found is not None
        return bool(
            found["waiting"] == 0 and found["busy"] == 0 and found["total"] == self.scheduled
        )

    def ready(self, modem: str) -> int:
        """How many times ``modem`` became ready."""
        return len(named(self.daemon, "modem_ready", modem))


@contextlib.asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[Rig]:
    """The daemon on m1 and m2, both modems ready."""
    modems = await start_modems(["m1", "m2"], Faults())
    db = await Database.open(tmp_path / "smsd.sqlite3")
    daemon = DaemonProcess(write_config(tmp_path, modems))
    try:
        id_user = await accounts.ensure_user(db, email=EMAIL, api_key=API_KEY, admin=True)
        rig = Rig(daemon, modems, db, id_user)
        await daemon.start()
        await rig.until(lambda: rig.ready("m1") and rig.ready("m2"), 30, "both modems ready")
        yield rig
    finally:
        await tear_down(daemon, modems, db)
