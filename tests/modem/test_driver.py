"""The modem driver over real pseudo-terminals against the virtual modem.

Each test starts a virtual modem on a pty, points a driver at the slave side (pyserial opens it
like a USB dongle) and checks what went over the wire, decoded with our own codec.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import pytest
from structlog.testing import capture_logs
from support.driver import QUICK
from support.polling import until

from smsd import pdu
from smsd.errors import ModemUnavailableError, SendError
from smsd.model import PhoneStatus
from smsd.modem.driver import Modem
from smsd.modem.events import Incoming, ReceivedReport, ReceivedSms
from smsd.modem.settings import ModemConfig
from smsd.modem.virtual import Faults, PtyModem, VirtualModem

LONG_GSM7 = "Reminder: your appointment is confirmed for Monday. " * 6 + "{ok} [€5]"
LONG_UCS2 = "Rappel : votre rendez-vous est confirmé 😀 — à lundi ! " * 4


class Harness:
    """A virtual modem on a pty and a driver running against it."""

    def __init__(self, faults: Faults | None = None, **config: object) -> None:
        self.pty = PtyModem(VirtualModem(faults=faults or Faults()))
        self.config = config
        self.received: list[Incoming] = []
        self.fail_storing = False
        self.modem: Modem | None = None
        self.task: asyncio.Task[None] | None = None

    async def on_incoming(self, item: Incoming) -> None:
        if self.fail_storing:
            raise RuntimeError("database unavailable")
        self.received.append(item)

    async def start(self, *, wait_ready: bool = True) -> Modem:
        path = await self.pty.start()
        settings = dict(QUICK)
        settings.update(self.config)
        config = ModemConfig(name="m1", device=path, **settings)  # type: ignore[arg-type]
        self.modem = Modem(config, on_incoming=self.on_incoming)
        self.task = asyncio.create_task(self.modem.run())
        if wait_ready:
            await asyncio.wait_for(self.modem.ready.wait(), timeout=10)
        return self.modem

    async def close(self) -> None:
        if self.modem is not None:
            self.modem.stop()
        if self.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, timeout=10)
        await self.pty.stop()


@pytest.fixture
async def harness_factory():
    made: list[Harness] = []

    def make(faults: Faults | None = None, **config: object) -> Harness:
        harness = Harness(faults, **config)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.close()


async def serving(modem: Modem) -> None:
    """Return once a health check has answered: the first storage sweep is over.

    That sweep starts as the modem becomes ready, and a listing in it (``AT+CMGL``) is allowed
    LIST_TIMEOUT (30 s): a fault that begins during it is noticed only then. A test that breaks
    the link on purpose waits for this first, so the health checks are what notice (two failed
    checks, about three seconds).
    """
    connected_at = modem.last_seen
    await until(lambda: modem.last_seen != connected_at, timeout=30)


def submitted_texts(harness: Harness) -> list[str]:
    parts = [item.decoded for item in harness.pty.modem.submitted]
    return [p.text or "" for p in parts]


def stored(harness: Harness) -> int:
    """Messages held in the virtual modem's memories."""
    return sum(harness.pty.modem.memory(name).used for name in ("SM", "ME", "SR"))


def joined(harness: Harness) -> str:
    return "".join(submitted_texts(harness))


@pytest.mark.parametrize("text", [LONG_GSM7, LONG_UCS2, "Hi"], ids=["gsm7", "ucs2", "short"])
async def test_send_multi_segment_decodes_back_exactly(harness_factory, text) -> None:
    harness = harness_factory()
    modem = await harness.start()
    assert modem.status is PhoneStatus.AVAILABLE
    segments = pdu.encode_submit("+33612345678", text, concat_reference=42)
    references = await modem.send(segments)
    assert len(references) == len(segments)
    assert len(set(references)) == len(references)
    assert joined(harness) == text
    decoded = [item.decoded for item in harness.pty.modem.submitted]
    assert {d.destination for d in decoded} == {"+33612345678"}
    if len(segments) > 1:
        assert [d.concat.sequence for d in decoded] == list(range(1, len(segments) + 1))
    assert modem.counters.segments_sent == len(segments)


async def test_identity_and_network_are_read(harness_factory) -> None:
    harness = harness_factory()
    modem = await harness.start()
    vm = harness.pty.modem
    assert modem.identity.imei == vm.identity.imei
    assert modem.identity.imsi == vm.identity.imsi
    assert modem.identity.iccid == vm.identity.iccid
    assert modem.identity.manufacturer
    assert modem.network.registered
    assert modem.network.dbm is not None


