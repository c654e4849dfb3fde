"""Every exception class the AT layer and the store can raise, built ready to inject.

The lists are derived from the exception trees themselves, so a new error class added to
``smsd.at.errors`` or ``smsd.store.errors`` without an instance here fails the tests that use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.at import errors as at_errors
from smsd.errors import StoreError
from smsd.store import errors as store_errors

if TYPE_CHECKING:
    from collections.abc import Callable


def tree(root: type[BaseException]) -> set[type[BaseException]]:
    found = {root}
    for sub in root.__subclasses__():
        found |= tree(sub)
    return found


AT_ERRORS: dict[type[BaseException], Callable[[], Exception]] = {
    at_errors.AtError: lambda: at_errors.AtError("injected"),
    at_errors.CommandFailed: lambda: at_errors.CommandFailed("AT+CMGS"),
    at_errors.CmsError: lambda: at_errors.CmsError("AT+CMGS", 500),
    at_errors.CmeError: lambda: at_errors.CmeError("AT+CMGS", 3),
    at_errors.AtTimeout: lambda: at_errors.AtTimeout("AT+CMGS", 1.0),
    at_errors.ChannelClosed: lambda: at_errors.ChannelClosed("injected"),
    at_errors.ProtocolViolation: lambda: at_errors.ProtocolViolation("injected"),
    at_errors.MalformedResponse: lambda: at_errors.MalformedResponse("+CMGS", "garbled"),
    at_errors.UsageError: lambda: at_errors.UsageError("injected"),
}

STORE_ERRORS: dict[type[BaseException], Callable[[], Exception]] = {
    StoreError: lambda: StoreError("injected"),
    store_errors.DatabaseFullError: lambda: store_errors.DatabaseFullError("disk full"),
    store_errors.DatabaseReadOnlyError: lambda: store_errors.DatabaseReadOnlyError("read-only"),
    store_errors.DatabaseCorruptError: lambda: store_errors.DatabaseCorruptError("corrupt"),
    store_errors.DatabaseBusyError: lambda: store_errors.DatabaseBusyError("busy"),
    store_errors.DatabaseClosedError: lambda: store_errors.DatabaseClosedError("closed"),
    store_errors.ConstraintError: lambda: store_errors.ConstraintError("constraint"),
    store_errors.MigrationError: lambda: store_errors.MigrationError("migration"),
    store_errors.NotFoundError: lambda: store_errors.NotFoundError("not found"),
    store_errors.InvalidValueError: lambda: store_errors.InvalidValueError("invalid"),
    store_errors.TransitionError: lambda: store_errors.TransitionError("injected", 0, "sending"),
}
