"""One daemon per database: an exclusive ``flock`` on a lock file beside it, held while it runs.

A second ``smsd run`` on the same database must refuse before it touches anything (crash
recovery would mark the running daemon's in-flight segments ``interrupted``; it would open the
same modems). The lock is on ``<database>.lock``, not on the database file itself, so the
``smsd user`` and ``smsd key`` commands, which open the database beside a running daemon (WAL),
keep working. ``flock`` locks vanish with the process that held them: a crash never leaves a
stale lock behind. The holder's process id is written into the file for the refusal message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from typing import TYPE_CHECKING

from smsd.errors import StoreError

if TYPE_CHECKING:
    from pathlib import Path

SUFFIX = ".lock"


class DatabaseInUseError(StoreError):
    """Another process holds the daemon lock of this database."""


def lock_path(database: Path) -> Path:
    """The lock file of ``database``."""
    return database.with_name(database.name + SUFFIX)


class DaemonLock:
    """The exclusive lock of one database, held from :meth:`acquire` to :meth:`release`."""

    def __init__(self, database: Path) -> None:
        self.path = lock_path(database)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock; raise :class:`DatabaseInUseError` (or ``StoreError``) if impossible."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot create the lock file {self.path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"process {holder}" if holder else "another process"
            raise DatabaseInUseError(
                f"the database {self.path.with_suffix('')} is in use by another smsd ({who} "
                f"holds {self.path}); stop it first, or give this one its own [daemon] database"
            ) from exc
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Let the lock go (closing the file releases it). Idempotent."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)


def _read_pid(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        return str(int(os.pread(fd, 32, 0).decode().strip()))
    return ""


__all__ = ["DaemonLock", "DatabaseInUseError", "lock_path"]
