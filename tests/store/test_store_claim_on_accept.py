"""An idle phone claims a free message in the very transaction that accepts it.

The runtime offers a phone (:class:`~smsd.store.expansion.AcceptClaim`) before the acceptance is
queued; the claim rides in the accepting commit, and the offer is answered once that commit is
on disk, with the claim or with nothing, even when the caller was cancelled meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest
from support.expansion import plan, verbatim
from support.store import add_phone

from smsd.store import quota
from smsd.store.errors import NotFoundError
from smsd.store.expansion import AcceptClaim, AcceptExpansion
from smsd.store.rows import Recipient
from smsd.store.scheduled import create_scheduled

if TYPE_CHECKING:
    from smsd.store.claiming import Claim
    from smsd.store.db import Database


class Offers:
    """The runtime's side: offers one phone, notes what each offer was answered."""

    def __init__(self, id_phone: int) -> None:
        self.id_phone = id_phone
        self.answers: list[tuple[Claim | None, list[tuple[int, str]]]] = []
        self.wakes: list[tuple[int, bool]] = []

    def claimant(self) -> AcceptClaim:
        return AcceptClaim(
            self.id_phone, lambda claim, refused: self.answers.append((claim, refused))
        )

    def wake(self, messages: int, free: bool) -> None:
        self.wakes.append((messages, free))


@pytest.fixture
async def offers(db: Database, user: int) -> Offers:
    made = Offers(await add_phone(db, user))
    db.accept_expansion = AcceptExpansion(
        render=verbatim, plan=plan, wake=made.wake, claimant=made.claimant
    )
    return made


async def _state(db: Database, destination: str) -> tuple[str, int | None]:
    found = await db.fetchone(
        "SELECT state, id_phone FROM sended WHERE destination = ?", (destination,)
    )
    assert found is not None
    return str(found["state"]), found["id_phone"]


async def test_the_claim_rides_in_the_accepting_commit(db, user, offers) -> None:
    batches = db._group.batches
    await create_scheduled(
        db, id_user=user, text="x" * 200, at=None, numbers=[Recipient("+33612345678")]
    )
    assert db._group.batches - batches == 1  # accepted, expanded and claimed: one commit
    assert await _state(db, "+33612345678") == ("sending", offers.id_phone)
    [(claim, refused)] = offers.answers
    assert claim is not None
    assert refused == []
    assert claim.message.destination == "+33612345678"
    assert claim.segments == (1, 2)
    assert offers.wakes == []  # no other sender is woken for the message claimed


async def test_a_second_recipient_is_left_for_the_senders_woken(db, user, offers) -> None:
    await create_scheduled(
        db,
        id_user=user,
        text="hello",
        at=None,
        numbers=[Recipient("+33612345678"), Recipient("+33612345679")],
    )
    assert await _state(db, "+33612345678") == ("sending", offers.id_phone)
    assert await _state(db, "+33612345679") == ("queued", None)
    assert offers.wakes == [(1, True)]


async def test_the_offer_is_answered_even_if_the_caller_is_cancelled(db, user, offers) -> None:
    accepting = asyncio.ensure_future(
        create_scheduled(db, id_user=user, text="hi", at=None, numbers=[Recipient("+33600000001")])
    )
    await asyncio.sleep(0)  # queued in the store's writer
    accepting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await accepting
    await db._group.drain()
    for _ in range(50):
        if offers.answers:
            break
        await asyncio.sleep(0.01)
    [(claim, _refused)] = offers.answers
    assert claim is not None  # committed and claimed: the phone was told, so it gets sent
    assert await _state(db, "+33600000001") == ("sending", offers.id_phone)


async def test_a_failed_acceptance_answers_nothing(db, user, offers) -> None:
    with pytest.raises(NotFoundError):
        await create_scheduled(
            db, id_user=user, text="hi", at=None, numbers=[Recipient("+33600000002")], id_phone=999
        )
    # a message pinned to a phone is not offered at all; a free one whose acceptance fails is
    # answered with nothing
    assert offers.answers == []
    with pytest.raises(Exception):  # noqa: B017, PT011 - the store's own refusal
        await create_scheduled(
            db, id_user=user, text="hi", at=None, numbers=[Recipient("+33600000003")],
            record=lambda _conn, _ids: (_ for _ in ()).throw(RuntimeError("refused")),
        )  # fmt: skip
    assert offers.answers == [(None, [])]


async def test_a_commercial_message_is_left_to_the_dispatcher_and_the_offer_answered(
    db, user, offers
) -> None:
    await create_scheduled(
        db, id_user=user, text="promo", at=None, numbers=[Recipient("+33600000004")],
        commercial=True,
    )  # fmt: skip
    assert offers.answers == [(None, [])]
    found = await db.fetchone("SELECT count(*) FROM sended WHERE destination = '+33600000004'")
    assert found is not None
    assert found[0] == 0  # not expanded: the dispatcher judges quiet hours


async def test_a_quota_that_cannot_pay_fails_the_message_in_the_claim(db, user, offers) -> None:
    await quota.set_quota(db, id_user=user, credit=0, now=time.time())
    await create_scheduled(
        db, id_user=user, text="hi", at=None, numbers=[Recipient("+33600000005")]
    )
    [(claim, refused)] = offers.answers
    assert claim is None
    assert len(refused) == 1
    assert refused[0][1].startswith("insufficient credit")
    assert (await _state(db, "+33600000005"))[0] == "failed"
