"""USSD sessions: one at a time per phone, stored, answered within a bound or polled later.

The core every door reaches (the HTTP API, the command line through it, the balance watch):

* :meth:`UssdService.start` opens a session on a running phone (after the session open on it, if
  any, has ended: within ``wait`` for the API, however long for the balance watch), records it,
  sends the code, and waits up to ``wait`` seconds in all for the network's answer; past that the
  caller gets the session still ``pending`` and polls :meth:`get` with its id.
* :meth:`UssdService.reply` continues a menu (a session ``waiting_reply``).
* :meth:`UssdService.cancel` ends a session (``AT+CUSD=2``).
* A menu left without a reply for the phone's ``ussd_timeout`` is cancelled (``timeout``).

Each step is committed before the modem is told (``open_session``/``start_step``), and its
outcome right after the modem answers. The phone's USSD lock is held from the first request to
the session's end, so a menu walk is never interleaved with another session; SMS keep flowing
meanwhile (the modem holds its command lock only for ``AT+CUSD`` itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from smsd.at.commands import UssdStatus
from smsd.at.errors import UsageError
from smsd.errors import ModemUnavailableError, UssdError, UssdRequestError
from smsd.modem.ussd import check_string
from smsd.store import ussd as store

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from smsd.modem.ussd import UssdAnswer
    from smsd.runtime.phones import PhoneRuntime
    from smsd.store.db import Database

__all__ = ["UssdService", "session_status"]

_FINISH_TIMEOUT = 10.0
"""Seconds a cancel or a shutdown waits for a step in flight to end."""


def _check(text: str) -> None:
    try:
        check_string(text)
    except UsageError as exc:
        raise UssdRequestError(str(exc), invalid=True) from exc


def session_status(answer: UssdAnswer) -> str:
    """The session state an answer leaves (``waiting_reply``, ``done``, ``not_supported``...)."""
    if answer.status is UssdStatus.ACTION_REQUIRED:
        return "waiting_reply"
    if answer.status is UssdStatus.NOT_SUPPORTED:
        return "not_supported"
    return "done"


@dataclass
class _Session:
    id: int
    id_user: int
    phone: PhoneRuntime
    lock: asyncio.Lock
    step: asyncio.Task[None] | None = None
    expiry: asyncio.TimerHandle | None = None
    closed: bool = False
    log_fields: dict[str, object] = field(default_factory=dict)


class UssdService:
    """USSD sessions over the running phones (``find`` looks a phone up by id)."""

    def __init__(
        self,
        db: Database,
        find: Callable[[int], PhoneRuntime | None],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._find = find
        self._clock = clock
        self._locks: dict[int, asyncio.Lock] = {}
        self._sessions: dict[int, _Session] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._log = structlog.get_logger("smsd.ussd")

    # ------------------------------------------------------------------ doors

    async def start(
        self, *, id_user: int, id_phone: int, code: str, wait: float, origin: str = "api"
    ) -> store.UssdRow:
        """Open a session and send ``code``; the session after at most ``wait`` seconds.

        A session already open on the phone is waited for, within ``wait`` for the API (the
        balance watch waits its turn however long). Raises :class:`UssdRequestError` when the
        phone is not running (or not the user's) or stays busy for ``wait`` seconds.
        """
        _check(code)
        phone = self._find(id_phone)
        if phone is None or phone.id_user != id_user:
            raise UssdRequestError(f"phone {id_phone} is not running for this user")
        lock = self._locks.setdefault(id_phone, asyncio.Lock())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        try:
            async with asyncio.timeout(None if origin == "balance" else wait):
                await lock.acquire()
        except TimeoutError:
            message = f"phone {id_phone} has a USSD session open: wait or cancel it"
            raise UssdRequestError(message) from None
        try:
            id_ussd = await store.open_session(
                self._db,
                id_user=id_user,
                id_phone=id_phone,
                code=code,
                origin=origin,
                now=self._clock(),
            )
        except BaseException:
            lock.release()
            raise
        session = _Session(id_ussd, id_user, phone, lock, log_fields={"modem": phone.settings.name})
        self._sessions[id_ussd] = session
        session.step = self._spawn(self._exchange(session, code), f"ussd:{id_ussd}")
        return await self._settle(session, max(0.0, deadline - loop.time()))

    async def reply(self, *, id_user: int, id_ussd: int, text: str, wait: float) -> store.UssdRow:
        """Send ``text`` as the answer to a menu; the session after at most ``wait`` seconds."""
        _check(text)
        session = self._open(id_user, id_ussd)
        if session.step is not None and not session.step.done():
            raise UssdRequestError(f"USSD session {id_ussd} still waits for the network's answer")
        row = await store.get_session(self._db, id_ussd)
        if row is None or row.status != "waiting_reply":
            raise UssdRequestError(f"USSD session {id_ussd} does not wait for a reply")
        if session.expiry is not None:
            session.expiry.cancel()
            session.expiry = None
        await store.start_step(self._db, id_ussd, text, now=self._clock())
        session.step = self._spawn(self._exchange(session, text), f"ussd:{id_ussd}")
        return await self._settle(session, wait)

    async def cancel(self, *, id_user: int, id_ussd: int) -> store.UssdRow:
        """End an open session now (``AT+CUSD=2``); the session as it ends."""
        session = self._open(id_user, id_ussd)
        await self._end(session, "cancelled", "cancelled on request")
        row = await store.get_session(self._db, id_ussd)
        assert row is not None
        return row

    async def get(self, *, id_user: int, id_ussd: int) -> store.UssdRow | None:
        """A session of ``id_user`` with its steps, or ``None``."""
        return await store.get_session(self._db, id_ussd, id_user=id_user)

    async def close(self) -> None:
        """Shutdown: cancel every open session (and its network session)."""
        for session in list(self._sessions.values()):
            with contextlib.suppress(Exception):
                await self._end(session, "cancelled", "daemon stopping")
        for task in list(self._tasks):
            task.cancel()

    # ------------------------------------------------------------------ internals

    def _open(self, id_user: int, id_ussd: int) -> _Session:
        session = self._sessions.get(id_ussd)
        if session is None or session.id_user != id_user:
            raise UssdRequestError(f"no open USSD session {id_ussd} for this user")
        return session

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _settle(self, session: _Session, wait: float) -> store.UssdRow:
        step = session.step
        if step is not None and wait > 0:
            await asyncio.wait({step}, timeout=wait)
        row = await store.get_session(self._db, session.id)
        assert row is not None
        return row

    async def _exchange(self, session: _Session, text: str) -> None:
        """One request to the network and its outcome, committed."""
        phone = session.phone
        timeout = phone.settings.ussd_timeout
        try:
            answer = await phone.modem.ussd(text, timeout=timeout)
        except UssdError as exc:
            await self._close(session, "timeout" if exc.timed_out else "failed", str(exc))
            return
        except (ModemUnavailableError, UsageError) as exc:
            await self._close(session, "failed", str(exc))
            return
        status = session_status(answer)
        await store.record_answer(
            self._db,
            session.id,
            status=status,
            answer=answer.text,
            network_status=int(answer.status),
            dcs=answer.dcs,
            now=self._clock(),
        )
        self._log.info("ussd_answer", session=session.id, status=status, **session.log_fields)
        if status == "waiting_reply":
            loop = asyncio.get_running_loop()
            session.expiry = loop.call_later(timeout, self._expire, session)
        else:
            self._release(session)

    def _expire(self, session: _Session) -> None:
        session.expiry = None
        reason = f"no reply within {session.phone.settings.ussd_timeout:g} s; session cancelled"
        _ = self._spawn(self._end(session, "timeout", reason), f"ussd:{session.id}:expire")

    async def _end(self, session: _Session, status: str, reason: str) -> None:
        """Stop the step in flight, cancel the network session, record the end."""
        if session.closed:
            return
        if session.expiry is not None:
            session.expiry.cancel()
            session.expiry = None
        step = session.step
        if step is not None and not step.done():
            step.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError, Exception):
                async with asyncio.timeout(_FINISH_TIMEOUT):
                    await asyncio.wait({step})
        with contextlib.suppress(Exception):
            await session.phone.modem.ussd_cancel()
        await self._close(session, status, reason)

    async def _close(self, session: _Session, status: str, reason: str) -> None:
        if session.closed:
            return
        try:
            await store.finish(self._db, session.id, status=status, error=reason, now=self._clock())
        finally:
            self._release(session)
        self._log.info(
            "ussd_ended", session=session.id, status=status, reason=reason, **session.log_fields
        )

    def _release(self, session: _Session) -> None:
        if session.closed:
            return
        session.closed = True
        self._sessions.pop(session.id, None)
        if session.lock.locked():
            session.lock.release()
