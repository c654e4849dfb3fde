"""AtTransport through pyserial-asyncio-fast on a real pseudo-terminal (lesson 9)."""

import asyncio

import pytest
from at_fakes import OK, Replies, Script

from smsd.at.errors import AtTimeout, ChannelClosed, CmsError

PDU = "0011000B913366554433F20000AA05E8329BFD06"
SUBMIT_OK = b"\r\n+CMGS: 7\r\n\r\nOK\r\n"


async def test_plain_command(pty_modem):
    script = Script({"AT+CGSN": b"AT+CGSN\r\r\n356789012345678\r\n\r\nOK\r\n"})
    proto, _ = await pty_modem(script)
    assert await proto.command("AT+CGSN") == ("356789012345678",)
    assert script.received == ["AT+CGSN"]


async def test_chunked_reply_with_urcs(pty_modem):
    reply = [
        (0.0, b"\r\n+CS"),
        (0.01, b"Q: 17,"),
        (0.02, b'99\r\n\r\n+CMTI: "SM",'),
        (0.03, b"4\r\n\r\nO"),
        (0.04, b"K\r\n"),
    ]
    proto, _ = await pty_modem(Script({"AT+CSQ": reply}))
    assert await proto.command("AT+CSQ") == ("+CSQ: 17,99",)
    urc = await asyncio.wait_for(proto.urcs.get(), 1)
    assert (urc.name, urc.value) == ("+CMTI", '"SM",4')


async def test_timeout_then_next_command_works(pty_modem):
    script = Script({"AT+CFUN=1": (0.15, OK), "AT+CSQ": b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n"})
    proto, _ = await pty_modem(script, resync_quiet=0.2)
    with pytest.raises(AtTimeout):
        await proto.command("AT+CFUN=1", timeout=0.05)
    assert await proto.command("AT+CSQ") == ("+CSQ: 20,99",)
    assert script.received == ["AT+CFUN=1", "AT", "AT+CSQ"]


async def test_slow_prompt(pty_modem):
    script = Script({"AT+CMGS=19": (0.3, b"\r\n> "), f"PDU:{PDU}": (0.05, SUBMIT_OK)})
    proto, _ = await pty_modem(script)
    assert await proto.submit_pdu(19, PDU, prompt_timeout=2) == ("+CMGS: 7",)


async def test_prompt_never_comes(pty_modem):
    script = Script({"AT+CMGS=19": None})
    proto, _ = await pty_modem(script)
    with pytest.raises(AtTimeout, match="prompt"):
        await proto.submit_pdu(19, PDU, prompt_timeout=0.1)
    await asyncio.sleep(0.05)
    assert script.received == ["AT+CMGS=19", "ESC"]
    assert not proto.busy


async def test_cms_500_then_success(pty_modem):
    script = Script(
        {"AT+CMGS=19": b"> ", f"PDU:{PDU}": Replies((0.02, b"\r\n+CMS ERROR: 500\r\n"), SUBMIT_OK)}
    )
    proto, _ = await pty_modem(script)
    with pytest.raises(CmsError) as error:
        await proto.submit_pdu(19, PDU)
    assert error.value.code == 500
    assert await proto.submit_pdu(19, PDU) == ("+CMGS: 7",)


async def test_cancel_caller_mid_submit(pty_modem):
    script = Script(
        {"AT+CMGS=19": b"> ", f"PDU:{PDU}": (0.2, SUBMIT_OK), "AT+CSQ": b"\r\n+CSQ: 9,99\r\nOK\r\n"}
    )
    proto, _ = await pty_modem(script)
    task = asyncio.create_task(proto.submit_pdu(19, PDU))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if f"PDU:{PDU}" in script.received:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert proto.busy
    assert await proto.command("AT+CSQ") == ("+CSQ: 9,99",)
    assert script.received == ["AT+CMGS=19", f"PDU:{PDU}", "AT+CSQ"]
    assert not proto.busy


async def test_unplug_fails_pending_waiter(pty_modem):
    proto, modem = await pty_modem(Script({"AT+CMGL=4": None}))
    task = asyncio.create_task(proto.command("AT+CMGL=4", timeout=5))
    await asyncio.sleep(0.05)
    modem.unplug()
    with pytest.raises(ChannelClosed) as closed:
        await asyncio.wait_for(task, 2)
    assert proto.closed
    cause = closed.value.__cause__
    assert type(cause).__name__ == "SerialException"  # what a pulled USB dongle gives too
    assert "returned no data" in str(cause)
    await asyncio.wait_for(proto.wait_closed(), 2)
    with pytest.raises(ChannelClosed):
        await proto.command("AT")
