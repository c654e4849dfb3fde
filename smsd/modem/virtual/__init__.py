"""The virtual modem: a simulated USB GSM dongle, in-process (sans-I/O) or on a pseudo-terminal.

It is the daemon's embedded default (no hardware needed) and the test double of every modem
and runtime test. :class:`VirtualModem` answers AT commands in PDU mode with our own codec;
:class:`PtyModem` serves it on a pty whose slave path pyserial opens like a dongle's tty.
"""

from smsd.modem.virtual.actions import Action, Delay, Hangup, Later, Write
from smsd.modem.virtual.faults import Faults
from smsd.modem.virtual.identity import Identity, luhn_valid
from smsd.modem.virtual.pseudoterminal import PtyModem
from smsd.modem.virtual.responder import VirtualModem
from smsd.modem.virtual.state import Cnmi, PendingReport, SubmittedPdu
from smsd.modem.virtual.storage import MessageStat, StoredMessage
from smsd.modem.virtual.ussd import UssdOperator

__all__ = [
    "Action",
    "Cnmi",
    "Delay",
    "Faults",
    "Hangup",
    "Identity",
    "Later",
    "MessageStat",
    "PendingReport",
    "PtyModem",
    "StoredMessage",
    "SubmittedPdu",
    "UssdOperator",
    "VirtualModem",
    "Write",
    "luhn_valid",
]
