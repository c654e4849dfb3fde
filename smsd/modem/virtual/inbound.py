"""Messages arriving from the network: SMS-DELIVER parts and status reports.

Routing follows ``AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>`` (27.005 §3.4.1):

- ``mt`` 0: store, announce nothing (the host polls with ``AT+CMGL``); 1: store in ``<mem3>``
  and announce ``+CMTI: "<mem3>",<index>``; 2: route the PDU itself as ``+CMT: ,<length>`` plus
  the PDU line, nothing stored (class 2 is still stored); 3: like 2 for class 3, like 1 otherwise.
- ``ds`` 0: reports are not routed to the host; 1: ``+CDS: <length>`` plus the PDU line;
  2: store in ``SR`` and announce ``+CDSI: "SR",<index>``.
- ``mode`` 0 buffers these indications until ``AT+CNMI`` sets mode 1 or 2 (``bfr`` 0 flushes the
  buffer then, 1 clears it); while the host is typing a PDU, mode 1 discards them and mode 2
  holds them until the command has its final result.

A full memory stores nothing and announces nothing (Huawei adds ``^SMMEMFULL``); the network
keeps the message and delivers it again as soon as a slot is freed (the ME's memory-available
notification), which :func:`retry_network_queue` does after ``AT+CMGD``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.modem.virtual.state import NETWORK_QUEUE_LIMIT
from smsd.modem.virtual.storage import MessageStat, StoredMessage

if TYPE_CHECKING:
    from smsd.modem.virtual.state import ModemState

UrcLines = tuple[str, ...]
CLASS_SIM_SPECIFIC = 2
CLASS_TE_SPECIFIC = 3


def sms_indication(state: ModemState, lines: UrcLines, *, busy: bool) -> list[UrcLines]:
    """Send, hold or drop one SMS indication according to the CNMI ``<mode>``."""
    mode = state.settings.cnmi.mode
    if mode == 0 or (busy and mode == 2):
        state.hold_urc(lines)
        return []
    if busy:
        return []
    if lines[0].startswith(("+CMT:", "+CDS:")) and state.settings.csms == 1:
        state.cnma_expected += 1
    return [lines]


def flush_held(state: ModemState) -> list[UrcLines]:
    """The held indications, now that the host may receive them (mode 1 or 2, link idle)."""
    if state.settings.cnmi.mode == 0 or not state.held_urcs:
        return []
    held = list(state.held_urcs)
    state.held_urcs.clear()
    out: list[UrcLines] = []
    for lines in held:
        out.extend(sms_indication(state, lines, busy=False))
    return out


def receive_deliver(
    state: ModemState,
    pdu: bytes,
    tpdu_length: int,
    message_class: int | None,
    *,
    busy: bool,
) -> list[UrcLines]:
    """One SMS-DELIVER from the network: route, store or queue it; return lines to send."""
    cnmi = state.settings.cnmi
    direct = (cnmi.mt == 2 and message_class != CLASS_SIM_SPECIFIC) or (
        cnmi.mt == 3 and message_class == CLASS_TE_SPECIFIC
    )
    if direct:
        return sms_indication(state, (f"+CMT: ,{tpdu_length}", pdu.hex().upper()), busy=busy)
    memory = state.memories[state.cpms[2]]
    index = memory.store(StoredMessage(pdu, tpdu_length, MessageStat.REC_UNREAD))
    if index is None:
        state.network_queue.append((pdu, tpdu_length, message_class))
        del state.network_queue[:-NETWORK_QUEUE_LIMIT]
        return [(f'^SMMEMFULL: "{memory.name}"',)] if state.faults.memfull_urc else []
    if cnmi.mt == 0:
        return []
    return sms_indication(state, (f'+CMTI: "{memory.name}",{index}',), busy=busy)


def retry_network_queue(state: ModemState, *, busy: bool) -> list[UrcLines]:
    """Deliver what the network kept while the memory was full, as far as slots allow."""
    memory = state.memories[state.cpms[2]]
    out: list[UrcLines] = []
    while state.network_queue and not memory.full:
        pdu, length, message_class = state.network_queue.pop(0)
        out.extend(receive_deliver(state, pdu, length, message_class, busy=busy))
    return out


def receive_report(
    state: ModemState, pdu: bytes, tpdu_length: int, *, busy: bool
) -> list[UrcLines]:
    """One SMS-STATUS-REPORT from the network, routed per CNMI ``<ds>``."""
    ds = state.settings.cnmi.ds
    if ds == 1:
        return sms_indication(state, (f"+CDS: {tpdu_length}", pdu.hex().upper()), busy=busy)
    if ds == 2:
        memory = state.memories["SR"]
        index = memory.store(StoredMessage(pdu, tpdu_length, MessageStat.REC_UNREAD))
        if index is None:
            return []
        return sms_indication(state, (f'+CDSI: "{memory.name}",{index}',), busy=busy)
    return []


__all__ = [
    "UrcLines",
    "flush_held",
    "receive_deliver",
    "receive_report",
    "retry_network_queue",
    "sms_indication",
]
