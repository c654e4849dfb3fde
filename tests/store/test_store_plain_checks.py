"""The checks every message runs compare in place: no temporary b-tree per row.

SQLite evaluates ``x IN ('a', 'b', 'c')`` (three constants or more) by filling a temporary
b-tree (``OpenEphemeral`` in the statement's program) each time it checks a row. A segment's
state and report checks and the condition of ``sended_user_outcome`` run at every step of a
message, so they are written as ``=`` joined by ``OR`` or a two-item ``NOT IN``
(``0014_plain_checks.sql``). These tests read the programs SQLite compiles for the statements
of a message's life, and check that the rules themselves still hold.
"""

from __future__ import annotations

import sqlite3

import pytest

from smsd.store.dashboard import HOURLY_SQL
from smsd.store.db import Database

HOT = {
    "a segment inserted": (
        "INSERT INTO sended_segment (id_sended, seq, state) VALUES (1, 1, 'queued')"
    ),
    "a segment claimed": (
        "UPDATE sended_segment SET state = 'sending', id_phone = 1 "
        "WHERE id_sended = 1 AND state = 'queued'"
    ),
    "a segment sent": (
        "UPDATE sended_segment SET state = 'sent', reference = 7, sent_at = 1.0 "
        "WHERE id_sended = 1 AND seq = 1 AND state = 'sending'"
    ),
    "a report recorded": "UPDATE sended_segment SET report = 'delivered' WHERE id = 1",
    "a message's time of sending": "UPDATE sended SET at = '2026-12-05 08:00:00' WHERE id = 1",
}


@pytest.fixture
async def path(tmp_path):
    where = tmp_path / "smsd.sqlite3"
    database = await Database.open(where)
    await database.close()
    return where


def _temporary_trees(conn: sqlite3.Connection, sql: str) -> int:
    return sum(1 for op in conn.execute(f"EXPLAIN {sql}") if op[1] == "OpenEphemeral")


@pytest.mark.parametrize("step", sorted(HOT))
def test_a_step_of_a_message_builds_no_temporary_tree(path, step: str) -> None:
    with sqlite3.connect(path) as conn:
        assert _temporary_trees(conn, HOT[step]) == 0, HOT[step]


def test_an_in_list_would_build_one(path) -> None:
    """The measure itself: the same check written with ``IN`` compiles a temporary tree."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TEMP TABLE t (state TEXT CHECK (state IN ('a', 'b', 'c')))")
        assert _temporary_trees(conn, "INSERT INTO t (state) VALUES ('a')") == 1


SEGMENT_STATES = ("queued", "sending", "sent", "unknown", "failed")
MESSAGE_STATES = ("queued", "sending", "sent", "delivered", "failed", "unknown")


def test_segment_checks_accept_and_refuse_the_same_values(path) -> None:
    with sqlite3.connect(path) as conn:  # foreign keys off: segments need no message here
        for seq, state in enumerate(SEGMENT_STATES, start=1):
            conn.execute(
                "INSERT INTO sended_segment (id_sended, seq, state) VALUES (1, ?, ?)", (seq, state)
            )
        for report in ("delivered", "pending", "failed", None):
            conn.execute("UPDATE sended_segment SET report = ? WHERE seq = 1", (report,))
        for column, value in (("state", "delivered"), ("state", "bogus"), ("report", "sent")):
            with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
                conn.execute(
                    f"UPDATE sended_segment SET {column} = ? WHERE seq = 1",  # noqa: S608 - test's own names
                    (value,),
                )


def test_outcome_index_holds_the_finished_messages_and_serves_the_dashboard(path) -> None:
    with sqlite3.connect(path) as conn:
        for state in MESSAGE_STATES:
            conn.execute(
                "INSERT INTO sended (at, text, destination, id_user, state, due_at, "
                "next_attempt_at, segments) VALUES ('2026-12-05 08:00:00', 't', '+33612345678', "
                "1, ?, 0, 0, 1)",
                (state,),
            )
        indexed = conn.execute(
            "SELECT state FROM sended INDEXED BY sended_user_outcome "
            "WHERE id_user = 1 AND at >= '2026' AND state NOT IN ('queued', 'sending') "
            "ORDER BY state"
        ).fetchall()
        assert [r[0] for r in indexed] == sorted(set(MESSAGE_STATES) - {"queued", "sending"})
        plan = " ".join(
            str(r[3])
            for r in conn.execute(f"EXPLAIN QUERY PLAN {HOURLY_SQL}", {"u": 1, "since": "2026"})
        )
        assert "COVERING INDEX sended_user_outcome" in plan
