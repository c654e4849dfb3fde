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

from enum import IntEnum

from smsd.phpvalues import php_json

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


def encode(value: object, *, html_escape: bool = True) -> str:
    """PHP ``json_encode`` text (`smsd.phpvalues.php_json`), ``htmlspecialchars``-escaped.

    The escaping (``ENT_NOQUOTES``: ``&``, ``<``, ``>``) applies when ``html_escape`` is on.
    """
    text = php_json(value)
    return text.translate(_HTML) if html_escape else text


_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
