"""The composition root: open the store, start the modems and the API, and shut down in order.

One event loop runs everything. :func:`serve` opens the store (integrity check and migrations),
makes sure the configured users exist (or creates one and prints its key once), recovers what a
previous run left in ``sending``, starts one driver, sender and receiver per phone and the
dispatcher, then the HTTP API. systemd hears ``READY=1`` only when the store is open and the API
listens, ``WATCHDOG=1`` from the loop itself (a hung loop is restarted), ``STATUS=`` with the
modems up and the queue depth, and ``STOPPING=1`` when a stop begins.

The HTTP server is embedded with aiohttp's ``AppRunner`` (rather than ``run_app``) so the daemon
owns the shutdown order: stop taking requests, let senders finish the segment in flight, stop the
modems, close the store.

Signals: SIGTERM and SIGINT stop; SIGHUP reloads phones, limits and users from the configuration
file (settings that need a restart are named in the log).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from typing import TYPE_CHECKING, Protocol

import structlog

from smsd import systemd
from smsd.api.render import make_render, resolve_conditional
from smsd.api.state import PhoneSnapshot
from smsd.config import Config, LimitConfig, PhoneConfig, load_config
from smsd.errors import ConfigError, StoreError
from smsd.matching import definition_of
from smsd.mqtt import MqttBridge
from smsd.runtime.coreoptions import apply_core_options
from smsd.runtime.engine import Engine
from smsd.runtime.hotplug import start_watcher, stop_watcher
from smsd.runtime.quiet import QuietPolicy
from smsd.runtime.reliability import ReliabilityWatch
from smsd.runtime.rules import RuleRunner
from smsd.store import accounts
from smsd.store import mqtt as mqtt_store
from smsd.store import rules as rules_store
from smsd.store.db import Database
from smsd.store.reports import queue_depth
from smsd.web import api_factory as default_api_factory
from smsd.webhooks import KeyRing, WebhookSender
from smsd.webhooks.mailer import Mailer

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from smsd.mailin import MailListener
    from smsd.store.rows import PhoneRow

STATUS_INTERVAL = 10.0
DEFAULT_EMAIL = "admin@localhost"


class Api(Protocol):
    """The HTTP side as the daemon drives it."""

    async def start(self) -> str:
        """Start listening; return the address."""

    async def stop(self) -> None:
        """Stop taking requests and close connections."""


async def ensure_users(
    db: Database,
    config: Config,
    *,
    announce: Callable[[str], None],
    keys: KeyRing | None = None,
) -> int:
    """Create or update the configured users; return the id that owns the configured phones.

    With no user configured and none in the database, one admin is created and its API key is
    printed once. The keys seen in clear here go to ``keys`` (in memory only).
    """
    admins: list[int] = []
    others: list[int] = []
    for user in config.users:
        id_user = await accounts.ensure_user(
            db, email=user.email, api_key=user.api_key, admin=user.admin
        )
        if keys is not None:
            keys.remember(id_user, user.api_key)
        (admins if user.admin else others).append(id_user)
    if admins or others:
        return (admins or others)[0]
    found = await db.fetchone("SELECT id FROM user WHERE admin = 1 ORDER BY id LIMIT 1")
    if found is not None:
        return int(found["id"])
    api_key = accounts.generate_key()  # RaspiSMS's key format: 32 lowercase hex characters
    id_user = await accounts.ensure_user(db, email=DEFAULT_EMAIL, api_key=api_key, admin=True)
    if keys is not None:
        keys.remember(id_user, api_key)
    announce(f"smsd: created user {DEFAULT_EMAIL} with API key {api_key} (shown once)")
    return id_user


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
        try:
            data = json.loads(row.adapter_data)
        except ValueError:
            data = {}
        device = str(data.get("device", "")) if isinstance(data, dict) else ""
        if not device:
            self._log.warning("phone_without_device", phone=row.name, id_phone=row.id)
            return
        pin = data.get("pin")
        settings = PhoneConfig(
            name=row.name,
            device=device,
            baudrate=int(data.get("baudrate") or 115200),
            pin=str(pin) if pin else None,
            priority=row.priority,
            limits=tuple(LimitConfig(volume, startpoint) for volume, startpoint in row.limits),
        )
        await self._engine.add_phone(
            settings, key=f"phone-{row.id}", id_phone=row.id, id_user=row.id_user
        )


class Daemon:
    """The running daemon: store, engine, API, and the signals that steer them."""

    def __init__(
        self,
        config: Config,
        *,
        api_factory: Callable[..., Api] | None = default_api_factory,
        announce: Callable[[str], None] = print,
    ) -> None:
        self.config = config
        self._api_factory = api_factory
        self._announce = announce
        self._stop = asyncio.Event()
        self._reload = asyncio.Event()
        self._log = structlog.get_logger("smsd.daemon")
        self.db: Database | None = None
        self.engine: Engine | None = None
        self._keys = KeyRing()
        """API keys seen in clear (configuration, generated, authenticated), in memory only."""
        self._rules: asyncio.Task[None] | None = None
        self._mail_in: MailListener | None = None
        self._bridge: MqttBridge | None = None

    def stop(self) -> None:
        """Begin a clean stop (SIGTERM)."""
        self._stop.set()

    def reload(self) -> None:
        """Re-read the configuration file (SIGHUP)."""
        self._reload.set()

    async def serve(self) -> int:
        """Run until stopped; return the process exit code."""
        loop = asyncio.get_running_loop()
        for sig, handler in (
            (signal.SIGTERM, self.stop),
            (signal.SIGINT, self.stop),
            (signal.SIGHUP, self.reload),
        ):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, handler)
        config = self.config
        try:
            self.db = db = await Database.open(
                config.daemon.database, check=config.daemon.integrity_check
            )
        except StoreError as exc:
            self._log.error("store_unusable", database=str(config.daemon.database), error=str(exc))
            return 1
        api: Api | None = None
        engine_task: asyncio.Task[None] | None = None
        hotplug: asyncio.Task[None] | None = None
        reliability: asyncio.Task[None] | None = None
        keys = self._keys
        mailer = Mailer(config.smtp) if config.smtp is not None else None
        webhooks = WebhookSender(db, config.webhooks, keys=keys, mailer=mailer)
        try:
            owner = await ensure_users(db, config, announce=self._announce, keys=keys)
            await sync_rules(db, config)
            self.engine = engine = Engine(
                db,
                id_user=owner,
                render=make_render(),
                resolve_conditional=resolve_conditional,
                at_least_once=config.daemon.at_least_once,
                quiet=QuietPolicy(config.quiet_hours),
            )
            await apply_core_options(db, config)
            await engine.recover()
            await webhooks.start()
            engine_task = asyncio.create_task(engine.run(), name="engine")
            phones = await self._start_phones(db, engine, owner)
            reliability = asyncio.create_task(
                ReliabilityWatch(db, on_disable=phones.apply).run(), name="reliability"
            )
            hotplug = start_watcher(db, engine, config.hotplug, id_user=owner)
            await self._start_mqtt(db, engine, phones, owner)
            await self._start_inbound(db, engine, webhooks)
            if self._api_factory is not None:
                api = self._api_factory(
                    config, db, engine.wake, phones=phones, keys=keys, ussd=engine.ussd
                )
                address = await api.start()
                self._log.info("api_listening", address=address)
            systemd.ready(status=self._status_text())
            self._log.info(
                "daemon_ready", phones=len(config.phones), database=str(config.daemon.database)
            )
            await self._main_loop()
        except ConfigError as exc:  # a setting only the store can check ([mqtt] user)
            return self._refused(exc)
        finally:
            systemd.stopping()
            self._log.info("daemon_stopping")
            if api is not None:
                await api.stop()
            await self._stop_inbound()
            await stop_watcher(hotplug)
            await _cancel(reliability)
            await _cancel(engine_task)
            await webhooks.stop()
            await db.close()
            self._log.info("daemon_stopped")
        return 0

    async def _start_inbound(self, db: Database, engine: Engine, webhooks: WebhookSender) -> None:
        """Start the incoming rules and, when enabled, the e-mail to SMS listener."""
        config = self.config
        runner = RuleRunner(db, commands=config.commands, mail=config.smtp is not None,
                            wake_dispatcher=engine.wake, wake_outbox=webhooks.wake)  # fmt: skip
        self._rules = asyncio.create_task(runner.run(), name="rules")
        if config.email_in.enabled:
            from smsd.mailin import MailListener  # noqa: PLC0415 - aiosmtpd loads only when enabled

            self._mail_in = MailListener(db, config.email_in, wake=engine.wake)
            self._log.info("email_in_listening", address=await self._mail_in.start())

    async def _stop_inbound(self) -> None:
        """Stop the MQTT bridge and taking mail, then the rules (commands running are ended)."""
        bridge, self._bridge = self._bridge, None
        if bridge is not None:
            await bridge.stop()
        mail_in, self._mail_in = self._mail_in, None
        if mail_in is not None:
            await mail_in.stop()
        rules, self._rules = self._rules, None
        await _cancel(rules)

    async def _start_phones(self, db: Database, engine: Engine, owner: int) -> DaemonPhones:
        """Start the configured phones, then those created through the API."""
        stored = await accounts.phones(db)
        disabled = {row.name for row in stored if row.id_user == owner and row.status == "disabled"}
        for phone in self.config.phones:
            if phone.name in disabled:
                # Disabled through the API or by the reliability check: it stays off until its
                # status is changed there, whatever the configuration file says.
                self._log.warning("phone_disabled", modem=phone.name)
                continue
            await engine.add_phone(phone)
        phones = DaemonPhones(db, engine, {phone.name for phone in self.config.phones})
        await phones.start_all(owner, stored)
        return phones

    def _refused(self, exc: ConfigError) -> int:
        """Log a setting refused at start; the exit code."""
        self._log.error("config_refused", error=str(exc))
        return 1

    async def _start_mqtt(
        self, db: Database, engine: Engine, phones: DaemonPhones, owner: int
    ) -> None:
        """Start the MQTT bridge if ``[mqtt] enabled``; else make sure no event waits for it."""
        settings = self.config.mqtt
        if not settings.enabled:
            await mqtt_store.stop_events(db)
            return
        id_user = owner
        if settings.user is not None:
            found = await mqtt_store.user_id(db, settings.user)
            if found is None:
                raise ConfigError(f"mqtt.user: no user with the e-mail {settings.user!r}")
            id_user = found
        bridge = MqttBridge(db, settings, id_user=id_user, phones=phones.snapshot, wake=engine.wake)
        await bridge.start()
        self._bridge = bridge

    async def _main_loop(self) -> None:
        interval = systemd.watchdog_interval()
        tick = min(STATUS_INTERVAL, interval) if interval else STATUS_INTERVAL
        last_status = 0.0
        while not self._stop.is_set():
            stop = asyncio.ensure_future(self._stop.wait())
            reload = asyncio.ensure_future(self._reload.wait())
            try:
                await asyncio.wait(
                    {stop, reload}, timeout=tick, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                stop.cancel()
                reload.cancel()
            if interval:
                systemd.watchdog()
            if self._reload.is_set():
                self._reload.clear()
                await self._apply_reload()
            now = time.monotonic()
            if now - last_status >= STATUS_INTERVAL:
                last_status = now
                await self._report_status()

    def _status_text(self, depth: int | None = None) -> str:
        engine = self.engine
        up = sum(1 for p in engine.phones.values() if p.available) if engine else 0
        total = len(engine.phones) if engine else 0
        queue = "" if depth is None else f", {depth} queued"
        return f"{up}/{total} modems up{queue}"

    async def _report_status(self) -> None:
        if self.db is None or not systemd.under_systemd():
            return  # nobody reads STATUS=: no query
        try:
            depth = await queue_depth(self.db)
        except StoreError:
            depth = None
        systemd.status(self._status_text(depth))

    async def _apply_reload(self) -> None:
        source = self.config.source
        if source is None or self.engine is None or self.db is None:
            self._log.info("reload_ignored", reason="running on the embedded default")
            return
        try:
            fresh = load_config(source)
        except ConfigError as exc:
            self._log.error("reload_refused", error=str(exc))
            return
        for key in ("daemon", "api", "commands", "smtp", "email_in"):
            if getattr(fresh, key) != getattr(self.config, key):
                self._log.warning("reload_needs_restart", section=key)
        await ensure_users(self.db, fresh, announce=self._announce, keys=self._keys)
        await sync_rules(self.db, fresh)
        old = {phone.name: phone for phone in self.config.phones}
        new = {phone.name: phone for phone in fresh.phones}
        for name in old.keys() - new.keys():
            await self.engine.remove_phone(name)
        for name, phone in new.items():
            if old.get(name) != phone:
                await self.engine.add_phone(phone)
        # [billing], [stop], [quiet_hours]: new values at once, held messages judged again.
        self.engine.dispatcher.use_quiet(QuietPolicy(fresh.quiet_hours))
        await apply_core_options(self.db, fresh)
        self.engine.wake()
        self.config = fresh
        self._log.info("reloaded", phones=len(new))


async def sync_rules(db: Database, config: Config) -> None:
    """Write the configuration's ``[[rules]]`` and the users' ``transfer`` setting."""
    await rules_store.sync_config_rules(
        db,
        [(r.user, json.dumps(definition_of(r.rule))) for r in config.rules],
        [(u.email, u.transfer) for u in config.users if u.transfer is not None],
    )


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def run(config: Config, **kwargs: object) -> int:
    """Run the daemon in the foreground until it stops; return the exit code."""
    daemon = Daemon(config, **kwargs)  # type: ignore[arg-type]
    try:
        return asyncio.run(daemon.serve())
    except KeyboardInterrupt:
        return 0
    finally:
        sys.stdout.flush()
