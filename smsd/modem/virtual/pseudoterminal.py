"""Serve a :class:`VirtualModem` on a pseudo-terminal, so pyserial opens it like a USB dongle.

The modem sits on the pty master; the slave path (``/dev/pts/N``) is what the host opens. The
slave is set raw (no echo, no CR/LF translation by the line discipline) and one slave
descriptor stays open here, so the master never reads EIO while the host reopens the port.
Actions run in order in one consumer task: ``Write`` goes to the master (partial writes and
EAGAIN handled), ``Delay`` sleeps, ``Hangup`` closes both ends, ``Later`` queues its writes
after a while without holding back what follows. Closing the master is how a
dongle is unplugged: the host's reads then fail ("device reports readiness to read but
returned no data").
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from typing import TYPE_CHECKING, Any, Self

from smsd.modem.virtual.actions import Action, Delay, Hangup, Write
from smsd.modem.virtual.responder import VirtualModem

if TYPE_CHECKING:
    from types import TracebackType

READ_CHUNK = 4096


class PtyModem:
    """A virtual modem on a pty: ``await start()`` returns the path the host opens."""

    def __init__(self, modem: VirtualModem | None = None) -> None:
        self.modem = modem if modem is not None else VirtualModem()
        self._master: int | None = None
        self._slave: int | None = None
        self._path = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[Action] = asyncio.Queue()
        self._consumer: asyncio.Task[None] | None = None
        self._writable: asyncio.Future[None] | None = None

    @property
    def path(self) -> str:
        """The slave tty path (empty before :meth:`start`)."""
        return self._path

    @property
    def plugged(self) -> bool:
        """Whether the device is present (started and not unplugged)."""
        return self._master is not None

    async def start(self) -> str:
        """Open the pty and serve the modem on it; return the slave path."""
        if self._consumer is not None:
            raise RuntimeError("PtyModem already started")
        self._loop = asyncio.get_running_loop()
        self._consumer = self._loop.create_task(self._run(), name=f"pty-modem-{self.modem.name}")
        return self._plug()

    async def replug(self) -> str:
        """Plug the device in again after an unplug: a power-cycled modem on a new tty path."""
        if self._consumer is None:
            raise RuntimeError("PtyModem not started")
        self._unplug()
        self.modem.power_cycle()
        return self._plug()

    def _plug(self) -> str:
        assert self._loop is not None
        master, slave = os.openpty()
        try:
            tty.setraw(slave)
            os.set_blocking(master, False)
            path = os.ttyname(slave)
            self._loop.add_reader(master, self._on_readable)
        except BaseException:
            os.close(master)
            os.close(slave)
            raise
        self._master, self._slave, self._path = master, slave, path
        return path

    async def deliver(self, sender: str, text: str | None = None, **options: Any) -> None:  # noqa: ANN401 - forwarded to VirtualModem.deliver
        """An SMS arrives from the network now (announced as the host's CNMI asks)."""
        self._enqueue(self.modem.deliver(sender, text, **options))

    async def deliver_pdu(self, pdu: bytes, tpdu_length: int) -> None:
        """An already encoded SMS-DELIVER arrives from the network now."""
        self._enqueue(self.modem.deliver_pdu(pdu, tpdu_length))

    async def deliver_report(self, reference: int, recipient: str, status: int = 0) -> None:
        """A status report arrives for ``reference``."""
        self._enqueue(self.modem.deliver_report(reference, recipient, status))

    async def ring(
        self,
        number: str | None,
        rings: int = 2,
        *,
        interval: float = 1.0,
        end_urc: str | None = None,
    ) -> bool:
        """A call from ``number`` rings ``rings`` times, ``interval`` seconds apart, then gives up.

        Returns once the call is over: ``True`` when the host rejected it (``ATH``/``AT+CHUP``),
        ``False`` when the caller gave up after the last ring (``end_urc`` is then sent).
        """
        self._enqueue(self.modem.ring(number, end_urc=end_urc))
        for ring in range(rings):
            await asyncio.sleep(interval)
            if not self.modem.ringing:
                await self.drain()
                return True
            if ring < rings - 1:
                self._enqueue(self.modem.ring_again())
        self._enqueue(self.modem.caller_gives_up())
        await self.drain()
        return False

    async def inject_urc(self, line: str) -> None:
        """Send any unsolicited line now."""
        self._enqueue(self.modem.inject_urc(line))

    async def drain(self) -> None:
        """Wait until every action queued so far has been carried out."""
        await self._queue.join()

    async def unplug(self) -> None:
        """Close the master: the device disappears from under the host."""
        self._unplug()

    async def stop(self) -> None:
        """Unplug and stop serving; safe to call more than once."""
        self._unplug()
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ internals

    def _enqueue(self, actions: list[Action]) -> None:
        if self._master is None:
            return
        for action in actions:
            self._queue.put_nowait(action)

    def _on_readable(self) -> None:
        master = self._master
        if master is None or self._loop is None:
            return
        try:
            data = os.read(master, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            self._unplug()
            return
        if data:
            self._enqueue(self.modem.receive(data, now=self._loop.time()))

    async def _run(self) -> None:
        while True:
            action = await self._queue.get()
            try:
                if isinstance(action, Write):
                    await self._write(action.data)
                elif isinstance(action, Delay):
                    await asyncio.sleep(action.seconds)
                elif isinstance(action, Hangup):
                    self._unplug()
                elif self._loop is not None:
                    later: list[Action] = list(action.actions)
                    self._loop.call_later(action.seconds, self._enqueue, later)
            finally:
                self._queue.task_done()

    async def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view and self._master is not None:
            try:
                written = os.write(self._master, view)
            except BlockingIOError:
                await self._wait_writable(self._master)
                continue
            except OSError:
                self._unplug()
                return
            view = view[written:]

    async def _wait_writable(self, master: int) -> None:
        assert self._loop is not None
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._writable = waiter
        self._loop.add_writer(master, _resolve, waiter)
        try:
            await waiter
        finally:
            self._writable = None
            if self._master == master:
                self._loop.remove_writer(master)

    def _unplug(self) -> None:
        master, slave = self._master, self._slave
        self._master = self._slave = None
        if master is not None and self._loop is not None:
            self._loop.remove_reader(master)
            self._loop.remove_writer(master)
        if self._writable is not None:
            _resolve(self._writable)
        for fd in (master, slave):
            if fd is not None:
                os.close(fd)
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


__all__ = ["PtyModem"]
