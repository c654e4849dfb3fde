"""The TLS client context smsd checks https servers with, read when a connection first needs it.

aiohttp's own default contexts are built at its import and left empty in the daemon
(:mod:`smsd.webstack`), so the webhook sender passes this one on each ``https`` delivery.
"""

from __future__ import annotations

import ssl

__all__ = ["verifying_context"]


def verifying_context() -> ssl.SSLContext:
    """A client context checking the server's certificate and name against the system's CAs.

    It offers HTTP/1.1 by ALPN, as aiohttp's own does. It reads the bundle from disk: call it
    from a worker thread, not the event loop.
    """
    context = ssl.create_default_context()
    context.set_alpn_protocols(("http/1.1",))
    return context
