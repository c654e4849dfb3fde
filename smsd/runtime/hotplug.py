"""The hot-plug watcher: modems appearing on and vanishing from the ``[hotplug] devices`` globs.

Every :data:`SCAN_INTERVAL` seconds the globs are expanded (``glob`` and ``os.path.realpath``:
no udev library needed; the udev rules only give the AT ports stable names). Then:

* a path that appeared is probed (:func:`smsd.modem.probe.probe`). A modem that gives its IMEI
  or its SIM's ICCID is matched against the phones the store knows (:mod:`smsd.store.devices`):
  a known one is started again under its own id, keeping its history, limits and settings; an
  unknown one becomes a new phone named after its IMEI, owned by the user that owns the
  configured phones. A path without a usable modem (another interface of the same dongle, a
  modem still booting) is probed again later, with growing delays;
* a path that vanished (or now leads to another device) stops the phone on it: the phone is
  marked ``unavailable``, its sender hands unsent work back to the queue, and messages not
  pinned to it go out through the other phones;
* phones started from the configuration or through the API whose device matches a glob are
  watched the same way, so a configured dongle that is pulled and plugged back in is restarted
  with its own settings (its driver ends by itself when its port vanishes).

One ``modem_plugged`` and one ``modem_unplugged`` event is logged per appearance and vanishing.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import structlog

from smsd.config import HotplugConfig, LimitConfig, PhoneConfig
from smsd.errors import StoreError
from smsd.modem.backoff import backoff
from smsd.modem.ports import expand_globs, resolve
from smsd.modem.probe import ProbeResult, probe
from smsd.runtime.adapterdata import AdapterData
from smsd.runtime.engine import SERIAL_ADAPTER
from smsd.store import devices

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator, Sequence

    from smsd.runtime.engine import Engine
    from smsd.runtime.phones import PhoneRuntime
    from smsd.store.db import Database
    from smsd.store.rows import PhoneRow

    Prober = Callable[..., Awaitable[ProbeResult]]

SCAN_INTERVAL = 1.0
"""Seconds between two expansions of the device globs."""
PROBE_TIMEOUT = 5.0
"""Seconds one probe of a new path may take (a dongle just plugged in may still be booting)."""
RETRY_INITIAL = 2.0
RETRY_CAP = 60.0
"""Delays before probing again a path that gave no usable modem: 2 s doubling up to a minute."""
NEVER = math.inf


@dataclass
class _Tracked:
    """A present path: the node it leads to and what the watcher made of it."""

    target: str
    id_phone: int | None = None
    """The phone running on this path that the watcher stops when the path vanishes."""
    retry_at: float = 0.0
    """No usable modem here: when to probe again (``NEVER``: not while the path stays)."""
    delays: Iterator[float] = field(
        default_factory=lambda: backoff(initial=RETRY_INITIAL, cap=RETRY_CAP)
    )
    failures: int = 0


@dataclass(frozen=True)
class _Parked:
    """A phone stopped because its device vanished: how to start it again as it was."""

    key: str
    settings: PhoneConfig
    id_user: int


class HotplugWatcher:
    """Starts and stops phones as their devices appear and vanish under the watched globs."""

    def __init__(
        self,
        db: Database,
        engine: Engine,
        *,
        patterns: Sequence[str],
        id_user: int,
        baudrate: int = 115200,
        template: PhoneConfig | None = None,
        interval: float = SCAN_INTERVAL,
        probe_timeout: float = PROBE_TIMEOUT,
        prober: Prober = probe,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._engine = engine
        self._patterns = tuple(patterns)
        self._id_user = id_user
        self._baudrate = baudrate
        self._template = template or PhoneConfig(name="", device="")
        self._interval = interval
        self._probe_timeout = probe_timeout
        self._probe = prober
        self._clock = clock
        self._tracked: dict[str, _Tracked] = {}
        self._parked: dict[int, _Parked] = {}
        self._recorded: set[int] = set()
        self._log = structlog.get_logger("smsd.hotplug")

    async def run(self) -> None:
        """Scan until cancelled; a store fault is logged and the next scan tries again."""
        self._log.info("hotplug_watching", devices=list(self._patterns))
        while True:
            try:
                await self.scan()
            except StoreError as exc:
                self._log.error("hotplug_store_error", error=str(exc))
            await asyncio.sleep(self._interval)

    async def scan(self) -> None:
        """Look at the globs once and act on every change since the last look."""
        current = expand_globs(self._patterns)
        for path, tracked in list(self._tracked.items()):
            if current.get(path) != tracked.target:
                del self._tracked[path]
                await self._vanished(path, tracked)
        served = self._served()
        to_probe = [
            path
            for path, target in current.items()
            if await self._wants_probe(path, target, served)
        ]
        if to_probe:
            results = await asyncio.gather(*(self._probe_path(path) for path in to_probe))
            for path, result in zip(to_probe, results, strict=True):
                await self._probed(path, result)
        await self._record_identities()

    async def _wants_probe(self, path: str, target: str, served: dict[str, PhoneRuntime]) -> bool:
        """Whether the present ``path`` needs a probe now (its state is brought up to date)."""
        tracked = self._tracked.get(path)
        if tracked is not None and tracked.id_phone is not None:
            if await self._still_owned(path, tracked):
                return False
            tracked = self._tracked.get(path)
        running = served.get(target)
        if running is not None:
            # A configured or API phone is on it: watch it from now on.
            self._tracked[path] = _Tracked(target, id_phone=running.id_phone)
            return False
        if await self._restart_dormant(path, target):
            return False
        if tracked is None:
            tracked = self._tracked[path] = _Tracked(target)
        return self._clock() >= tracked.retry_at

    # ------------------------------------------------------------------ appearing

    async def _restart_dormant(self, path: str, target: str) -> bool:
        """Restart a phone configured on this very device whose driver ended (it was absent)."""
        for key, phone in list(self._engine.phones.items()):
            if phone.modem.gone and resolve(phone.settings.device) == target:
                await self._engine.add_phone(
                    phone.settings, key=key, id_phone=phone.id_phone, id_user=phone.id_user
                )
                self._tracked[path] = _Tracked(target, id_phone=phone.id_phone)
                self._log.info(
                    "modem_plugged",
                    device=path,
                    phone=phone.settings.name,
                    id_phone=phone.id_phone,
                    known=True,
                )
                return True
        return False

    async def _probe_path(self, path: str) -> ProbeResult:
        return await self._probe(path, baudrate=self._baudrate, timeout=self._probe_timeout)

    async def _probed(self, path: str, result: ProbeResult) -> None:
        tracked = self._tracked.get(path)
        if tracked is None:
            return
        if not result.answered or not result.identified:
            reason = result.detail or "no IMEI or ICCID"
            self._retry_later(path, tracked, reason)
            return
        running_here = self._served().get(tracked.target)
        if running_here is not None:  # a phone was started on it while the probe ran
            tracked.id_phone = running_here.id_phone
            return
        identity = result.identity
        row = await devices.find_phone(self._db, imei=identity.imei, iccid=identity.iccid)
        if row is not None and row.status == "disabled":
            tracked.retry_at = NEVER
            self._log.info("modem_plugged_disabled", device=path, phone=row.name, id_phone=row.id)
            return
        running = None if row is None else self._engine.phone_by_id(row.id)
        if running is not None and not running[1].modem.gone:
            # Another port of a dongle already in use (several ttys answer AT on some models).
            self._retry_later(path, tracked, f"modem already running as {running[1].settings.name}")
            return
        await self._start(path, tracked, result, row, running)

    async def _start(
        self,
        path: str,
        tracked: _Tracked,
        result: ProbeResult,
        row: PhoneRow | None,
        running: tuple[str, PhoneRuntime] | None,
    ) -> None:
        identity = result.identity
        if row is None:
            name = f"modem-{identity.imei}" if identity.imei else f"sim-{identity.iccid}"
            id_phone = await devices.create_device_phone(
                self._db,
                id_user=self._id_user,
                name=name,
                adapter=SERIAL_ADAPTER,
                device=path,
                baudrate=self._baudrate,
                imei=identity.imei,
                iccid=identity.iccid,
            )
            key, id_user = f"phone-{id_phone}", self._id_user
            settings = replace(self._template, name=name, device=path, baudrate=self._baudrate)
        else:
            id_phone = row.id
            await devices.record_device(
                self._db,
                id_phone,
                device=path,
                baudrate=self._baudrate,
                imei=identity.imei,
                iccid=identity.iccid,
            )
            key, settings, id_user = self._settings_for(row, path, running)
        await self._engine.add_phone(settings, key=key, id_phone=id_phone, id_user=id_user)
        tracked.id_phone = id_phone
        tracked.failures = 0
        self._recorded.add(id_phone)
        self._log.info(
            "modem_plugged",
            device=path,
            phone=settings.name,
            id_phone=id_phone,
            known=row is not None,
            imei=identity.imei,
            iccid=identity.iccid,
            manufacturer=identity.manufacturer,
            model=identity.model,
        )

    def _settings_for(
        self, row: PhoneRow, path: str, running: tuple[str, PhoneRuntime] | None
    ) -> tuple[str, PhoneConfig, int]:
        """Key, settings and owner to start a known phone with: as it last ran, on ``path``."""
        parked = self._parked.pop(row.id, None)
        if running is not None:
            key, phone = running
            return key, replace(phone.settings, device=path), phone.id_user
        if parked is not None:
            return parked.key, replace(parked.settings, device=path), parked.id_user
        pin = AdapterData.parse(row.adapter_data).pin
        settings = replace(
            self._template,
            name=row.name,
            device=path,
            baudrate=self._baudrate,
            pin=pin,
            priority=row.priority,
            limits=tuple(LimitConfig(volume, startpoint) for volume, startpoint in row.limits),
        )
        return f"phone-{row.id}", settings, row.id_user

    def _retry_later(self, path: str, tracked: _Tracked, reason: str) -> None:
        tracked.failures += 1
        delay = next(tracked.delays)
        tracked.retry_at = self._clock() + delay
        if tracked.failures == 1:
            self._log.info("modem_not_usable", device=path, reason=reason)
        else:
            self._log.debug(
                "modem_not_usable", device=path, reason=reason, retry_in=round(delay, 1)
            )

    # ------------------------------------------------------------------ vanishing

    async def _vanished(self, path: str, tracked: _Tracked) -> None:
        if tracked.id_phone is None:
            return
        running = self._engine.phone_by_id(tracked.id_phone)
        if running is None:
            return
        key, phone = running
        self._parked[phone.id_phone] = _Parked(key, phone.settings, phone.id_user)
        self._recorded.discard(phone.id_phone)
        await self._engine.remove_phone(key, final_status="unavailable")
        # Once stopped the driver says nothing more; if it saw its port vanish, it said so.
        (self._log.debug if phone.modem.gone else self._log.info)(
            "modem_unplugged", device=path, phone=phone.settings.name, id_phone=phone.id_phone
        )

    async def _still_owned(self, path: str, tracked: _Tracked) -> bool:
        """Whether the watched phone on the present ``path`` still runs there.

        A phone stopped by someone else (disabled or deleted through the API, a reload) makes the
        watcher leave the path alone until it vanishes. A phone whose modem ended (the device
        went and came back between two scans, as a modem reset re-enumerates) is treated as
        unplugged, and the path is probed again.
        """
        assert tracked.id_phone is not None
        running = self._engine.phone_by_id(tracked.id_phone)
        if running is None:
            tracked.id_phone = None
            tracked.retry_at = NEVER
            return False
        if running[1].modem.gone:
            del self._tracked[path]
            await self._vanished(path, tracked)
            return False
        return True

    def _served(self) -> dict[str, PhoneRuntime]:
        """Device nodes of the running phones whose modem has not ended."""
        served: dict[str, PhoneRuntime] = {}
        for phone in self._engine.phones.values():
            if not phone.modem.gone:
                served.setdefault(resolve(phone.settings.device), phone)
        return served

    async def _record_identities(self) -> None:
        """Store the IMEI and ICCID of watched phones the watcher did not probe itself."""
        for tracked in self._tracked.values():
            id_phone = tracked.id_phone
            if id_phone is None or id_phone in self._recorded:
                continue
            running = self._engine.phone_by_id(id_phone)
            if running is None or not running[1].modem.ready.is_set():
                continue
            phone = running[1]
            identity = phone.modem.identity
            if identity.imei or identity.iccid:
                await devices.record_device(
                    self._db,
                    id_phone,
                    device=phone.settings.device,
                    baudrate=phone.settings.baudrate,
                    imei=identity.imei,
                    iccid=identity.iccid,
                )
                self._recorded.add(id_phone)


def start_watcher(
    db: Database, engine: Engine, config: HotplugConfig, *, id_user: int
) -> asyncio.Task[None] | None:
    """Start the watcher of ``config.devices`` in a task; ``None`` when no glob is configured."""
    if not config.devices:
        return None
    watcher = HotplugWatcher(
        db, engine, patterns=config.devices, id_user=id_user, baudrate=config.baudrate
    )
    return asyncio.create_task(watcher.run(), name="hotplug")


async def stop_watcher(task: asyncio.Task[None] | None) -> None:
    """Stop a watcher started by :func:`start_watcher` and wait until it has ended."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


__all__ = ["PROBE_TIMEOUT", "SCAN_INTERVAL", "HotplugWatcher", "start_watcher", "stop_watcher"]