async def test_echo_and_urc_noise_do_not_confuse_the_driver(harness_factory) -> None:
    harness = harness_factory(Faults(echo=True, urc_noise=True))
    modem = await harness.start()
    await modem.send(pdu.encode_submit("+33612345678", LONG_GSM7))
    assert joined(harness) == LONG_GSM7


async def test_bare_cr_line_ends(harness_factory) -> None:
    harness = harness_factory(Faults(line_end=b"\r"))
    modem = await harness.start()
    await modem.send(pdu.encode_submit("+33612345678", "bare CR"))
    assert joined(harness) == "bare CR"


async def test_slow_prompt_is_waited_for(harness_factory) -> None:
    harness = harness_factory(Faults(prompt_delay=1.5))
    modem = await harness.start()
    await modem.send(pdu.encode_submit("0612345678", "slow prompt"))
    assert joined(harness) == "slow prompt"


async def test_cms_500_is_temporary_and_next_send_succeeds(harness_factory) -> None:
    harness = harness_factory()
    modem = await harness.start()
    harness.pty.modem.faults.cms_errors.append(500)
    with pytest.raises(SendError) as info:
        await modem.send(pdu.encode_submit("+33612345678", "first try"))
    assert not info.value.permanent
    assert info.value.code == 500
    assert not info.value.uncertain
    await modem.send(pdu.encode_submit("+33612345678", "first try"))
    assert joined(harness) == "first try"


async def test_permanent_failure_is_classified(harness_factory) -> None:
    harness = harness_factory()
    modem = await harness.start()
    harness.pty.modem.faults.cms_errors.append(1)  # unassigned (unallocated) number
    with pytest.raises(SendError) as info:
        await modem.send(pdu.encode_submit("+33612345678", "nobody"))
    assert info.value.permanent


async def test_failure_mid_message_reports_the_segments_already_sent(harness_factory) -> None:
    harness = harness_factory()
    modem = await harness.start()
    segments = pdu.encode_submit("+33612345678", LONG_GSM7)
    assert len(segments) >= 3
    harness.pty.modem.faults.cms_errors.extend([])
    # Let the first segment pass, then fail the second.
    original = harness.pty.modem.faults

    async def fail_second() -> None:
        await until(lambda: len(harness.pty.modem.submitted) == 1)
        original.cms_errors.append(322)

    watcher = asyncio.create_task(fail_second())
    harness.pty.modem.faults.submit_delay = 0.3
    with pytest.raises(SendError) as info:
        await modem.send(segments)
    await watcher
    assert len(info.value.sent_references) == 1
    assert info.value.code == 322


async def test_receive_and_delete_only_after_stored(harness_factory) -> None:
    harness = harness_factory()
    await harness.start()
    await harness.pty.deliver("+33611111111", "hello from the network")
    await until(lambda: len(harness.received) == 1)
    item = harness.received[0]
    assert isinstance(item, ReceivedSms)
    assert item.message.text == "hello from the network"
    assert item.message.sender == "+33611111111"
    await until(lambda: stored(harness) == 0)


async def test_message_kept_on_sim_when_storing_fails(harness_factory) -> None:
    harness = harness_factory(poll_interval=0.3)
    await harness.start()
    harness.fail_storing = True
    await harness.pty.deliver("+33611111111", "keep me")
    await asyncio.sleep(0.8)
    assert stored(harness) == 1
    harness.fail_storing = False
    await until(lambda: len(harness.received) >= 1)
    await until(lambda: stored(harness) == 0)
    assert harness.received[0].message.text == "keep me"


async def test_thirty_incoming_messages_at_once(harness_factory) -> None:
    harness = harness_factory(Faults(storage_capacity=40))
    await harness.start()
    texts = [f"message number {i}" for i in range(30)]
    for i, text in enumerate(texts):
        await harness.pty.deliver(f"+3361111{i:04d}", text)
    await until(lambda: len(harness.received) >= 30, timeout=20)
    got = sorted(item.message.text for item in harness.received if isinstance(item, ReceivedSms))
    assert got == sorted(texts)
    await until(lambda: stored(harness) == 0)


async def test_messages_waiting_at_start_are_swept(harness_factory) -> None:
    harness = harness_factory()
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    harness.pty.modem.deliver("+33622222222", "waiting since before start", timestamp=when)
    await harness.start()
    await until(lambda: len(harness.received) == 1)
    assert harness.received[0].message.text == "waiting since before start"


async def test_long_incoming_message_arrives_as_parts(harness_factory) -> None:
    harness = harness_factory()
    await harness.start()
    await harness.pty.deliver("+33633333333", LONG_UCS2)
    parts = len(pdu.split(LONG_UCS2))
    await until(lambda: len(harness.received) == parts)
    ordered = sorted(harness.received, key=lambda item: item.message.concat.sequence)
    assert "".join(item.message.text for item in ordered) == LONG_UCS2


