"""The store's transitions keep to the table in smsd.model: each one, tried from every state,
succeeds exactly from its sources and lands in one of its targets; the schema knows the same
states."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from store_helpers import NOW, queue

import smsd.store
from smsd.model import MESSAGE_TRANSITIONS, MessageState, SegmentState
from smsd.store import campaign_edits, outbox, quota, sandbox
from smsd.store.errors import TransitionError

MIGRATIONS = Path(smsd.store.__file__).parent / "migrations"


async def force(db, id_sended: int, state: MessageState) -> None:
    """Put the message (and its one segment) in ``state`` directly."""
    segment = SegmentState.SENT if state is MessageState.DELIVERED else SegmentState(state.value)
    await db.execute("UPDATE sended SET state = ? WHERE id = ?", (state.value, id_sended))
    await db.execute(
        "UPDATE sended_segment SET state = ? WHERE id_sended = ?", (segment.value, id_sended)
    )


async def attempt(db, name: str, id_sended: int, phone: int) -> bool:
    """Run the transition ``name``; whether the store took it."""
    try:
        if name == "claim":
            return await outbox.claim(db, id_sended, id_phone=phone, now=NOW)
        if name == "simulate_sandbox":
            return id_sended in await sandbox.simulate(db, now=NOW)
        if name == "cancel_campaign":
            found = await db.fetchone(
                "SELECT id_user, originating_scheduled FROM sended WHERE id = ?", (id_sended,)
            )
            cancelled = await campaign_edits.cancel_campaign(
                db, id_user=found[0], id_scheduled=found[1], now=NOW
            )
            return cancelled == 1
        if name == "mark_sent":
            await outbox.mark_sent(db, id_sended, now=NOW, last=(1, 9))
        elif name == "requeue":
            await outbox.requeue(db, id_sended, reason="r", next_attempt_at=NOW, exclude_phone=None)
        elif name == "mark_failed":
            await outbox.mark_failed(db, id_sended, reason="r", now=NOW)
        elif name == "mark_unknown":
            await outbox.mark_unknown(db, id_sended, reason="r", now=NOW)
    except TransitionError:
        return False
    return True


TRIED = [
    "claim",
    "mark_sent",
    "requeue",
    "mark_failed",
    "mark_unknown",
    "simulate_sandbox",
    "cancel_campaign",
]


@pytest.mark.parametrize("start", list(MessageState), ids=str)
@pytest.mark.parametrize("name", TRIED)
async def test_transition_keeps_to_the_table(db, user, phone, name: str, start) -> None:
    [mid] = await queue(db, user, "+33611111111", sandbox=name == "simulate_sandbox")
    await force(db, mid, start)
    allowed = MESSAGE_TRANSITIONS[name]
    taken = await attempt(db, name, mid, phone)
    found = await db.fetchone("SELECT state FROM sended WHERE id = ?", (mid,))
    assert taken == (start in allowed.sources)
    if taken:
        assert MessageState(found["state"]) in allowed.targets
    else:
        assert found["state"] == start.value


async def test_a_claim_the_quota_cannot_pay_for_fails_the_message(db, user, phone) -> None:
    await quota.set_quota(db, id_user=user, credit=1, now=NOW)
    paid, unpaid = await queue(db, user, "+33611111111", "+33622222222")
    assert await attempt(db, "claim", paid, phone)
    assert not await attempt(db, "claim", unpaid, phone)
    found = await db.fetchone("SELECT state FROM sended WHERE id = ?", (unpaid,))
    assert MessageState(found["state"]) in MESSAGE_TRANSITIONS["claim"].targets
    assert found["state"] == MessageState.FAILED


def test_schema_states_are_the_models() -> None:
    sql = (MIGRATIONS / "0001_initial.sql").read_text(encoding="utf-8")
    checks = re.findall(r"CHECK \(state IN \(([^)]*)\)\)", sql)
    sets = [{s.strip().strip("'") for s in found.split(",")} for found in checks]
    assert {m.value for m in MessageState} in sets
    assert {s.value for s in SegmentState} in sets


def test_the_final_states_have_no_way_out() -> None:
    sources = set().union(*(t.sources for t in MESSAGE_TRANSITIONS.values()))
    assert sources.isdisjoint({MessageState.DELIVERED, MessageState.FAILED, MessageState.UNKNOWN})
