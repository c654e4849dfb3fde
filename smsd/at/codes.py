"""Classify response lines: final result codes, unsolicited result codes, echo, prefixes.

Pure functions over one line of text (V.250 / TS 27.007 / TS 27.005 result
codes and the vendor noise listed in the field notes).
"""

from __future__ import annotations

import re
from types import MappingProxyType

from smsd.at.errors import (
    UNKNOWN_CODE,
    CmeError,
    CmsError,
    CommandFailed,
    cme_code,
    cme_name,
    cms_code,
    cms_name,
)
from smsd.at.events import Final

__all__ = [
    "DIAL_RESULTS",
    "ERROR_WORDS",
    "MULTILINE_URCS",
    "RESPONSE_IS_URC",
    "URC_NAMES",
    "URC_WORDS",
    "expects_prompt",
    "final_result",
    "is_dial",
    "is_echo",
    "is_final",
    "response_prefix",
    "split_prefix",
    "trailing_lines",
]

# Final result codes that mean failure without a code (Huawei adds two words of its own).
ERROR_WORDS = frozenset({"ERROR", "COMMAND NOT SUPPORT", "TOO MANY PARAMETERS"})

# V.250 call results: final results of ATD/ATA/ATO, unsolicited otherwise.
DIAL_RESULTS: MappingProxyType[str, bool] = MappingProxyType(
    {
        "CONNECT": True,
        "NO CARRIER": False,
        "BUSY": False,
        "NO ANSWER": False,
        "NO DIALTONE": False,
        "NO DIAL TONE": False,
    }
)

# Unsolicited result codes written "<name>: <value>", mapped to how many lines
# follow them in PDU mode (+CDS is refined by `trailing_lines`).
URC_NAMES: MappingProxyType[str, int] = MappingProxyType(
    {
        # TS 27.005: messages and status reports
        "+CMTI": 0,
        "+CMT": 1,
        "+CDSI": 0,
        "+CDS": 1,
        "+CBM": 1,
        "+CBMI": 0,
        # TS 27.007: network, calls, SIM, indicators
        "+CREG": 0,
        "+CGREG": 0,
        "+CEREG": 0,
        "+C5GREG": 0,
        "+CRING": 0,
        "+CLIP": 0,
        "+CCWA": 0,
        "+CSSI": 0,
        "+CSSU": 0,
        "+CUSD": 0,
        "+CIEV": 0,
        "+CPIN": 0,
        "+CTZV": 0,
        "+CTZE": 0,
        "+CGEV": 0,
        "+CUSATP": 0,
        "+CFUN": 0,
        "+CSQ": 0,
        # Huawei
        "^RSSI": 0,
        "^HCSQ": 0,
        "^BOOT": 0,
        "^MODE": 0,
        "^SRVST": 0,
        "^SIMST": 0,
        "^STIN": 0,
        "^NWTIME": 0,
        "^DSFLOWRPT": 0,
        "^CSNR": 0,
        "^RFSWITCH": 0,
        "^NDISSTAT": 0,
        "^ORIG": 0,
        "^CONF": 0,
        "^CONN": 0,
        "^CEND": 0,
        "^SMMEMFULL": 0,
        "^SYSINFOEX": 0,
        "^CERSSI": 0,
        "^ECCLIST": 0,
        # ZTE
        "+ZPASR": 0,
        "+ZUSIMR": 0,
        "+ZEND": 0,
        "+ZDONR": 0,
        "+ZPSTM": 0,
        # SIMCom
        "+CNSMOD": 0,
        "+NITZ": 0,
        "+CGNSINF": 0,
        # Quectel
        "+QIND": 0,
        "+QUSIM": 0,
        "+QGPSURC": 0,
        "+QNITZ": 0,
        # Cinterion, u-blox, Telit, Sierra
        "^SYSSTART": 0,
        "^SIND": 0,
        "+PBREADY": 0,
        "+AT": 0,
        "#QSS": 0,
        "+PACSP": 0,
    }
)

