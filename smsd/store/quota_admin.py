"""``smsd user quota``: a user's quota found by e-mail, shown, set or removed, as text."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from smsd.store import quota
from smsd.store.errors import NotFoundError
from smsd.store.users_admin import find_user

if TYPE_CHECKING:
    import argparse

    from smsd.store.db import Database

__all__ = ["describe", "quota_command"]


def describe(email: str, found: quota.Quota | None) -> str:
    """One line for a user's quota."""
    if found is None:
        return f"{email}: no quota (unlimited)\n"
    renew = found.renewal_interval if found.auto_renew else "not renewed"
    carry = ", unused credit carried over" if found.report_unused else ""
    return (
        f"{email}: {found.consumed} of {found.total} credits used "
        f"({found.credit} + {found.additional} additional), {found.remaining} left; "
        f"period {found.start_date} to {found.expiration_date}, {renew}{carry}\n"
    )


async def quota_command(db: Database, args: argparse.Namespace) -> str:
    """Run ``smsd user quota`` with its parsed arguments; the text to print."""
    user = await find_user(db, args.email)
    if user is None:
        raise NotFoundError(f"no user {args.email}")
    now = time.time()
    if args.remove:
        await quota.delete_quota(db, user.id)
        return describe(user.email, None)
    changes = (args.additional, args.renew, args.start, args.report_unused, args.auto_renew)
    if args.credit is None and not args.reset and all(c is None for c in changes):
        return describe(user.email, await quota.get_quota(db, user.id, now=now))
    current = await quota.get_quota(db, user.id, now=now)
    credit = args.credit if args.credit is not None else (current.credit if current else None)
    if credit is None:
        raise NotFoundError(f"{user.email} has no quota yet: give --credit N")
    found = await quota.set_quota(
        db,
        id_user=user.id,
        credit=credit,
        now=now,
        additional=args.additional,
        renewal=args.renew,
        start=args.start,
        auto_renew=args.auto_renew,
        report_unused=args.report_unused,
        reset=args.reset,
    )
    return describe(user.email, found)
