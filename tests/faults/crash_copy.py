"""Copies of a live database taken as a power cut would leave it, and the checks a copy must pass.

A copy is the main file and its ``-wal`` (never the ``-shm`` index, which a power cut loses and
SQLite rebuilds from the WAL). :func:`check_copy` opens one the way the daemon would after the
power came back and checks both SQLite's view (integrity, foreign keys) and smsd's (every
message has all its segments, and their states agree with the message's).
"""

from __future__ import annotations

import shutil
import sqlite3
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

WAL_HEADER = 32
WAL_FRAME_HEADER = 24

# The segment states each message state allows (see smsd.store.outbox's transition table).
SEGMENT_STATES = {
    "queued": {"queued", "sent"},  # a requeued message keeps the segments already sent
    "sending": {"sending", "sent"},
    "sent": {"sent"},
    "delivered": {"sent"},
    "failed": {"sent", "failed"},
    "unknown": {"sent", "unknown"},
}


@dataclass(frozen=True)
class CopyFigures:
    """What one consistent copy holds."""

    scheduled: int
    expanded: int
    messages: int
    segments: int
    states: dict[str, int]
    wal_frames: int
    wal_uncommitted: int


def copy_database(source: Path, target: Path) -> None:
    """Copy the database file, then its WAL, to ``target`` (a new directory)."""
    target.mkdir(parents=True)
    shutil.copyfile(source, target / source.name)
    wal = source.with_name(source.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, target / wal.name)


def wal_frames(path: Path) -> tuple[int, int]:
    """Frames of the current WAL generation in a copied ``-wal``: (total, after the last commit).

    Frames after the last commit frame are a transaction the copy caught half written; SQLite
    ignores them when it opens the copy.
    """
    wal = path.with_name(path.name + "-wal")
    if not wal.exists():
        return 0, 0
    data = wal.read_bytes()
    if len(data) < WAL_HEADER:
        return 0, 0
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    frames = last_commit = 0
    offset = WAL_HEADER
    while offset + WAL_FRAME_HEADER + page_size <= len(data):
        header = data[offset : offset + WAL_FRAME_HEADER]
        if header[8:16] != salts:
            break  # a frame of an older generation: the log ends here
        frames += 1
        if struct.unpack(">I", header[4:8])[0]:
            last_commit = frames
        offset += WAL_FRAME_HEADER + page_size
    return frames, frames - last_commit


def check_copy(path: Path) -> CopyFigures:
    """Open a copied database as after a power cut; assert it is sound; return its figures."""
    frames, uncommitted = wal_frames(path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], path
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == [], path
        missing = conn.execute(
            "SELECT s.id, s.segments, count(g.id) FROM sended AS s "
            "LEFT JOIN sended_segment AS g ON g.id_sended = s.id "
            "GROUP BY s.id HAVING count(g.id) != s.segments"
        ).fetchall()
        assert missing == [], f"{path}: messages without all their segments: {missing[:5]}"
        recipients = conn.execute(
            "SELECT c.id, c.expanded_at IS NOT NULL, "
            "(SELECT count(*) FROM scheduled_number AS n WHERE n.id_scheduled = c.id), "
            "(SELECT count(*) FROM sended AS s WHERE s.originating_scheduled = c.id) "
            "FROM scheduled AS c"
        ).fetchall()
        for id_scheduled, expanded, wanted, made in recipients:
            # Expansion is one transaction: all of a scheduled message's messages, or none.
            assert made == (wanted if expanded else 0), (path, id_scheduled, expanded, made)
        pairs = conn.execute(
            "SELECT s.state, g.state, count(*) FROM sended AS s "
            "JOIN sended_segment AS g ON g.id_sended = s.id GROUP BY 1, 2"
        ).fetchall()
        for message_state, segment_state, _count in pairs:
            assert segment_state in SEGMENT_STATES[message_state], (path, pairs)
        unreferenced = conn.execute(
            "SELECT count(*) FROM sended_segment WHERE state = 'sent' AND reference IS NULL"
        ).fetchone()[0]
        assert unreferenced == 0, f"{path}: a sent segment without its TP-MR"
        states = dict(conn.execute("SELECT state, count(*) FROM sended GROUP BY state").fetchall())
        scheduled, expanded = conn.execute(
            "SELECT count(*), count(expanded_at) FROM scheduled"
        ).fetchone()
        segments = conn.execute("SELECT count(*) FROM sended_segment").fetchone()[0]
    finally:
        conn.close()
    return CopyFigures(
        scheduled=scheduled,
        expanded=expanded,
        messages=sum(states.values()),
        segments=segments,
        states=states,
        wal_frames=frames,
        wal_uncommitted=uncommitted,
    )
