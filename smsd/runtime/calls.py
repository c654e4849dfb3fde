"""Calls a phone saw: record each one for the phone's owner when it rings, and its end.

The modem driver hands up an :class:`~smsd.modem.calls.IncomingCall` once the caller is known
(or known to be unknown) and a :class:`~smsd.modem.calls.CallEnded` when the call is over
(rejected by us, or the caller gave up). A failure to store is raised to the driver, which logs
it: a call cannot be read back from the modem later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from smsd.modem.calls import CallEnded, IncomingCall
from smsd.store import calls

if TYPE_CHECKING:
    from smsd.modem.calls import CallEvent
    from smsd.store.db import Database


class CallRecorder:
    """Stores the calls of one phone."""

    def __init__(self, db: Database, *, id_phone: int, id_user: int, name: str) -> None:
        self._db = db
        self._id_phone = id_phone
        self._id_user = id_user
        self._log = structlog.get_logger("smsd.calls").bind(modem=name)

    async def handle(self, event: CallEvent) -> None:
        """Record ``event``."""
        if isinstance(event, IncomingCall):
            await self._record(event)
        elif isinstance(event, CallEnded):
            await self._end(event)

    async def _record(self, event: IncomingCall) -> None:
        id_call = await calls.record_call(
            self._db,
            id_user=self._id_user,
            id_phone=self._id_phone,
            uid=event.uid,
            start=event.start.timestamp(),
            origin=event.number,
        )
        self._log.info("call_received", call=id_call, uid=event.uid, origin=event.number)

    async def _end(self, event: CallEnded) -> None:
        ended = await calls.end_call(
            self._db, id_phone=self._id_phone, uid=event.uid, end=event.end.timestamp()
        )
        if not ended:
            self._log.debug("call_end_unmatched", uid=event.uid)


__all__ = ["CallRecorder"]
