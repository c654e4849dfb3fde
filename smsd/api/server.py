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

import contextlib
import ipaddress
import os
import socket
import stat
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
    from collections.abc import Callable

    from smsd.api.state import Clock, PhoneControl, Wake
    from smsd.api.ussd import UssdDoor
    from smsd.config import ApiConfig, Config
    from smsd.store.db import Database
    from smsd.webhooks.keys import KeyRing

__all__ = ["SHUTDOWN_TIMEOUT", "ApiServer", "api_factory", "bind_socket", "is_loopback"]

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
        sock: socket.socket | None = None,
    ) -> None:
        self._config = config
        self._sock = sock
        """A socket :func:`bind_socket` bound beforehand (the daemon binds before anything else)."""
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
            if self._sock is not None:
                site = web.SockSite(runner, self._sock)
            elif isinstance(listen, UnixListen):
                site = web.UnixSite(runner, str(listen.path))
            else:
                site = web.TCPSite(runner, listen.host, listen.port, reuse_address=True)
            await site.start()
            if isinstance(listen, UnixListen) and self._sock is None:
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


def bind_socket(listen: TcpListen | UnixListen, *, socket_mode: int = 0o660) -> socket.socket:
    """Bind the listening socket of ``listen`` now; raise :class:`OSError` if it cannot be.

    The daemon binds before it touches the database or a modem, so that a port in use fails the
    start with nothing done. A socket file left by a previous run is replaced (the daemon holds
    the database lock, so no other smsd serves it).
    """
    if isinstance(listen, UnixListen):
        path = os.fspath(listen.path)
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISSOCK(os.stat(path).st_mode):  # noqa: PTH116 - a socket path
                os.unlink(path)  # noqa: PTH108 - a socket path
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(path)
            os.chmod(path, socket_mode)  # noqa: PTH101 - a socket path
            sock.listen(128)
        except BaseException:
            sock.close()
            raise
        return sock
    host = listen.host.strip("[]")
    if not host and socket.has_dualstack_ipv6():  # every address, IPv4 and IPv6
        return socket.create_server(
            ("", listen.port), family=socket.AF_INET6, dualstack_ipv6=True, backlog=128
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if host and family is socket.AF_INET and not _is_address(host):
        family = socket.getaddrinfo(host, listen.port, type=socket.SOCK_STREAM)[0][0]
    return socket.create_server((host, listen.port), family=family, backlog=128)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


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
    sock: socket.socket | None = None,
    pages: Callable[[web.Application, Config], None] | None = None,
) -> ApiServer:
    """The daemon's ``api_factory``: ``Daemon(config, api_factory=api_factory)``.

    ``pages`` adds what a door above the API serves from the same listener (the dashboard).
    """
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
    if pages is not None:
        pages(app, config)
    return ApiServer(config.api, app, sock=sock)
