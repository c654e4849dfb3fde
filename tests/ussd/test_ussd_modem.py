"""USSD through the modem driver over real pseudo-terminals against the virtual modem.

Every answer form (plain text, GSM-7 packed hex, UCS-2 hex) and every answer order (after
``OK``, before it, instead of it), a two-step menu, a timeout that cancels, "not supported",
and SMS submits that keep going while the network thinks.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from smsd import pdu
from smsd.at.commands import UssdStatus
from smsd.errors import UssdError
from smsd.modem.driver import Modem
from smsd.modem.settings import ModemConfig
from smsd.modem.virtual import Faults, PtyModem, VirtualModem

ORDERS = ["after", "before", "instead"]


async def _nothing(_item: object) -> None:
    return None


@contextlib.asynccontextmanager
async def running(virtual: VirtualModem):
    pty = PtyModem(virtual)
    path = await pty.start()
    config = ModemConfig(
        name="u1", device=path, health_interval=5.0, poll_interval=30.0, command_timeout=1.0,
        submit_timeout=5.0, backoff_initial=0.05, backoff_cap=0.2, probe_attempts=3,
    )  # fmt: skip
    modem = Modem(config, on_incoming=_nothing)
    task = asyncio.create_task(modem.run())
    try:
        await asyncio.wait_for(modem.ready.wait(), timeout=10)
        yield modem, pty
    finally:
        modem.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=10)
        await pty.stop()


# What each family really sends: Huawei packed hex or UCS-2, SIMCom text or UCS-2; a modem of
# no known family ("auto") may send any of the three.
MAKERS = [
    ("huawei", "packed"), ("huawei", "ucs2"), ("SIMCOM INCORPORATED", "text"),
    ("SIMCOM INCORPORATED", "ucs2"), ("Acme Wireless", "text"), ("Acme Wireless", "packed"),
    ("Acme Wireless", "ucs2"),
]  # fmt: skip


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(("maker", "form"), MAKERS)
async def test_balance_decoded_in_every_form_and_order(form: str, order: str, maker: str) -> None:
    virtual = VirtualModem(manufacturer=maker)
    virtual.ussd.form, virtual.ussd.order, virtual.ussd.delay = form, order, 0.05
    async with running(virtual) as (modem, _pty):
        answer = await modem.ussd("*100#", timeout=5)
        assert answer.status is UssdStatus.DONE
        assert answer.text == "Your balance is 12,50 EUR."
        assert answer.dcs == (72 if form == "ucs2" else 15)
        # the request went packed to Huawei, as typed to SIMCom; the operator read both
        assert virtual.ussd.requests == ["*100#"]
        # the channel is usable at once afterwards, whatever the order
        again = await modem.ussd("*100#", timeout=5)
        assert again.text == answer.text


async def test_menu_walked_in_two_steps() -> None:
    virtual = VirtualModem()
    virtual.ussd.form = "ucs2"
    async with running(virtual) as (modem, _pty):
        top = await modem.ussd("*123#", timeout=5)
        assert (top.waiting, top.text) == (True, "Menu:\n1 Balance\n2 Data")
        data = await modem.ussd("2", timeout=5)
        assert (data.waiting, data.text) == (True, "Data:\n1 Buy 1 GB\n2 Remaining")
        leaf = await modem.ussd("2", timeout=5)
        assert (leaf.waiting, leaf.text) == (False, "Remaining: 750 MB")


async def test_multiline_text_answer_arrives_whole() -> None:
    virtual = VirtualModem(manufacturer="Quectel")
    virtual.ussd.form = "text"
    async with running(virtual) as (modem, _pty):
        top = await modem.ussd("*123#", timeout=5)
        assert top.text == "Menu:\n1 Balance\n2 Data"


async def test_timeout_cancels_the_session() -> None:
    virtual = VirtualModem()
    async with running(virtual) as (modem, _pty):
        with pytest.raises(UssdError) as caught:
            await modem.ussd("*999#", timeout=0.3)
        assert caught.value.timed_out
        assert "cancelled" in str(caught.value)
        assert virtual.ussd.cancels == 1
        assert (await modem.ussd("*100#", timeout=5)).status is UssdStatus.DONE


async def test_not_supported() -> None:
    async with running(VirtualModem()) as (modem, _pty):
        answer = await modem.ussd("*404#", timeout=5)
        assert (answer.status, answer.text) == (UssdStatus.NOT_SUPPORTED, "")


async def test_submits_run_while_the_network_thinks() -> None:
    virtual = VirtualModem(faults=Faults(submit_delay=0.05))
    virtual.ussd.delay = 0.6
    async with running(virtual) as (modem, _pty):
        segments = pdu.encode_submit("+33612345678", "while USSD waits")
        ussd = asyncio.create_task(modem.ussd("*100#", timeout=5))
        await asyncio.sleep(0.1)  # AT+CUSD answered OK; the network's answer is 0.5 s away
        loop = asyncio.get_running_loop()
        started = loop.time()
        references = [await modem.send(segments) for _ in range(3)]
        assert loop.time() - started < 0.5  # not held back by the pending USSD answer
        assert not ussd.done()
        assert (await ussd).text == "Your balance is 12,50 EUR."
        assert len(references) == 3
        assert [s.decoded.text for s in virtual.submitted] == ["while USSD waits"] * 3
