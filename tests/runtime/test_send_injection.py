"""Every exception the AT layer or the store can raise, injected at each await of the send path.

The send path of a claimed message: ``AT+CMGS`` (the error injected before the PDU is written, or
after the modem took it), then the store transition that records the outcome
(``mark_segment_sent``, ``mark_sent_and_claim``, ``requeue``, ``mark_failed``, ``mark_unknown``);
before it, ``claim_next``. Whatever is raised, the message ends in a defined state (never left
``sending``), a segment that may have left is never sent again, and the sender goes on with the
next message.
"""

from __future__ import annotations

import asyncio

import pytest
from injection_helpers import AT_ERRORS, STORE_ERRORS, tree
from support.polling import until

from smsd.at import errors as at_errors
from smsd.at.transport import AtTransport
from smsd.errors import StoreError
from smsd.modem.virtual import Faults
from smsd.runtime import failures as failures_module
from smsd.runtime import sender as sender_module
from smsd.runtime import supervision
from smsd.store import errors as store_errors
from smsd.store import outbox
from smsd.store.outbox import Recipient

LONG = "A message long enough to need two segments on the wire, so it has a middle step. " * 2
REFUSALS = (at_errors.CommandFailed, at_errors.CmsError, at_errors.CmeError)


def test_every_error_class_is_injected() -> None:
    assert set(AT_ERRORS) == tree(at_errors.AtError)
    in_store = {c for c in tree(StoreError) if c.__module__ == store_errors.__name__}
    assert set(STORE_ERRORS) == in_store | {StoreError}


async def schedule(rig, text: str, number: str) -> int:
    await outbox.create_scheduled(
        rig.db, id_user=rig.id_user, text=text, at=None, numbers=[Recipient(number=number)]
    )
    await rig.engine.dispatcher.expand_due()
    found = await rig.db.fetchone("SELECT id FROM sended WHERE destination = ?", (number,))
    assert found is not None
    rig.engine.wake_senders()
    return int(found["id"])


async def settled(rig, id_sended: int) -> str:
    """Wait until the message left ``sending`` (and a first try happened); return its state."""

    async def done() -> bool:
        row = await rig.db.fetchone(
            "SELECT state, attempts, reason FROM sended WHERE id = ?", (id_sended,)
        )
        return row["state"] not in {"queued", "sending"} or bool(row["reason"])

    await until(done, timeout=10)
    row = await rig.db.fetchone("SELECT state FROM sended WHERE id = ?", (id_sended,))
    return str(row["state"])


def on_wire(rig, number: str) -> int:
    return sum(1 for submit in rig.wire("m1") if submit.destination == number)


def inject_submit(monkeypatch, error: Exception, *, after_write: bool) -> list[int]:
    """The next ``AT+CMGS`` raises ``error``: before the PDU is written, or once it is out."""
    original = AtTransport.submit_pdu
    calls: list[int] = []

    async def submit_pdu(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            if after_write:
                await original(self, *args, **kwargs)
            error.pdu_written = after_write
            raise error
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(AtTransport, "submit_pdu", submit_pdu)
    return calls


def inject_store(monkeypatch, name: str, error: Exception) -> list[int]:
    """The sender's next call of ``outbox.<name>`` raises ``error`` (and changes nothing)."""
    original = getattr(outbox, name)
    calls: list[int] = []

    async def failing(*args, **kwargs):
        task = asyncio.current_task()
        if task is not None and task.get_name().startswith("sender:"):
            calls.append(1)
            if len(calls) == 1:
                raise error
        return await original(*args, **kwargs)

    monkeypatch.setattr(outbox, name, failing)
    return calls


async def goes_on(rig) -> None:
    """The sender still sends: a fresh message reaches the wire and is recorded ``sent``."""
    id_next = await schedule(rig, "and the next one", "+33622222222")
    await until(lambda: on_wire(rig, "+33622222222") == 1, timeout=10)
    assert await settled(rig, id_next) == "sent"


@pytest.fixture
async def phone(rig, monkeypatch):
    monkeypatch.setattr(failures_module, "retry_delay", lambda _attempts: 3600.0)
    monkeypatch.setattr(supervision, "RESTART_INITIAL", 0.05)
    made = await rig.add("m1", health_interval=60.0, delivery_reports=False)
    await rig.start()
    return made


@pytest.mark.parametrize("after_write", [False, True], ids=["before-write", "after-write"])
@pytest.mark.parametrize("kind", list(AT_ERRORS), ids=lambda k: k.__name__)
async def test_at_error_at_cmgs(rig, phone, monkeypatch, kind, after_write: bool) -> None:
    inject_submit(monkeypatch, AT_ERRORS[kind](), after_write=after_write)
    id_sended = await schedule(rig, "hello", "+33611111111")
    state = await settled(rig, id_sended)
    if issubclass(kind, at_errors.UsageError):
        expected = "failed"  # we built something unusable: trying again cannot help
    elif issubclass(kind, REFUSALS) or not after_write:
        expected = "queued"  # refused, or never written: retried later
    else:
        expected = "unknown"  # it may have left: never sent again
    assert state == expected
    assert on_wire(rig, "+33611111111") == int(after_write)
    await goes_on(rig)
    assert on_wire(rig, "+33611111111") == int(after_write)


# (store call, how the virtual modem answers, text, state the message ends in, segments on wire)
STORE_POINTS = [
    ("claim_next", Faults(), "hello", "sent", 1),
    ("mark_segment_sent", Faults(), LONG, "unknown", 1),
    # A phone free to go on records the send with its next claim (mark_sent_and_claim).
    ("mark_sent_and_claim", Faults(), "hello", "unknown", 1),
    ("requeue", Faults(cms_errors=[500]), "hello", "queued", 0),
    ("mark_failed", Faults(cms_errors=[1]), "hello", "queued", 0),
    ("mark_unknown", Faults(), "hello", "unknown", 1),  # after a timeout once the PDU is out
]


@pytest.mark.parametrize("point", STORE_POINTS, ids=[p[0] for p in STORE_POINTS])
@pytest.mark.parametrize("kind", list(STORE_ERRORS), ids=lambda k: k.__name__)
async def test_store_error_in_send_path(rig, phone, monkeypatch, kind, point) -> None:
    name, faults, text, expected, wire = point
    vm = rig.modems["m1"].modem
    vm.faults.cms_errors = list(faults.cms_errors)
    if name == "mark_unknown":
        inject_submit(monkeypatch, at_errors.AtTimeout("AT+CMGS", 1.0), after_write=True)
    calls = inject_store(monkeypatch, name, STORE_ERRORS[kind]())
    id_sended = await schedule(rig, text, "+33611111111")
    if name == "claim_next":
        await until(lambda: on_wire(rig, "+33611111111") == 1, timeout=10)
    state = await settled(rig, id_sended)
    assert calls, f"outbox.{name} was never reached"
    assert state == expected
    assert on_wire(rig, "+33611111111") == wire
    await goes_on(rig)
    assert on_wire(rig, "+33611111111") == wire


async def test_a_settlement_the_store_refuses_is_kept_and_retried(rig, phone, monkeypatch) -> None:
    monkeypatch.setattr(sender_module, "SETTLE_RETRY", 0.1)
    inject_store(monkeypatch, "mark_sent_and_claim", StoreError("disk gone"))
    refused = inject_store(monkeypatch, "mark_unknown", StoreError("still gone"))
    id_sended = await schedule(rig, "hello", "+33611111111")
    await until(lambda: len(refused) >= 2, timeout=10)
    assert await settled(rig, id_sended) == "unknown"
    await goes_on(rig)
    assert on_wire(rig, "+33611111111") == 1
