"""Running the API: :class:`ApiServer` (AppRunner + TCP or Unix site) and :func:`api_factory`.

The daemon owns the lifecycle: :meth:`ApiServer.start` binds and returns the address it listens
on (the real port when the configuration says port 0); :meth:`ApiServer.stop` stops accepting,
lets requests in flight finish for up to ``shutdown_timeout`` seconds, then closes the
connections. Handlers commit before they answer, so a stop never loses an accepted message.

Exposure: the API listens on loopback by default. :meth:`ApiServer.start` logs the warning
``api_listens_publicly`` when the configured host is not a loopback address and ``[api] public``
is not set, and gives a Unix socket file the mode ``[api] socket_mode`` (0660 unless told
otherwise: the daemon's user and group only). Before the first request it hashes any plain API
key an older smsd left in the store (:func:`smsd.store.accounts.upgrade_keys`).
"""

from __future__ import annotations

import ipaddress
import os
import time
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from smsd.api.app import make_app
from smsd.api.auth import install_limiter
from smsd.api.state import DB
from smsd.config import TcpListen, UnixListen
from smsd.store import accounts

if TYPE_CHECKING:
    from smsd.api.state import Clock, PhoneControl, Wake
    from smsd.api.ussd import UssdDoor
    from smsd.config import ApiConfig, Config
    from smsd.store.db import Database
    from smsd.webhooks.keys import KeyRing

__all__ = ["SHUTDOWN_TIMEOUT", "ApiServer", "api_factory", "is_loopback"]

_log = structlog.get_logger("smsd.api")

SHUTDOWN_TIMEOUT = 5.0
"""Seconds requests in flight get to finish when the API stops."""


class ApiServer:
    """The HTTP server of one application on the configured address."""

    def __init__(
        self,
        config: ApiConfig,
        app: web.Application,
        *,
        shutdown_timeout: float = SHUTDOWN_TIMEOUT,
    ) -> None:
        self._config = config
        self._app = app
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None

    @property
    def app(self) -> web.Application:
        """The application served."""
        return self._app

    async def start(self) -> str:
        """Bind and serve; return the address (``host:port`` or ``unix:/path``)."""
        if self._runner is not None:
            raise RuntimeError("the API server is already started")
        if DB in self._app:
            upgraded = await accounts.upgrade_keys(self._app[DB])
            if upgraded:
                _log.info("api_keys_hashed", users=upgraded)
        runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=self._shutdown_timeout)
        await runner.setup()
        listen = self._config.listen
        site: web.BaseSite
        try:
            if isinstance(listen, UnixListen):
                site = web.UnixSite(runner, str(listen.path))
            else:
                site = web.TCPSite(runner, listen.host, listen.port, reuse_address=True)
            await site.start()
            if isinstance(listen, UnixListen):
                os.chmod(listen.path, self._config.socket_mode)  # noqa: PTH101 - a Path works too
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        if (
            isinstance(listen, TcpListen)
            and not is_loopback(listen.host)
            and not self._config.public
        ):
            _log.warning(
                "api_listens_publicly",
                listen=str(listen),
                hint="set [api] public = true if this is intended, or listen on 127.0.0.1",
            )
        return self.address

    @property
    def address(self) -> str:
        """Where the server listens (after :meth:`start`)."""
        if self._runner is None:
            return str(self._config.listen)
        if isinstance(self._config.listen, UnixListen):
            return str(self._config.listen)
        sockname = self._runner.addresses[0]
        host, port = str(sockname[0]), int(sockname[1])
        return str(TcpListen(host, port))

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish, close. Idempotent."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) only reaches this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost, or "" (every address)


def api_factory(
    config: Config,
    db: Database,
    wake: Wake,
    *,
    clock: Clock = time.time,
    default_region: str | None = None,
    phones: PhoneControl | None = None,
    keys: KeyRing | None = None,
    ussd: UssdDoor | None = None,
) -> ApiServer:
    """The daemon's ``api_factory``: ``Daemon(config, api_factory=api_factory)``."""
    app = make_app(
        config.api,
        db,
        wake,
        clock=clock,
        default_region=default_region,
        phones=phones,
        webhooks=config.webhooks,
        keys=keys,
        ussd=ussd,
    )
    install_limiter(app)
    return ApiServer(config.api, app)
