"""Start-up failures a user can cause, each told in one line with the way to fix it.

``smsd run`` refuses to start, with exit code 1 and no traceback (it goes to the debug log), when
the database is locked by another smsd, cannot be opened or written, or was written by a newer
smsd; when the API cannot listen (port in use, not permitted, address not on this machine, socket
directory missing); or when a configured modem device does not exist. Each check runs before the
step that would act on it, in an order that leaves nothing half-done: lock, devices, listening
socket, then the database.
"""

from __future__ import annotations

import errno
import fnmatch
import os
from typing import TYPE_CHECKING

from smsd.api.server import bind_socket
from smsd.config import UnixListen
from smsd.errors import SmsdError, StoreError
from smsd.store.errors import (
    DatabaseCorruptError,
    DatabaseReadOnlyError,
    MigrationError,
)
from smsd.store.lock import DatabaseInUseError

if TYPE_CHECKING:
    import socket
    from pathlib import Path

    from smsd.config import ApiConfig, Config

VIRTUAL = "virtual"


class StartupError(SmsdError):
    """The daemon cannot start; the message says what failed and how to fix it."""


def check_devices(config: Config) -> None:
    """Every configured modem device exists (or a ``[hotplug] devices`` glob will bring it)."""
    for index, phone in enumerate(config.phones):
        device = phone.device
        if device == VIRTUAL or "://" in device or os.path.exists(device):  # noqa: PTH110 - a device
            continue
        if any(fnmatch.fnmatch(device, pattern) for pattern in config.hotplug.devices):
            continue  # the hot-plug watcher starts it when it appears
        where = f" in {config.source}" if config.source else ""
        raise StartupError(
            f"phones[{index}] ({phone.name}): the device {device} does not exist; plug the modem "
            f"in, or correct phones[{index}].device{where} (`smsd modems` lists the serial ports)"
        )


def bind_api(api: ApiConfig) -> socket.socket:
    """The API's listening socket, bound now; :class:`StartupError` when it cannot be."""
    listen = api.listen
    try:
        return bind_socket(listen, socket_mode=api.socket_mode)
    except OSError as exc:
        raise StartupError(_listen_failure(str(listen), listen, exc)) from exc


def _listen_failure(where: str, listen: object, exc: OSError) -> str:
    prefix = f"cannot listen on {where}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{prefix}: another program already listens there; stop it, or set [api] listen "
            "to a free address (e.g. 127.0.0.1:8081)"
        )
    if exc.errno in {errno.EACCES, errno.EPERM}:
        if isinstance(listen, UnixListen):
            return (
                f"{prefix}: permission denied; let smsd's user write {listen.path.parent}, "
                "or choose another [api] listen path"
            )
        return (
            f"{prefix}: permission denied (ports below 1024 need privileges); "
            "set [api] listen to a port above 1023"
        )
    if exc.errno == errno.ENOENT and isinstance(listen, UnixListen):
        return (
            f"{prefix}: the directory {listen.path.parent} does not exist; create it "
            "(under systemd: RuntimeDirectory=smsd) or choose another [api] listen path"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{prefix}: that address is not on this machine; correct [api] listen"
    return f"{prefix}: {exc.strerror or exc}; correct [api] listen"


def store_failure(database: Path, exc: StoreError) -> StartupError:
    """The one line for a database that cannot be locked, opened, migrated or written."""
    if isinstance(exc, DatabaseInUseError):
        return StartupError(str(exc))
    if isinstance(exc, MigrationError):
        return StartupError(f"cannot use the database {database}: {exc}")
    if isinstance(exc, DatabaseReadOnlyError):
        fix = f"let smsd's user write {database} and its directory {database.parent}"
    elif isinstance(exc, DatabaseCorruptError):
        fix = "restore it from a backup, or move it away to start afresh"
    elif not database.parent.is_dir():
        fix = f"no directory {database.parent}: create it, or correct [daemon] database"
    else:
        fix = f"check that smsd's user can write {database.parent} and the disk is not full"
    return StartupError(f"cannot open the database {database}: {exc}; {fix}")


__all__ = ["StartupError", "bind_api", "check_devices", "store_failure"]
