"""One modem, kept alive: connect, initialise, serve, and rebuild after any failure.

The driver owns a modem for the life of the daemon. It opens the port, builds a
:class:`~smsd.modem.session.Session`, then serves: it reads what the modem announces
(``+CMTI``, ``+CMT``, ``+CDS``, ``+CDSI``, registration changes, calls), sweeps the storage
periodically (``AT+CMGL=4``) so that nothing is missed when an indication is lost, and checks
the modem's health. When anything breaks it tears the whole stack down, waits a delay from a
capped exponential backoff, and builds it again (never repairs). A port that vanished (USB
unplug) ends the driver; the hot-plug watcher starts a new one when the device comes back.

Received messages are handed up through an awaited callback and deleted from the modem only
after it returns: the layer above commits them to the database first.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog

from smsd.at import commands
from smsd.at.errors import AtError, AtTimeout, ChannelClosed, CommandFailed, ProtocolViolation
from smsd.errors import ModemError, ModemUnavailableError, PinRefusedError, SendError, UssdError
from smsd.log import LogOnce
from smsd.model import PhoneStatus
from smsd.modem.backoff import backoff
from smsd.modem.callcontrol import CallControl
from smsd.modem.calls import CALL_URCS, CallTracker
from smsd.modem.events import Incoming, Received, decode_incoming
from smsd.modem.port import VIRTUAL, open_port, port_present, start_virtual
from smsd.modem.session import Identity, Network, Session
from smsd.modem.settings import Counters, ModemConfig, count_incoming
from smsd.modem.ussd import UssdAnswer, UssdLink

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator, Sequence

    from smsd import pdu
    from smsd.at.events import Urc
    from smsd.at.transport import AtTransport
    from smsd.modem.virtual import PtyModem

# URCs after which the modem has rebooted by itself and lost its settings.
_REBOOT_URCS = frozenset({"RDY", "^SYSSTART", "+QUSIM", "SMS READY", "+PBREADY"})


@dataclass
class _State:
    status: PhoneStatus = PhoneStatus.UNAVAILABLE
    last_error: str = ""
    identity: Identity = field(default_factory=Identity)
    network: Network = field(default_factory=Network)
    last_seen: float | None = None


class Modem:
    """A modem supervised for the life of the daemon."""

    def __init__(
        self,
        config: ModemConfig,
        *,
        on_incoming: Callable[[Incoming], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.name = config.name
        self.counters = Counters()
        self._state = _State()
        self._on_incoming = on_incoming
        self._clock = clock
        self._session: Session | None = None
        self._transport: AtTransport | None = None
        self._virtual: PtyModem | None = None
        self._stopping = asyncio.Event()
        self.ready = asyncio.Event()
        self.gone = False
        self._log = structlog.get_logger("smsd.modem").bind(modem=config.name)
        self._once = LogOnce()
        tracker = CallTracker(config.name, hangup=config.hangup_calls)
        self._calls = CallControl(tracker, hand_up=on_incoming, log=self._log, clock=clock)
        self._ussd = UssdLink(config.name, self._log)

    # ------------------------------------------------------------------ public state

    @property
    def status(self) -> PhoneStatus:
        """RaspiSMS-style status: available only when connected and registered."""
        return self._state.status

    @property
    def last_error(self) -> str:
        """The last fault seen, for status pages and logs."""
        return self._state.last_error

    @property
    def identity(self) -> Identity:
        """Manufacturer, model, IMEI, IMSI, ICCID, number, SMSC as last read."""
        return self._state.identity

    @property
    def network(self) -> Network:
        """Registration, operator and signal as last read."""
        return self._state.network

    @property
    def last_seen(self) -> float | None:
        """Unix seconds the modem last answered a network check (``None``: never)."""
        return self._state.last_seen

    @property
    def virtual(self) -> PtyModem | None:
        """The built-in virtual modem behind this driver, when ``device = "virtual"``."""
        return self._virtual

    # ------------------------------------------------------------------ sending

    async def send(self, segments: Sequence[pdu.EncodedPdu]) -> list[int]:
        """Submit the segments of one message; return their message references.

        Raises :class:`ModemUnavailableError` when the modem cannot take work now (the caller
        fails over to another modem) and :class:`SendError` when a segment fails.
        """
        session = self._session
        if session is None or not self.ready.is_set():
            raise ModemUnavailableError(f"modem {self.name} is not connected", modem=self.name)
        if self._state.status is not PhoneStatus.AVAILABLE:
            reason = self._state.last_error or self._state.status.value
            raise ModemUnavailableError(f"modem {self.name} unavailable: {reason}", modem=self.name)
        try:
            references = await session.submit(segments)
        except SendError as exc:
            self.counters.send_failures += 1
            self.counters.segments_sent += len(exc.sent_references)
            # A storm of refusals (+CMS ERROR: 500 for every submit) is one fault: logged at
            # WARNING once, then at DEBUG until a submit succeeds again.
            self._once.warn(
                self._log,
                "submit_failed",
                "sms_submit_failed",
                error=str(exc),
                permanent=exc.permanent,
                uncertain=exc.uncertain,
                submitted=len(exc.sent_references),
                segments=len(segments),
            )
            raise
        self.counters.segments_sent += len(references)
        # The message's own event (``sms_sent``, with every reference) is the sender's.
        self._log.debug("sms_submitted", segments=len(segments), references=references)
        if self._once.clear("submit_failed"):
            self._log.info("sms_submit_recovered")
        return references

    # ------------------------------------------------------------------ USSD

    async def ussd(self, text: str, *, timeout: float) -> UssdAnswer:
        """Send a USSD code or menu reply and return the network's answer.

        One exchange at a time; SMS submits interleave with the wait (the command lock is held
        only for ``AT+CUSD`` itself). Raises :class:`ModemUnavailableError` when not connected,
        :class:`UssdError` when refused or unanswered within ``timeout`` (then cancelled).
        """
        session = self._session
        if session is None or not self.ready.is_set():
            raise ModemUnavailableError(f"modem {self.name} is not connected", modem=self.name)
        try:
            return await self._ussd.exchange(
                session.transport,
                session.quirks,
                text,
                timeout=timeout,
                command_timeout=self.config.command_timeout,
            )
        except (AtTimeout, ChannelClosed, ProtocolViolation) as exc:
            raise UssdError(f"USSD request failed: {exc}", modem=self.name) from exc

    async def ussd_cancel(self) -> None:
        """End the USSD session in progress (``AT+CUSD=2``), if the modem is connected."""
        session = self._session
        if session is not None and self.ready.is_set():
            with contextlib.suppress(AtTimeout, ChannelClosed, ProtocolViolation):
                await self._ussd.cancel(
                    session.transport, command_timeout=self.config.command_timeout
                )

    # ------------------------------------------------------------------ lifecycle

    def stop(self) -> None:
        """Ask :meth:`run` to end after tearing the connection down."""
        self._stopping.set()

    async def run(self) -> None:
        """Connect, serve and rebuild until :meth:`stop`, a vanished port, or a refused PIN."""
        delays = self._new_backoff()
        try:
            while not self._stopping.is_set():
                try:
                    await self._connect()
                    if self._once.clear("unavailable"):
                        self._log.info("modem_back")
                    delays = self._new_backoff()
                    await self._serve()
                except PinRefusedError as exc:
                    self._fail(str(exc))
                    self._log.error("modem_sim_locked", error=str(exc))
                    return
                except (AtError, ModemError, OSError) as exc:
                    self._fail(f"{type(exc).__name__}: {exc}")
                finally:
                    await self._teardown()
                if self._stopping.is_set():
                    return
                if not port_present(self.config.device):
                    self.gone = True
                    self._log.warning("modem_unplugged", device=self.config.device)
                    return
                self.counters.resets += 1
                delay = next(delays)
                self._once.warn(
                    self._log,
                    "unavailable",
                    "modem_unavailable",
                    error=self.last_error,
                    retry_in=round(delay, 1),
                )
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._stopping.wait()
        finally:
            if self._virtual is not None:
                await self._virtual.stop()
                self._virtual = None

    def _new_backoff(self) -> Iterator[float]:
        return backoff(initial=self.config.backoff_initial, cap=self.config.backoff_cap)

    def _fail(self, reason: str) -> None:
        self._state.status = PhoneStatus.UNAVAILABLE
        self._state.last_error = reason
        self.ready.clear()

    async def _connect(self) -> None:
        device = self.config.device
        if device == VIRTUAL:
            if self._virtual is None:
                self._virtual = await start_virtual(self.name)
            device = self._virtual.path
        self._log.debug("modem_connecting", device=self.config.device)
        self._transport = await open_port(
            device,
            baudrate=self.config.baudrate,
            name=self.name,
            default_timeout=self.config.command_timeout,
        )
        session = Session(
            self._transport,
            name=self.name,
            pin=self.config.pin,
            submit_timeout=self.config.submit_timeout,
        )
        await session.probe(attempts=self.config.probe_attempts)
        await session.initialise()
        identity = await session.read_identity()
        self._state.identity = identity
        await self._refresh_network(session)
        self._session = session
        self.ready.set()
        self._log.info(
            "modem_ready",
            manufacturer=identity.manufacturer,
            model=identity.model,
            imei=identity.imei,
            operator=self.network.operator,
            signal_dbm=self.network.dbm,
            registered=self.network.registered,
        )

    async def _teardown(self) -> None:
        self.ready.clear()
        self._session = None
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
            with contextlib.suppress(AtError, OSError, TimeoutError):
                async with asyncio.timeout(2.0):
                    await transport.wait_closed()

    # ------------------------------------------------------------------ serving

    async def _serve(self) -> None:
        session = self._session
        transport = self._transport
        assert session is not None
        assert transport is not None
        closed = asyncio.ensure_future(transport.wait_closed())
        next_sweep = self._clock()
        next_health = self._clock() + self.config.health_interval
        health_failures = 0
        try:
            while not self._stopping.is_set():
                now = self._clock()
                if now >= next_sweep:
                    if not await self._sweep(session) and self._once.clear("storage_full"):
                        self._log.info("modem_storage_freed")
                    next_sweep = self._clock() + self.config.poll_interval
                if now >= next_health:
                    health_failures = await self._health(session, health_failures)
                    next_health = self._clock() + self.config.health_interval
                await self._calls.tick(transport)
                if transport.closed:
                    raise ChannelClosed("port closed")
                due = min(next_sweep, next_health, self._calls.deadline)
                wait = max(0.0, due - self._clock())
                urc = await self._next_urc(transport, closed, wait)
                if urc is not None:
                    await self._on_urc(session, urc)
        finally:
            closed.cancel()

    async def _next_urc(
        self, transport: AtTransport, closed: asyncio.Future[None], wait: float
    ) -> Urc | None:
        if not transport.urcs.empty():
            return transport.urcs.get_nowait()
        getter = asyncio.ensure_future(transport.urcs.get())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            waiting: set[asyncio.Future[object]] = {getter, closed, stopping}  # type: ignore[arg-type]
            await asyncio.wait(waiting, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not getter.done():
                getter.cancel()
        if getter.done() and not getter.cancelled():
            return getter.result()
        if closed.done():
            raise ChannelClosed("port closed")
        return None

    async def _health(self, session: Session, failures: int) -> int:
        try:
            await session.transport.command("AT", timeout=self.config.command_timeout)
            await self._refresh_network(session)
        except (AtTimeout, CommandFailed) as exc:
            failures += 1
            self._log.debug("health_check_failed", error=str(exc), failures=failures)
            if failures >= 2:
                raise ProtocolViolation("modem stopped answering health checks") from exc
            return failures
        return 0

    async def _refresh_network(self, session: Session) -> None:
        network = await session.read_network()
        self._state.network = network
        self._state.last_seen = time.time()
        self._update_status()

    def _update_status(self) -> None:
        if self._state.network.registered:
            if self._state.status is PhoneStatus.UNAVAILABLE:
                self._state.status = PhoneStatus.AVAILABLE
                self._state.last_error = ""
                if self._once.clear("unregistered"):
                    self._log.info("network_registered", operator=self._state.network.operator)
        elif self._state.status is not PhoneStatus.UNAVAILABLE or not self._state.last_error:
            self._state.status = PhoneStatus.UNAVAILABLE
            self._state.last_error = f"not registered ({self._state.network.registration})"
            self._once.warn(
                self._log,
                "unregistered",
                "network_lost",
                registration=self._state.network.registration,
            )

    def set_status(self, status: PhoneStatus, reason: str = "") -> None:
        """Set ``no_credit`` or ``limit_reached`` from above (or clear them with ``AVAILABLE``)."""
        if status is PhoneStatus.AVAILABLE:
            self._state.status = PhoneStatus.UNAVAILABLE
            self._state.last_error = ""
            self._update_status()
            return
        self._state.status = status
        self._state.last_error = reason or status.value

    async def _on_urc(self, session: Session, urc: Urc) -> None:
        name = urc.name.upper()
        if name in {"+CMTI", "+CDSI"}:
            memory, index = commands.parse_cmti(urc.value)
            await session.use_memory(memory)
            stored = await session.read_stored(index)
            if stored is not None:
                await self._take(session, stored.pdu_hex, index)
        elif name in {"+CMT", "+CDS"} and urc.pdu:
            length = commands.parse_pdu_length(urc.value)
            await self._hand_up(decode_incoming(self.name, urc.pdu, tpdu_length=length))
        elif name in {"+CREG", "+CGREG", "+CEREG"}:
            await self._refresh_network(session)
        elif name in CALL_URCS:
            await self._calls.on_urc(session.transport, urc)
        elif name == "+CUSD":
            self._ussd.on_urc(urc)
        elif name == "^SMMEMFULL":
            # A burst of incoming SMS fills a small SIM again and again: one warning per burst,
            # over once a periodic sweep finds the memory empty.
            self._once.warn(self._log, "storage_full", "modem_storage_full")
            await self._sweep(session)
        elif name in _REBOOT_URCS:
            self._log.warning("modem_rebooted", urc=urc.line)
            raise ChannelClosed(f"modem rebooted ({urc.line})")
        else:
            self._log.debug("urc", line=urc.line)

    async def _sweep(self, session: Session) -> int:
        """Hand up everything stored in each memory (``AT+CMGL=4``), then delete it.

        Return how many stored messages were found.
        """
        found = 0
        for memory in session.memories:
            try:
                await session.use_memory(memory)
                stored = await session.list_stored()
            except CommandFailed as exc:
                self._log.debug("storage_list_failed", memory=memory, error=str(exc))
                continue
            found += len(stored)
            for item in stored:
                await self._take(session, item.pdu_hex, item.index)
        return found

    async def _take(self, session: Session, pdu_hex: str, index: int) -> None:
        """Hand one stored PDU up, then delete it from the modem once the callback returned."""
        incoming = decode_incoming(self.name, pdu_hex, storage_index=index)
        if incoming is None:
            return  # a stored SMS-SUBMIT: the SIM's sent folder, not ours to touch
        if await self._hand_up(incoming):
            await session.delete_stored(index)

    async def _hand_up(self, incoming: Received | None) -> bool:
        if incoming is None:
            return False
        count_incoming(incoming, self.counters, self._log)
        try:
            await self._on_incoming(incoming)
        except Exception:  # noqa: BLE001 - any failure above means "not stored": keep it on the modem
            self._log.exception("incoming_not_stored", index=incoming.storage_index)
            return False
        return True
