"""Vendor quirks as data: what to send at initialisation and what to expect, per manufacturer.

A table, not subclasses: the session looks up the entry whose ``match`` is found in the
manufacturer string (``AT+CGMI``) and applies it. Sources are the behaviours listed in the
project's field notes (gammu's per-model flags, ModemManager plugins, smstools3 settings).
"""

from __future__ import annotations

from dataclasses import dataclass

# AT+CNMI settings, best first: <mode>,<mt>,<bm>,<ds>,<bfr>.
# mt=1 stores incoming SMS and announces them with +CMTI (survives our own restarts and needs no
# AT+CNMA); ds=1 routes status reports directly as +CDS (SR memory is tiny), ds=2 stores them and
# announces +CDSI. Some firmware rejects mode 2 or ds=1 while advertising them, hence the ladder.
CNMI_LADDER = (
    "2,1,0,1,0",
    "1,1,0,1,0",
    "2,1,0,2,0",
    "1,1,0,2,0",
    "2,1,0,0,0",
    "1,1,0,0,0",
    "2,1",
    "1,1",
)

# AT+CPMS storage choices, best first: read/delete, write/send, receive.
# "ME"/"MT" are larger than the SIM on most dongles; a Huawei received nothing until "ME" was set.
CPMS_LADDER = (
    '"ME","ME","ME"',
    '"MT","MT","MT"',
    '"SM","SM","SM"',
    '"SM"',
)


@dataclass(frozen=True)
class Quirks:
    """What one family of modems needs beyond the standard initialisation."""

    name: str
    match: tuple[str, ...] = ()
    init: tuple[str, ...] = ()
    """Commands sent after the standard ones; a refusal is logged and ignored."""
    index_base: int = 1
    """First storage index (Huawei and ZTE count from 0)."""
    cpms: tuple[str, ...] = CPMS_LADDER
    cnmi: tuple[str, ...] = CNMI_LADDER
    ussd_request: str = "text"
    """How ``AT+CUSD=1`` carries the code: ``"text"`` as typed, ``"packed"`` as GSM-7 packed
    hex (``*100#`` -> ``AA180C3602``; Huawei and ZTE firmware in PDU mode)."""
    ussd_answer: str = "auto"
    """How a GSM-7 ``+CUSD`` answer comes: ``"packed"`` hex, ``"text"``, or ``"auto"`` (packed
    when it reads as packed hex of printable characters, else text)."""


GENERIC = Quirks(name="generic")

QUIRKS: tuple[Quirks, ...] = (
    Quirks(
        name="huawei",
        match=("huawei",),
        # ^CURC=0 silences the periodic ^RSSI/^BOOT/^MODE chatter (our parser copes with it, but
        # it wakes a Pi Zero every few seconds); signal is polled with AT+CSQ instead.
        init=("AT^CURC=0",),
        index_base=0,
        # In PDU mode the E1550/E173/E3372 families take the USSD string GSM-7 packed
        # (``AT+CUSD=1,"AA180C3602",15`` for ``*100#``) and answer with packed hex.
        ussd_request="packed",
        ussd_answer="packed",
    ),
    Quirks(
        name="zte",
        match=("zte",),
        init=("AT+ZOPRT=5",),
        index_base=0,
        ussd_request="packed",
        ussd_answer="packed",
    ),
    # SIMCom and Quectel decode the network's GSM-7 string and give it as text.
    Quirks(
        name="simcom",
        match=("simcom", "sim800", "sim7600"),
        ussd_request="text",
        ussd_answer="text",
    ),
    Quirks(
        name="quectel",
        match=("quectel",),
        # URCs go to one chosen port; point them at the one we use.
        init=('AT+QURCCFG="urcport","usbat"',),
        ussd_request="text",
        ussd_answer="text",
    ),
    Quirks(name="sierra", match=("sierra",)),
)


def quirks_for(manufacturer: str) -> Quirks:
    """Return the quirks entry for a manufacturer string, or the generic one."""
    lowered = manufacturer.lower()
    for entry in QUIRKS:
        if any(word in lowered for word in entry.match):
            return entry
    return GENERIC
