"""CSRF tokens of the dashboard: derived from the session token, compared in constant time.

A page's forms carry ``csrf_token(session)``, an HMAC of the session token. Only a page served
to that session can know it (the session cookie is ``HttpOnly`` and ``SameSite=Strict``), nothing
needs storing, and a log-out (which ends the session) retires it.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["csrf_token", "same_token"]


def csrf_token(session: str) -> str:
    """The CSRF token of the session whose token is ``session``."""
    return hmac.new(session.encode(), b"smsd dashboard forms", hashlib.sha256).hexdigest()


def same_token(given: object, expected: str) -> bool:
    """Whether ``given`` is ``expected``, compared in constant time."""
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())
