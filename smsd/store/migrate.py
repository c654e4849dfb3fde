"""Numbered schema migrations, applied in order by ``PRAGMA user_version``, one transaction each.

The migrations are package data: ``smsd/store/migrations/NNNN_name.sql``, a folder next to
this module in a wheel as in a checkout (read as plain files: :mod:`importlib.resources` would
keep ``zipfile`` and ``tempfile`` loaded in the daemon for nothing). They are read each time a
database is opened and not kept in memory. Version N is the file numbered N; the database's
``user_version`` is the last one applied (0 = empty file). A released file is never edited; a
change is a new file.

Each migration runs with foreign keys off (so a future migration may rebuild a table the way
SQLite documents it), inside ``BEGIN IMMEDIATE``; ``PRAGMA foreign_key_check`` must then find
nothing, and the new ``user_version`` is set in the same transaction before ``COMMIT``. A failure
rolls the whole migration back and leaves the database at the previous version.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from smsd.store.errors import MigrationError, translate

if TYPE_CHECKING:
    from smsd.store.writer import AsyncConnection

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_FOLDER = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class Migration:
    """One numbered SQL script."""

    version: int
    name: str
    sql: str


def available() -> tuple[Migration, ...]:
    """Every migration shipped with smsd, in order; versions run 1, 2, … without gaps."""
    found: list[Migration] = []
    for entry in _FOLDER.iterdir():
        match = _NAME.match(entry.name)
        if match is None:
            continue
        found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migrations must be numbered 1..N without gaps, found {versions}")
    return tuple(found)


def latest_version() -> int:
    """The schema version this smsd writes."""
    return len(available())


async def current_version(conn: AsyncConnection) -> int:
    """The database's ``PRAGMA user_version``."""
    found = list(await conn.execute_fetchall("PRAGMA user_version"))
    return int(found[0][0])


async def apply(conn: AsyncConnection, *, target: int | None = None) -> int:
    """Bring the database on ``conn`` to version ``target`` (default: the latest); return it."""
    migrations = available()
    goal = len(migrations) if target is None else target
    if not 0 <= goal <= len(migrations):
        raise MigrationError(f"no schema version {goal}: this smsd knows 0..{len(migrations)}")
    version = await current_version(conn)
    if version > len(migrations):
        raise MigrationError(
            f"the database has schema version {version}, newer than this smsd knows "
            f"({len(migrations)}): use the smsd version that wrote it"
        )
    if version > goal:
        raise MigrationError(f"cannot downgrade the schema from version {version} to {goal}")
    for migration in migrations[version:goal]:
        await _apply_one(conn, migration)
    return goal


async def _apply_one(conn: AsyncConnection, migration: Migration) -> None:
    action = f"applying migration {migration.name}"
    try:
        await conn.execute("PRAGMA foreign_keys = OFF")
        try:
            # executescript runs the statements as written; the transaction it opens stays open
            # until the COMMIT below, after the foreign-key check.
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{migration.sql}\n;\n"
                f"PRAGMA user_version = {migration.version};\n"
            )
            await _check_foreign_keys(conn, action)
            await conn.execute("COMMIT")
        except BaseException:
            with suppress(sqlite3.Error, ValueError):
                await conn.execute("ROLLBACK")
            raise
        finally:
            await conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        raise translate(exc, action) from exc


async def _check_foreign_keys(conn: AsyncConnection, action: str) -> None:
    violations = list(await conn.execute_fetchall("PRAGMA foreign_key_check"))
    if violations:
        first = tuple(violations[0])
        raise MigrationError(f"{action}: {len(violations)} foreign key violations, e.g. {first}")


__all__ = ["Migration", "apply", "available", "current_version", "latest_version"]
