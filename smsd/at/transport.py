"""asyncio protocol around the sans-I/O `AtChannel`: the only asyncio module of `smsd.at`.

* One command in flight: an `asyncio.Lock` serialises commands; the waiter
  (a future) exists before the command is written and is dropped when the
  command ends, whatever the reason.
* Every await has a named, overridable timeout.
* A command that timed out (or whose caller was cancelled) is abandoned: the
  channel is idle again and a final result arriving while idle is dropped. The
  next command first resynchronises: it sends ``AT``, takes whichever final
  result comes first (the late one or the ``AT``'s own), then waits
  `RESYNC_QUIET` seconds so that a second final result is dropped while idle
  rather than taken as the answer to the next command.
* Once the PDU of ``AT+CMGS`` is written the rest of the submit runs in its own
  task under `asyncio.shield`: cancelling the caller does not abandon the modem
  mid-submit, and the lock is released only when the submit has really ended
  (result, error or `CMGS_TIMEOUT`). Before the PDU is written, a prompt that
  does not come (or a cancelled caller) is answered with ESC.
* Unsolicited codes go to the bounded `urcs` queue (oldest dropped when full).
* Too much garbage in a window marks the modem broken (`broken`): the pending
  waiter and every later command get `ProtocolViolation`.
* `connection_lost` fails every waiter with `ChannelClosed`, the cause chained.
  There is no reconnect logic here: a closed transport is recreated by its owner.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import re
from typing import cast

from smsd.at import codes
from smsd.at.channel import AtChannel, State
from smsd.at.errors import (
    AtError,
    AtTimeout,
    ChannelClosed,
    CommandFailed,
    ProtocolViolation,
    UsageError,
)
from smsd.at.events import Event, Final, Garbage, Info, Prompt, Urc

__all__ = [
    "CMGS_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "GARBAGE_BUDGET",
    "GARBAGE_WINDOW",
    "PROMPT_TIMEOUT",
    "RESYNC_QUIET",
    "AtTransport",
]

# Final result of an ordinary command (AT+CSQ, AT+CPMS...): modems answer in
# milliseconds; 5 s leaves room for a busy SIM.
_HEX_PAIRS = re.compile(r"(?:[0-9A-Fa-f]{2})+")
"""A PDU as the modem takes it: pairs of hex digits, at least one."""

DEFAULT_TIMEOUT = 5.0
# TS 27.005 gives AT+CMGS no bound; networks take up to ~40 s and some modems
# report +CMS ERROR after minutes (field notes §4 "Timeouts").
CMGS_TIMEOUT = 60.0
# The "> " prompt after AT+CMGS=<length> (field notes: 5-10 s).
PROMPT_TIMEOUT = 10.0
# Quiet time after a resynchronising AT, to drop a second late final result.
RESYNC_QUIET = 0.2
# More than GARBAGE_BUDGET garbage events within GARBAGE_WINDOW seconds = broken modem.
GARBAGE_BUDGET = 10
GARBAGE_WINDOW = 10.0

_Reply = tuple[str, ...] | None


class _Waiter:
    """The command in flight: its information lines and the future of its current phase."""

    __slots__ = ("command", "ends_on", "final", "future", "lines")

    def __init__(
        self, command: str, future: asyncio.Future[_Reply], ends_on: str | None = None
    ) -> None:
        self.command = command
        self.future = future
        self.lines: list[str] = []
        self.final: Final | None = None
        self.ends_on = ends_on


def _settle(future: asyncio.Future[_Reply]) -> None:
    """Cancel a pending future, or mark a failed one's exception as retrieved."""
    if not future.done():
        future.cancel()
    elif not future.cancelled():
        future.exception()


