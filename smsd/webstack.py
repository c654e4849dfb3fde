"""aiohttp imported for a long-running daemon: without what its import loads and smsd never uses.

Two parts of ``import aiohttp`` cost the daemon memory for nothing:

- aiohttp builds two TLS client contexts, and each reads the system's whole bundle of
  certificate authorities (Debian's ``ca-certificates.crt``: about 140 of them, 0.9 MB of memory
  per context). smsd never uses them: the webhook sender, its only HTTPS client, checks receivers
  with :func:`smsd.tls.verifying_context`, read on its first ``https`` delivery.
- frozenlist's compiled ``FrozenList`` is C++: loading it maps the C++ runtime (libstdc++, about
  0.9 MB of pages nothing else in smsd touches). aiohttp keeps in it the lists it freezes once at
  start-up (middlewares, signal handlers), where frozenlist's own Python class does the same.

:func:`lean_web_stack` points OpenSSL's ``SSL_CERT_FILE`` at an empty file and sets
``FROZENLIST_NO_EXTENSIONS`` while aiohttp is first imported, then puts the environment back: a
TLS context built afterwards (the webhook sender's, the mailer's, the MQTT client's) reads the
bundle the system names, as it would have. Inside an interpreter that has already imported
aiohttp it changes nothing.
"""

from __future__ import annotations

import contextlib
import os
import ssl
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["lean_web_stack"]

_CAFILE = ssl.get_default_verify_paths().openssl_cafile_env
"""OpenSSL's variable naming the bundle file (``SSL_CERT_FILE``)."""


@contextlib.contextmanager
def lean_web_stack() -> Iterator[None]:
    """aiohttp, first imported inside, reads no CA bundle and loads no C++ (the module)."""
    with _environment({_CAFILE: os.devnull, "FROZENLIST_NO_EXTENSIONS": "1"}):
        yield


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in ``os.environ`` inside; each variable as it was (or unset) after."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
