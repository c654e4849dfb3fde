"""Fault switches of the virtual modem: mutable knobs a test or a bench flips at any time."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Faults:
    """How the virtual modem misbehaves (or which real-modem habits it shows).

    Every field is read at the moment it matters, so flipping one between two commands takes
    effect on the next byte received.
    """

    echo: bool = True
    """Echo command lines back, like a modem after power-up; ``ATE0`` clears it, ``ATZ`` sets it."""
    line_end: bytes = b"\r\n"
    """Framing of every reply and unsolicited line (some firmware uses a bare ``b"\\r"``)."""
    urc_noise: bool = False
    """Interleave ``^RSSI``/``^BOOT``/``+CREG``-style lines between the lines of every reply."""
    prompt_delay: float = 0.0
    """Seconds between ``AT+CMGS=<n>`` and the ``> `` prompt."""
    submit_delay: float = 0.0
    """Seconds per submitted segment before the network's answer (about 3 s on a real modem)."""
    cms_errors: list[int] = field(default_factory=list)
    """Network answers for the next submissions: each one pops a code and answers ``+CMS ERROR``."""
    silent: bool = False
    """Answer nothing at all, not even an echo (a hung modem)."""
    garbage: bool = False
    """Replace every byte sent to the host by noise (a wrong baud rate or a dying cable)."""
    bare_ok: float = 0.0
    """Share (0..1) of accepted submits answered with a bare ``OK``, no ``+CMGS: <mr>`` line, as
    some firmware does; spread evenly (0.3: the 4th, 7th, 10th… submit), so runs repeat."""
    hangup_on_submit: bool = False
    """Vanish right after a PDU is accepted: the SMS left, the host never hears its reference."""
    pin: str | None = None
    """The SIM asks for this PIN until ``AT+CPIN="<pin>"``; three wrong PINs lock it (SIM PUK)."""
    sim_busy: int = 0
    """The next this-many SIM or SMS commands answer "SIM busy" (``+CME ERROR: 14`` /
    ``+CMS ERROR: 314``), as for ~10 s after power-up or PIN entry on real modems."""
    sim_present: bool = True
    """``False``: SIM commands answer ``+CME ERROR: 10`` and SMS commands ``+CMS ERROR: 310``."""
    registered: bool = True
    """Registered on the home network (``+CREG: <n>,1``) or not (``+CREG: <n>,0``)."""
    storage_capacity: int = 30
    """Slots in each message memory (``SM``, ``ME``); a full memory announces no ``+CMTI``."""
    report_capacity: int = 10
    """Slots in the status-report memory ``SR`` (tiny on real SIMs)."""
    status_reports: bool = True
    """After each submit that requests a status report, queue one in ``pending_reports``."""
    auto_status_reports: bool = False
    """Emit the queued status report (delivered) right after the ``+CMGS`` reply."""
    memfull_urc: bool = True
    """Announce a full memory with ``^SMMEMFULL: "<mem>"`` as Huawei E1750 does."""
    reset_unplugs: bool = False
    """``AT+CFUN=1,1`` makes the device vanish (USB re-enumeration) instead of resetting."""
    signal: int = 20
    """``AT+CSQ`` rssi (0..31, 99 = unknown)."""
    caller_id: bool = True
    """``False``: ``AT+CLIP`` answers ``ERROR`` and no ``+CLIP`` follows a ``RING``."""


__all__ = ["Faults"]
