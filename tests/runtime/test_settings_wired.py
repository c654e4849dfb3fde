"""The documented settings change what the daemon does.

``[[phones]] command_timeout`` bounds every AT command without a longer bound of its own;
``[daemon] report_window_hours`` decides until when a status report still matches a message;
``[daemon] part_timeout`` decides when the parts of a long incoming message stop being awaited.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from structlog.testing import capture_logs
from support.polling import until

from smsd import pdu
from smsd.at.errors import AtTimeout
from smsd.modem.events import decode_incoming
from smsd.modem.virtual import Faults
from smsd.runtime.engine import Engine
from smsd.store import outbox
from smsd.store.outbox import Recipient


class Clock:
    """Wall time, shifted by what the test says."""

    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift


@pytest.mark.parametrize("seconds", [0.3, 0.8])
async def test_command_timeout_bounds_other_at_commands(rig, seconds: float) -> None:
    phone = await rig.add("m1", command_timeout=seconds, health_interval=60.0, poll_interval=60.0)
    session = phone.modem._session
    await asyncio.sleep(0.2)  # the driver's first sweep (AT+CMGL) begins at once after ready
    await until(lambda: not session.transport.busy)
    rig.modems["m1"].modem.faults.silent = True
    started = time.monotonic()
    with pytest.raises(AtTimeout) as raised:
        await session.read_stored(1)  # AT+CMGR
    assert raised.value.timeout == seconds
    assert seconds <= time.monotonic() - started < seconds + 0.5


@pytest.mark.parametrize(("window_hours", "expected"), [(3.0, "delivered"), (1.0, "sent")])
async def test_report_window_decides_what_a_late_report_matches(
    rig, window_hours: float, expected: str
) -> None:
    clock = Clock()
    rig.engine = Engine(
        rig.db, id_user=rig.id_user, report_window=window_hours * 3600.0, clock=clock
    )
    await rig.add("m1", Faults(auto_status_reports=False), delivery_reports=True)
    await rig.start()
    await outbox.create_scheduled(
        rig.db, id_user=rig.id_user, text="hi", at=None, numbers=[Recipient("+33611111111")]
    )
    rig.engine.wake()
    await until(lambda: rig.db.fetchone("SELECT 1 FROM sended WHERE state = 'sent'"))
    segment = await rig.db.fetchone("SELECT reference FROM sended_segment")
    clock.shift = 2 * 3600.0  # the report comes two hours after the message left
    with capture_logs() as logs:
        await rig.modems["m1"].deliver_report(int(segment["reference"]), "+33611111111")
        await until(
            lambda: any(e["event"].startswith("status_report_") for e in logs if "sended" in e or
                        e["event"] == "status_report_unmatched"),
            timeout=10,
        )  # fmt: skip
    row = await rig.db.fetchone("SELECT state FROM sended")
    assert row["state"] == expected


@pytest.mark.parametrize(("part_timeout", "stored"), [(60.0, 1), (600.0, 0)])
async def test_part_timeout_decides_when_missing_parts_stop_being_awaited(
    rig, part_timeout: float, stored: int
) -> None:
    clock = Clock()
    rig.engine = Engine(rig.db, id_user=rig.id_user, part_timeout=part_timeout, clock=clock)
    await rig.add("m1", health_interval=60.0, poll_interval=60.0)
    receiver = rig.engine._receivers["m1"]
    first, _second = pdu.encode_deliver(
        "+33622222222", "a long story " * 20, timestamp=datetime.now(UTC), concat_reference=7
    )
    incoming = decode_incoming("m1", first.hex, storage_index=0)
    await receiver.handle(incoming)
    clock.shift = 120.0  # two minutes later, the second part has not come
    assert await receiver.expire_parts() == stored
    rows = await rig.db.fetchall("SELECT incomplete FROM received")
    assert [r["incomplete"] for r in rows] == [1] * stored
