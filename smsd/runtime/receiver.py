"""Incoming messages and status reports: reassemble, commit, and only then let the modem delete.

The modem driver awaits :meth:`Receiver.handle` for each PDU it read and deletes the SIM copy only
when it returns. Parts of a concatenated message are committed one by one (so a restart keeps
them), joined when the last one arrives, and stored as one received message; parts that never
complete are stored after a timeout, marked incomplete. A restart that re-reads the SIM creates no
duplicates: parts are unique per (phone, sender, reference, total, sequence, timestamp) and whole
messages per a key made of the phone, the sender, the timestamp and the content. Call events go
to :class:`~smsd.runtime.calls.CallRecorder`.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from smsd.modem.calls import CallEnded, IncomingCall
from smsd.modem.events import Incoming, ReceivedReport, ReceivedSms, UndecodablePdu
from smsd.pdu import Concat
from smsd.reassembly import Reassembler
from smsd.runtime.calls import CallRecorder
from smsd.store import inbox, outbox

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from smsd.store.db import Database

REPORT_WINDOW = 3 * 24 * 3600.0
"""Default seconds after sending during which a status report is matched to a message (networks
keep trying for up to a few days); ``[daemon] report_window_hours`` sets it."""
REPORT_RACE_WAITS = (0.05, 0.1, 0.2, 0.4, None)
"""Pauses before matching a status report again when its segment is not recorded yet."""
PART_TIMEOUT = 1800.0
"""Default seconds (``[daemon] part_timeout``) to wait for the missing parts of a concatenated
message before storing what came."""


def _wall(moment: datetime) -> str:
    """Local wall time, as RaspiSMS shows every datetime."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def join(held: Sequence[inbox.PartRow], *, timeout: float) -> list[inbox.PartRow] | None:
    """The parts of one message in order once all are held, by the pure reassembler's rules.

    The store keeps the parts (a restart loses none); whether they make a whole message, and
    which copy of a part repeated by the network counts (the first), is decided here.
    """
    joiner: Reassembler[inbox.PartRow] = Reassembler(timeout=timeout)
    for part in held:
        whole = joiner.add(part.sender, Concat(part.reference, part.total, part.seq), part, now=0.0)
        if whole is not None:
            return whole
    return None


