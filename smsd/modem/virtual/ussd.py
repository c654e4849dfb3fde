"""USSD at the virtual modem: ``AT+CUSD`` and a scripted operator behind it.

The operator knows four codes (all configurable on :class:`UssdOperator`):

* ``*100#``: the balance (``Your balance is 12,50 EUR.``), session over (``<m>`` = 0);
* ``*123#``: a two-level menu (``<m>`` = 1 until a leaf is chosen): ``1`` balance, ``2`` data,
  then under data ``1`` buys 1 GB, ``2`` tells what is left;
* ``*999#``: never answers (the host must time out and send ``AT+CUSD=2``);
* anything else: ``+CUSD: 4`` (operation not supported).

The answer is written in one of three forms (``form``): plain text with DCS 15 (SIMCom,
Quectel), GSM-7 packed hex with DCS 15 (Huawei, ZTE in PDU mode) or UCS-2 hex with DCS 72;
``auto`` picks packed for a Huawei or ZTE identity and text otherwise. It comes after ``OK``
(``order = "after"``, ``delay`` seconds later, without holding back the answers to other
commands), before ``OK`` (``"before"``) or instead of it (``"instead"``). A request written
as packed hex is unpacked first, as the real firmware does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smsd.modem.virtual.reply import int_arg, too_many
from smsd.modem.virtual.results import Refusal
from smsd.modem.virtual.syntax import Op
from smsd.pdu import gsm7

if TYPE_CHECKING:
    from smsd.modem.virtual.reply import HandlerType, Reply
    from smsd.modem.virtual.state import ModemState
    from smsd.modem.virtual.syntax import Command

BAD_PARAMETER = 50  # +CME ERROR: incorrect parameters
DCS_TEXT = 15
DCS_UCS2 = 72
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_CR = 0x0D
FORMS = ("auto", "text", "packed", "ucs2")
ORDERS = ("after", "before", "instead")


@dataclass
class UssdOperator:
    """The network's USSD service as the virtual modem plays it; change fields at any time."""

    balance: str = "12,50"
    currency: str = "EUR"
    form: str = "auto"
    order: str = "after"
    delay: float = 0.2
    balance_code: str = "*100#"
    menu_code: str = "*123#"
    silent_code: str = "*999#"
    requests: list[str] = field(default_factory=list)
    """Every string the host sent with ``AT+CUSD=1`` (unpacked), in order."""
    cancels: int = 0
    """``AT+CUSD=2`` received."""
    node: str | None = None
    """Where the menu session is (``"top"``, ``"data"``), ``None`` when no session is open."""

    def answer(self, text: str) -> tuple[int, str] | None:  # noqa: PLR0911 - one per menu entry
        """``(<m>, text)`` for a request or reply; ``None`` when the network stays silent."""
        node, self.node = self.node, None
        if node == "top":
            if text == "1":
                return 0, f"Balance: {self.balance} {self.currency}"
            if text == "2":
                self.node = "data"
                return 1, "Data:\n1 Buy 1 GB\n2 Remaining"
            return 0, "Invalid choice"
        if node == "data":
            if text == "1":
                return 0, "1 GB added to your plan."
            if text == "2":
                return 0, "Remaining: 750 MB"
            return 0, "Invalid choice"
        if text == self.balance_code:
            return 0, f"Your balance is {self.balance} {self.currency}."
        if text == self.menu_code:
            self.node = "top"
            return 1, "Menu:\n1 Balance\n2 Data"
        if text == self.silent_code:
            return None
        return 4, ""


def _form(state: ModemState) -> str:
    form = state.ussd.form
    if form == "auto":
        maker = state.identity.manufacturer.lower()
        return "packed" if "huawei" in maker or "zte" in maker else "text"
    return form


def _pack(text: str) -> str:
    septets = gsm7.encode_septets(text)
    if len(septets) % 8 == 7:
        septets += bytes((_CR,))
    return gsm7.pack(septets).hex().upper()


def _unpack_request(text: str) -> str:
    """A request as packed hex (Huawei style) back to text; plain text stays as it is."""
    if _HEX.fullmatch(text) is None:
        return text
    octets = bytes.fromhex(text)
    count = len(octets) * 8 // 7
    septets = gsm7.unpack(octets, count)
    if len(octets) % 7 == 0 and septets and septets[-1] in {_CR, 0}:
        septets = septets[:-1]
    decoded = gsm7.decode_septets(septets)
    return decoded if decoded.isprintable() else text


def cusd_line(state: ModemState, status: int, text: str) -> str:
    """``+CUSD: <m>,"<str>",<dcs>`` in the operator's form (``+CUSD: <m>`` without text)."""
    if not text:
        return f"+CUSD: {status}"
    form = _form(state)
    if form == "ucs2":
        return f'+CUSD: {status},"{text.encode("utf-16-be").hex().upper()}",{DCS_UCS2}'
    if form == "packed":
        return f'+CUSD: {status},"{_pack(text)}",{DCS_TEXT}'
    return f'+CUSD: {status},"{text}",{DCS_TEXT}'


def cusd(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CUSD=<n>[,<str>[,<dcs>]]``, ``AT+CUSD?``, ``AT+CUSD=?``."""
    operator = state.ussd
    if command.op is Op.READ:
        reply.info("+CUSD: 1")
        return
    if command.op is Op.TEST:
        reply.info("+CUSD: (0-2)")
        return
    if command.op is not Op.SET:
        raise Refusal.plain()
    too_many(command, 3)
    mode = int_arg(command, 0, 0, 2, error=Refusal.cme(BAD_PARAMETER))
    if mode == 2:
        operator.node = None
        operator.cancels += 1
        return
    text = command.args[1] if len(command.args) > 1 else None
    if not text:
        return  # presentation on/off only
    int_arg(command, 2, 0, 255, error=Refusal.cme(BAD_PARAMETER), default=DCS_TEXT)
    request = _unpack_request(text)
    operator.requests.append(request)
    answer = operator.answer(request)
    if answer is None:
        return
    line = cusd_line(state, *answer)
    if operator.order == "after":
        reply.later.append((operator.delay, (line,)))
        return
    reply.info(line)
    if operator.order == "instead":
        reply.no_final = True


HANDLERS: dict[str, HandlerType] = {"+CUSD": cusd}

__all__ = ["FORMS", "HANDLERS", "ORDERS", "UssdOperator", "cusd_line"]
