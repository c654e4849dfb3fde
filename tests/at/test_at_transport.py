"""AtTransport over an in-memory scripted transport."""

import asyncio
import random

import pytest
from at_fakes import OK, FakeSerial, Replies, Script

from smsd.at.errors import (
    AtTimeout,
    ChannelClosed,
    CmeError,
    CmsError,
    CommandFailed,
    ProtocolViolation,
    UsageError,
)
from smsd.at.events import Urc
from smsd.at.transport import AtTransport

PDU = "0011000B913366554433F20000AA05E8329BFD06"
SUBMIT_OK = b"\r\n+CMGS: 42\r\n\r\nOK\r\n"


async def test_plain_command(fake):
    proto, serial = fake(Script({"AT+CSQ": b"AT+CSQ\r\r\n+CSQ: 17,99\r\n\r\nOK\r\n"}))
    assert await proto.command("AT+CSQ") == ("+CSQ: 17,99",)
    assert serial.written == b"AT+CSQ\r"
    assert not proto.busy


async def test_errors_raised_typed(fake):
    proto, _ = fake(
        Script(
            {
                "AT+CPIN?": b"\r\n+CME ERROR: 10\r\n",
                "AT+FOO": b"\r\nERROR\r\n",
                "AT+CMGD=1": b"\r\n+CMS ERROR: 321\r\n",
            }
        )
    )
    with pytest.raises(CmeError) as cme:
        await proto.command("AT+CPIN?")
    assert (cme.value.code, cme.value.name) == (10, "SIM not inserted")
    with pytest.raises(CommandFailed) as failed:
        await proto.command("AT+FOO")
    assert failed.value.command == "AT+FOO"
    with pytest.raises(CmsError) as cms:
        await proto.command("AT+CMGD=1")
    assert cms.value.code == 321
    assert await proto.command("AT") == ()


async def test_urcs_mid_response_go_to_queue(fake):
    reply = (
        b"\r\n+CMGL: 1,0,,19\r\n" + PDU.encode() + b'\r\n+CMTI: "SM",2\r\n^RSSI: 9\r\n\r\nOK\r\n'
    )
    proto, _ = fake(Script({"AT+CMGL=4": reply}))
    assert await proto.command("AT+CMGL=4") == ("+CMGL: 1,0,,19", PDU)
    assert proto.urcs.get_nowait() == Urc("+CMTI", '"SM",2', '+CMTI: "SM",2')
    assert proto.urcs.get_nowait() == Urc("^RSSI", "9", "^RSSI: 9")
    assert proto.urcs.empty()


async def test_urc_queue_drops_oldest(fake):
    proto, serial = fake(Script(), urc_queue_size=3)
    for i in range(5):
        serial.feed(f"\r\n^RSSI: {i}\r\n".encode())
    assert proto.urcs_dropped == 2
    values = [proto.urcs.get_nowait().value for _ in range(3)]
    assert values == ["2", "3", "4"]


async def test_timeout_then_next_command_gets_its_own_answer(fake):
    script = Script(
        {
            "AT+CSQ": (0.15, b"\r\n+CSQ: 5,99\r\n\r\nOK\r\n"),  # late
            "AT+CGMI": b"\r\nhuawei\r\n\r\nOK\r\n",
        }
    )
    proto, _ = fake(script, resync_quiet=0.2)
    with pytest.raises(AtTimeout) as timeout:
        await proto.command("AT+CSQ", timeout=0.05)
    assert timeout.value.command == "AT+CSQ"
    assert not proto.busy
    assert await proto.command("AT+CGMI") == ("huawei",)
    assert script.received == ["AT+CSQ", "AT", "AT+CGMI"]
    assert proto.stray_finals == 1
    assert proto.urcs.get_nowait().name == "+CSQ"  # the late info line, surfaced while idle


async def test_late_final_while_idle_is_dropped(fake):
    script = Script({"AT+CSQ": (0.08, b"\r\nOK\r\n"), "AT+CGMI": b"\r\nZTE\r\nOK\r\n"})
    proto, _ = fake(script)
    with pytest.raises(AtTimeout):
        await proto.command("AT+CSQ", timeout=0.02)
    await asyncio.sleep(0.1)
    assert await proto.command("AT+CGMI") == ("ZTE",)


async def test_silent_modem_resync_fails_cleanly(fake):
    proto, _ = fake(Script(default=None), default_timeout=0.05)
    with pytest.raises(AtTimeout):
        await proto.command("AT")
    with pytest.raises(AtTimeout, match="resynchronising"):
        await proto.command("AT+CSQ")
    assert not proto.busy


async def test_cancelled_command_leaves_channel_usable(fake):
    script = Script({"AT+COPS=?": None, "AT": OK, "AT+CSQ": b"\r\n+CSQ: 1,2\r\nOK\r\n"})
    proto, _ = fake(script)
    task = asyncio.create_task(proto.command("AT+COPS=?"))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not proto.busy
    assert await proto.command("AT+CSQ") == ("+CSQ: 1,2",)


