"""Dashboard log-ins: random session tokens held in memory, each with its CSRF token.

A session is created at log-in and lives ``lifetime`` seconds after its last use; the browser
holds only the token (an ``HttpOnly``, ``SameSite=Strict`` cookie). The store keeps the token's
SHA-256 digest, never the token, and at most ``max_sessions`` sessions (the least recently used
is forgotten first), so a flood of log-ins cannot grow memory. Sessions do not survive a restart
of the daemon: logging in again is the price of keeping nothing secret on disk.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Session", "SessionStore", "same_token"]


@dataclass
class Session:
    """One logged-in browser: its user, its CSRF token, when it expires (monotonic seconds)."""

    id_user: int
    csrf: str
    expires: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_token(given: object, expected: str) -> bool:
    """Whether ``given`` is ``expected``, compared in constant time."""
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


class SessionStore:
    """Sessions by token digest, expiring, bounded in number."""

    def __init__(
        self,
        lifetime: float,
        *,
        max_sessions: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lifetime = lifetime
        self._max = max_sessions
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, id_user: int) -> tuple[str, Session]:
        """A new session for ``id_user``: the token to give the browser, and the session."""
        token = secrets.token_urlsafe(32)
        session = Session(id_user, secrets.token_urlsafe(32), self._clock() + self.lifetime)
        self._sessions[_digest(token)] = session
        while len(self._sessions) > self._max:
            self._sessions.popitem(last=False)
        return token, session

    def get(self, token: str | None) -> Session | None:
        """The live session of ``token`` (its lifetime extended), else ``None``."""
        if not token:
            return None
        key = _digest(token)
        session = self._sessions.get(key)
        if session is None:
            return None
        now = self._clock()
        if session.expires <= now:
            del self._sessions[key]
            return None
        session.expires = now + self.lifetime
        self._sessions.move_to_end(key)
        return session

    def drop(self, token: str | None) -> None:
        """End the session of ``token`` (log-out)."""
        if token:
            self._sessions.pop(_digest(token), None)

    def drop_user(self, id_user: int) -> None:
        """End every session of ``id_user`` (a suspended user)."""
        for key in [k for k, s in self._sessions.items() if s.id_user == id_user]:
            del self._sessions[key]
