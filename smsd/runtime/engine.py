"""The runtime as one object: phones with their modems, senders and receivers, and the dispatcher.

The daemon builds an :class:`Engine` over an open store, adds the configured phones (and the
hot-plug watcher adds and removes more), and runs it. The HTTP API is given :meth:`Engine.wake`
to call after it commits new messages. While the engine lives, a message due now is expanded as
it is accepted (:mod:`smsd.store.expansion`) and wakes the senders itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

import structlog

from smsd.modem.driver import Modem
from smsd.modem.settings import ModemConfig
from smsd.runtime.adapterdata import adapter_data
from smsd.runtime.dispatcher import Dispatcher, Render, ResolveConditional, plain, plan_segments
from smsd.runtime.memory import BurstRelease
from smsd.runtime.phones import PhoneRuntime
from smsd.runtime.receiver import PART_TIMEOUT, REPORT_WINDOW, Receiver
from smsd.runtime.sender import Sender
from smsd.runtime.supervision import supervised
from smsd.runtime.ussd import UssdService
from smsd.scheduling import eligible_for_unpinned
from smsd.store import accounts, outbox
from smsd.store import ussd as ussd_store
from smsd.store.expansion import AcceptClaim, AcceptExpansion

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from smsd.config import PhoneConfig
    from smsd.runtime.quiet import QuietPolicy
    from smsd.store.db import Database

HOUSEKEEPING = 5.0
"""Seconds between phone-status syncs to the store (no write unless a status changed)."""
PART_SWEEP = 60.0
"""Seconds between looks for incomplete incoming messages whose parts stopped coming (they wait
``[daemon] part_timeout``, half an hour by default: a minute late is nothing; a shorter
``part_timeout`` is looked at that often)."""
# Adapter names shown in the API's phone rows, in RaspiSMS's "namespace\\Class" form.
VIRTUAL_ADAPTER = "adapters\\TestAdapter"
SERIAL_ADAPTER = "adapters\\SerialModemAdapter"


class Engine:
    """Everything that moves messages between the store and the modems."""

    def __init__(
        self,
        db: Database,
        *,
        id_user: int,
        render: Render = plain,
        resolve_conditional: ResolveConditional | None = None,
        at_least_once: bool = False,
        report_window: float = REPORT_WINDOW,
        part_timeout: float = PART_TIMEOUT,
        clock: Callable[[], float] = time.time,
        quiet: QuietPolicy | None = None,
    ) -> None:
        self._db = db
        self._report_window = report_window
        self._part_timeout = part_timeout
        self._id_user = id_user
        self._clock = clock
        self._at_least_once = at_least_once
        self.phones: dict[str, PhoneRuntime] = {}
        self._receivers: dict[str, Receiver] = {}
        self.dispatcher = Dispatcher(
            db,
            wake_senders=self.wake_senders,
            render=render,
            resolve_conditional=resolve_conditional,
            clock=clock,
            quiet=quiet,
        )
        self._senders: dict[str, Sender] = {}
        self._accepting = AcceptExpansion(
            render=render, plan=plan_segments, wake=self.wake_for, claimant=self.claimant
        )
        db.accept_expansion = self._accepting
        self._tasks: set[asyncio.Task[None]] = set()
        self._statuses: dict[int, str] = {}
        self._log = structlog.get_logger("smsd.engine")
        self.ussd = UssdService(db, self._running, clock=clock)
        """USSD sessions over the running phones (the API's door reaches it)."""
        self.memory = BurstRelease(db)
        """Hands memory back once a burst is over (looked at by the housekeeping)."""

    # ------------------------------------------------------------------ lifecycle

    async def recover(self) -> int:
        """Settle what a previous run left in ``sending`` (see the store's recovery rule)."""
        count = await outbox.recover_interrupted(self._db, at_least_once=self._at_least_once)
        if count:
            self._log.warning("sending_interrupted", messages=count, resent=self._at_least_once)
        if closed := await ussd_store.close_open_sessions(self._db, now=self._clock()):
            self._log.info("ussd_sessions_interrupted", sessions=closed)
        return count

    async def run(self) -> None:
        """Run the dispatcher and housekeeping until cancelled; phones run in their own tasks."""
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(supervised("dispatcher", self.dispatcher.run))
                group.create_task(supervised("housekeeping", self._housekeeping))
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop every phone: modems close their ports, senders finish the segment in flight."""
        if self._db.accept_expansion is self._accepting:
            self._db.accept_expansion = None  # what comes now waits for the next start
        await self.ussd.close()
        for name in list(self.phones):
            await self.remove_phone(name)

    def wake(self) -> None:
        """New scheduled messages were committed (the API calls this).

        Skipped when the caller's last write expanded every message it accepted (they are
        queued, and the senders were woken): the dispatcher would find nothing.
        """
        if self._db.dispatcher_needed():
            self.dispatcher.wake()

    def wake_senders(self) -> None:
        """New outgoing messages are queued: every idle sender looks at once."""
        for phone in self.phones.values():
            phone.work.set()

    def wake_for(self, messages: int, free: bool) -> None:  # noqa: FBT001 - the store's hook
        """``messages`` new outgoing messages were queued as they were accepted.

        Free ones (neither pinned nor grouped) may go through any available phone of the top
        priority: as many idle ones as there are messages are woken, not every sender (the
        others would only lose the claim and read their timers again); a busy phone claims its
        next message when its send ends. Anything else wakes every sender.
        """
        phones = list(self.phones.values())
        candidates = [p.candidate() for p in phones]
        takers = [p for p in phones if eligible_for_unpinned(p.candidate(), candidates)]
        idle = [p for p in takers if not p.busy]
        if not free or not idle:
            self.wake_senders()
            return
        for phone in idle[:messages]:
            phone.work.set()

    def claimant(self) -> AcceptClaim | None:
        """An idle phone that claims a free message in the transaction accepting it, if any.

        Among the phones that may take free messages (the top priority available), the first
        whose sender can claim at once without a read (:meth:`Sender.offer`).
        """
        phones = list(self.phones.items())
        if all(phone.busy for _, phone in phones):  # the usual case under load: ask no one
            return None
        candidates = [p.candidate() for _, p in phones]
        now = self._clock()
        for name, phone in phones:
            sender = self._senders.get(name)
            if sender is None or phone.busy:
                continue
            if not eligible_for_unpinned(phone.candidate(), candidates):
                continue
            if (offer := sender.offer(now)) is not None:
                return offer
        return None

    # ------------------------------------------------------------------ phones

    async def add_phone(
        self,
        settings: PhoneConfig,
        *,
        key: str | None = None,
        id_phone: int | None = None,
        id_user: int | None = None,
    ) -> PhoneRuntime:
        """Start the modem, sender and receiver of a phone; return its runtime.

        Without ``id_phone`` the phone is a configured one: it is registered in the store (by
        name, for the engine's user) first. With ``id_phone`` it already exists there (created
        through the API by ``id_user``). ``key`` names it in :attr:`phones` (default: its name).
        """
        key = key or settings.name
        if key in self.phones:
            await self.remove_phone(key, final_status=None)
        owner = self._id_user if id_user is None else id_user
        if id_phone is None:
            id_phone = await accounts.sync_phone(
                self._db,
                id_user=owner,
                name=settings.name,
                adapter=VIRTUAL_ADAPTER if settings.device == "virtual" else SERIAL_ADAPTER,
                adapter_data=adapter_data(settings),
                priority=settings.priority,
                limits=[(limit.volume, limit.startpoint) for limit in settings.limits],
            )
        receiver = Receiver(
            self._db,
            id_phone=id_phone,
            id_user=owner,
            name=settings.name,
            clock=self._clock,
            report_window=self._report_window,
            part_timeout=self._part_timeout,
            on_stored=self.wake,
        )
        modem = Modem(
            ModemConfig.of(settings),
            on_incoming=receiver.handle,
        )
        phone = PhoneRuntime(id_phone=id_phone, id_user=owner, settings=settings, modem=modem)
        sender = Sender(
            self._db, phone, peers=lambda: list(self.phones.values()), clock=self._clock
        )
        phone.tasks = [  # the modem's first: remove_phone stops it after the senders
            self._spawn(supervised(f"modem:{settings.name}", modem.run), f"modem:{settings.name}"),
            self._spawn(
                supervised(f"sender:{settings.name}", sender.run), f"sender:{settings.name}"
            ),
        ]
        if settings.balance_ussd is not None:
            from smsd.runtime.balance import BalanceWatch  # noqa: PLC0415 - only when used

            watch = BalanceWatch(
                self._db, phone, self.ussd, wake=self.wake_senders, clock=self._clock
            )
            name = f"balance:{settings.name}"
            phone.tasks.append(self._spawn(supervised(name, watch.run), name))
        self.phones[key] = phone
        self._receivers[key] = receiver
        self._senders[key] = sender
        self._log.info(
            "phone_added", modem=settings.name, device=settings.device, id_phone=id_phone
        )
        return phone

    def _running(self, id_phone: int) -> PhoneRuntime | None:
        found = self.phone_by_id(id_phone)
        return None if found is None else found[1]

    def phone_by_id(self, id_phone: int) -> tuple[str, PhoneRuntime] | None:
        """The key and runtime of the running phone ``id_phone``."""
        for key, phone in self.phones.items():
            if phone.id_phone == id_phone:
                return key, phone
        return None

    async def remove_phone(self, name: str, *, final_status: str | None = "unavailable") -> None:
        """Stop a phone (device unplugged, removed from the configuration, deleted, disabled).

        ``final_status`` is stored for it afterwards (``None`` leaves the stored status alone,
        e.g. ``disabled`` set through the API).
        """
        phone = self.phones.pop(name, None)
        self._receivers.pop(name, None)
        self._senders.pop(name, None)
        if phone is None:
            return
        # Senders first (every task after the modem's): each finishes and records the segment
        # in flight and hands the rest of its message back while the modem still answers.
        modem_tasks, senders = phone.tasks[:1], phone.tasks[1:]
        await _cancel(senders)
        phone.modem.stop()
        await _cancel(modem_tasks)
        if final_status is not None:
            await self._sync_status(phone, final_status)
        self.wake_senders()
        self._log.info("phone_removed", modem=name)

    # ------------------------------------------------------------------ internals

    def _spawn(self, coro: Awaitable[None], name: str) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _housekeeping(self) -> None:
        next_sweep = 0.0
        while True:
            sweep = time.monotonic() >= next_sweep
            if sweep:
                next_sweep = time.monotonic() + min(PART_SWEEP, self._part_timeout)
            for name, phone in list(self.phones.items()):
                await self._sync_status(phone, phone.status.value)
                receiver = self._receivers.get(name)
                if receiver is not None and sweep:
                    await receiver.expire_parts()
                if phone.modem.gone:
                    self._log.info("phone_gone", modem=name)
            await self.memory.tick(self._activity())
            await asyncio.sleep(HOUSEKEEPING)

    def _activity(self) -> list[int]:
        """Each phone's running totals of segments sent and messages received."""
        counts = []
        for phone in self.phones.values():
            counters = phone.modem.counters
            counts += [counters.segments_sent, counters.received]
        return counts

    async def _sync_status(self, phone: PhoneRuntime, status: str) -> None:
        if self._statuses.get(phone.id_phone) != status:
            await accounts.set_phone_status(self._db, phone.id_phone, status)
            self._statuses[phone.id_phone] = status
            self.wake_senders()  # a phone came up or went: who may take what changed


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel ``tasks`` and wait until each has ended (whatever it ended with)."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