# Unsolicited lines that are a bare word or phrase (no ": value").
URC_WORDS = frozenset(
    {
        "RING",
        "RDY",
        "Call Ready",
        "SMS Ready",
        "PB DONE",
        "SMS DONE",
        "POWERED DOWN",
        "NORMAL POWER DOWN",
        "UNDER-VOLTAGE POWER DOWN",
        "UNDER-VOLTAGE WARNNING",
        "OVER-VOLTAGE POWER DOWN",
        "^SYSSTART",
        "+PBREADY",
        "+PACSP0",
        "+PACSP1",
        *DIAL_RESULTS,
    }
)

# Unsolicited codes whose value may contain line breaks inside a quoted string
# (USSD text): following lines are joined until the quotes balance.
MULTILINE_URCS = frozenset({"+CUSD"})

# Commands whose namesake lines are unsolicited even while the command runs
# (AT+CUSD answers OK at once; the network's answer arrives as +CUSD later).
RESPONSE_IS_URC = frozenset({"+CUSD"})

_PREFIX = re.compile(r"AT([+^$%#*&][A-Z0-9_]+)", re.IGNORECASE)
_PROMPT_COMMANDS = ("AT+CMGS=", "AT+CMGW=", "AT+CMGC=")
_DIAL_COMMANDS = ("ATD", "ATA", "ATO")


def split_prefix(line: str) -> tuple[str, str]:
    """Split ``+CMTI: "SM",3`` into ``("+CMTI", '"SM",3')``; ``("", line)`` if no prefix."""
    if line and line[0] in "+^#$%*":
        name, sep, value = line.partition(":")
        if sep and " " not in name:
            return name, value.strip()
        if not sep and " " not in line:
            return line, ""
    return "", line


def is_dial(command: str) -> bool:
    """Whether call results (``NO CARRIER``, ``BUSY``...) end this command."""
    return command[:3].upper().startswith(_DIAL_COMMANDS)


def expects_prompt(command: str) -> bool:
    """Whether the modem answers this command with the ``> `` prompt (PDU mode)."""
    return command.upper().startswith(_PROMPT_COMMANDS)


def response_prefix(command: str) -> str | None:
    """The prefix of a command's information lines: ``AT+CREG?`` -> ``"+CREG"``."""
    match = _PREFIX.match(command)
    if match is None:
        return None
    return match.group(1).upper()


def is_echo(line: str, command: str) -> bool:
    """Whether ``line`` is the modem's echo of ``command`` (case and blanks ignored)."""
    return line.replace(" ", "").upper() == command.replace(" ", "").upper()


def _error_code(rest: str, *, cms: bool) -> tuple[int, str | None]:
    text = rest.strip()
    if text.isdigit():
        return int(text), None
    code = cms_code(text) if cms else cme_code(text)
    if code == UNKNOWN_CODE:
        return code, text
    return code, (cms_name(code) if cms else cme_name(code))


def final_result(line: str, command: str = "", *, dial: bool = False) -> Final | None:
    """The `Final` event ``line`` stands for, or None if it is not a final result code."""
    if line == "OK":
        return Final(ok=True, error=None, line=line)
    if line in ERROR_WORDS:
        return Final(ok=False, error=CommandFailed(command, line), line=line)
    head = line[:10].upper()
    if head in {"+CMS ERROR", "+CME ERROR"}:
        rest = line[10:].lstrip().removeprefix(":")
        cms = head == "+CMS ERROR"
        code, name = _error_code(rest, cms=cms)
        failure: CommandFailed = (
            CmsError(command, code, name) if cms else CmeError(command, code, name)
        )
        return Final(ok=False, error=failure, line=line)
    if dial:
        word = line.split(" ", 1)[0] if line.startswith("CONNECT") else line
        ok = DIAL_RESULTS.get(word)
        if ok is not None:
            error = None if ok else CommandFailed(command, line)
            return Final(ok=ok, error=error, line=line)
    return None


def is_final(line: str) -> bool:
    """Whether ``line`` is a final result code for any non-dial command."""
    return line == "OK" or line in ERROR_WORDS or line[:10].upper() in {"+CMS ERROR", "+CME ERROR"}


def trailing_lines(name: str, value: str) -> int:
    """How many lines follow this unsolicited code (``+CMT``/``+CBM``: the PDU).

    ``+CDS`` carries a PDU line only in PDU mode (``+CDS: <length>``); the
    text-mode form has all its fields on one line.
    """
    count = URC_NAMES.get(name, 0)
    if name == "+CDS" and not value.strip().isdigit():
        return 0
    return count
