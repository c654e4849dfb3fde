"""``AtTransport.command(..., ends_on="+CUSD")``: the three orders in which firmware answers
``AT+CUSD=1``: ``OK`` then ``+CUSD``, ``+CUSD`` then ``OK``, ``+CUSD`` and no ``OK`` at all."""

from __future__ import annotations

import asyncio

from at_fakes import OK, Script

CUSD = b'\r\n+CUSD: 0,"Balance 5,00 EUR",15\r\n'
COMMAND = 'AT+CUSD=1,"*100#",15'


async def test_answer_after_ok(fake):
    proto, _ = fake(Script({COMMAND: [OK, (0.05, CUSD)]}))
    assert await proto.command(COMMAND, ends_on="+CUSD") == ()
    urc = await asyncio.wait_for(proto.urcs.get(), 1)
    assert (urc.name, urc.value) == ("+CUSD", '0,"Balance 5,00 EUR",15')


async def test_answer_before_ok_needs_no_resync(fake):
    proto, serial = fake(Script({COMMAND: CUSD + OK}))
    assert await proto.command(COMMAND, ends_on="+CUSD") == ()
    assert (await proto.urcs.get()).name == "+CUSD"
    await proto.command("AT+CSQ")
    assert serial.script.received == [COMMAND, "AT+CSQ"]  # no "AT" to resynchronise
    assert proto.stray_finals == 0


async def test_answer_instead_of_ok_ends_the_command(fake):
    proto, serial = fake(Script({COMMAND: CUSD}))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await proto.command(COMMAND, timeout=5, ends_on="+CUSD")
    assert loop.time() - started < 1  # not the 5 s timeout
    assert (await proto.urcs.get()).name == "+CUSD"
    await proto.command("AT+CSQ")
    assert serial.script.received[-1] == "AT+CSQ"


async def test_without_ends_on_a_cusd_line_is_still_unsolicited(fake):
    proto, _ = fake(Script({COMMAND: CUSD + OK}))
    assert await proto.command(COMMAND) == ()
    assert (await proto.urcs.get()).name == "+CUSD"
