"""Every exception the AT layer or the store can raise, injected at each await of the receive path.

The receive path: ``+CMTI`` → ``AT+CMGR`` (read), the periodic sweep's ``AT+CMGL`` (list), the
store's commit, then ``AT+CMGD`` (delete). Whatever is raised at one of them, the message is
stored exactly once in the end (it stays on the modem until it is, and the store deduplicates a
second read), the modem's storage ends empty, and the phone goes on receiving.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from injection_helpers import AT_ERRORS, STORE_ERRORS
from support.polling import until

from smsd import pdu
from smsd.modem.session import Session
from smsd.modem.virtual.storage import MessageStat, StoredMessage
from smsd.store import inbox

AT_POINTS = ["read_stored", "list_stored", "delete_stored"]


def stored_on_modem(rig) -> int:
    vm = rig.modems["m1"].modem
    return sum(vm.memory(name).used for name in ("SM", "ME"))


async def received(rig, text: str) -> int:
    rows = await rig.db.fetchall("SELECT id FROM received WHERE text = ?", (text,))
    return len(rows)


def inject_session(monkeypatch, name: str, error: Exception) -> list[int]:
    """The first call of ``Session.<name>`` with something to act on raises ``error``."""
    original = getattr(Session, name)
    calls: list[int] = []

    async def failing(self, *args, **kwargs):
        result = await original(self, *args, **kwargs)
        if not calls and (result or name == "delete_stored"):
            calls.append(1)
            raise error  # the modem answered, and the answer came garbled or not at all
        return result

    monkeypatch.setattr(Session, name, failing)
    return calls


def inject_store(monkeypatch, error: Exception) -> list[int]:
    original = inbox.store_received
    calls: list[int] = []

    async def failing(*args, **kwargs):
        if not calls:
            calls.append(1)
            raise error
        return await original(*args, **kwargs)

    monkeypatch.setattr(inbox, "store_received", failing)
    return calls


def store_unannounced(rig, text: str) -> None:
    """An SMS lands in the modem's memory and its ``+CMTI`` is lost: only a sweep finds it."""
    [part] = pdu.encode_deliver("+33611111111", text, timestamp=datetime.now(UTC))
    rig.modems["m1"].modem.memory("ME").store(
        StoredMessage(part.pdu, part.tpdu_length, MessageStat.REC_UNREAD)
    )


async def receives(rig, text: str, *, announced: bool = True) -> None:
    if announced:
        await rig.modems["m1"].deliver("+33611111111", text)
    else:
        store_unannounced(rig, text)
    await until(lambda: received(rig, text), timeout=20)
    await until(lambda: stored_on_modem(rig) == 0, timeout=20)
    assert await received(rig, text) == 1


@pytest.fixture
async def phone(rig):
    made = await rig.add("m1", poll_interval=0.3, health_interval=60.0)
    await rig.start()
    return made


@pytest.mark.parametrize("point", AT_POINTS)
@pytest.mark.parametrize("kind", list(AT_ERRORS), ids=lambda k: k.__name__)
async def test_at_error_in_receive_path(rig, phone, monkeypatch, kind, point: str) -> None:
    calls = inject_session(monkeypatch, point, AT_ERRORS[kind]())
    # The periodic sweep and the +CMTI read race for a new message: deliver until the step
    # under test is the one that met it (almost always the first time).
    for attempt in range(5):
        await receives(rig, f"first {attempt}", announced=point != "list_stored")
        if calls:
            break
    assert calls, f"Session.{point} was never reached"
    await receives(rig, "second")


@pytest.mark.parametrize("kind", list(STORE_ERRORS), ids=lambda k: k.__name__)
async def test_store_error_in_receive_path(rig, phone, monkeypatch, kind) -> None:
    calls = inject_store(monkeypatch, STORE_ERRORS[kind]())
    await receives(rig, "first")
    assert calls
    await receives(rig, "second")
