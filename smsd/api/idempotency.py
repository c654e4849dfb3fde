"""The ``Idempotency-Key`` header of the HTTP doors: a retried POST creates nothing twice.

A client that may send a request creating messages more than once (a timeout, a lost answer)
sends a key of its choice (a UUID, say; at most :data:`~smsd.store.idempotency.MAX_KEY`
printable ASCII characters) in the ``Idempotency-Key`` header. The rule is the core's
(:mod:`smsd.store.idempotency`); a door only reads the header with :func:`request_key` and
stores through :func:`run_once`:

- the same key from the same user within 24 h, with the same request: the first request's ids
  are answered again, nothing is stored;
- the same key with another request (other parameters, or another route): the door's own error
  (:class:`~smsd.store.idempotency.KeyReusedError` from :func:`run_once`);
- no header: nothing changes.

The request a key stands for is the route's ``operation`` name and its parameters (query, form
or JSON body, uploaded files by content), without the API key itself: a retry with another
multipart boundary or another key order is the same request.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from smsd.api.routing import Param
from smsd.api.state import CLOCK, DB
from smsd.store import idempotency
from smsd.store.idempotency import MAX_KEY, CommandKey, digest

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence

    from aiohttp import web

    from smsd.store.idempotency import Once, Recorder

__all__ = ["HEADER", "KEY_PARAM", "SCOPE", "KeyHeaderError", "request_key", "run_once"]

HEADER = "Idempotency-Key"
SCOPE = "http"
KEY_PARAM = Param(
    HEADER,
    "header",
    description="optional key of your choice (a UUID; at most 255 printable ASCII characters): "
    "the same key and request again within 24 hours answers the first request's id and stores "
    "nothing; the same key with a different request is refused (smsd)",
)
"""The header in a route's OpenAPI parameters."""
_SECRETS = frozenset({"api_key", "apiKey", "apikey", "token", "pass", "password", "email"})
"""Credentials a request may carry: not part of what it asks for."""


class KeyHeaderError(ValueError):
    """The header is empty, too long or not printable ASCII."""

    def __init__(self) -> None:
        super().__init__(
            f"{HEADER} must be 1 to {MAX_KEY} printable ASCII characters (a UUID, say)"
        )


def _plain(value: object) -> object:
    data = getattr(value, "data", None)  # an uploaded file: its content counts
    if isinstance(data, bytes):
        return {"file": digest(data)}
    return repr(value)


def request_key(
    request: web.Request, operation: str, *values: Mapping[str, object]
) -> CommandKey | None:
    """The request's :class:`CommandKey`, or ``None`` without the header.

    ``values`` are the request's parameters (merged in order); :class:`KeyHeaderError` when the
    header is malformed.
    """
    header = request.headers.get(HEADER)
    if header is None:
        return None
    key = header.strip()
    if not key or len(key) > MAX_KEY or not (key.isascii() and key.isprintable()):
        raise KeyHeaderError
    merged: dict[str, object] = {}
    for part in values:
        merged.update((name, value) for name, value in part.items() if name not in _SECRETS)
    what = json.dumps(merged, sort_keys=True, ensure_ascii=False, default=_plain)
    return CommandKey(SCOPE, key, digest(operation, what))


async def run_once(
    request: web.Request,
    *,
    id_user: int,
    key: CommandKey | None,
    create: Callable[[Recorder], Awaitable[Sequence[int]]],
) -> Once:
    """Store through ``create`` unless ``key`` names a request already stored (the module)."""
    return await idempotency.once(
        request.app[DB],
        id_user=id_user,
        keys=[] if key is None else [key],
        create=create,
        now=request.app[CLOCK](),
    )