class AtTransport(asyncio.Protocol):
    """An AT command channel on an asyncio transport (serial port, pty, socket)."""

    def __init__(
        self,
        *,
        name: str = "",
        default_timeout: float = DEFAULT_TIMEOUT,
        urc_queue_size: int = 1000,
        garbage_budget: int = GARBAGE_BUDGET,
        garbage_window: float = GARBAGE_WINDOW,
        resync_quiet: float = RESYNC_QUIET,
    ) -> None:
        self.name = name
        self.default_timeout = default_timeout
        self.urcs: asyncio.Queue[Urc] = asyncio.Queue(maxsize=urc_queue_size)
        self.urcs_dropped = 0
        self.garbage_count = 0
        self.broken: ProtocolViolation | None = None
        self._garbage_budget = garbage_budget
        self._garbage_window = garbage_window
        self._garbage_times: collections.deque[float] = collections.deque(maxlen=garbage_budget)
        self._resync_quiet = resync_quiet
        self._channel = AtChannel()
        self._transport: asyncio.WriteTransport | None = None
        self._lock = asyncio.Lock()
        self._waiter: _Waiter | None = None
        self._needs_resync = False
        self._closed = False
        self._lost = asyncio.Event()
        self._made = asyncio.Event()
        self._early = bytearray()  # write_raw() bytes waiting for connection_made
        self._cause: BaseException | None = None
        self._submits: set[asyncio.Task[tuple[str, ...]]] = set()

    # ------------------------------------------------------------------ state

    @property
    def closed(self) -> bool:
        """True once the port is gone or `close` was called."""
        return self._closed

    @property
    def busy(self) -> bool:
        """True while a command (or a shielded submit) holds the channel."""
        return self._lock.locked()

    @property
    def stray_finals(self) -> int:
        """Final results that arrived with no command in flight (late answers), dropped."""
        return self._channel.stray_finals

    # ------------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to write to."""
        if self._closed:  # closed before the transport came up: do not leave the port open
            transport.close()
            return
        self._transport = cast("asyncio.WriteTransport", transport)
        self._made.set()
        if self._early:
            early, self._early = bytes(self._early), bytearray()
            with contextlib.suppress(ChannelClosed):
                self._write(early)

    def data_received(self, data: bytes) -> None:
        """Feed the channel and route its events; never raises."""
        if self._closed or not data:
            return
        try:
            events = self._channel.receive(data)
        except Exception as exc:  # noqa: BLE001 - data_received must never raise into the transport
            self._mark_broken(ProtocolViolation(f"cannot process modem output: {exc}"))
            return
        for event in events:
            self._dispatch(event)

    def eof_received(self) -> bool | None:
        """Let the transport close itself."""
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """Fail every waiter with `ChannelClosed` (``exc`` chained as the cause)."""
        self._cause = exc
        self._shutdown()
        self._transport = None
        self._lost.set()

    # ------------------------------------------------------------------ public API

    async def command(
        self, command: str, *, timeout: float | None = None, ends_on: str | None = None
    ) -> tuple[str, ...]:
        """Run ``command`` (no carriage return); return its information lines (echo stripped).

        ``ends_on`` names an unsolicited code that also ends the command (``+CUSD``: some
        firmware sends the network's answer instead of ``OK``). The code still goes to `urcs`;
        a final result arriving later is dropped like any late answer.
        """
        limit = self.default_timeout if timeout is None else timeout
        if codes.expects_prompt(command):
            raise UsageError(f"{command!r} answers with a prompt: use submit_pdu")
        async with self._lock:
            await self._prepare()
            waiter = self._begin(command, prompt=False, ends_on=ends_on)
            try:
                async with asyncio.timeout(limit):
                    reply = await waiter.future
            except TimeoutError:
                raise AtTimeout(command, limit) from None
            finally:
                self._end(waiter)
            return reply or ()

    async def submit_pdu(
        self,
        length: int,
        pdu_hex: str,
        *,
        timeout: float = CMGS_TIMEOUT,
        prompt_timeout: float = PROMPT_TIMEOUT,
        command: str = "AT+CMGS",
    ) -> tuple[str, ...]:
        """``<command>=<length>``, wait for ``> ``, write the PDU and Ctrl-Z, wait for the result.

        Returns the information lines (``+CMGS: <mr>``). Raises `AtTimeout`
        (after writing ESC) if the prompt does not come. Once the PDU is
        written the submit is shielded from the caller's cancellation.
        """
        full = f"{command}={length}"
        if not 1 <= length <= 255:
            raise UsageError(f"TPDU length must be 1..255, not {length}")
        if _HEX_PAIRS.fullmatch(pdu_hex) is None:
            raise UsageError("PDU must be a non-empty even-length hex string")
        await self._lock.acquire()
        task: asyncio.Task[tuple[str, ...]] | None = None
        try:
            await self._prepare()
            task = await self._open_prompt(full, pdu_hex, timeout, prompt_timeout)
        except AtError as exc:
            exc.pdu_written = False  # nothing reached the modem: the SMS did not leave
            raise
        finally:
            if task is None:
                self._lock.release()
        self._submits.add(task)
        task.add_done_callback(self._submit_done)
        try:
            return await asyncio.shield(task)
        except AtError as exc:
            exc.pdu_written = True
            raise

    def write_raw(self, data: bytes) -> None:
        """Write bytes outside the command protocol (ESC to clear a stale prompt before probing).

        Only while no command holds the channel (`UsageError` otherwise); the
        next command resynchronises first, since the modem may answer these bytes.
        """
        if self._lock.locked():
            raise UsageError("cannot write raw bytes while a command holds the channel")
        if self._transport is None and not self._closed:
            self._early += data  # transports call connection_made soon after they are created
        else:
            self._write(data)
        self._needs_resync = True

    def close(self) -> None:
        """Close the port; pending waiters fail with `ChannelClosed`."""
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.close()
        self._shutdown()
        if transport is None:
            self._lost.set()

    async def wait_closed(self) -> None:
        """Wait until the transport has reported the connection lost."""
        await self._lost.wait()

    # ------------------------------------------------------------------ submit phases

    async def _open_prompt(
        self, full: str, pdu_hex: str, timeout: float, prompt_timeout: float
    ) -> asyncio.Task[tuple[str, ...]]:
        """Write the command, wait for the prompt, write the PDU; return the result task."""
        waiter = self._begin(full, prompt=True)
        handed_off = False
        try:
            try:
                async with asyncio.timeout(prompt_timeout):
                    reply = await waiter.future
            except TimeoutError:
                raise AtTimeout(full, prompt_timeout, "prompt") from None
            if reply is not None or self._channel.state is not State.AWAITING_PDU:
                final = waiter.final
                if final is not None and final.error is not None:
                    raise final.error
                raise ProtocolViolation(f"{full!r} ended without a usable prompt")
            waiter.future = asyncio.get_running_loop().create_future()
            self._write(self._channel.send_pdu(pdu_hex))
            task = asyncio.create_task(
                self._finish_submit(waiter, timeout), name=f"{self.name} {full}"
            )
            handed_off = True
            return task
        finally:
            if not handed_off:
                self._cancel_prompt()
                self._end(waiter)

    async def _finish_submit(self, waiter: _Waiter, timeout: float) -> tuple[str, ...]:
        """Wait for the submit's result; owns the lock from here and releases it."""
        try:
            async with asyncio.timeout(timeout):
                reply = await waiter.future
        except TimeoutError:
            raise AtTimeout(waiter.command, timeout) from None
        else:
            return reply or ()
        finally:
            self._end(waiter)
            self._lock.release()

    def _submit_done(self, task: asyncio.Task[tuple[str, ...]]) -> None:
        self._submits.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: the caller may have been cancelled

    def _cancel_prompt(self) -> None:
        if self._channel.state in {State.AWAITING_PROMPT, State.AWAITING_PDU}:
            escape = self._channel.cancel_prompt()
            self._needs_resync = True
            with contextlib.suppress(ChannelClosed):
                self._write(escape)

    # ------------------------------------------------------------------ command plumbing

    def _begin(self, command: str, *, prompt: bool, ends_on: str | None = None) -> _Waiter:
        """Register the waiter, then write the command."""
        waiter = _Waiter(command, asyncio.get_running_loop().create_future(), ends_on)
        self._waiter = waiter
        try:
            self._write(self._channel.send(command, prompt=prompt))
        except BaseException:
            self._end(waiter)
            raise
        return waiter

    def _end(self, waiter: _Waiter) -> None:
        """Forget the waiter; abandon the command if it is still in flight."""
        if self._waiter is waiter:
            self._waiter = None
        if self._channel.in_flight:
            self._channel.abandon()
            self._needs_resync = True
        _settle(waiter.future)

    async def _resync(self) -> None:
        """After an abandoned command: absorb its late final result (see module docstring)."""
        if not self._needs_resync:
            return
        self._needs_resync = False
        waiter = self._begin("AT", prompt=False)
        try:
            async with asyncio.timeout(self.default_timeout):
                await waiter.future
        except CommandFailed:
            pass  # the abandoned command's late error result came first
        except TimeoutError:
            raise AtTimeout(
                "AT", self.default_timeout, "final result while resynchronising"
            ) from None
        finally:
            self._end(waiter)
        await asyncio.sleep(self._resync_quiet)

    def _write(self, data: bytes) -> None:
        transport = self._transport
        if self._closed or transport is None or transport.is_closing():
            raise self._closed_error()
        try:
            transport.write(data)
        except OSError as exc:  # serial.SerialException is an OSError
            raise self._closed_error() from exc

    async def _prepare(self) -> None:
        """Before a command: usable, connected (transports call connection_made soon), in sync."""
        self._check_usable()
        if self._transport is None:
            try:
                async with asyncio.timeout(self.default_timeout):
                    await self._made.wait()
            except TimeoutError:
                raise ChannelClosed(f"{self.name or 'AT channel'} was never connected") from None
            self._check_usable()
        await self._resync()

    def _check_usable(self) -> None:
        if self._closed:
            raise self._closed_error()
        if self.broken is not None:
            raise ProtocolViolation(str(self.broken))

    def _closed_error(self) -> ChannelClosed:
        error = ChannelClosed(f"{self.name or 'AT channel'} is closed")
        error.__cause__ = self._cause
        return error

    def _fail_waiter(self, error: AtError) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.future.done():
            waiter.future.set_exception(error)

    def _shutdown(self) -> None:
        if not self._closed:
            self._closed = True
            self._channel.receive(b"")
            self._made.set()
        self._fail_waiter(self._closed_error())

    # ------------------------------------------------------------------ events

    def _dispatch(self, event: Event) -> None:
        waiter = self._waiter
        if isinstance(event, Urc):
            self._put_urc(event)
            if (
                waiter is not None
                and waiter.ends_on is not None
                and event.name.upper() == waiter.ends_on
                and not waiter.future.done()
            ):
                waiter.future.set_result(tuple(waiter.lines))
        elif isinstance(event, Garbage):
            self._count_garbage()
        elif waiter is None:
            return
        elif isinstance(event, Info):
            waiter.lines.append(event.line)
        elif isinstance(event, Final):
            waiter.final = event
            if not waiter.future.done():
                if event.error is not None:
                    waiter.future.set_exception(event.error)
                else:
                    waiter.future.set_result(tuple(waiter.lines))
        elif isinstance(event, Prompt) and not waiter.future.done():
            waiter.future.set_result(None)

    def _put_urc(self, urc: Urc) -> None:
        if self.urcs.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.urcs.get_nowait()
                self.urcs.task_done()
            self.urcs_dropped += 1
        self.urcs.put_nowait(urc)

    def _count_garbage(self) -> None:
        self.garbage_count += 1
        now = asyncio.get_running_loop().time()
        times = self._garbage_times
        times.append(now)
        if len(times) >= self._garbage_budget and now - times[0] <= self._garbage_window:
            self._mark_broken(
                ProtocolViolation(
                    f"{len(times)} garbage events within {self._garbage_window:g} s:"
                    " the modem link is unusable"
                )
            )

    def _mark_broken(self, error: ProtocolViolation) -> None:
        if self.broken is None:
            self.broken = error
        self._fail_waiter(ProtocolViolation(str(self.broken)))
