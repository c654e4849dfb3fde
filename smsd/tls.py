"""TLS client contexts whose certificate authorities are read when a connection needs them.

aiohttp builds two client contexts when it is first imported, and each reads the whole system
bundle of certificate authorities (Debian's ``ca-certificates.crt``: about 140 of them, 0.9 MB
of memory per context). The daemon uses neither: the webhook sender, its only HTTPS client,
passes the context :func:`verifying_context` builds, on its first ``https`` delivery.

:func:`bundle_unread` points OpenSSL's ``SSL_CERT_FILE`` at an empty file while aiohttp is
first imported, so those two contexts are built without reading the bundle; the variable is put
back on leaving, so every context built afterwards (the webhook sender's, the mailer's, the MQTT
client's) reads the bundle the operator's system names, as it would have.
"""

from __future__ import annotations

import contextlib
import os
import ssl
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["bundle_unread", "verifying_context"]

_CAFILE = ssl.get_default_verify_paths().openssl_cafile_env
"""OpenSSL's variable naming the bundle file (``SSL_CERT_FILE``)."""


@contextlib.contextmanager
def bundle_unread() -> Iterator[None]:
    """TLS contexts built inside read no bundle file (see the module docstring)."""
    before = os.environ.get(_CAFILE)
    os.environ[_CAFILE] = os.devnull
    try:
        yield
    finally:
        if before is None:
            del os.environ[_CAFILE]
        else:
            os.environ[_CAFILE] = before


def verifying_context() -> ssl.SSLContext:
    """A client context checking the server's certificate and name against the system's CAs.

    It offers HTTP/1.1 by ALPN, as aiohttp's own does. It reads the bundle from disk: call it
    from a worker thread, not the event loop.
    """
    context = ssl.create_default_context()
    context.set_alpn_protocols(("http/1.1",))
    return context