async def test_commands_serialised(fake):
    script = Script({"AT+A": (0.03, b"\r\n+A: 1\r\nOK\r\n"), "AT+B": b"\r\n+B: 2\r\nOK\r\n"})
    proto, serial = fake(script)
    a, b = await asyncio.gather(proto.command("AT+A"), proto.command("AT+B"))
    assert (a, b) == (("+A: 1",), ("+B: 2",))
    assert serial.written == b"AT+A\rAT+B\r"


async def test_submit_pdu(fake):
    script = Script({"AT+CMGS=19": (0.02, b"\r\n> "), f"PDU:{PDU}": (0.02, SUBMIT_OK)})
    proto, serial = fake(script)
    assert await proto.submit_pdu(19, PDU) == ("+CMGS: 42",)
    assert serial.written == b"AT+CMGS=19\r" + PDU.encode() + b"\x1a"
    assert not proto.busy


async def test_submit_to_storage(fake):
    script = Script({"AT+CMGW=19": b"> ", f"PDU:{PDU}": b"\r\n+CMGW: 3\r\n\r\nOK\r\n"})
    proto, _ = fake(script)
    assert await proto.submit_pdu(19, PDU, command="AT+CMGW") == ("+CMGW: 3",)


async def test_prompt_never_comes_esc_and_timeout(fake):
    script = Script({"AT+CMGS=19": None, "AT": OK})
    proto, serial = fake(script)
    with pytest.raises(AtTimeout, match="prompt"):
        await proto.submit_pdu(19, PDU, prompt_timeout=0.05)
    assert serial.written.endswith(b"\x1b")
    assert PDU.encode() not in serial.written
    assert not proto.busy
    assert await proto.command("AT") == ()
    assert script.received == ["AT+CMGS=19", "ESC", "AT", "AT"]


async def test_cms_error_then_success(fake):
    script = Script(
        {
            "AT+CMGS=19": b"\r\n> ",
            f"PDU:{PDU}": Replies(b"\r\n+CMS ERROR: 500\r\n", SUBMIT_OK),
        }
    )
    proto, _ = fake(script)
    with pytest.raises(CmsError) as error:
        await proto.submit_pdu(19, PDU)
    assert (error.value.code, error.value.name) == (500, "unknown error")
    assert await proto.submit_pdu(19, PDU) == ("+CMGS: 42",)


async def test_error_instead_of_prompt(fake):
    proto, serial = fake(Script({"AT+CMGS=19": b"\r\n+CMS ERROR: 330\r\n"}))
    with pytest.raises(CmsError) as error:
        await proto.submit_pdu(19, PDU)
    assert error.value.code == 330
    assert b"\x1b" not in serial.written
    assert not proto.busy


async def test_ok_instead_of_prompt_is_a_violation(fake):
    proto, _ = fake(Script({"AT+CMGS=19": OK}))
    with pytest.raises(ProtocolViolation, match="prompt"):
        await proto.submit_pdu(19, PDU)
    assert proto.broken is None
    assert await proto.command("AT") == ()


async def test_submit_result_timeout(fake):
    script = Script({"AT+CMGS=19": b"> ", f"PDU:{PDU}": None})
    proto, _ = fake(script)
    with pytest.raises(AtTimeout) as timeout:
        await proto.submit_pdu(19, PDU, timeout=0.05)
    assert timeout.value.timeout == 0.05
    assert not proto.busy


async def test_cancel_caller_mid_submit_completes_in_background(fake):
    script = Script({"AT+CMGS=19": b"> ", f"PDU:{PDU}": (0.1, SUBMIT_OK), "AT": OK})
    proto, serial = fake(script)
    task = asyncio.create_task(proto.submit_pdu(19, PDU))
    await asyncio.sleep(0.03)
    assert serial.written.endswith(b"\x1a")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert proto.busy  # the submit still owns the channel
    started = asyncio.get_running_loop().time()
    assert await proto.command("AT") == ()
    assert asyncio.get_running_loop().time() - started >= 0.05
    assert script.received == ["AT+CMGS=19", f"PDU:{PDU}", "AT"]  # no ESC, no resync
    assert not proto.busy


async def test_cancel_while_waiting_for_prompt_sends_esc(fake):
    script = Script({"AT+CMGS=19": None})
    proto, serial = fake(script)
    task = asyncio.create_task(proto.submit_pdu(19, PDU))
    await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert serial.written.endswith(b"\x1b")
    assert not proto.busy


async def test_submit_refuses_bad_pdu_without_writing(fake):
    proto, serial = fake(Script())
    with pytest.raises(UsageError, match="length"):
        await proto.submit_pdu(0, PDU)
    for bad in ["", "ABC", "GG"]:
        with pytest.raises(UsageError):
            await proto.submit_pdu(1, bad)
    with pytest.raises(UsageError):
        await proto.command('AT+CPIN="1\r"')
    with pytest.raises(UsageError, match="submit_pdu"):
        await proto.command("AT+CMGS=19")
    assert serial.written == b""
    assert not proto.busy


