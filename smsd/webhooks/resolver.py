"""Name resolution that refuses forbidden addresses, and the HTTP client session built on it.

The check happens inside the connector's resolver, on the very addresses the connection will
use, so a name cannot pass the check and then resolve elsewhere (DNS rebinding). A name with
any refused address is refused as a whole (it fails like an unknown name, as an ``OSError``).
IP literals never reach a resolver: the sender checks them with
:func:`~smsd.webhooks.policy.check_url` before each attempt.

The session follows no redirect (a receiver could otherwise bounce a delivery to a refused
address), ignores proxy variables from the environment, and keeps no cookies.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from smsd.webhooks.policy import UrlPolicy, UrlRefusedError, check_address

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["GuardedResolver", "guarded_session_factory"]


class GuardedResolver(AbstractResolver):
    """Resolve with ``inner`` (the system resolver by default), then apply ``policy``."""

    def __init__(self, policy: UrlPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of ``host``; ``OSError`` if any of them is refused."""
        found = await self._inner.resolve(host, port, family)
        for entry in found:
            try:
                check_address(entry["host"], self._policy)
            except UrlRefusedError as exc:
                raise OSError(f"{host} resolves to a refused address: {exc}") from exc
        return found

    async def close(self) -> None:
        """Release the inner resolver."""
        await self._inner.close()


def guarded_session_factory(
    policy: UrlPolicy, *, limit: int
) -> Callable[[], aiohttp.ClientSession]:
    """A factory of client sessions resolving through :class:`GuardedResolver`."""

    def make() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(policy), limit=limit, limit_per_host=0
        )
        return aiohttp.ClientSession(
            connector=connector,
            trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            headers={"User-Agent": "smsd-webhooks"},
        )

    return make