async def test_status_report_is_handed_up(harness_factory) -> None:
    harness = harness_factory()
    modem = await harness.start()
    [reference] = await modem.send(
        pdu.encode_submit("+33612345678", "report me", request_status_report=True)
    )
    await harness.pty.deliver_report(reference, "+33612345678", status=0)
    await until(lambda: any(isinstance(i, ReceivedReport) for i in harness.received))
    report = next(i for i in harness.received if isinstance(i, ReceivedReport)).report
    assert report.reference == reference
    assert report.delivered


async def test_memory_full_answer_is_reported(harness_factory) -> None:
    harness = harness_factory()
    modem = await harness.start()
    harness.pty.modem.faults.cms_errors.append(322)
    with pytest.raises(SendError) as info:
        await modem.send(pdu.encode_submit("+33612345678", "full"))
    assert info.value.code == 322
    assert not info.value.permanent


async def test_modem_that_stops_answering_is_reset(harness_factory) -> None:
    harness = harness_factory()
    modem = await harness.start()
    await serving(modem)
    with capture_logs() as logs:
        harness.pty.modem.faults.silent = True
        await until(lambda: not modem.ready.is_set(), timeout=30)
        assert modem.status is PhoneStatus.UNAVAILABLE
        assert "health checks" in modem.last_error
        with pytest.raises(ModemUnavailableError):
            await modem.send(pdu.encode_submit("+33612345678", "nobody home"))
        harness.pty.modem.faults.silent = False
        await asyncio.wait_for(modem.ready.wait(), timeout=30)
    assert modem.status is PhoneStatus.AVAILABLE
    assert modem.counters.resets >= 1
    events = [entry["event"] for entry in logs]
    # once at WARNING for the whole outage (a reconnection that failed meanwhile logs at DEBUG)
    unavailable = [e["log_level"] for e in logs if e["event"] == "modem_unavailable"]
    assert unavailable.count("warning") == 1
    assert "modem_back" in events
    await modem.send(pdu.encode_submit("+33612345678", "back again"))
    assert joined(harness) == "back again"


async def test_garbage_for_a_while_then_recovery(harness_factory) -> None:
    harness = harness_factory()
    modem = await harness.start()
    await serving(modem)
    harness.pty.modem.faults.garbage = True
    await until(lambda: not modem.ready.is_set(), timeout=30)
    harness.pty.modem.faults.garbage = False
    await asyncio.wait_for(modem.ready.wait(), timeout=30)
    await modem.send(pdu.encode_submit("+33612345678", "clean line"))
    assert joined(harness) == "clean line"


async def test_port_that_disappears_ends_the_driver(harness_factory) -> None:
    harness = harness_factory()
    modem = await harness.start()
    with capture_logs() as logs:
        await harness.pty.unplug()
        await asyncio.wait_for(harness.task, timeout=10)
    assert modem.gone
    assert not modem.ready.is_set()
    assert "modem_unplugged" in [entry["event"] for entry in logs]


async def test_unplug_mid_segment_is_an_uncertain_outcome(harness_factory) -> None:
    harness = harness_factory()
    modem = await harness.start()
    harness.pty.modem.faults.hangup_on_submit = True
    with pytest.raises(SendError) as info:
        await modem.send(pdu.encode_submit("+33612345678", "did it leave?"))
    assert info.value.uncertain
    assert not info.value.permanent


async def test_sim_pin_is_entered(harness_factory) -> None:
    harness = harness_factory(Faults(pin="4321"), pin="4321")
    modem = await harness.start()
    await modem.send(pdu.encode_submit("+33612345678", "unlocked"))
    assert joined(harness) == "unlocked"


async def test_wrong_pin_is_never_retried(harness_factory) -> None:
    harness = harness_factory(Faults(pin="4321"), pin="0000")
    await harness.start(wait_ready=False)
    await asyncio.wait_for(harness.task, timeout=10)
    modem = harness.modem
    assert modem is not None
    assert not modem.ready.is_set()
    assert "PIN" in modem.last_error
    assert harness.pty.modem._state.pin_tries == 2


async def test_network_lost_parks_the_modem(harness_factory) -> None:
    harness = harness_factory()
    modem = await harness.start()
    harness.pty.modem.faults.registered = False
    await until(lambda: modem.status is PhoneStatus.UNAVAILABLE)
    with pytest.raises(ModemUnavailableError):
        await modem.send(pdu.encode_submit("+33612345678", "no network"))
    harness.pty.modem.faults.registered = True
    await until(lambda: modem.status is PhoneStatus.AVAILABLE)
