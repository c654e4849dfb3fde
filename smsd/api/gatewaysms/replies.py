"""The Gateway SMS envelope ``{data, success, message, credit, error}`` and its errors.

Every answer of this door, success or failure, is that object as JSON (UTF-8, not escaped).
``credit`` is the user's remaining credit as a string (``null`` when the user has no quota);
``error`` is ``null`` on success and the HTTP status on failure, whose ``message`` says what went
wrong and whose ``data`` names, for a 422, each refused field with the reason.
"""

from __future__ import annotations

import json

from aiohttp import web

__all__ = ["GatewayError", "reply"]


class GatewayError(Exception):
    """A refused request: its HTTP status, message and optional per-field reasons."""

    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields

    def response(self, credit: str | None = None) -> web.Response:
        """This error as the envelope."""
        return reply(
            self.fields, status=self.status, message=self.message, credit=credit, success=False
        )


def reply(
    data: object,
    *,
    status: int = 200,
    message: str = "",
    credit: str | None = None,
    success: bool = True,
    with_credit: bool = True,
) -> web.Response:
    """The envelope around ``data`` (``with_credit`` false leaves ``credit`` out, as DELETE)."""
    document: dict[str, object] = {"data": data, "success": success, "message": message}
    if with_credit:
        document["credit"] = credit
    document["error"] = None if success else status
    return web.Response(
        text=json.dumps(document, ensure_ascii=False),
        status=status,
        content_type="application/json",
    )