async def test_unplug_fails_waiter_with_channel_closed(fake):
    proto, serial = fake(Script({"AT+CMGS=19": b"> ", f"PDU:{PDU}": None}))
    task = asyncio.create_task(proto.submit_pdu(19, PDU))
    await asyncio.sleep(0.01)
    cause = OSError("device disconnected")
    serial.unplug(cause)
    with pytest.raises(ChannelClosed) as closed:
        await task
    assert closed.value.__cause__ is cause
    assert proto.closed
    assert not proto.busy
    with pytest.raises(ChannelClosed):
        await proto.command("AT")
    await proto.wait_closed()


async def test_close_fails_pending_command(fake):
    proto, _ = fake(Script({"AT+CSQ": None}))
    task = asyncio.create_task(proto.command("AT+CSQ"))
    await asyncio.sleep(0.01)
    proto.close()
    with pytest.raises(ChannelClosed):
        await task
    await asyncio.wait_for(proto.wait_closed(), 1)
    assert proto.closed


async def test_close_without_connection():
    proto = AtTransport()
    proto.close()
    await asyncio.wait_for(proto.wait_closed(), 1)
    with pytest.raises(ChannelClosed):
        await proto.command("AT")


async def test_garbage_budget_breaks_the_channel(fake):
    proto, serial = fake(Script({"AT+CSQ": None}), garbage_budget=3)
    task = asyncio.create_task(proto.command("AT+CSQ"))
    await asyncio.sleep(0.01)
    serial.feed(b"\xff\r\n\xfe\r\n")
    assert not task.done()
    serial.feed(b"\x80\r\n")
    with pytest.raises(ProtocolViolation, match="garbage"):
        await task
    assert proto.garbage_count == 3
    assert proto.broken is not None
    with pytest.raises(ProtocolViolation):
        await proto.command("AT")


async def test_garbage_below_budget_is_tolerated(fake):
    proto, _ = fake(Script({"AT+CSQ": b"\r\n\xff\r\n+CSQ: 1,99\r\n\x01\r\nOK\r\n"}))
    assert await proto.command("AT+CSQ") == ("+CSQ: 1,99",)
    assert proto.garbage_count == 2
    assert proto.broken is None


async def test_data_received_never_raises(fake):
    proto, serial = fake(Script(), garbage_budget=10**9)
    rng = random.Random(7)
    for _ in range(300):
        serial.feed(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))))
    serial.feed(b"\r\n")
    assert proto.garbage_count > 0


async def test_command_waits_for_connection_made(fake):
    proto = AtTransport(default_timeout=0.5)
    task = asyncio.create_task(proto.command("AT+CSQ"))
    await asyncio.sleep(0.02)
    assert not task.done()
    FakeSerial(proto, Script({"AT+CSQ": b"\r\n+CSQ: 3,99\r\nOK\r\n"}))
    assert await task == ("+CSQ: 3,99",)


async def test_never_connected():
    proto = AtTransport(default_timeout=0.05)
    with pytest.raises(ChannelClosed, match="never connected"):
        await proto.command("AT")
    assert not proto.busy


async def test_write_raw_then_resync(fake):
    script = Script({"AT+CSQ": b"\r\n+CSQ: 1,99\r\nOK\r\n"})
    proto, serial = fake(script)
    proto.write_raw(b"\x1b\r")
    assert await proto.command("AT+CSQ") == ("+CSQ: 1,99",)
    assert script.received == ["ESC", "", "AT", "AT+CSQ"]
    assert serial.written.startswith(b"\x1b\r")


async def test_write_raw_refused_while_busy(fake):
    proto, _ = fake(Script({"AT+CSQ": (0.05, OK)}))
    task = asyncio.create_task(proto.command("AT+CSQ"))
    await asyncio.sleep(0.01)
    with pytest.raises(UsageError):
        proto.write_raw(b"\x1b")
    assert await task == ()


async def test_write_raw_before_connection_made(fake):
    proto = AtTransport()
    proto.write_raw(b"\x1b")
    script = Script()
    serial = FakeSerial(proto, script)
    assert serial.written == b"\x1b"
    assert await proto.command("AT+CSQ") == ()
    assert script.received == ["ESC", "AT", "AT+CSQ"]


async def test_close_before_connection_made_closes_the_port():
    proto = AtTransport()
    proto.close()
    serial = FakeSerial(proto, Script())
    assert serial.is_closing()
    assert proto.closed


async def test_internal_failure_marks_broken_instead_of_raising(fake, monkeypatch):
    proto, serial = fake(Script())

    def explode(data):
        raise RuntimeError("bug")

    monkeypatch.setattr(proto._channel, "receive", explode)
    serial.feed(b"OK\r\n")
    assert proto.broken is not None
    with pytest.raises(ProtocolViolation, match="bug"):
        await proto.command("AT")
