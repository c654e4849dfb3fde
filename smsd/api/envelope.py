r"""The RaspiSMS answer envelope, its error codes, HTTP statuses and exact JSON text.

Every answer is ``{"error", "message", "response", "next", "prev"}`` in that order. An error's
message is the code's base message with the detail appended verbatim: the details carry their
own separators, which is why RaspiSMS answers contain ``"…parameter :  : at must be a string."``.

The HTTP status comes from the request verb, not from the error (RaspiSMS's
``auto_http_code``): GET (and any verb it does not know) 200 / 404, POST 201 / 400,
DELETE, PUT and PATCH 204 / 400. Authentication failures are 401 and 403 whatever the verb.

`encode` writes the JSON text byte for byte like PHP's ``json_encode`` with default flags
(``/`` as ``\/``, every non-ASCII character as ``\uXXXX``, astral ones as surrogate pairs,
compact separators) followed, when ``html_escape`` is on, by ``htmlspecialchars(…,
ENT_NOQUOTES)``, which turns ``&``, ``<`` and ``>`` into entities inside the JSON text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from enum import IntEnum

__all__ = [
    "ApiError",
    "ErrorCode",
    "encode",
    "envelope",
    "error_envelope",
    "message_for",
    "status_for",
]


class ErrorCode(IntEnum):
    """RaspiSMS API error codes (bit values, never combined in practice)."""

    NONE = 0
    INVALID_CREDENTIALS = 1
    INVALID_PARAMETER = 2
    MISSING_PARAMETER = 4
    CANNOT_CREATE = 8
    SUSPENDED_USER = 16
    CANNOT_DELETE = 32
    CANNOT_UPLOAD_FILE = 64
    CANNOT_UPDATE = 128


_BASE_MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.INVALID_CREDENTIALS: (
        'Invalid API Key. Please provide a valid API key as GET or POST parameter "api_key"'
        ' or a HTTP "X-Api-Key".'
    ),
    ErrorCode.INVALID_PARAMETER: "You have specified an invalid parameter : ",
    ErrorCode.MISSING_PARAMETER: "One require parameter is missing : ",
    ErrorCode.CANNOT_CREATE: "Cannot create a new entry.",
    ErrorCode.SUSPENDED_USER: "This user account is currently suspended.",
    ErrorCode.CANNOT_DELETE: "Cannot delete this entry.",
    ErrorCode.CANNOT_UPLOAD_FILE: "Failed to upload or save an uploaded file : ",
    ErrorCode.CANNOT_UPDATE: "Cannot update this entry : ",
}

_STATUSES: dict[str, tuple[int, int]] = {
    "GET": (200, 404),
    "POST": (201, 400),
    "DELETE": (204, 400),
    "PUT": (204, 400),
    "PATCH": (204, 400),
}


def message_for(code: ErrorCode, detail: str = "") -> str:
    """The ``message`` RaspiSMS writes for ``code``: base message + detail, verbatim."""
    if code is ErrorCode.NONE:
        raise ValueError("ErrorCode.NONE has no message")
    return _BASE_MESSAGES[code] + detail


class ApiError(Exception):
    """A request the API refuses; the handler layer turns it into an error envelope."""

    def __init__(self, code: ErrorCode, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        self.message = message_for(code, detail)
        super().__init__(self.message)

    def envelope(self) -> dict[str, object]:
        """The five-key error envelope."""
        return error_envelope(self.code, self.detail)


def envelope(
    response: object = None,
    *,
    next_url: str | None = None,
    prev_url: str | None = None,
) -> dict[str, object]:
    """A success envelope, keys in RaspiSMS's order."""
    return {"error": 0, "message": None, "response": response, "next": next_url, "prev": prev_url}


def error_envelope(code: ErrorCode, detail: str = "") -> dict[str, object]:
    """An error envelope: ``response``, ``next`` and ``prev`` are null."""
    return {
        "error": int(code),
        "message": message_for(code, detail),
        "response": None,
        "next": None,
        "prev": None,
    }


def status_for(method: str, *, ok: bool) -> int:
    """The HTTP status RaspiSMS picks from the verb (HEAD, OPTIONS and others count as GET)."""
    success, failure = _STATUSES.get(method.upper(), _STATUSES["GET"])
    return success if ok else failure


# ------------------------------------------------------------------ JSON text

_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def encode(value: object, *, html_escape: bool = True) -> str:
    """PHP ``json_encode`` text of ``value``, then ``htmlspecialchars`` if ``html_escape``.

    Accepts ``None``, ``bool``, ``int``, finite ``float``, ``str``, lists and tuples (arrays)
    and mappings with string or integer keys (objects; an empty mapping is ``{}``). Anything
    else, or a non-finite float, raises ``TypeError``/``ValueError``, like ``json_encode``
    failing.
    """
    parts: list[str] = []
    _encode_into(value, parts)
    text = "".join(parts)
    return text.translate(_HTML) if html_escape else text


def _encode_into(value: object, parts: list[str]) -> None:  # noqa: C901, PLR0912 - one branch per JSON type
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, int):
        parts.append(str(int(value)))
    elif isinstance(value, float):
        parts.append(_encode_float(value))
    elif isinstance(value, str):
        parts.append(_encode_string(value))
    elif isinstance(value, list | tuple):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _encode_into(item, parts)
        parts.append("]")
    elif isinstance(value, Mapping):
        parts.append("{")
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str | int):
                raise TypeError(f"JSON object keys must be str or int, not {type(key).__name__}")
            if index:
                parts.append(",")
            parts.append(_encode_string(str(key)))
            parts.append(":")
            _encode_into(item, parts)
        parts.append("}")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _encode_float(value: float) -> str:
    """PHP's shortest round-trip form (serialize_precision -1): ``0.1``, ``10``, ``1.0e+25``.

    Like PHP's ``zend_gcvt`` with 17 digits: exponential when the decimal point would sit more
    than 17 digits right of the first digit or more than 3 zeros left of it.
    """
    if not math.isfinite(value):
        raise ValueError("Inf and NaN cannot be JSON encoded")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    parts = Decimal(repr(value)).as_tuple()
    digits = "".join(map(str, parts.digits)).rstrip("0")
    exponent = parts.exponent
    assert isinstance(exponent, int)
    decpt = len(parts.digits) + exponent
    sign = "-" if parts.sign else ""
    if decpt < -3 or decpt > 17:
        power = decpt - 1
        return f"{sign}{digits[0]}.{digits[1:] or '0'}e{'-' if power < 0 else '+'}{abs(power)}"
    if decpt <= 0:
        return f"{sign}0.{'0' * -decpt}{digits}"
    if decpt >= len(digits):
        return f"{sign}{digits}{'0' * (decpt - len(digits))}"
    return f"{sign}{digits[:decpt]}.{digits[decpt:]}"


def _encode_string(text: str) -> str:
    out = ['"']
    for char in text:
        escaped = _SHORT_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
            continue
        code = ord(char)
        if 0x20 <= code < 0x80:
            out.append(char)
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
    out.append('"')
    return "".join(out)