def _key(*fields: object) -> str:
    digest = hashlib.sha256("\x1f".join(str(f) for f in fields).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class Receiver:
    """Stores what one phone receives, and matches its status reports."""

    def __init__(
        self,
        db: Database,
        *,
        id_phone: int,
        id_user: int,
        name: str,
        clock: Callable[[], float] = time.time,
        on_status: Callable[[int, str], None] | None = None,
        report_window: float = REPORT_WINDOW,
        part_timeout: float = PART_TIMEOUT,
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        self._db = db
        self._report_window = report_window
        """``[daemon] report_window_hours``, in seconds."""
        self._part_timeout = part_timeout
        """``[daemon] part_timeout``."""
        self._on_stored = on_stored
        """Called once a received message is committed (its transaction may have scheduled an
        answer, e.g. to STOP: the dispatcher is woken through this)."""
        self._id_phone = id_phone
        self._id_user = id_user
        self._clock = clock
        self._on_status = on_status
        self._log = structlog.get_logger("smsd.receiver").bind(modem=name)
        self._calls = CallRecorder(db, id_phone=id_phone, id_user=id_user, name=name)

    async def handle(self, item: Incoming) -> None:
        """Commit ``item``; raising means "not stored" and keeps it on the modem."""
        if isinstance(item, ReceivedSms):
            await self._sms(item)
        elif isinstance(item, ReceivedReport):
            await self._report(item)
        elif isinstance(item, UndecodablePdu):
            await self._undecodable(item)
        elif isinstance(item, IncomingCall | CallEnded):
            await self._calls.handle(item)

    async def _sms(self, item: ReceivedSms) -> None:
        message = item.message
        text = message.text if message.text is not None else (message.data or b"").hex()
        at = _wall(message.timestamp)
        concat = message.concat
        if concat is None or concat.total <= 1:
            key = _key(self._id_phone, message.sender, at, text)
            stored = await inbox.store_received(
                self._db,
                id_user=self._id_user,
                id_phone=self._id_phone,
                origin=message.sender,
                text=text,
                at=at,
                dedupe_key=key,
            )
            self._log_stored(stored, message.sender, 1)
            return
        fresh = await inbox.store_part(
            self._db,
            id_phone=self._id_phone,
            sender=message.sender,
            reference=concat.reference,
            total=concat.total,
            seq=concat.sequence,
            text=message.text,
            data=message.data,
            smsc_timestamp=at,
            pdu=item.pdu_hex,
            now=self._clock(),
        )
        if not fresh:
            self._log.debug("sms_part_duplicate", sender=message.sender, seq=concat.sequence)
        held = await inbox.held_parts(
            self._db,
            id_phone=self._id_phone,
            sender=message.sender,
            reference=concat.reference,
            total=concat.total,
        )
        parts = join(held, timeout=self._part_timeout)
        if parts is not None:
            await self._store_parts(parts, incomplete=False)

    async def _store_parts(self, parts: Sequence[inbox.PartRow], *, incomplete: bool) -> None:
        ordered = sorted(parts, key=lambda part: part.seq)
        first = ordered[0]
        text = "".join(
            part.text if part.text is not None else (part.data or b"").hex() for part in ordered
        )
        key = _key(
            self._id_phone,
            first.sender,
            first.reference,
            first.total,
            first.smsc_timestamp,
            text,
        )
        stored = await inbox.store_received(
            self._db,
            id_user=self._id_user,
            id_phone=self._id_phone,
            origin=first.sender,
            text=text,
            at=first.smsc_timestamp,
            dedupe_key=key,
            incomplete=incomplete,
            part_ids=[part.id for part in ordered],
        )
        self._log_stored(stored, first.sender, len(ordered), incomplete=incomplete)

    def _log_stored(
        self, stored: int | None, sender: str, parts: int, *, incomplete: bool = False
    ) -> None:
        if stored is None:
            self._log.info("sms_received_duplicate", origin=sender)
        else:
            if self._on_stored is not None:
                self._on_stored()
            self._log.info(
                "sms_stored", received=stored, origin=sender, parts=parts, incomplete=incomplete
            )

    async def expire_parts(self, *, timeout: float | None = None) -> int:
        """Store, marked incomplete, the concatenated messages whose parts stopped coming.

        ``timeout`` defaults to the receiver's ``part_timeout``.
        """
        wait = self._part_timeout if timeout is None else timeout
        groups = await inbox.expired_parts(
            self._db, id_phone=self._id_phone, older_than=self._clock() - wait
        )
        for parts in groups:
            await self._store_parts(parts, incomplete=True)
        return len(groups)

    async def _report(self, item: ReceivedReport) -> None:
        report = item.report
        match = None
        for wait in REPORT_RACE_WAITS:
            match = await outbox.match_report(
                self._db,
                id_phone=self._id_phone,
                reference=report.reference,
                recipient=report.recipient,
                since=self._clock() - self._report_window,
            )
            if match is not None or wait is None:
                break
            # A report can overtake the sender's commit of the segment's reference: the network
            # answers +CMGS and delivers within the same second. Give the commit a moment.
            await asyncio.sleep(wait)
        if match is None:
            self._log.info(
                "status_report_unmatched", reference=report.reference, recipient=report.recipient
            )
            return
        id_sended, seq = match
        status = await outbox.record_report(
            self._db,
            id_sended,
            seq,
            status=report.status,
            delivered=report.delivered,
            permanent=report.permanent,
            now=self._clock(),
        )
        self._log.info(
            "status_report_matched",
            sended=id_sended,
            seq=seq,
            tp_status=report.status,
            status=status,
        )
        if self._on_status is not None:
            self._on_status(id_sended, status)

    async def _undecodable(self, item: UndecodablePdu) -> None:
        # Kept as a received row so that nothing the network delivered is silently lost.
        await inbox.store_received(
            self._db,
            id_user=self._id_user,
            id_phone=self._id_phone,
            origin="",
            text=f"[undecodable PDU: {item.error}] {item.pdu_hex}",
            at=_wall(datetime.fromtimestamp(self._clock()).astimezone()),
            dedupe_key=_key(self._id_phone, "undecodable", item.pdu_hex),
            incomplete=True,
        )
