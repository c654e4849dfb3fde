"""Errors of the AT layer and the named result codes of 3GPP TS 27.005 / 27.007.

Two families, kept apart as h11 does: the modem answered with a failure or
sent something illegal (`CommandFailed`, `CmsError`, `CmeError`,
`ProtocolViolation`), or we asked for something illegal (`UsageError`).
`AtTimeout` and `ChannelClosed` are about the link, not about a reply.

Modem error codes are values: `CmsError(code=500)` carries the number and the
name from the tables below (TS 27.005 clause 3.2.5 for ``+CMS ERROR``, which
relays TS 24.011 clause E.2 RP causes for 0..127 and TS 23.040 clause 9.2.3.22
TP-Failure-Cause values for 128..255; TS 27.007 clause 9.2 for ``+CME ERROR``).
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = [
    "CME_NAMES",
    "CMS_NAMES",
    "UNKNOWN_CODE",
    "AtError",
    "AtTimeout",
    "ChannelClosed",
    "CmeError",
    "CmsError",
    "CommandFailed",
    "MalformedResponse",
    "ProtocolViolation",
    "UsageError",
    "cme_code",
    "cme_name",
    "cms_code",
    "cms_name",
]

# Code given to a verbose error text (``+CME ERROR: <text>``) that is in no table.
UNKNOWN_CODE = -1

# TS 27.005 clause 3.2.5 <err> values for +CMS ERROR.
CMS_NAMES: MappingProxyType[int, str] = MappingProxyType(
    {
        # TS 24.011 clause E.2: RP-cause values relayed by the ME.
        1: "unassigned (unallocated) number",
        8: "operator determined barring",
        10: "call barred",
        17: "network failure",
        21: "short message transfer rejected",
        22: "memory capacity exceeded",
        27: "destination out of order",
        28: "unidentified subscriber",
        29: "facility rejected",
        30: "unknown subscriber",
        38: "network out of order",
        41: "temporary failure",
        42: "congestion",
        47: "resources unavailable, unspecified",
        50: "requested facility not subscribed",
        69: "requested facility not implemented",
        81: "invalid short message transfer reference value",
        95: "semantically incorrect message",
        96: "invalid mandatory information",
        97: "message type non-existent or not implemented",
        98: "message not compatible with short message protocol state",
        99: "information element non-existent or not implemented",
        111: "protocol error, unspecified",
        127: "interworking, unspecified",
        # TS 23.040 clause 9.2.3.22: TP-Failure-Cause values.
        128: "telematic interworking not supported",
        129: "short message type 0 not supported",
        130: "cannot replace short message",
        143: "unspecified TP-PID error",
        144: "data coding scheme (alphabet) not supported",
        145: "message class not supported",
        159: "unspecified TP-DCS error",
        160: "command cannot be actioned",
        161: "command unsupported",
        175: "unspecified TP-Command error",
        176: "TPDU not supported",
        192: "SC busy",
        193: "no SC subscription",
        194: "SC system failure",
        195: "invalid SME address",
        196: "destination SME barred",
        197: "SM rejected-duplicate SM",
        198: "TP-VPF not supported",
        199: "TP-VP not supported",
        208: "(U)SIM SMS storage full",
        209: "no SMS storage capability in (U)SIM",
        210: "error in MS",
        211: "memory capacity exceeded",
        212: "(U)SIM application toolkit busy",
        213: "(U)SIM data download error",
        255: "unspecified error cause",
        # TS 27.005 clause 3.2.5 proper.
        300: "ME failure",
        301: "SMS service of ME reserved",
        302: "operation not allowed",
        303: "operation not supported",
        304: "invalid PDU mode parameter",
        305: "invalid text mode parameter",
        310: "(U)SIM not inserted",
        311: "(U)SIM PIN required",
        312: "PH-(U)SIM PIN required",
        313: "(U)SIM failure",
        314: "(U)SIM busy",
        315: "(U)SIM wrong",
        316: "(U)SIM PUK required",
        317: "(U)SIM PIN2 required",
        318: "(U)SIM PUK2 required",
        320: "memory failure",
        321: "invalid memory index",
        322: "memory full",
        330: "SMSC address unknown",
        331: "no network service",
        332: "network timeout",
        340: "no +CNMA acknowledgement expected",
        500: "unknown error",
    }
)

# TS 27.007 clause 9.2 <err> values for +CME ERROR.
CME_NAMES: MappingProxyType[int, str] = MappingProxyType(
    {
        # 9.2.1 general errors
        0: "phone failure",
        1: "no connection to phone",
        2: "phone-adaptor link reserved",
        3: "operation not allowed",
        4: "operation not supported",
        5: "PH-SIM PIN required",
        6: "PH-FSIM PIN required",
        7: "PH-FSIM PUK required",
        10: "SIM not inserted",
        11: "SIM PIN required",
        12: "SIM PUK required",
        13: "SIM failure",
        14: "SIM busy",
        15: "SIM wrong",
        16: "incorrect password",
        17: "SIM PIN2 required",
        18: "SIM PUK2 required",
        20: "memory full",
        21: "invalid index",
        22: "not found",
        23: "memory failure",
        24: "text string too long",
        25: "invalid characters in text string",
        26: "dial string too long",
        27: "invalid characters in dial string",
        30: "no network service",
        31: "network timeout",
        32: "network not allowed - emergency calls only",
        40: "network personalization PIN required",
        41: "network personalization PUK required",
        42: "network subset personalization PIN required",
        43: "network subset personalization PUK required",
        44: "service provider personalization PIN required",
        45: "service provider personalization PUK required",
        46: "corporate personalization PIN required",
        47: "corporate personalization PUK required",
        48: "hidden key required",
        49: "EAP method not supported",
        50: "incorrect parameters",
        51: "command implemented but currently disabled",
        52: "command aborted by user",
        53: "not attached to network due to MT functionality restrictions",
        54: "modem not allowed - MT restricted to emergency calls only",
        55: "operation not allowed because of MT functionality restrictions",
        56: "fixed dial number only allowed - called number is not a fixed dial number",
        57: "temporarily out of service due to other MT usage",
        58: "language/alphabet not supported",
        59: "unexpected data value",
        60: "system failure",
        61: "data missing",
        62: "call barred",
        63: "message waiting indication subscription failure",
        100: "unknown",
        # 9.2.2 GPRS and EPS related errors (24.008 / 24.301 cause in brackets in the spec)
        103: "illegal MS",
        106: "illegal ME",
        107: "GPRS services not allowed",
        108: "GPRS services and non-GPRS services not allowed",
        111: "PLMN not allowed",
        112: "location area not allowed",
        113: "roaming not allowed in this location area",
        114: "GPRS services not allowed in this PLMN",
        115: "no suitable cells in location area",
        122: "congestion",
        125: "not authorized for this CSG",
        126: "insufficient resources",
        127: "missing or unknown APN",
        128: "unknown PDP address or PDP type",
        129: "user authentication failed",
        130: "activation rejected by GGSN, Serving GW or PDN GW",
        131: "activation rejected, unspecified",
        132: "service option not supported",
        133: "requested service option not subscribed",
        134: "service option temporarily out of order",
        140: "feature not supported",
        141: "semantic error in the TFT operation",
        142: "syntactical error in the TFT operation",
        143: "unknown PDP context",
        144: "semantic errors in packet filter(s)",
        145: "syntactical errors in packet filter(s)",
        146: "PDP context without TFT already activated",
        148: "unspecified GPRS error",
        149: "PDP authentication failure",
        150: "invalid mobile class",
        # 9.2.3 VBS, VGCS and eMLPP related errors
        151: "VBS/VGCS not supported by the network",
        152: "no service subscription on SIM",
        153: "no subscription for group ID",
        154: "group ID not activated on SIM",
        155: "no matching notification",
        156: "VBS/VGCS call already present",
        157: "congestion",
        158: "network failure",
        159: "uplink busy",
        160: "no access rights for SIM file",
        161: "no subscription for priority",
        162: "operation not applicable or not possible",
        163: "group ID prefixes not supported",
        164: "group ID prefixes not usable for VBS",
        165: "group ID prefix value invalid",
        # 9.2.2 continued (later releases)
        171: "last PDN disconnection not allowed",
        172: "semantically incorrect message",
        173: "invalid mandatory information",
        174: "message type non-existent or not implemented",
        175: "conditional IE error",
        176: "unspecified protocol error",
        177: "operator determined barring",
        178: "maximum number of PDP contexts reached",
        179: "requested APN not supported in current RAT and PLMN combination",
        180: "request rejected, bearer control mode violation",
        181: "unsupported QCI value",
        182: "user data transmission via control plane is congested",
        # supplementary-service related errors
        257: "network rejected request",
        258: "retry operation",
        259: "invalid deflected to number",
        260: "deflected to own number",
        261: "unknown subscriber",
        262: "service not available",
        263: "unknown class specified",
        264: "unknown network message",
    }
)


def _normalise(text: str) -> str:
    return " ".join(text.replace("(U)", "").split()).casefold()


_CMS_BY_TEXT = {_normalise(name): code for code, name in sorted(CMS_NAMES.items(), reverse=True)}
_CME_BY_TEXT = {_normalise(name): code for code, name in sorted(CME_NAMES.items(), reverse=True)}
# Spellings seen in verbose mode (AT+CMEE=2) that differ from the tables.
_CME_BY_TEXT.update(
    {
        "incorrect parameters": 50,
        "invalid parameters": 50,
        "sim not present": 10,
        "sim pin necessary": 11,
        "sim puk necessary": 12,
        "unknown error": 100,
    }
)


def cms_name(code: int) -> str:
    """Name of a ``+CMS ERROR`` code (TS 27.005 clause 3.2.5); every int has one."""
    name = CMS_NAMES.get(code)
    if name is not None:
        return name
    if code < 0:
        kind = "invalid error code"
    elif code <= 127:
        kind = "unspecified RP cause"
    elif code <= 255:
        kind = (
            "application-specific TP-Failure-Cause" if code >= 224 else "reserved TP-Failure-Cause"
        )
    else:
        kind = "reserved error" if code <= 511 else "manufacturer-specific error"
    return f"{kind} {code}"


def cme_name(code: int) -> str:
    """Name of a ``+CME ERROR`` code (TS 27.007 clause 9.2); every int has one."""
    name = CME_NAMES.get(code)
    if name is not None:
        return name
    if code >= 512:
        return f"manufacturer-specific error {code}"
    if code >= 0:
        return f"reserved error {code}"
    return f"invalid error code {code}"


def cms_code(text: str) -> int:
    """Code of a verbose ``+CMS ERROR`` text, or `UNKNOWN_CODE`."""
    return _CMS_BY_TEXT.get(_normalise(text), UNKNOWN_CODE)


def cme_code(text: str) -> int:
    """Code of a verbose ``+CME ERROR`` text, or `UNKNOWN_CODE`."""
    return _CME_BY_TEXT.get(_normalise(text), UNKNOWN_CODE)


class AtError(Exception):
    """Base of every error raised by `smsd.at`.

    Errors compare equal when they are of the same type with the same message
    and attributes, so events that carry them can be compared in tables.

    ``pdu_written`` is set by `AtTransport.submit_pdu`: ``False`` when the error
    came before the PDU reached the modem (the SMS certainly did not leave),
    ``True`` after (the outcome may be unknown); ``None`` elsewhere.
    """

    pdu_written: bool | None = None

    def _key(self) -> tuple[object, ...]:
        return (type(self), self.args, tuple(sorted(vars(self).items())))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AtError):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self), self.args))


class CommandFailed(AtError):  # noqa: N818 - name fixed by the smsd.at contract
    """The modem answered a command with a failure result (plain ``ERROR``)."""

    def __init__(self, command: str, line: str = "ERROR") -> None:
        super().__init__(f"{command or 'command'} failed: {line}")
        self.command = command
        self.line = line


class CmsError(CommandFailed):
    """``+CMS ERROR: <err>``: a message service failure (TS 27.005 clause 3.2.5)."""

    def __init__(self, command: str, code: int, name: str | None = None) -> None:
        self.code = code
        self.name = cms_name(code) if name is None else name
        super().__init__(command, f"+CMS ERROR: {code} ({self.name})")


class CmeError(CommandFailed):
    """``+CME ERROR: <err>``: a mobile equipment error (TS 27.007 clause 9.2)."""

    def __init__(self, command: str, code: int, name: str | None = None) -> None:
        self.code = code
        self.name = cme_name(code) if name is None else name
        super().__init__(command, f"+CME ERROR: {code} ({self.name})")


class AtTimeout(AtError):  # noqa: N818 - name fixed by the smsd.at contract
    """No final result code (or no ``> `` prompt) within the allowed time."""

    def __init__(self, command: str, timeout: float, what: str = "final result") -> None:
        super().__init__(f"no {what} for {command!r} within {timeout:g} s")
        self.command = command
        self.timeout = timeout


class ChannelClosed(AtError):  # noqa: N818 - name fixed by the smsd.at contract
    """The port is gone or was closed; the channel must be recreated."""


class ProtocolViolation(AtError):  # noqa: N818 - name fixed by the smsd.at contract
    """The modem sent something illegal (garbage beyond the budget...)."""


class MalformedResponse(ProtocolViolation):
    """A response line could not be parsed (``what`` was expected, ``line`` came)."""

    def __init__(self, what: str, line: str = "") -> None:
        super().__init__(f"malformed response, expected {what}: {line!r}")
        self.what = what
        self.line = line


class UsageError(AtError):
    """We asked for something illegal (a command while one is in flight, bad characters...)."""
