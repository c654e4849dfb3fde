"""The virtual modem on a real pseudo-terminal, driven through pyserial-asyncio-fast."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

import pytest
import serial
import serial_asyncio_fast

from smsd import pdu
from smsd.modem.virtual import Cnmi, Faults, PtyModem, VirtualModem

STEP = 2.0  # seconds any single exchange may take on a loaded machine


def open_fds() -> int:
    return sum(1 for _ in Path("/proc/self/fd").iterdir())


@contextlib.asynccontextmanager
async def host(path: str):
    reader, writer = await serial_asyncio_fast.open_serial_connection(url=path, baudrate=115200)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(serial.SerialException, OSError):
            await writer.wait_closed()


async def command(reader, writer, line: str, until: bytes = b"OK\r\n") -> bytes:
    writer.write(line.encode() + b"\r")
    return await asyncio.wait_for(reader.readuntil(until), STEP)


@pytest.fixture
async def pty_modem():
    modem = PtyModem(VirtualModem(cnmi=Cnmi(mode=2, mt=1, ds=1)))
    await modem.start()
    try:
        yield modem
    finally:
        await modem.stop()


async def test_dialogue_with_echo_prompt_submit_and_list(pty_modem):
    assert pty_modem.path.startswith("/dev/pts/")
    async with host(pty_modem.path) as (reader, writer):
        assert await command(reader, writer, "AT") == b"AT\r\r\nOK\r\n"
        assert await command(reader, writer, "ATE0") == b"ATE0\r\r\nOK\r\n"
        assert await command(reader, writer, "AT+CGMM") == b"\r\nE3372\r\n\r\nOK\r\n"
        segment = pdu.encode_submit("+33612345678", "over a real tty")[0]
        prompt = await command(reader, writer, f"AT+CMGS={segment.tpdu_length}", until=b"> ")
        assert prompt == b"\r\n> "
        writer.write(segment.hex.encode() + b"\x1a")
        answer = await asyncio.wait_for(reader.readuntil(b"OK\r\n"), STEP)
        assert answer == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
        assert pty_modem.modem.submitted[0].submit.text == "over a real tty"
        await pty_modem.deliver("+33611111111", "incoming", timestamp=None)
        urc = await asyncio.wait_for(reader.readuntil(b'+CMTI: "SM",0\r\n'), STEP)
        assert urc == b'\r\n+CMTI: "SM",0\r\n'
        listing = await command(reader, writer, "AT+CMGL=4")
        header, body = listing.split(b"\r\n")[1:3]
        assert header.startswith(b"+CMGL: 0,0,,")
        assert pdu.decode(body.decode()).text == "incoming"


async def test_status_report_arrives_as_cds(pty_modem):
    async with host(pty_modem.path) as (reader, writer):
        await command(reader, writer, "ATE0")
        await pty_modem.deliver_report(7, "+33612345678", 0)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n"), STEP)
        head += await asyncio.wait_for(reader.readuntil(b"\r\n"), STEP)
        body = await asyncio.wait_for(reader.readuntil(b"\r\n"), STEP)
        assert head.startswith(b"\r\n+CDS: ")
        assert pdu.decode(body.strip().decode()).reference == 7


async def test_long_listing_survives_a_full_pty_buffer(pty_modem):
    for number in range(30):
        await pty_modem.deliver("+33611111111", f"message {number} " + "x" * 140)
    async with host(pty_modem.path) as (reader, writer):
        await command(reader, writer, "ATE0")
        listing = await command(reader, writer, "AT+CMGL=4")
    assert len(listing) > 8192
    assert listing.count(b"+CMGL: ") == 30


async def test_unplug_makes_the_host_see_the_device_vanish(pty_modem):
    async with host(pty_modem.path) as (reader, writer):
        assert await command(reader, writer, "AT") == b"AT\r\r\nOK\r\n"
        await pty_modem.unplug()
        assert not pty_modem.plugged
        with pytest.raises(serial.SerialException, match="returned no data"):
            await asyncio.wait_for(reader.read(100), STEP)


async def test_hangup_on_submit_closes_the_port_after_the_pdu():
    modem = VirtualModem(faults=Faults(echo=False, hangup_on_submit=True))
    async with PtyModem(modem) as pty_modem, host(pty_modem.path) as (reader, writer):
        segment = pdu.encode_submit("+33612345678", "cut")[0]
        await command(reader, writer, f"AT+CMGS={segment.tpdu_length}", until=b"> ")
        writer.write(segment.hex.encode() + b"\x1a")
        with pytest.raises(serial.SerialException):
            await asyncio.wait_for(reader.read(100), STEP)
        assert [s.reference for s in modem.submitted] == [0]


async def test_delays_are_honoured_in_order():
    modem = VirtualModem(faults=Faults(echo=False, prompt_delay=0.2, submit_delay=0.2))
    async with PtyModem(modem) as pty_modem, host(pty_modem.path) as (reader, writer):
        segment = pdu.encode_submit("+33612345678", "slow")[0]
        started = time.monotonic()
        await command(reader, writer, f"AT+CMGS={segment.tpdu_length}", until=b"> ")
        prompted = time.monotonic()
        writer.write(segment.hex.encode() + b"\x1a")
        await asyncio.wait_for(reader.readuntil(b"OK\r\n"), STEP)
        answered = time.monotonic()
        assert prompted - started >= 0.18
        assert answered - prompted >= 0.18


async def test_host_can_close_and_reopen_the_port(pty_modem):
    async with host(pty_modem.path) as (reader, writer):
        await command(reader, writer, "ATE0")
    async with host(pty_modem.path) as (reader, writer):
        assert await command(reader, writer, "AT") == b"\r\nOK\r\n"


async def test_replug_gives_a_power_cycled_modem_on_a_new_path(pty_modem):
    pty_modem.modem.faults.pin = "1234"
    pty_modem.modem.deliver("+33611111111", "kept on the SIM")
    first = pty_modem.path
    await pty_modem.unplug()
    second = await pty_modem.replug()
    assert second == pty_modem.path
    assert pty_modem.plugged
    async with host(second) as (reader, writer):
        answer = await command(reader, writer, "AT+CPIN?")
        assert b"+CPIN: SIM PIN" in answer
    assert pty_modem.modem.memory("SM").used == 1
    assert first  # the old path may be reused by the kernel; only the new one must work


async def test_silent_modem_times_out_the_host():
    modem = VirtualModem(faults=Faults(silent=True))
    async with PtyModem(modem) as pty_modem, host(pty_modem.path) as (reader, writer):
        writer.write(b"AT\r")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(1), 0.2)


async def test_no_descriptor_leaks_and_stop_is_idempotent():
    before = open_fds()
    for _ in range(3):
        pty_modem = PtyModem()
        await pty_modem.start()
        async with host(pty_modem.path) as (reader, writer):
            await command(reader, writer, "AT")
        await pty_modem.unplug()
        await pty_modem.stop()
        await pty_modem.stop()
    assert open_fds() == before


async def test_start_twice_is_refused():
    async with PtyModem() as pty_modem:
        with pytest.raises(RuntimeError, match="already started"):
            await pty_modem.start()
    with pytest.raises(RuntimeError, match="not started"):
        await PtyModem().replug()


async def test_output_larger_than_the_pty_buffer_waits_for_room_and_arrives_whole():
    modem = VirtualModem(faults=Faults(echo=False, storage_capacity=100))
    for number in range(100):
        modem.deliver("+33611111111", f"message {number} " + "y" * 140)
    async with PtyModem(modem) as pty_modem:
        fd = os.open(pty_modem.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            os.write(fd, b"AT+CMGL=4\r")
            await asyncio.sleep(0.2)
            assert pty_modem._writable is not None  # the master is full: waiting for room
            data = b""
            deadline = time.monotonic() + STEP
            while not data.endswith(b"\r\nOK\r\n") and time.monotonic() < deadline:
                try:
                    data += os.read(fd, 65536)
                except BlockingIOError:
                    await asyncio.sleep(0.01)
        finally:
            os.close(fd)
    assert len(data) > 30_000
    assert data.count(b"+CMGL: ") == 100
